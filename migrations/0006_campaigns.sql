-- Campaigns: layouts, campaigns, one delivery row per recipient (the
-- queue), and the opens and clicks they bring back.

CREATE TABLE templates (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX templates_name_key ON templates (lower(name));

CREATE TABLE campaigns (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status             TEXT NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'finished', 'cancelled')),
    from_name          TEXT NOT NULL DEFAULT '',
    from_address       TEXT NOT NULL,
    reply_to           TEXT NOT NULL DEFAULT '',
    subject            TEXT NOT NULL DEFAULT '',
    preheader          TEXT NOT NULL DEFAULT '',
    body_format        TEXT NOT NULL DEFAULT 'markdown' CHECK (body_format IN ('markdown', 'html')),
    body               TEXT NOT NULL DEFAULT '',
    text_body          TEXT NOT NULL DEFAULT '',
    -- NULL: the built-in layout.
    template_id        BIGINT REFERENCES templates (id) ON DELETE RESTRICT,
    list_ids           BIGINT[] NOT NULL DEFAULT '{}',
    segment_id         BIGINT REFERENCES segments (id) ON DELETE RESTRICT,
    track_opens        BOOLEAN NOT NULL DEFAULT true,
    track_clicks       BOOLEAN NOT NULL DEFAULT true,
    anonymous_tracking BOOLEAN NOT NULL DEFAULT false,
    send_at            TIMESTAMPTZ,
    time_zone          TEXT NOT NULL DEFAULT 'UTC',
    -- Fixed when sending starts: the tracked URLs by index and the layout's
    -- source (editing a layout never changes a campaign already sending).
    links              TEXT[] NOT NULL DEFAULT '{}',
    layout_snapshot    TEXT,
    -- Why the campaign stopped or could not start.
    error              TEXT,
    recipients         BIGINT NOT NULL DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at         TIMESTAMPTZ,
    finished_at        TIMESTAMPTZ
);
CREATE INDEX campaigns_due ON campaigns (send_at) WHERE status = 'scheduled';

-- The delivery queue: one row per recipient per campaign. A row is due when
-- its status is queued, deferred or sending and next_attempt_at has passed;
-- leasing a row sets it to sending with next_attempt_at at the lease's end,
-- so a row whose worker died becomes due again by itself.
CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id     BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    subscriber_id   BIGINT NOT NULL,
    -- The list the recipient's unsubscribe link names.
    list_id         BIGINT NOT NULL,
    email           TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'deferred', 'delivered', 'bounced', 'failed', 'suppressed')),
    -- Lower goes first: transactional mail before bulk.
    priority        SMALLINT NOT NULL DEFAULT 10,
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_code       SMALLINT,
    last_enhanced   TEXT,
    last_reply      TEXT,
    mx              TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, subscriber_id)
);
CREATE INDEX deliveries_due ON deliveries (priority, next_attempt_at)
    WHERE status IN ('queued', 'sending', 'deferred');
CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id);

-- Opens and clicks. subscriber_id is NULL when the campaign tracks
-- anonymously; machine marks mail privacy proxies and link scanners.
CREATE TABLE campaign_events (
    campaign_id   BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    subscriber_id BIGINT,
    kind          TEXT NOT NULL CHECK (kind IN ('open', 'click')),
    link          INT,
    machine       BOOLEAN NOT NULL DEFAULT false,
    at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX campaign_events_campaign ON campaign_events (campaign_id, kind, at);
CREATE INDEX campaign_events_subscriber ON campaign_events (subscriber_id, at) WHERE subscriber_id IS NOT NULL;

-- The capture mailbox keeps the exact bytes a sandbox delivery produced.
ALTER TABLE outbound_messages ADD COLUMN delivery_id BIGINT;
ALTER TABLE outbound_messages ADD COLUMN raw BYTEA;

-- What comes back: every message the inbound listener accepted, what it
-- was and what was done (a message that could not be read keeps its bytes
-- and the reason), bounces and complaints tied to their deliveries.
CREATE TABLE inbound_messages (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    peer        INET,
    mail_from   TEXT NOT NULL,
    rcpt        TEXT NOT NULL,
    -- bounce, complaint, unsubscribe, auto-reply, report, unreadable, ignored
    kind        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    -- Kept when nothing could be made of it, and for reports not yet read.
    raw         BYTEA
);
CREATE INDEX inbound_messages_recent ON inbound_messages (received_at DESC);

CREATE TABLE bounces (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id BIGINT REFERENCES deliveries (id) ON DELETE SET NULL,
    campaign_id BIGINT,
    email       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    -- hard, soft, sender
    effect      TEXT NOT NULL CHECK (effect IN ('hard', 'soft', 'sender')),
    status      TEXT NOT NULL DEFAULT '',
    diagnostic  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX bounces_email ON bounces (lower(email), created_at);
CREATE INDEX bounces_campaign ON bounces (campaign_id);

CREATE TABLE complaints (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id   BIGINT REFERENCES deliveries (id) ON DELETE SET NULL,
    campaign_id   BIGINT,
    email         TEXT NOT NULL,
    feedback_type TEXT NOT NULL,
    user_agent    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX complaints_campaign ON complaints (campaign_id);

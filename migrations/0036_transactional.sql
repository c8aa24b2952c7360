-- Applications send through ninsho: transactional templates, messages sent
-- through the API (kept in the outbox with ninsho's own messages, which is
-- sent ahead of bulk), the idempotency of API calls, per-token limits, and
-- the history of every attempt for the message log.

CREATE TABLE tx_templates (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The API names a template by it: "order-receipt".
    name        TEXT NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
    from_name   TEXT NOT NULL DEFAULT '',
    from_address TEXT NOT NULL,
    reply_to    TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    body_format TEXT NOT NULL DEFAULT 'markdown' CHECK (body_format IN ('markdown', 'html')),
    -- A hand-written text part; empty: made from the HTML.
    text_body   TEXT NOT NULL DEFAULT '',
    -- A layout of the layouts page; NULL: the plain built-in one.
    layout_id   BIGINT REFERENCES templates (id) ON DELETE SET NULL,
    -- The language of the built-in layout (`en`, `ja`).
    language    TEXT NOT NULL DEFAULT 'en',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (name)
);

ALTER TABLE outbound_messages
    -- The Message-ID header, without angle brackets.
    ADD COLUMN message_id      TEXT,
    -- Who sent it: an API token (transactional mail).
    ADD COLUMN token_id        BIGINT,
    ADD COLUMN tx_template_id  BIGINT,
    -- Signed by an earlier attempt: `signature` (the header fields signing
    -- put in front of raw) followed by raw is what a retry sends as it is.
    ADD COLUMN signed          BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN signature       BYTEA,
    -- Retried until then; NULL: a day after it was made (our own messages).
    ADD COLUMN expires_at      TIMESTAMPTZ,
    ADD COLUMN last_code       SMALLINT,
    ADD COLUMN last_enhanced   TEXT,
    ADD COLUMN mx              TEXT,
    ADD COLUMN tls             TEXT CHECK (tls IN ('verified', 'unverified', 'none')),
    -- The message's size in bytes, kept when its bytes are dropped.
    ADD COLUMN size            INT,
    DROP CONSTRAINT outbound_messages_status_check,
    ADD CONSTRAINT outbound_messages_status_check
        CHECK (status IN ('queued', 'sending', 'deferred', 'sent', 'failed', 'captured', 'held', 'bounced', 'dropped'));
CREATE INDEX outbound_messages_to ON outbound_messages (lower(to_address), id);
CREATE INDEX outbound_messages_message_id ON outbound_messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX outbound_messages_created ON outbound_messages (created_at);
CREATE INDEX outbound_messages_token ON outbound_messages (token_id, id) WHERE token_id IS NOT NULL;

-- An API call with an Idempotency-Key: its answer, given again to a retry
-- of the same call (for a day).
CREATE TABLE tx_requests (
    admin_id     BIGINT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    response     JSONB NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (admin_id, key)
);
CREATE INDEX tx_requests_created ON tx_requests (created_at);

-- How many transactional messages a token may send (0: no limit).
ALTER TABLE api_tokens
    ADD COLUMN tx_per_minute INT NOT NULL DEFAULT 1000 CHECK (tx_per_minute >= 0),
    ADD COLUMN tx_per_day    INT NOT NULL DEFAULT 100000 CHECK (tx_per_day >= 0);

-- Messages each sender (an API token `token:5`, a submission credential
-- `credential:3`) sent per minute and per day (span = 'minute' or 'day').
CREATE TABLE send_usage (
    sender TEXT NOT NULL,
    span   TEXT NOT NULL CHECK (span IN ('minute', 'day')),
    since  TIMESTAMPTZ NOT NULL,
    sent   INT NOT NULL,
    PRIMARY KEY (sender, span, since)
);

-- Every attempt at a message, a campaign delivery's or an outbox message's:
-- the message log's history.
CREATE TABLE message_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id BIGINT,
    message_id  BIGINT,
    at          TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL,
    code        SMALLINT,
    enhanced    TEXT,
    reply       TEXT NOT NULL DEFAULT '',
    mx          TEXT,
    tls         TEXT,
    CHECK ((delivery_id IS NULL) <> (message_id IS NULL))
);
CREATE INDEX message_attempts_delivery ON message_attempts (delivery_id) WHERE delivery_id IS NOT NULL;
CREATE INDEX message_attempts_message ON message_attempts (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX message_attempts_at ON message_attempts (at);

-- How long the message log keeps a message's bytes and its other data.
ALTER TABLE sender_settings
    ADD COLUMN log_raw_days INT NOT NULL DEFAULT 7 CHECK (log_raw_days BETWEEN 0 AND 365),
    ADD COLUMN log_days     INT NOT NULL DEFAULT 90 CHECK (log_days BETWEEN 1 AND 3650);

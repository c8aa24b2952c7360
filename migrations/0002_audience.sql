-- Subscribers, lists, subscriptions, suppression, segments and imports.

CREATE TABLE subscribers (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email              TEXT NOT NULL,
    name               TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'unsubscribed', 'blocklisted', 'bounced', 'complained')),
    attributes         JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    -- Consent record: where, when and from whom the address came.
    consent_source     TEXT NOT NULL DEFAULT '',
    consent_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    consent_ip         INET,
    consent_user_agent TEXT,
    confirmed_at       TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscribers_email_key ON subscribers (lower(email));
CREATE INDEX subscribers_attributes ON subscribers USING GIN (attributes jsonb_path_ops) WITH (gin_pending_list_limit = 65536);

CREATE TABLE lists (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    visibility  TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
    optin       TEXT NOT NULL DEFAULT 'double' CHECK (optin IN ('single', 'double')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX lists_name_key ON lists (lower(name));

-- No foreign keys here: checking them per row halves CSV import speed.
-- The store deletes a list's or a subscriber's subscriptions with it, and
-- only creates subscriptions for lists and subscribers that exist.
CREATE TABLE subscriptions (
    list_id       BIGINT NOT NULL,
    subscriber_id BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('unconfirmed', 'confirmed', 'unsubscribed')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (list_id, subscriber_id)
);
CREATE INDEX subscriptions_subscriber ON subscriptions (subscriber_id);

-- Addresses and whole domains that no audience may ever reach. An erased
-- subscriber leaves only the SHA-256 of the address here.
CREATE TABLE suppressions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('address', 'domain', 'address_hash')),
    value      TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (kind, value)
);

CREATE TABLE segments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    definition  JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX segments_name_key ON segments (lower(name));

CREATE TABLE imports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mode        TEXT NOT NULL CHECK (mode IN ('add', 'update', 'unsubscribe', 'blocklist')),
    file_name   TEXT NOT NULL DEFAULT '',
    list_ids    BIGINT[] NOT NULL DEFAULT '{}',
    state       TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'finished', 'failed')),
    encoding    TEXT NOT NULL DEFAULT '',
    rows_done   BIGINT NOT NULL DEFAULT 0,
    rows_failed BIGINT NOT NULL DEFAULT 0,
    error       TEXT,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);

-- Rows an import rejected, with the line and the reason.
CREATE TABLE import_errors (
    import_id BIGINT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line      BIGINT NOT NULL,
    reason    TEXT NOT NULL,
    raw       TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- Failed logins are stored with the email already lower-cased, so the
-- lookup index is on the column itself.
DROP INDEX login_failures_email;
CREATE INDEX login_failures_email ON login_failures (email, at);

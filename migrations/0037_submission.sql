-- SMTP submission: the credentials applications send with. Each may send
-- only from its domains, optionally only from given networks, within its
-- limits; in hold mode what it sends waits for an operator. A credential
-- without a password is a network one: its networks send without logging
-- in (devices that cannot), and it must name them.
CREATE TABLE smtp_credentials (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._@+-]{0,99}$'),
    -- argon2id (PHC string); NULL: a network credential.
    password_hash TEXT,
    description   TEXT NOT NULL DEFAULT '',
    domains       TEXT[] NOT NULL CHECK (cardinality(domains) > 0),
    networks      INET[] NOT NULL DEFAULT '{}',
    per_minute    INT NOT NULL DEFAULT 600 CHECK (per_minute >= 0),
    per_day       INT NOT NULL DEFAULT 100000 CHECK (per_day >= 0),
    hold          BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    CHECK (password_hash IS NOT NULL OR cardinality(networks) > 0)
);

-- Failed logins, counted per user name and per network to slow guessing.
CREATE TABLE smtp_auth_failures (
    username TEXT NOT NULL,
    ip       INET NOT NULL,
    at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX smtp_auth_failures_user ON smtp_auth_failures (username, at);
CREATE INDEX smtp_auth_failures_ip ON smtp_auth_failures (ip, at);

ALTER TABLE outbound_messages ADD COLUMN credential_id BIGINT;

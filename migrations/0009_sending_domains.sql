-- Sending domains and their DKIM keys. Private keys are stored sealed
-- (AES-256-GCM under a key derived from the server's secret key file), never
-- in clear.
CREATE TABLE sending_domains (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sending_domains_domain_key ON sending_domains (lower(domain));

CREATE TABLE dkim_keys (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id   BIGINT NOT NULL REFERENCES sending_domains (id) ON DELETE CASCADE,
    algorithm   TEXT NOT NULL CHECK (algorithm IN ('rsa-sha256', 'ed25519-sha256')),
    selector    TEXT NOT NULL CHECK (selector ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    private_key BYTEA NOT NULL,
    -- The TXT value to publish at <selector>._domainkey.<domain>.
    dns_record  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (domain_id, selector)
);

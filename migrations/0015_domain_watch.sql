-- Key rotation: a new key is 'pending' until its DNS record is seen, then
-- 'active' (it signs); the key it replaces is 'retiring' (its record must
-- stay published for mail in flight) until retire_at, then 'retired'.
ALTER TABLE dkim_keys
    DROP CONSTRAINT dkim_keys_status_check,
    ADD CONSTRAINT dkim_keys_status_check CHECK (status IN ('pending', 'active', 'retiring', 'retired')),
    ADD COLUMN retire_at TIMESTAMPTZ;

-- The periodic DNS check of each sending domain: when it last ran, what it
-- found, and when its DKIM records were last seen correct (production
-- sends only from a domain verified this way).
ALTER TABLE sending_domains
    ADD COLUMN checked_at  TIMESTAMPTZ,
    ADD COLUMN checks      JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN verified_at TIMESTAMPTZ;

-- A check that was green and broke.
CREATE TABLE domain_alerts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id  BIGINT NOT NULL REFERENCES sending_domains (id) ON DELETE CASCADE,
    what       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX domain_alerts_recent ON domain_alerts (created_at DESC);

-- Webhooks: the URLs events are POSTed to (alerts for now), and a durable
-- outbox of deliveries, retried with back-off until delivered or given up.
CREATE TABLE webhook_endpoints (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url    TEXT NOT NULL UNIQUE,
    events TEXT[] NOT NULL DEFAULT '{alert}'
);

CREATE TABLE webhook_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    payload         JSONB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'delivered', 'failed')),
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('queued', 'sending');

-- A reader's request to move their subscriptions to another address: it
-- takes effect only when the link sent to the new address is followed, once.
CREATE TABLE address_changes (
    id            BIGSERIAL PRIMARY KEY,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    new_email     TEXT NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at       TIMESTAMPTZ
);
CREATE INDEX address_changes_subscriber ON address_changes (subscriber_id);

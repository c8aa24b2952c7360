-- Messages ninsho writes itself (double opt-in confirmations, test sends)
-- are sent by the delivery engine like campaign deliveries: leased, retried,
-- with the last reply kept. Copies kept only for the sandbox mailbox are
-- 'captured' and never sent.
ALTER TABLE outbound_messages
    ADD COLUMN from_address    TEXT,
    ADD COLUMN attempts        INT NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN last_reply      TEXT,
    ADD COLUMN updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    DROP CONSTRAINT outbound_messages_status_check,
    ADD CONSTRAINT outbound_messages_status_check
        CHECK (status IN ('queued', 'sending', 'deferred', 'sent', 'failed', 'captured'));
UPDATE outbound_messages SET status = 'captured' WHERE kind IN ('campaign', 'test');
DROP INDEX outbound_messages_queued;
CREATE INDEX outbound_messages_due ON outbound_messages (next_attempt_at)
    WHERE status IN ('queued', 'sending', 'deferred');

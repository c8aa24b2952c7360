-- Messages waiting for the delivery engine: transactional mail such as
-- double opt-in confirmations. In sandbox mode they are the capture mailbox.
CREATE TABLE outbound_messages (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT NOT NULL,
    subscriber_id BIGINT,
    to_address    TEXT NOT NULL,
    subject       TEXT NOT NULL,
    text_body     TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbound_messages_queued ON outbound_messages (created_at) WHERE status = 'queued';

-- Submissions of public forms per client address, for rate limiting.
CREATE TABLE public_form_hits (
    ip INET NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX public_form_hits_ip ON public_form_hits (ip, at);

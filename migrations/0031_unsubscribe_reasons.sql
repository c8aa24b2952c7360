-- Why readers leave, when they say: one of a few reasons and their own
-- words, tied to the campaign they last got from that list.
CREATE TABLE unsubscribe_reasons (
    id            BIGSERIAL PRIMARY KEY,
    subscriber_id BIGINT NOT NULL,
    list_id       BIGINT NOT NULL,
    campaign_id   BIGINT REFERENCES campaigns (id) ON DELETE SET NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('too_many', 'not_relevant', 'never_signed_up', 'other')),
    detail        TEXT NOT NULL DEFAULT '',
    at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX unsubscribe_reasons_campaign ON unsubscribe_reasons (campaign_id);

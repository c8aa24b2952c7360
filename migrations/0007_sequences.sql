-- Step sequences (drip): a subscriber who joins the trigger list after the
-- sequence was activated gets each step when its delay has passed since
-- joining. Each step is a campaign (status sending while the sequence is
-- active), so steps render, track and report like any campaign, and the
-- unique (campaign, subscriber) delivery row makes a step go out once.
CREATE TABLE sequences (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    list_id         BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused')),
    -- Subscribers matching this segment get no further steps.
    exit_segment_id BIGINT REFERENCES segments (id) ON DELETE RESTRICT,
    activated_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE campaigns ADD COLUMN sequence_id BIGINT REFERENCES sequences (id) ON DELETE CASCADE;
-- A step goes out this long after the subscriber joined the list.
ALTER TABLE campaigns ADD COLUMN step_delay_minutes INT CHECK (step_delay_minutes >= 0);
CREATE INDEX campaigns_sequence ON campaigns (sequence_id) WHERE sequence_id IS NOT NULL;

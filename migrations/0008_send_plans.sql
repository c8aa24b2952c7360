-- Send plans: each recipient's own time zone, a send window, and A/B tests
-- of subject lines.

-- The wall-clock time the campaign was scheduled for, as entered. With a
-- recipient time-zone attribute, each recipient gets it in their own zone
-- (send_at is then the earliest such instant).
ALTER TABLE campaigns ADD COLUMN send_at_local TIMESTAMP;
-- The subscriber attribute holding an IANA zone name ('' = the campaign's zone).
ALTER TABLE campaigns ADD COLUMN recipient_zone_attribute TEXT NOT NULL DEFAULT '';
-- Messages go out only between these local times (both NULL: any time).
ALTER TABLE campaigns ADD COLUMN window_start TIME;
ALTER TABLE campaigns ADD COLUMN window_end TIME;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_window
    CHECK ((window_start IS NULL) = (window_end IS NULL) AND (window_start IS NULL OR window_start < window_end));

-- A/B: the other subject lines (variant 1, 2, …; the main subject is 0),
-- the share of the audience that tests them, how long to wait, what wins.
ALTER TABLE campaigns ADD COLUMN ab_subjects TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN ab_sample_percent SMALLINT NOT NULL DEFAULT 0
    CHECK (ab_sample_percent BETWEEN 0 AND 100);
ALTER TABLE campaigns ADD COLUMN ab_wait_minutes INT NOT NULL DEFAULT 240 CHECK (ab_wait_minutes > 0);
ALTER TABLE campaigns ADD COLUMN ab_metric TEXT NOT NULL DEFAULT 'opens' CHECK (ab_metric IN ('opens', 'clicks'));
ALTER TABLE campaigns ADD COLUMN ab_winner SMALLINT;

-- Which subject a recipient gets. Held rows wait for the A/B winner.
ALTER TABLE deliveries ADD COLUMN variant SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('queued', 'held', 'sending', 'deferred', 'delivered', 'bounced', 'failed', 'suppressed'));

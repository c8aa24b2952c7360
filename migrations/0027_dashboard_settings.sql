-- Each admin's time zone: every time the dashboard shows them is in it
-- (empty: not chosen yet; the browser's zone is taken at the next login).
ALTER TABLE admins ADD COLUMN time_zone text NOT NULL DEFAULT '';

-- The sender's settings, one row: the name subscribers' pages carry, and
-- what a new campaign starts from.
CREATE TABLE sender_settings (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    organization text NOT NULL DEFAULT '',
    from_name text NOT NULL DEFAULT '',
    from_address text NOT NULL DEFAULT '',
    reply_to text NOT NULL DEFAULT '',
    time_zone text NOT NULL DEFAULT 'UTC',
    track_opens boolean NOT NULL DEFAULT true,
    track_clicks boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO sender_settings DEFAULT VALUES;

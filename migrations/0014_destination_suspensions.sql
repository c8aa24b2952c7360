-- Destinations (providers or domains) that asked to be left alone, shared by
-- all delivery nodes: none sends there until `until`.
CREATE TABLE destination_suspensions (
    destination TEXT PRIMARY KEY,
    until       TIMESTAMPTZ NOT NULL,
    reason      TEXT NOT NULL
);

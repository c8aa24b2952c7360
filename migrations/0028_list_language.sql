-- The language of a list's public pages and of the mail it sends
-- (confirmation, footer words): a BCP 47 tag ninsho has a catalog for.
ALTER TABLE lists ADD COLUMN language text NOT NULL DEFAULT 'en';

-- The dashboard's language per admin: 'en', 'ja', or '' to follow the
-- browser's Accept-Language.
ALTER TABLE admins ADD COLUMN language text NOT NULL DEFAULT '';

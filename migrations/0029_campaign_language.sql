-- A campaign's language: its <html lang>, the default layout's footer words
-- and its text part's footer. Set from its list's language when a draft is
-- saved with none chosen.
ALTER TABLE campaigns ADD COLUMN language text NOT NULL DEFAULT 'en';

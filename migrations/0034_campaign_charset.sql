-- How a campaign's messages are encoded: UTF-8, or ISO-2022-JP (RFC 1468)
-- for readers whose mail systems or phones expect it.
ALTER TABLE campaigns ADD COLUMN charset text NOT NULL DEFAULT 'utf-8'
    CHECK (charset IN ('utf-8', 'iso-2022-jp'));

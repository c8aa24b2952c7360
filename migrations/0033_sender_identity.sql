-- The sender's identity block per sending domain: the name, postal address
-- and contact that Japan's 特定電子メール法 (and CAN-SPAM) want printed in
-- advertising mail. Production scheduling needs all three.
ALTER TABLE sending_domains
    ADD COLUMN sender_name    text NOT NULL DEFAULT '',
    ADD COLUMN postal_address text NOT NULL DEFAULT '',
    ADD COLUMN contact        text NOT NULL DEFAULT '';

-- S/MIME signing per sending domain (optional): the certificate chain in
-- PEM (signing certificate first) and its private key, sealed under the
-- server key; subject and expiry kept for the dashboard.
ALTER TABLE sending_domains
    ADD COLUMN smime_certs TEXT,
    ADD COLUMN smime_key BYTEA,
    ADD COLUMN smime_subject TEXT,
    ADD COLUMN smime_not_after TEXT;

-- How each delivery's last connection was protected: 'verified' (TLS to a
-- certificate valid for the MX name), 'unverified' (TLS, certificate not
-- valid), 'none' (clear text). NULL: no connection was made.
ALTER TABLE deliveries ADD COLUMN tls TEXT CHECK (tls IN ('verified', 'unverified', 'none'));

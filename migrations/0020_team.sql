-- Teams: roles, API token scopes, TOTP second factor with recovery codes,
-- the team-wide "everyone needs 2FA" switch, and the audit log.

-- Every admin before roles existed could do everything: they are owners.
ALTER TABLE admins
    ADD COLUMN role TEXT NOT NULL DEFAULT 'owner'
        CHECK (role IN ('owner', 'marketer', 'analyst', 'operator')),
    -- The TOTP secret, sealed under the server key; set while enrolling.
    ADD COLUMN totp_secret BYTEA,
    -- Set once a first code proved the authenticator app has the secret.
    ADD COLUMN totp_enabled_at TIMESTAMPTZ,
    -- The last 30-second step a code was accepted for: a code is good once.
    ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- One-time recovery codes; only their SHA-256 is kept.
CREATE TABLE admin_recovery_codes (
    admin_id  BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (admin_id, code_hash)
);

-- A token may be narrowed to some of its owner's permissions
-- ('campaigns:read', 'audience:write' …); NULL means all of them.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT[];

-- Logins waiting for their second factor: the password was right.
CREATE TABLE login_challenges (
    token_hash BYTEA PRIMARY KEY,
    admin_id   BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    ip         INET,
    user_agent TEXT
);

CREATE TABLE team_settings (
    id           BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    require_totp BOOLEAN NOT NULL DEFAULT false
);
INSERT INTO team_settings DEFAULT VALUES;

-- Every change made by a person or a token. The actor is kept as text (not
-- a key), so removing an admin leaves their history; the triggers below make
-- rows unchangeable.
CREATE TABLE audit_log (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    admin_id BIGINT,
    actor    TEXT NOT NULL,
    -- 'session', 'token <name>', 'cli'
    via      TEXT NOT NULL,
    ip       INET,
    action   TEXT NOT NULL,
    status   INT,
    details  JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log cannot be changed or deleted';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

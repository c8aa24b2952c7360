//! Admin accounts, sessions, API tokens and failed-login records.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use domain::EmailAddress;
use ipnet::IpNet;

use crate::{Result, Store, StoreError, is_unique_violation};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Admin {
    pub id: i64,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub admin_id: i64,
    pub email: String,
    pub role: String,
    /// The team requires a second factor and this admin has none yet.
    pub must_enrol: bool,
    pub expires_at: DateTime<Utc>,
    /// Their time zone, else Asia/Tokyo if they chose Japanese, else the
    /// sender's default zone.
    pub time_zone: String,
    /// Their dashboard language (`en`, `ja`), or empty: the browser's.
    pub language: String,
}

/// Who an API token acts for, and how far.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenOwner {
    pub admin_id: i64,
    pub email: String,
    pub role: String,
    pub token_id: i64,
    pub token_name: String,
    /// The permissions it was narrowed to; None: all of its owner's.
    pub scopes: Option<Vec<String>>,
    /// The team requires a second factor and the owner has none yet.
    pub must_enrol: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scopes: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Transactional messages it may send a minute and a day (0: no limit).
    pub tx_per_minute: i32,
    pub tx_per_day: i32,
}

impl Store {
    pub async fn admin_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM admins").fetch_one(&self.pool).await?)
    }

    pub async fn create_admin(&self, email: &EmailAddress, password_hash: &str) -> Result<Admin> {
        sqlx::query_as("INSERT INTO admins (email, password_hash) VALUES ($1, $2) RETURNING id, email, created_at")
            .bind(email.as_str())
            .bind(password_hash)
            .fetch_one(&self.pool)
            .await
            .map_err(
                |e| if is_unique_violation(&e) { StoreError::Conflict("an admin with this email") } else { e.into() },
            )
    }

    /// Creates the first admin, or nothing when any admin exists already (two
    /// setup forms submitted at once cannot both win).
    pub async fn create_first_admin(&self, email: &EmailAddress, password_hash: &str) -> Result<Option<Admin>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE admins IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let admin = sqlx::query_as(
            "INSERT INTO admins (email, password_hash) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM admins) \
             RETURNING id, email, created_at",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(admin)
    }

    /// The admin with this email (any case) and their password hash.
    pub async fn admin_credentials(&self, email: &str) -> Result<Option<(Admin, String)>> {
        let row: Option<(i64, String, DateTime<Utc>, String)> =
            sqlx::query_as("SELECT id, email, created_at, password_hash FROM admins WHERE lower(email) = lower($1)")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id, email, created_at, hash)| (Admin { id, email, created_at }, hash)))
    }

    /// Replaces the password and ends every session of the account.
    pub async fn set_admin_password(&self, email: &EmailAddress, password_hash: &str) -> Result<Admin> {
        let mut tx = self.pool.begin().await?;
        let admin: Admin = sqlx::query_as(
            "UPDATE admins SET password_hash = $2, password_changed_at = now() WHERE lower(email) = lower($1) \
             RETURNING id, email, created_at",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("admin"))?;
        sqlx::query("DELETE FROM admin_sessions WHERE admin_id = $1").bind(admin.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(admin)
    }

    pub async fn create_session(
        &self,
        token_hash: &[u8],
        admin_id: i64,
        lifetime: Duration,
        ip: IpAddr,
        user_agent: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO admin_sessions (token_hash, admin_id, expires_at, ip, user_agent) \
             VALUES ($1, $2, now() + $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(admin_id)
        .bind(lifetime)
        .bind(IpNet::from(ip))
        .bind(user_agent)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session for this token, sliding its expiry forward by
    /// `lifetime` (sessions end after that much inactivity).
    pub async fn touch_session(&self, token_hash: &[u8], lifetime: Duration) -> Result<Option<Session>> {
        Ok(sqlx::query_as(
            "UPDATE admin_sessions s SET last_seen_at = now(), expires_at = now() + $2 \
             FROM admins a WHERE s.token_hash = $1 AND s.expires_at > now() AND a.id = s.admin_id \
             RETURNING s.admin_id, a.email, a.role, s.expires_at, \
                 a.totp_enabled_at IS NULL AND (SELECT require_totp FROM team_settings) AS must_enrol, \
                 coalesce(nullif(a.time_zone, ''), CASE WHEN a.language = 'ja' THEN 'Asia/Tokyo' END, \
                     (SELECT time_zone FROM sender_settings)) AS time_zone, \
                 a.language",
        )
        .bind(token_hash)
        .bind(lifetime)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    /// Removes expired sessions and failed-login records older than `keep`.
    pub async fn prune_auth_records(&self, keep: Duration) -> Result<u64> {
        let sessions = sqlx::query("DELETE FROM admin_sessions WHERE expires_at < now()").execute(&self.pool).await?;
        let failures =
            sqlx::query("DELETE FROM login_failures WHERE at < now() - $1").bind(keep).execute(&self.pool).await?;
        Ok(sessions.rows_affected() + failures.rows_affected())
    }

    pub async fn record_login_failure(&self, email: &str, ip: IpAddr) -> Result<()> {
        sqlx::query("INSERT INTO login_failures (email, ip) VALUES (lower($1), $2)")
            .bind(email)
            .bind(throttle_net(ip))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Failed logins within `window`: of this account from this address,
    /// from this address to any account, and of this account from anywhere.
    pub async fn recent_login_failures(&self, email: &str, ip: IpAddr, window: Duration) -> Result<LoginFailures> {
        Ok(sqlx::query_as(
            "SELECT count(*) FILTER (WHERE email = lower($1) AND ip = $2) AS pair, \
                    count(*) FILTER (WHERE ip = $2) AS address, count(*) FILTER (WHERE email = lower($1)) AS account \
             FROM login_failures WHERE at > now() - $3 AND (email = lower($1) OR ip = $2)",
        )
        .bind(email)
        .bind(throttle_net(ip))
        .bind(window)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Forgets an account's failed logins after it logged in successfully.
    pub async fn clear_login_failures(&self, email: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE email = lower($1)").bind(email).execute(&self.pool).await?;
        Ok(())
    }

    /// A token with all of its owner's permissions.
    pub async fn create_api_token(&self, email: &EmailAddress, name: &str, token_hash: &[u8]) -> Result<ApiToken> {
        self.create_scoped_api_token(email, name, token_hash, None).await
    }

    /// A token narrowed to `scopes` (None: all of its owner's permissions).
    pub async fn create_scoped_api_token(
        &self,
        email: &EmailAddress,
        name: &str,
        token_hash: &[u8],
        scopes: Option<&[String]>,
    ) -> Result<ApiToken> {
        sqlx::query_as(
            "INSERT INTO api_tokens (admin_id, name, token_hash, scopes) \
             SELECT id, $2, $3, $4 FROM admins WHERE lower(email) = lower($1) \
             RETURNING id, name, scopes, created_at, last_used_at, tx_per_minute, tx_per_day",
        )
        .bind(email.as_str())
        .bind(name)
        .bind(token_hash)
        .bind(scopes)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("admin"))
    }

    /// The admin an unrevoked API token belongs to; records its use.
    pub async fn api_token_admin(&self, token_hash: &[u8]) -> Result<Option<TokenOwner>> {
        Ok(sqlx::query_as(
            "UPDATE api_tokens t SET last_used_at = now() FROM admins a \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.id = t.admin_id \
             RETURNING a.id AS admin_id, a.email, a.role, t.id AS token_id, t.name AS token_name, t.scopes, \
                 a.totp_enabled_at IS NULL AND (SELECT require_totp FROM team_settings) AS must_enrol",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn api_tokens(&self, admin_id: i64) -> Result<Vec<ApiToken>> {
        Ok(sqlx::query_as(
            "SELECT id, name, scopes, created_at, last_used_at, tx_per_minute, tx_per_day FROM api_tokens \
             WHERE admin_id = $1 AND revoked_at IS NULL ORDER BY id",
        )
        .bind(admin_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Revokes one of an admin's tokens; false when it is not theirs.
    pub async fn revoke_api_token(&self, admin_id: i64, token_id: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND admin_id = $2 AND revoked_at IS NULL",
        )
        .bind(token_id)
        .bind(admin_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Recent failed logins, counted three ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginFailures {
    /// Of this account from this address.
    pub pair: i64,
    /// From this address, to any account.
    pub address: i64,
    /// Of this account, from anywhere.
    pub account: i64,
}

/// What login throttling counts per "IP": an IPv4 address, or an IPv6 /64
/// (one subscriber line holds a whole /64).
pub fn throttle_net(ip: IpAddr) -> IpNet {
    match ip {
        IpAddr::V4(_) => IpNet::from(ip),
        IpAddr::V6(v6) => ipnet::Ipv6Net::new(v6, 64).map_or_else(|_| IpNet::from(ip), |net| IpNet::V6(net.trunc())),
    }
}

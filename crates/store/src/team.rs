//! The team: admins' roles, the second factor (TOTP secrets, recovery codes,
//! logins waiting for their code), the team-wide settings and the audit log.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use domain::EmailAddress;
use ipnet::IpNet;

use crate::{Result, Store, StoreError, is_unique_violation};

/// An admin as the team page lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamMember {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// One change, as it is recorded.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub admin_id: Option<i64>,
    pub actor: &'a str,
    /// "session", "token <name>", "cli".
    pub via: &'a str,
    pub ip: Option<IpAddr>,
    /// "POST /lists/3", "login", "admin create".
    pub action: &'a str,
    pub status: Option<i32>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub via: String,
    pub ip: Option<IpNet>,
    pub action: String,
    pub status: Option<i32>,
    pub details: serde_json::Value,
}

/// An admin's second factor as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Totp {
    /// Sealed under the server key.
    pub secret: Option<Vec<u8>>,
    pub enabled: bool,
    pub last_step: i64,
}

impl Store {
    pub async fn team(&self) -> Result<Vec<TeamMember>> {
        Ok(sqlx::query_as(
            "SELECT id, email, role, totp_enabled_at IS NOT NULL AS totp_enabled, created_at FROM admins ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn create_admin_with_role(&self, email: &EmailAddress, password_hash: &str, role: &str) -> Result<i64> {
        sqlx::query_scalar("INSERT INTO admins (email, password_hash, role) VALUES ($1, $2, $3) RETURNING id")
            .bind(email.as_str())
            .bind(password_hash)
            .bind(role)
            .fetch_one(&self.pool)
            .await
            .map_err(
                |e| if is_unique_violation(&e) { StoreError::Conflict("an admin with this email") } else { e.into() },
            )
    }

    /// Changes a role; the last owner cannot stop being one.
    pub async fn set_admin_role(&self, admin_id: i64, role: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE admins IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        if role != "owner" {
            let other_owners: i64 = sqlx::query_scalar("SELECT count(*) FROM admins WHERE role = 'owner' AND id <> $1")
                .bind(admin_id)
                .fetch_one(&mut *tx)
                .await?;
            if other_owners == 0 {
                return Err(StoreError::Refused("the team needs at least one owner".into()));
            }
        }
        let done = sqlx::query("UPDATE admins SET role = $2 WHERE id = $1")
            .bind(admin_id)
            .bind(role)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("admin"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes an admin with their sessions and tokens (not the last owner);
    /// returns their email.
    pub async fn delete_admin(&self, admin_id: i64) -> Result<String> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE admins IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let other_owners: i64 = sqlx::query_scalar("SELECT count(*) FROM admins WHERE role = 'owner' AND id <> $1")
            .bind(admin_id)
            .fetch_one(&mut *tx)
            .await?;
        let email: String = sqlx::query_scalar("DELETE FROM admins WHERE id = $1 RETURNING email")
            .bind(admin_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("admin"))?;
        if other_owners == 0 {
            return Err(StoreError::Refused("the team needs at least one owner".into()));
        }
        tx.commit().await?;
        Ok(email)
    }

    pub async fn require_totp(&self) -> Result<bool> {
        Ok(sqlx::query_scalar("SELECT require_totp FROM team_settings").fetch_one(&self.pool).await?)
    }

    pub async fn set_require_totp(&self, required: bool) -> Result<()> {
        sqlx::query("UPDATE team_settings SET require_totp = $1").bind(required).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn record_audit(&self, entry: &NewAuditEntry<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (admin_id, actor, via, ip, action, status, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(entry.admin_id)
        .bind(entry.actor)
        .bind(entry.via)
        .bind(entry.ip.map(IpNet::from))
        .bind(entry.action)
        .bind(entry.status)
        .bind(&entry.details)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest entries before id `before`, those matching `search` (in
    /// actor, action, address or details) when it is given.
    pub async fn audit_log(&self, search: Option<&str>, before: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
        let pattern = search.map(|s| format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
        Ok(sqlx::query_as(
            "SELECT id, at, actor, via, ip, action, status, details FROM audit_log \
             WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR actor ILIKE $2 OR action ILIKE $2 \
                 OR via ILIKE $2 OR host(ip) ILIKE $2 OR details::text ILIKE $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(before)
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of the audit log for the dashboard: `logins` Some(true) keeps
    /// only logins and logouts, Some(false) leaves them out; and the
    /// `before` of the next page when there is one.
    pub async fn audit_page(
        &self,
        search: Option<&str>,
        logins: Option<bool>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<AuditEntry>, Option<i64>)> {
        let pattern = crate::audience::like(search);
        let mut rows: Vec<AuditEntry> = sqlx::query_as(
            "SELECT id, at, actor, via, ip, action, status, details FROM audit_log \
             WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR actor ILIKE $2 OR action ILIKE $2 \
                 OR via ILIKE $2 OR host(ip) ILIKE $2 OR details::text ILIKE $2) \
               AND ($4::bool IS NULL OR (action IN ('login', 'POST /logout')) = $4) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(before)
        .bind(pattern)
        .bind(limit + 1)
        .bind(logins)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more { rows.last().map(|e| e.id) } else { None };
        Ok((rows, next))
    }

    pub async fn totp(&self, admin_id: i64) -> Result<Totp> {
        sqlx::query_as(
            "SELECT totp_secret AS secret, totp_enabled_at IS NOT NULL AS enabled, totp_last_step AS last_step \
             FROM admins WHERE id = $1",
        )
        .bind(admin_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("admin"))
    }

    /// Keeps a new (sealed) secret while the admin enrols; an enabled
    /// second factor is not replaced.
    pub async fn start_totp(&self, admin_id: i64, sealed_secret: &[u8]) -> Result<()> {
        sqlx::query("UPDATE admins SET totp_secret = $2 WHERE id = $1 AND totp_enabled_at IS NULL")
            .bind(admin_id)
            .bind(sealed_secret)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Turns the second factor on after a first good code (its `step` is
    /// used up) and stores the recovery codes' hashes.
    pub async fn enable_totp(&self, admin_id: i64, step: i64, recovery_hashes: &[Vec<u8>]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE admins SET totp_enabled_at = now(), totp_last_step = $2 \
             WHERE id = $1 AND totp_secret IS NOT NULL",
        )
        .bind(admin_id)
        .bind(step)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM admin_recovery_codes WHERE admin_id = $1").bind(admin_id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO admin_recovery_codes (admin_id, code_hash) SELECT $1, unnest($2::bytea[])")
            .bind(admin_id)
            .bind(recovery_hashes)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn disable_totp(&self, admin_id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE admins SET totp_secret = NULL, totp_enabled_at = NULL WHERE id = $1")
            .bind(admin_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM admin_recovery_codes WHERE admin_id = $1").bind(admin_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses up time step `step`: false when it (or a later one) was used
    /// already, so a code cannot be replayed.
    pub async fn use_totp_step(&self, admin_id: i64, step: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE admins SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2")
            .bind(admin_id)
            .bind(step)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Uses up a recovery code; false when it is unknown or used.
    pub async fn use_recovery_code(&self, admin_id: i64, code_hash: &[u8]) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE admin_recovery_codes SET used_at = now() \
             WHERE admin_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(admin_id)
        .bind(code_hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn recovery_codes_left(&self, admin_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM admin_recovery_codes WHERE admin_id = $1 AND used_at IS NULL")
            .bind(admin_id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// A login whose password was right, waiting for its code.
    pub async fn create_login_challenge(
        &self,
        token_hash: &[u8],
        admin_id: i64,
        lifetime: Duration,
        ip: IpAddr,
        user_agent: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_challenges (token_hash, admin_id, expires_at, ip, user_agent) \
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

    /// The admin (id, email) a live challenge is for.
    pub async fn login_challenge(&self, token_hash: &[u8]) -> Result<Option<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.email FROM login_challenges c JOIN admins a ON a.id = c.admin_id \
             WHERE c.token_hash = $1 AND c.expires_at > now()",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn delete_login_challenge(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1 OR expires_at < now()")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

//! SMTP submission: the credentials applications send with, their failed
//! logins, and the messages they submit (into the outbox, ahead of bulk,
//! or held for an operator).

use chrono::{DateTime, Duration, Utc};
use domain::OutboxStatus;
use ipnet::IpNet;

use crate::transactional::{Origin, count_usage, insert_messages};
use crate::{NewTxMessage, Result, Store, StoreError, TxQueued};

/// A submission credential.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Credential {
    pub id: i64,
    pub username: String,
    pub description: String,
    /// The domains its From may name (and their subdomains).
    pub domains: Vec<String>,
    /// The networks it may send from; empty: anywhere.
    pub networks: Vec<IpNet>,
    /// No password: its networks send without logging in.
    pub network_only: bool,
    pub per_minute: i32,
    pub per_day: i32,
    /// What it sends waits for an operator.
    pub hold: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl Credential {
    /// Whether `ip` is in its networks (any, when it names none).
    pub fn allows_from(&self, ip: std::net::IpAddr) -> bool {
        self.networks.is_empty() || self.networks.iter().any(|n| n.contains(&ip))
    }

    /// Whether a From or envelope sender in `domain` is its to send.
    pub fn allows_domain(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.domains.iter().any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
    }
}

/// What a new credential is.
#[derive(Debug, Clone, Default)]
pub struct NewCredential {
    pub username: String,
    /// None: a network credential (then `networks` is not empty).
    pub password_hash: Option<String>,
    pub description: String,
    pub domains: Vec<String>,
    pub networks: Vec<IpNet>,
    pub per_minute: i32,
    pub per_day: i32,
    pub hold: bool,
}

/// Failed logins within a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct AuthFailures {
    /// Of the user name, from anywhere.
    pub user: i64,
    /// From the address (its /64 for IPv6), whatever the user name.
    pub network: i64,
}

/// A credential's columns (a macro, so that queries stay `&'static str`).
macro_rules! columns {
    () => {
        "id, username, description, domains, networks, password_hash IS NULL AS network_only, \
         per_minute, per_day, hold, created_at, last_used_at"
    };
}

impl Store {
    pub async fn create_credential(&self, c: &NewCredential) -> Result<Credential> {
        let domains: Vec<String> = c.domains.iter().map(|d| d.trim().trim_end_matches('.').to_lowercase()).collect();
        let networks: Vec<IpNet> = c.networks.iter().map(IpNet::trunc).collect();
        sqlx::query_as(
            "INSERT INTO smtp_credentials (username, password_hash, description, domains, networks, per_minute, \
             per_day, hold) VALUES (lower($1), $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (username) DO NOTHING \
             RETURNING id, username, description, domains, networks, password_hash IS NULL AS network_only, \
             per_minute, per_day, hold, created_at, last_used_at",
        )
        .bind(&c.username)
        .bind(c.password_hash.as_deref())
        .bind(&c.description)
        .bind(&domains)
        .bind(&networks)
        .bind(c.per_minute)
        .bind(c.per_day)
        .bind(c.hold)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::Conflict("a credential with this user name"))
    }

    /// Credentials not revoked, by user name.
    pub async fn credentials(&self) -> Result<Vec<Credential>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM smtp_credentials WHERE revoked_at IS NULL ORDER BY username"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// An unrevoked credential and its password hash (None for a network
    /// credential), by user name.
    pub async fn credential_login(&self, username: &str) -> Result<Option<(Credential, Option<String>)>> {
        let found: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT id, password_hash FROM smtp_credentials WHERE username = lower($1) AND revoked_at IS NULL",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, hash)) = found else { return Ok(None) };
        Ok(self.credential(id).await?.map(|c| (c, hash)))
    }

    pub async fn credential(&self, id: i64) -> Result<Option<Credential>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM smtp_credentials WHERE id = $1 AND revoked_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The network credential whose networks hold `ip` (the narrowest), if any.
    pub async fn network_credential(&self, ip: std::net::IpAddr) -> Result<Option<Credential>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM smtp_credentials c WHERE revoked_at IS NULL AND password_hash IS NULL \
             AND EXISTS (SELECT 1 FROM unnest(c.networks) n WHERE $1::inet <<= n) \
             ORDER BY (SELECT max(masklen(n)) FROM unnest(c.networks) n WHERE $1::inet <<= n) DESC LIMIT 1"
        ))
        .bind(IpNet::from(ip))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Revokes a credential by user name; false when there is none.
    pub async fn revoke_credential(&self, username: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE smtp_credentials SET revoked_at = now() WHERE username = lower($1) AND revoked_at IS NULL",
        )
        .bind(username)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts a credential in hold mode or out of it; false when there is none.
    pub async fn set_credential_hold(&self, id: i64, hold: bool) -> Result<bool> {
        let done = sqlx::query("UPDATE smtp_credentials SET hold = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(hold)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a use of a credential.
    pub async fn touch_credential(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE smtp_credentials SET last_used_at = now() WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a failed login of `username` from `ip`.
    pub async fn record_auth_failure(&self, username: &str, ip: std::net::IpAddr) -> Result<()> {
        sqlx::query("INSERT INTO smtp_auth_failures (username, ip) VALUES (lower($1), $2)")
            .bind(username.chars().take(200).collect::<String>())
            .bind(crate::throttle_net(ip))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Failed logins within `window`: of `username`, and from `ip`'s network.
    pub async fn auth_failures(&self, username: &str, ip: std::net::IpAddr, window: Duration) -> Result<AuthFailures> {
        Ok(sqlx::query_as(
            "SELECT count(*) FILTER (WHERE username = lower($1)) AS user, count(*) FILTER (WHERE ip = $2) AS network \
             FROM smtp_auth_failures WHERE at > now() - $3 AND (username = lower($1) OR ip = $2)",
        )
        .bind(username.chars().take(200).collect::<String>())
        .bind(crate::throttle_net(ip))
        .bind(window)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Forgets failed logins older than `age`.
    pub async fn prune_auth_failures(&self, age: Duration) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM smtp_auth_failures WHERE at < now() - $1")
            .bind(age)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Queues what credentials submitted (each held when its credential is
    /// in hold mode), each counted against its credential's limits, all in
    /// one transaction (one commit for many sessions' messages): an answer
    /// per item, in order. A limited item queues nothing and leaves the
    /// others alone.
    pub async fn queue_submitted(&self, items: &[(&Credential, &[NewTxMessage])]) -> Result<Vec<TxQueued>> {
        let mut tx = self.pool.begin().await?;
        let mut answers = Vec::with_capacity(items.len());
        for (credential, messages) in items {
            let status = if credential.hold { OutboxStatus::Held } else { OutboxStatus::Queued };
            let origin = Origin::Credential(credential.id);
            if credential.per_minute == 0 && credential.per_day == 0 {
                let ids = insert_messages(&mut tx, origin, status, messages).await?;
                answers.push(TxQueued::Queued(ids, serde_json::Value::Null));
                continue;
            }
            // Its count is undone with it when it is refused.
            let mut item = sqlx::Acquire::begin(&mut *tx).await?;
            let sender = format!("credential:{}", credential.id);
            let count = i32::try_from(messages.len()).unwrap_or(i32::MAX);
            if let Some(limited) =
                count_usage(&mut item, &sender, credential.per_minute, credential.per_day, count).await?
            {
                item.rollback().await?;
                answers.push(limited);
                continue;
            }
            let ids = insert_messages(&mut item, origin, status, messages).await?;
            item.commit().await?;
            answers.push(TxQueued::Queued(ids, serde_json::Value::Null));
        }
        tx.commit().await?;
        Ok(answers)
    }
}

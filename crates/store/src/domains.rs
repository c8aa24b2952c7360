//! Sending domains and their DKIM keys (sealed by the caller before they
//! reach this crate).

use chrono::{DateTime, Utc};

use crate::{Result, Store, StoreError, is_unique_violation};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SendingDomain {
    pub id: i64,
    pub domain: String,
    /// The addresses its mail may leave from; empty: any.
    pub source_ips: Vec<ipnet::IpNet>,
    pub created_at: DateTime<Utc>,
}

impl SendingDomain {
    /// The addresses its mail leaves from: its own, else `default`.
    pub fn sends_from(&self, default: &[std::net::IpAddr]) -> Vec<std::net::IpAddr> {
        if self.source_ips.is_empty() { default.to_vec() } else { self.source_ips.iter().map(|n| n.addr()).collect() }
    }
}

#[derive(Clone, sqlx::FromRow)]
pub struct DkimKey {
    pub id: i64,
    pub domain_id: i64,
    pub algorithm: String,
    pub selector: String,
    /// Sealed; open it with the server key.
    pub private_key: Vec<u8>,
    pub dns_record: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimKey")
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// A key to store with a new domain: (algorithm, selector, sealed private key, DNS record).
pub struct NewDkimKey<'a> {
    pub algorithm: &'a str,
    pub selector: &'a str,
    pub sealed_private_key: &'a [u8],
    pub dns_record: &'a str,
}

impl Store {
    /// Adds a domain with its first keys, in one transaction.
    pub async fn add_sending_domain(&self, domain: &str, keys: &[NewDkimKey<'_>]) -> Result<SendingDomain> {
        let mut tx = self.pool.begin().await?;
        let added: SendingDomain = sqlx::query_as(
            "INSERT INTO sending_domains (domain) VALUES (lower($1)) RETURNING id, domain, source_ips, created_at",
        )
        .bind(domain)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("this domain") } else { e.into() })?;
        for key in keys {
            sqlx::query(
                "INSERT INTO dkim_keys (domain_id, algorithm, selector, private_key, dns_record) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(added.id)
            .bind(key.algorithm)
            .bind(key.selector)
            .bind(key.sealed_private_key)
            .bind(key.dns_record)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    pub async fn sending_domains(&self) -> Result<Vec<SendingDomain>> {
        Ok(sqlx::query_as("SELECT id, domain, source_ips, created_at FROM sending_domains ORDER BY domain")
            .fetch_all(&self.pool)
            .await?)
    }

    /// Sets the addresses a domain's mail may leave from (empty: any).
    /// False when the domain is unknown.
    pub async fn set_domain_source_ips(&self, domain: &str, ips: &[std::net::IpAddr]) -> Result<bool> {
        let nets: Vec<ipnet::IpNet> = ips.iter().map(|&ip| ipnet::IpNet::from(ip)).collect();
        let done = sqlx::query("UPDATE sending_domains SET source_ips = $2 WHERE lower(domain) = lower($1)")
            .bind(domain)
            .bind(&nets)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The addresses a domain's mail may leave from; empty: any (also for
    /// a domain that is not a sending domain).
    pub async fn domain_source_ips(&self, domain: &str) -> Result<Vec<std::net::IpAddr>> {
        let nets: Option<Vec<ipnet::IpNet>> =
            sqlx::query_scalar("SELECT source_ips FROM sending_domains WHERE lower(domain) = lower($1)")
                .bind(domain)
                .fetch_optional(&self.pool)
                .await?;
        Ok(nets.unwrap_or_default().into_iter().map(|n| n.addr()).collect())
    }

    /// The active keys of a domain (by its name), RSA first.
    pub async fn active_dkim_keys(&self, domain: &str) -> Result<Vec<DkimKey>> {
        Ok(sqlx::query_as(
            "SELECT k.id, k.domain_id, k.algorithm, k.selector, k.private_key, k.dns_record, k.status, k.created_at \
             FROM dkim_keys k JOIN sending_domains d ON d.id = k.domain_id \
             WHERE lower(d.domain) = lower($1) AND k.status = 'active' ORDER BY k.algorithm DESC, k.id DESC",
        )
        .bind(domain)
        .fetch_all(&self.pool)
        .await?)
    }
}

//! Sending domains and their DKIM keys (sealed by the caller before they
//! reach this crate).

use chrono::{DateTime, Utc};

use crate::{Result, Store, StoreError, is_unique_violation};
use domain::KeyStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SendingDomain {
    pub id: i64,
    pub domain: String,
    /// The addresses its mail may leave from; empty: any.
    pub source_ips: Vec<ipnet::IpNet>,
    pub created_at: DateTime<Utc>,
    /// The S/MIME signing certificate's subject, when the domain signs.
    pub smime_subject: Option<String>,
    pub smime_not_after: Option<String>,
}

/// An alert's mail in one language (`en`, `ja`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertMail {
    pub language: String,
    pub subject: String,
    pub text: String,
}

/// Who sends from a domain, as advertising mail must say it: Japan's
/// 特定電子メール法 wants the sender's name, postal address and a contact
/// for opting out and questions; CAN-SPAM wants the postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct SenderIdentity {
    pub name: String,
    pub postal_address: String,
    /// An email address or URL.
    pub contact: String,
}

impl SenderIdentity {
    /// The parts still missing, by field name (`name`, `postal_address`,
    /// `contact`); empty when the block is complete.
    pub fn missing(&self) -> Vec<&'static str> {
        [("name", &self.name), ("postal_address", &self.postal_address), ("contact", &self.contact)]
            .into_iter()
            .filter(|(_, value)| value.trim().is_empty())
            .map(|(field, _)| field)
            .collect()
    }
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
    #[sqlx(try_from = "String")]
    pub status: KeyStatus,
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
            "INSERT INTO sending_domains (domain) VALUES (lower($1)) RETURNING id, domain, source_ips, created_at, smime_subject, smime_not_after",
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

    /// Makes a domain S/MIME-sign its mail with this chain and (sealed)
    /// key; false when it is not a sending domain.
    pub async fn set_domain_smime(
        &self,
        domain: &str,
        certs_pem: &str,
        sealed_key: &[u8],
        subject: &str,
        not_after: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sending_domains SET smime_certs = $2, smime_key = $3, smime_subject = $4, smime_not_after = $5 \
             WHERE lower(domain) = lower($1)",
        )
        .bind(domain)
        .bind(certs_pem)
        .bind(sealed_key)
        .bind(subject)
        .bind(not_after)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stops S/MIME signing for a domain and forgets its key.
    pub async fn clear_domain_smime(&self, domain: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sending_domains SET smime_certs = NULL, smime_key = NULL, smime_subject = NULL, \
             smime_not_after = NULL WHERE lower(domain) = lower($1)",
        )
        .bind(domain)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A domain's S/MIME chain (PEM) and sealed key, when it signs.
    pub async fn domain_smime(&self, domain: &str) -> Result<Option<(String, Vec<u8>)>> {
        let row: Option<(Option<String>, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT smime_certs, smime_key FROM sending_domains WHERE lower(domain) = lower($1)")
                .bind(domain)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some((Some(certs), Some(key))) => Some((certs, key)),
            _ => None,
        })
    }

    pub async fn sending_domains(&self) -> Result<Vec<SendingDomain>> {
        Ok(sqlx::query_as("SELECT id, domain, source_ips, created_at, smime_subject, smime_not_after FROM sending_domains ORDER BY domain")
            .fetch_all(&self.pool)
            .await?)
    }

    /// The names of the sending domains, lower-cased.
    pub async fn sending_domain_names(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT lower(domain) FROM sending_domains ORDER BY 1").fetch_all(&self.pool).await?)
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

    /// The keys whose records must be in DNS: pending, active and retiring.
    pub async fn published_dkim_keys(&self, domain: &str) -> Result<Vec<DkimKey>> {
        Ok(sqlx::query_as(
            "SELECT k.id, k.domain_id, k.algorithm, k.selector, k.private_key, k.dns_record, k.status, k.created_at \
             FROM dkim_keys k JOIN sending_domains d ON d.id = k.domain_id \
             WHERE lower(d.domain) = lower($1) AND k.status IN ('pending', 'active', 'retiring') \
             ORDER BY k.algorithm DESC, k.id",
        )
        .bind(domain)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Adds keys to a domain as `pending`: they sign once their records are
    /// seen in DNS. False when the domain is unknown.
    pub async fn add_pending_keys(&self, domain: &str, keys: &[NewDkimKey<'_>]) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let Some(id): Option<i64> =
            sqlx::query_scalar("SELECT id FROM sending_domains WHERE lower(domain) = lower($1)")
                .bind(domain)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(false);
        };
        for key in keys {
            sqlx::query(
                "INSERT INTO dkim_keys (domain_id, algorithm, selector, private_key, dns_record, status) \
                 VALUES ($1, $2, $3, $4, $5, 'pending')",
            )
            .bind(id)
            .bind(key.algorithm)
            .bind(key.selector)
            .bind(key.sealed_private_key)
            .bind(key.dns_record)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("this selector") } else { e.into() })?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Makes a pending key active; the active key of the same algorithm it
    /// replaces keeps its record published until `now + grace`.
    pub async fn promote_key(&self, key_id: i64, now: DateTime<Utc>, grace: chrono::Duration) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE dkim_keys o SET status = 'retiring', retire_at = $2 FROM dkim_keys n \
             WHERE n.id = $1 AND n.status = 'pending' AND o.domain_id = n.domain_id \
               AND o.algorithm = n.algorithm AND o.status = 'active'",
        )
        .bind(key_id)
        .bind(now + grace)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE dkim_keys SET status = 'active' WHERE id = $1 AND status = 'pending'")
            .bind(key_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Retires the keys whose grace period is over: (domain, selector) of each.
    pub async fn retire_keys(&self, now: DateTime<Utc>) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "UPDATE dkim_keys k SET status = 'retired' FROM sending_domains d \
             WHERE d.id = k.domain_id AND k.status = 'retiring' AND k.retire_at <= $1 \
             RETURNING d.domain, k.selector",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims the domains due for a DNS check: not checked for `every`, or
    /// not verified yet and not checked for `retry`. Each is claimed by one
    /// node only.
    pub async fn claim_domain_checks(
        &self,
        now: DateTime<Utc>,
        every: chrono::Duration,
        retry: chrono::Duration,
    ) -> Result<Vec<SendingDomain>> {
        Ok(sqlx::query_as(
            "UPDATE sending_domains SET checked_at = $1 \
             WHERE checked_at IS NULL OR checked_at <= $1 - $2::interval \
                OR (verified_at IS NULL AND checked_at <= $1 - $3::interval) \
             RETURNING id, domain, source_ips, created_at, smime_subject, smime_not_after",
        )
        .bind(now)
        .bind(every)
        .bind(retry)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Keeps a domain's latest checks, and whether its DKIM records were all
    /// correct (it is verified then); returns the checks it had before.
    pub async fn record_domain_checks(
        &self,
        domain_id: i64,
        checks: &serde_json::Value,
        dkim_ok: bool,
        now: DateTime<Utc>,
    ) -> Result<serde_json::Value> {
        let previous: serde_json::Value = sqlx::query_scalar(
            "UPDATE sending_domains n SET checks = $2, checked_at = $4, \
                    verified_at = CASE WHEN $3 THEN $4 ELSE n.verified_at END \
             FROM sending_domains o WHERE n.id = $1 AND o.id = n.id RETURNING o.checks",
        )
        .bind(domain_id)
        .bind(checks)
        .bind(dkim_ok)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(previous)
    }

    /// When a domain's DKIM records were last seen correct (None: never, or
    /// not a sending domain).
    pub async fn domain_verified_at(&self, domain: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(sqlx::query_scalar("SELECT verified_at FROM sending_domains WHERE lower(domain) = lower($1)")
            .bind(domain)
            .fetch_optional(&self.pool)
            .await?
            .flatten())
    }

    /// The identity block of a sending domain (empty when it has none, or
    /// is not a sending domain).
    pub async fn sender_identity(&self, domain: &str) -> Result<SenderIdentity> {
        Ok(sqlx::query_as(
            "SELECT sender_name AS name, postal_address, contact FROM sending_domains WHERE lower(domain) = lower($1)",
        )
        .bind(domain)
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or_default())
    }

    /// Sets a sending domain's identity block; false when there is no such
    /// domain.
    pub async fn set_sender_identity(&self, domain: &str, identity: &SenderIdentity) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sending_domains SET sender_name = $2, postal_address = $3, contact = $4 \
             WHERE lower(domain) = lower($1)",
        )
        .bind(domain)
        .bind(&identity.name)
        .bind(&identity.postal_address)
        .bind(&identity.contact)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The latest checks of a domain and when they ran.
    pub async fn domain_checks(&self, domain: &str) -> Result<Option<(Option<DateTime<Utc>>, serde_json::Value)>> {
        Ok(sqlx::query_as("SELECT checked_at, checks FROM sending_domains WHERE lower(domain) = lower($1)")
            .bind(domain)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Raises an alert about a sending domain: kept for the domains page,
    /// mailed to every admin through the outbox and queued for every alert
    /// webhook, in one transaction.
    /// `mail` is the alert's subject and text in each language (`en` first):
    /// each admin gets it in their dashboard language, else the first.
    pub async fn raise_alert(&self, domain_id: i64, what: &str, detail: &str, mail: &[AlertMail]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO domain_alerts (domain_id, what, detail) VALUES ($1, $2, $3)")
            .bind(domain_id)
            .bind(what)
            .bind(detail)
            .execute(&mut *tx)
            .await?;
        let languages: Vec<&str> = mail.iter().map(|m| m.language.as_str()).collect();
        let subjects: Vec<&str> = mail.iter().map(|m| m.subject.as_str()).collect();
        let texts: Vec<&str> = mail.iter().map(|m| m.text.as_str()).collect();
        sqlx::query(
            "INSERT INTO outbound_messages (kind, to_address, subject, text_body) \
             SELECT 'alert', a.email, coalesce(t.subject, $2[1]), coalesce(t.body, $3[1]) FROM admins a \
             LEFT JOIN unnest($1::text[], $2::text[], $3::text[]) AS t(language, subject, body) \
                 ON t.language = a.language \
             WHERE cardinality($1::text[]) > 0 ORDER BY a.id",
        )
        .bind(&languages)
        .bind(&subjects)
        .bind(&texts)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO webhook_deliveries (endpoint_id, event, payload) \
             SELECT e.id, 'alert', json_build_object('event', 'alert', 'domain', d.domain, 'what', $2::text, \
                    'detail', $3::text, 'at', now()) \
             FROM webhook_endpoints e, sending_domains d WHERE d.id = $1 AND 'alert' = ANY(e.events)",
        )
        .bind(domain_id)
        .bind(what)
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest alerts: (domain, what, detail, when).
    pub async fn domain_alerts(&self, limit: i64) -> Result<Vec<(String, String, String, DateTime<Utc>)>> {
        Ok(sqlx::query_as(
            "SELECT d.domain, a.what, a.detail, a.created_at FROM domain_alerts a \
             JOIN sending_domains d ON d.id = a.domain_id ORDER BY a.created_at DESC, a.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
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

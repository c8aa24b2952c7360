//! Suppression (addresses and domains no audience may reach), the erasure
//! of a subscriber's personal data, and exports.

use chrono::{DateTime, Utc};
use domain::EmailAddress;
use sha2::{Digest, Sha256};

use crate::{Filter, Result, Store, StoreError, Subscriber, is_unique_violation};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Suppression {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// What is suppressed: one address, or every address of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuppressionTarget {
    Address(EmailAddress),
    Domain(String),
}

/// The form in which an erased address is remembered: SHA-256 of the
/// lower-cased address, hex.
pub fn address_hash(email: &str) -> String {
    Sha256::digest(email.to_lowercase().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    pub async fn add_suppression(&self, target: &SuppressionTarget, reason: &str) -> Result<Suppression> {
        let (kind, value) = match target {
            SuppressionTarget::Address(email) => ("address", email.as_str().to_lowercase()),
            SuppressionTarget::Domain(domain) => ("domain", domain.to_lowercase()),
        };
        sqlx::query_as(
            "INSERT INTO suppressions (kind, value, reason) VALUES ($1, $2, $3) \
             RETURNING id, kind, value, reason, created_at",
        )
        .bind(kind)
        .bind(value)
        .bind(reason)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("this suppression") } else { e.into() })
    }

    pub async fn suppressions(&self) -> Result<Vec<Suppression>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, value, reason, created_at FROM suppressions WHERE kind <> 'address_hash' ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of suppressions, newest first, whose value contains `q`
    /// (none: all), below id `before`; and the `before` of the next page.
    pub async fn suppressions_page(
        &self,
        q: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<Suppression>, Option<i64>)> {
        let pattern = crate::audience::like(q);
        let mut rows: Vec<Suppression> = sqlx::query_as(
            "SELECT id, kind, value, reason, created_at FROM suppressions WHERE kind <> 'address_hash' \
             AND ($1::text IS NULL OR value LIKE $1) AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(pattern)
        .bind(before)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more { rows.last().map(|s| s.id) } else { None };
        Ok((rows, next))
    }

    pub async fn delete_suppression(&self, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM suppressions WHERE id = $1 AND kind <> 'address_hash'")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("suppression"));
        }
        Ok(())
    }

    /// Whether mail to `email` is forbidden: the address or its domain is
    /// suppressed, or the address was erased.
    pub async fn is_suppressed(&self, email: &EmailAddress) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM suppressions WHERE (kind = 'address' AND value = lower($1)) \
             OR (kind = 'domain' AND value = lower($2)) OR (kind = 'address_hash' AND value = $3))",
        )
        .bind(email.as_str())
        .bind(email.domain())
        .bind(address_hash(email.as_str()))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Of these addresses, the ones erased at their owner's request.
    pub async fn erased_among(&self, emails: &[String]) -> Result<Vec<String>> {
        let hashes: Vec<String> = emails.iter().map(|e| address_hash(e)).collect();
        let found: Vec<String> =
            sqlx::query_scalar("SELECT value FROM suppressions WHERE kind = 'address_hash' AND value = ANY($1)")
                .bind(&hashes)
                .fetch_all(&self.pool)
                .await?;
        Ok(emails.iter().zip(&hashes).filter(|(_, h)| found.contains(h)).map(|(e, _)| e.clone()).collect())
    }

    /// Erases a subscriber: their row, subscriptions, messages, the import
    /// report rows and plain suppression naming the address are deleted;
    /// only the hash of the address is kept, so it is never mailed or
    /// imported again.
    pub async fn erase_subscriber(&self, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let email: Option<String> = sqlx::query_scalar("DELETE FROM subscribers WHERE id = $1 RETURNING email")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let email = email.ok_or(StoreError::NotFound("subscriber"))?;
        sqlx::query("DELETE FROM subscriptions WHERE subscriber_id = $1").bind(id).execute(&mut *tx).await?;
        // Delivery rows hold the address, and their attempts the replies
        // that name it; opens and clicks stay counted, unnamed.
        sqlx::query(
            "DELETE FROM message_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE subscriber_id = $1) \
             OR message_id IN (SELECT id FROM outbound_messages WHERE subscriber_id = $1 OR lower(to_address) = lower($2))",
        )
        .bind(id)
        .bind(&email)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM deliveries WHERE subscriber_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("UPDATE campaign_events SET subscriber_id = NULL WHERE subscriber_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM outbound_messages WHERE subscriber_id = $1 OR lower(to_address) = lower($2)")
            .bind(id)
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        // Webhook deliveries about them (sent or not) carry the address.
        sqlx::query("DELETE FROM webhook_deliveries WHERE subscriber_id = $1").bind(id).execute(&mut *tx).await?;
        // Import reports keep rejected rows whole; drop the ones naming the address.
        sqlx::query("DELETE FROM import_errors WHERE strpos(lower(raw), lower($1)) > 0")
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        // A plain-text suppression of the address becomes the hash below.
        sqlx::query("DELETE FROM suppressions WHERE kind = 'address' AND value = lower($1)")
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO suppressions (kind, value, reason) VALUES ('address_hash', $1, 'erased at the subscriber''s request') \
             ON CONFLICT (kind, value) DO NOTHING",
        )
        .bind(address_hash(&email))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The attribute names used by the subscribers that match `filter`
    /// (the columns of an export).
    pub async fn attribute_keys(&self, filter: &Filter) -> Result<Vec<String>> {
        filter.validate().map_err(StoreError::Filter)?;
        let mut query = crate::segments::filter_query(
            "SELECT DISTINCT k FROM subscribers s CROSS JOIN LATERAL jsonb_object_keys(s.attributes) AS k",
            filter,
        );
        query.push(" ORDER BY k");
        Ok(query.build_query_scalar().persistent(false).fetch_all(&self.pool).await?)
    }

    /// Every subscriber matching `filter`, oldest first, a page at a time
    /// (`after_id` is the last id of the previous page).
    pub async fn export_page(&self, filter: &Filter, after_id: i64, limit: i64) -> Result<Vec<Subscriber>> {
        filter.validate().map_err(StoreError::Filter)?;
        let mut query = crate::segments::filter_query(
            "SELECT s.id, s.email, s.name, s.status, s.attributes, s.consent_source, s.consent_at, s.consent_ip, \
             s.consent_user_agent, s.confirmed_at, s.created_at, s.updated_at FROM subscribers s",
            filter,
        );
        query.push(" AND s.id > ").push_bind(after_id).push(" ORDER BY s.id LIMIT ").push_bind(limit);
        Ok(query.build_query_as().persistent(false).fetch_all(&self.pool).await?)
    }
}

//! The delivery queue: leasing due deliveries, writing their outcomes,
//! the sandbox's captured copies and test sends.

use chrono::{DateTime, Duration, Utc};
use domain::{DeliveryStatus, TlsState};

use crate::{Result, Store};

/// A leased delivery with what rendering needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedDelivery {
    pub id: i64,
    pub campaign_id: i64,
    pub subscriber_id: i64,
    pub list_id: i64,
    pub email: String,
    pub attempts: i32,
    /// Which subject line (A/B test); 0 is the main one.
    pub variant: i16,
    /// When the row was queued: retries stop after the message's lifetime.
    pub created_at: DateTime<Utc>,
    pub name: String,
    pub attributes: sqlx::types::Json<serde_json::Value>,
    pub list_name: String,
    /// False when the recipient left the list, was blocklisted or suppressed
    /// after the campaign started: the row is then marked suppressed.
    pub sendable: bool,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub id: i64,
    pub status: DeliveryStatus,
    pub code: Option<i16>,
    pub enhanced: Option<String>,
    pub reply: Option<String>,
    pub mx: Option<String>,
    /// verified, unverified or none (see the `tls` column).
    pub tls: Option<TlsState>,
    /// When to try again (deferred only).
    pub retry_at: Option<DateTime<Utc>>,
    /// When the attempt ended, by the engine's clock.
    pub at: DateTime<Utc>,
}

impl Store {
    /// Leases up to `limit` due deliveries of sending campaigns for `lease`:
    /// they are marked sending and come due again if no outcome is written
    /// before the lease ends (the worker died). `FOR UPDATE SKIP LOCKED`
    /// lets any number of workers lease side by side without overlap.
    pub async fn lease_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<LeasedDelivery>> {
        Ok(sqlx::query_as(
            "WITH due AS ( \
                SELECT d.id FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id \
                WHERE d.status IN ('queued', 'sending', 'deferred') AND d.next_attempt_at <= $1 \
                  AND c.status = 'sending' \
                ORDER BY d.priority, d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED \
             ), leased AS ( \
                UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1, next_attempt_at = $1 + $3, \
                    updated_at = now() \
                FROM due WHERE d.id = due.id \
                RETURNING d.id, d.campaign_id, d.subscriber_id, d.list_id, d.email, d.attempts, d.variant, d.created_at \
             ) \
             SELECT l.id, l.campaign_id, l.subscriber_id, l.list_id, l.email, l.attempts, l.variant, l.created_at, \
                coalesce(s.name, '') AS name, coalesce(s.attributes, '{}') AS attributes, \
                coalesce(li.name, '') AS list_name, \
                (s.status = 'active' AND x.status = 'confirmed' \
                 AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE (p.kind = 'address' AND p.value = lower(l.email)) \
                    OR (p.kind = 'domain' AND p.value = lower(split_part(l.email, '@', 2)))) \
                ) IS TRUE AS sendable \
             FROM leased l LEFT JOIN subscribers s ON s.id = l.subscriber_id \
             LEFT JOIN lists li ON li.id = l.list_id \
             LEFT JOIN subscriptions x ON x.subscriber_id = l.subscriber_id AND x.list_id = l.list_id \
             ORDER BY l.id",
        )
        .bind(now)
        .bind(limit)
        .bind(lease)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Writes the outcomes of a batch of attempts in one statement.
    pub async fn record_outcomes(&self, outcomes: &[DeliveryOutcome]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = outcomes.iter().map(|o| o.id).collect();
        let statuses: Vec<&str> = outcomes.iter().map(|o| o.status.as_str()).collect();
        let codes: Vec<Option<i16>> = outcomes.iter().map(|o| o.code).collect();
        let enhanced: Vec<Option<&str>> = outcomes.iter().map(|o| o.enhanced.as_deref()).collect();
        let replies: Vec<Option<&str>> = outcomes.iter().map(|o| o.reply.as_deref()).collect();
        let mxs: Vec<Option<&str>> = outcomes.iter().map(|o| o.mx.as_deref()).collect();
        let tls: Vec<Option<&str>> = outcomes.iter().map(|o| o.tls.map(TlsState::as_str)).collect();
        let retries: Vec<Option<DateTime<Utc>>> = outcomes.iter().map(|o| o.retry_at).collect();
        let at: Vec<DateTime<Utc>> = outcomes.iter().map(|o| o.at).collect();
        // The attempt goes into the message log's history too (a recipient
        // found suppressed at the door was not attempted).
        sqlx::query(
            "WITH o AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[], $5::text[], \
                         $6::text[], $7::timestamptz[], $8::timestamptz[], $9::text[]) \
                  AS o(id, status, code, enhanced, reply, mx, retry_at, at, tls)), \
             updated AS (UPDATE deliveries d SET status = o.status, last_code = o.code, last_enhanced = o.enhanced, \
                last_reply = o.reply, mx = o.mx, tls = o.tls, \
                next_attempt_at = coalesce(o.retry_at, d.next_attempt_at), updated_at = o.at \
                FROM o WHERE d.id = o.id) \
             INSERT INTO message_attempts (delivery_id, at, status, code, enhanced, reply, mx, tls) \
             SELECT id, at, status, code, enhanced, coalesce(reply, ''), mx, tls FROM o WHERE status <> 'suppressed'",
        )
        .bind(&ids)
        .bind(&statuses)
        .bind(&codes)
        .bind(&enhanced)
        .bind(&replies)
        .bind(&mxs)
        .bind(&retries)
        .bind(&at)
        .bind(&tls)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps a sandbox delivery's bytes in the capture mailbox.
    pub async fn capture_message(&self, delivery: &LeasedDelivery, subject: &str, raw: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbound_messages (kind, subscriber_id, to_address, subject, text_body, status, delivery_id, raw) \
             VALUES ('campaign', $1, $2, $3, '', 'captured', $4, $5)",
        )
        .bind(delivery.subscriber_id)
        .bind(&delivery.email)
        .bind(subject)
        .bind(delivery.id)
        .bind(raw)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps a test send: a sample recipient's copy, addressed to whoever
    /// asked for it, from `from`. With `send` it is queued for the delivery
    /// engine; otherwise only captured for the sandbox mailbox.
    pub async fn queue_test_message(
        &self,
        to: &str,
        from: &str,
        subject: &str,
        text: &str,
        raw: &[u8],
        send: bool,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbound_messages (kind, to_address, from_address, subject, text_body, status, raw) \
             VALUES ('test', $1, $2, $3, $4, $5, $6)",
        )
        .bind(to)
        .bind(from)
        .bind(subject)
        .bind(text)
        .bind(if send { "queued" } else { "captured" })
        .bind(raw)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keeps only the newest `keep` campaign messages of the capture
    /// mailbox (a sandbox run of a big campaign would fill the disk);
    /// deliveries, opens and clicks stay. Returns how many were removed.
    pub async fn prune_captured(&self, keep: i64) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM outbound_messages WHERE kind = 'campaign' AND id <= ( \
                SELECT id FROM outbound_messages WHERE kind = 'campaign' ORDER BY id DESC OFFSET $1 LIMIT 1)",
        )
        .bind(keep)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// The raw bytes of a captured message.
    pub async fn captured_raw(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar(
            "SELECT coalesce(signature, '') || raw FROM outbound_messages WHERE id = $1 AND raw IS NOT NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

//! Webhook endpoints and the durable outbox of their deliveries.

use chrono::{DateTime, Duration, Utc};

use crate::{Result, Store};

/// A delivery taken to be sent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedWebhook {
    pub id: i64,
    pub url: String,
    pub event: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Makes `urls` the endpoints alerts go to (others stop getting them;
    /// their pending deliveries go with them).
    pub async fn set_alert_webhooks(&self, urls: &[String]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM webhook_endpoints WHERE 'alert' = ANY(events) AND NOT (url = ANY($1))")
            .bind(urls)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO webhook_endpoints (url) SELECT unnest($1::text[]) ON CONFLICT (url) DO NOTHING")
            .bind(urls)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes up to `limit` due deliveries for `lease` (a sender that dies
    /// leaves them to come due again).
    pub async fn lease_webhooks(&self, now: DateTime<Utc>, limit: i64, lease: Duration) -> Result<Vec<LeasedWebhook>> {
        Ok(sqlx::query_as(
            "WITH due AS (SELECT id FROM webhook_deliveries WHERE status IN ('queued', 'sending') \
                 AND next_attempt_at <= $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) \
             UPDATE webhook_deliveries d SET status = 'sending', next_attempt_at = $1 + $3::interval \
             FROM due, webhook_endpoints e WHERE d.id = due.id AND e.id = d.endpoint_id \
             RETURNING d.id, e.url, d.event, d.payload, d.attempts, d.created_at",
        )
        .bind(now)
        .bind(limit)
        .bind(lease)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records an attempt: delivered, retried at `retry_at`, or (None)
    /// given up.
    pub async fn webhook_attempt(
        &self,
        id: i64,
        now: DateTime<Utc>,
        error: Option<&str>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let status = match (error, retry_at) {
            (None, _) => "delivered",
            (Some(_), Some(_)) => "queued",
            (Some(_), None) => "failed",
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, last_error = $3, \
             next_attempt_at = coalesce($4, next_attempt_at), \
             delivered_at = CASE WHEN $2 = 'delivered' THEN $5 ELSE delivered_at END WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest deliveries: (event, url, status, attempts, last error).
    pub async fn webhook_deliveries(&self, limit: i64) -> Result<Vec<(String, String, String, i32, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT d.event, e.url, d.status, d.attempts, d.last_error FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id ORDER BY d.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

//! Webhook endpoints and the durable outbox of their deliveries.

use chrono::{DateTime, Duration, Utc};

use crate::{Result, Store, StoreError, is_unique_violation};
use domain::WebhookStatus;

/// A webhook endpoint with its deliveries counted.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    /// Sealed; None for the configuration's alert URLs.
    pub secret: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// One delivery of an event to an endpoint, as its history shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookDelivery {
    pub id: i64,
    pub event: String,
    pub subscriber_id: Option<i64>,
    pub payload: serde_json::Value,
    #[sqlx(try_from = "String")]
    pub status: WebhookStatus,
    pub attempts: i32,
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A delivery taken to be sent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedWebhook {
    pub id: i64,
    pub url: String,
    /// The endpoint's sealed secret; None: the configuration's alert secret.
    pub secret: Option<Vec<u8>>,
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
        sqlx::query(
            "DELETE FROM webhook_endpoints WHERE secret IS NULL AND 'alert' = ANY(events) AND NOT (url = ANY($1))",
        )
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

    /// Takes up to `limit` due deliveries, at most `per_endpoint` of each
    /// endpoint (a dead one cannot take every slot), for `lease` (a sender
    /// that dies leaves them to come due again). A delivery about a
    /// subscriber waits while an earlier one about them to the same endpoint
    /// is unfinished, so each endpoint gets a subscriber's events in order.
    pub async fn lease_webhooks(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        per_endpoint: i64,
        lease: Duration,
    ) -> Result<Vec<LeasedWebhook>> {
        Ok(sqlx::query_as(
            "WITH candidates AS (SELECT d.id, d.endpoint_id FROM webhook_deliveries d \
                 WHERE d.status IN ('queued', 'sending') AND d.next_attempt_at <= $1 \
                 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id \
                     AND p.subscriber_id = d.subscriber_id AND p.status IN ('queued', 'sending') AND p.id < d.id) \
                 ORDER BY d.id LIMIT $2 * 4 FOR UPDATE SKIP LOCKED), \
             ranked AS (SELECT id, row_number() OVER (PARTITION BY endpoint_id ORDER BY id) AS n FROM candidates), \
             due AS (SELECT id FROM ranked WHERE n <= $4 ORDER BY id LIMIT $2) \
             UPDATE webhook_deliveries d SET status = 'sending', next_attempt_at = $1 + $3::interval \
             FROM due, webhook_endpoints e WHERE d.id = due.id AND e.id = d.endpoint_id \
             RETURNING d.id, e.url, e.secret, d.event, d.payload, d.attempts, d.created_at",
        )
        .bind(now)
        .bind(limit)
        .bind(lease)
        .bind(per_endpoint)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Forgets delivered and given-up deliveries older than `keep`.
    pub async fn prune_webhook_deliveries(&self, keep: Duration) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND created_at < now() - $1",
        )
        .bind(keep)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records an attempt: delivered (no error), retried at `retry_at`, or
    /// (None) given up; with the receiver's status when it answered.
    pub async fn webhook_attempt(
        &self,
        id: i64,
        now: DateTime<Utc>,
        response_status: Option<i32>,
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
             next_attempt_at = coalesce($4, next_attempt_at), last_attempt_at = $5, response_status = $6, \
             delivered_at = CASE WHEN $2 = 'delivered' THEN $5 ELSE delivered_at END WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .bind(response_status)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>> {
        Ok(sqlx::query_as(
            "SELECT e.id, e.url, e.events, e.description, e.secret, e.created_at, \
                 count(d.id) FILTER (WHERE d.status IN ('queued', 'sending')) AS pending, \
                 count(d.id) FILTER (WHERE d.status = 'delivered') AS delivered, \
                 count(d.id) FILTER (WHERE d.status = 'failed') AS failed \
             FROM webhook_endpoints e LEFT JOIN webhook_deliveries d ON d.endpoint_id = e.id \
             GROUP BY e.id ORDER BY e.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn webhook_endpoint(&self, id: i64) -> Result<Option<WebhookEndpoint>> {
        Ok(self.webhook_endpoints().await?.into_iter().find(|e| e.id == id))
    }

    /// An endpoint of the dashboard, with its sealed secret.
    pub async fn create_webhook_endpoint(
        &self,
        url: &str,
        events: &[String],
        description: &str,
        sealed_secret: &[u8],
    ) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO webhook_endpoints (url, events, description, secret) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(url)
        .bind(events)
        .bind(description)
        .bind(sealed_secret)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("an endpoint with this URL") } else { e.into() })
    }

    pub async fn set_webhook_events(&self, id: i64, events: &[String]) -> Result<()> {
        let done = sqlx::query("UPDATE webhook_endpoints SET events = $2 WHERE id = $1 AND secret IS NOT NULL")
            .bind(id)
            .bind(events)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("endpoint"));
        }
        Ok(())
    }

    /// Removes a dashboard endpoint and its pending deliveries.
    pub async fn delete_webhook_endpoint(&self, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND secret IS NOT NULL")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("endpoint"));
        }
        Ok(())
    }

    /// Queues a `test` event for one endpoint (the "send test event" button).
    pub async fn queue_test_webhook(&self, endpoint_id: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_deliveries (endpoint_id, event, payload) SELECT id, 'test', \
             jsonb_build_object('event', 'test', 'at', now(), 'message', 'A test event from ninsho.') \
             FROM webhook_endpoints WHERE id = $1",
        )
        .bind(endpoint_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sends a given-up delivery again, now: only while nothing later about
    /// the same subscriber exists for the endpoint (it would then arrive out
    /// of order).
    pub async fn retry_webhook_delivery(&self, endpoint_id: i64, id: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries d SET status = 'queued', next_attempt_at = now(), created_at = now() \
             WHERE d.id = $1 AND d.endpoint_id = $2 AND d.status = 'failed' \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries l WHERE l.endpoint_id = d.endpoint_id \
                 AND l.subscriber_id = d.subscriber_id AND l.id > d.id)",
        )
        .bind(id)
        .bind(endpoint_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// An endpoint's newest deliveries, newest first.
    pub async fn endpoint_deliveries(&self, endpoint_id: i64, limit: i64) -> Result<Vec<WebhookDelivery>> {
        Ok(sqlx::query_as(
            "SELECT id, event, subscriber_id, payload, status, attempts, response_status, last_error, created_at, \
                 last_attempt_at, delivered_at FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(endpoint_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
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

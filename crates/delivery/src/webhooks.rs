//! Sends queued webhook deliveries: each a JSON POST signed with HMAC-SHA256
//! over `<timestamp>.<body>` (headers `Ninsho-Timestamp` and
//! `Ninsho-Signature: v1=<hex>`), retried with exponential back-off from
//! the durable outbox until a 2xx answer, for up to three days.

use chrono::{DateTime, Duration, Utc};
use hmac::{KeyInit, Mac};
use store::{LeasedWebhook, Store, StoreError};
use tokio_util::sync::CancellationToken;

/// How long a delivery is retried before it is given up.
pub const GIVE_UP_AFTER: Duration = Duration::days(3);

#[derive(Clone)]
pub struct Sender {
    pub store: Store,
    pub client: reqwest::Client,
    /// The signing secret shared with the receivers.
    pub secret: Vec<u8>,
}

/// The signature of a delivery: hex HMAC-SHA256 of `<timestamp>.<body>`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// When to try again after `attempts` failures: 30 s, doubled each time,
/// at most 6 h apart.
fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(0);
    Duration::seconds((30i64 << exponent).min(6 * 3600))
}

impl Sender {
    /// A client with a 10 s timeout and no redirects.
    pub fn client() -> Result<reqwest::Client, String> {
        let roots = crate::smtp::SmtpConfig::roots(None)?;
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("ninsho-webhooks")
            .build()
            .map_err(|e| e.to_string())
    }

    /// Sends what is due at `now`; returns how many were tried.
    pub async fn round(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        // A lease longer than a batch can take (5 × the 10 s timeout).
        let due = self.store.lease_webhooks(now, 5, Duration::minutes(5)).await?;
        for delivery in &due {
            let outcome = self.send(delivery, now).await;
            let retry_at = (now - delivery.created_at < GIVE_UP_AFTER).then(|| now + backoff(delivery.attempts));
            match outcome {
                Ok(()) => self.store.webhook_attempt(delivery.id, now, None, None).await?,
                Err(e) => {
                    tracing::warn!(url = delivery.url, error = e, "a webhook delivery failed");
                    self.store.webhook_attempt(delivery.id, now, Some(&e), retry_at).await?;
                }
            }
        }
        Ok(due.len())
    }

    async fn send(&self, delivery: &LeasedWebhook, now: DateTime<Utc>) -> Result<(), String> {
        let body = serde_json::to_vec(&delivery.payload).map_err(|e| e.to_string())?;
        let timestamp = now.timestamp();
        let response = self
            .client
            .post(&delivery.url)
            .header("content-type", "application/json")
            .header("ninsho-event", &delivery.event)
            .header("ninsho-delivery", delivery.id.to_string())
            .header("ninsho-timestamp", timestamp.to_string())
            .header("ninsho-signature", format!("v1={}", signature(&self.secret, timestamp, &body)))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered {}", response.status()))
        }
    }

    /// Rounds every 2 s until `cancel`.
    pub async fn run(self, cancel: CancellationToken) {
        loop {
            if let Err(e) = self.round(Utc::now()).await {
                tracing::warn!(error = %e, "a webhook round failed");
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(super::backoff(0).num_seconds(), 30);
        assert_eq!(super::backoff(3).num_seconds(), 240);
        assert_eq!(super::backoff(40).num_seconds(), 6 * 3600);
        let sig = super::signature(b"k", 1, b"{}");
        assert_eq!(sig.len(), 64);
        assert_ne!(sig, super::signature(b"k", 2, b"{}"), "the timestamp is signed");
    }
}

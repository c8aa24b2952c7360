//! Sends queued webhook deliveries: each a JSON POST signed with HMAC-SHA256
//! over `<timestamp>.<body>` (headers `Ninsho-Timestamp` and
//! `Ninsho-Signature: v1=<hex>`), retried with exponential back-off from
//! the durable outbox until a 2xx answer, for up to three days. The body's
//! `id` (also `Ninsho-Delivery`) is the same on every attempt, so a
//! receiver that answered too late to be believed can drop the repeat.

use chrono::{DateTime, Duration, Utc};
use hmac::{KeyInit, Mac};
use store::{LeasedWebhook, Store, StoreError};
use tokio_util::sync::CancellationToken;

/// How long a delivery is retried before it is given up.
pub const GIVE_UP_AFTER: Duration = Duration::days(3);

/// Deliveries in flight at once (each is the oldest unfinished one of its
/// subscriber and endpoint, so order holds), and at most so many of one
/// endpoint (a dead receiver cannot take every slot).
const IN_FLIGHT: usize = 32;
const PER_ENDPOINT: i64 = 8;
/// The shortest lease: longer than one POST can take (the client's 10 s
/// timeout).
pub const MIN_LEASE: Duration = Duration::seconds(15);

/// Where webhooks may go. By default only to public addresses: a
/// receiver's name that resolves to loopback, a private network, link-local
/// (cloud metadata at 169.254.169.254), unspecified, multicast or shared
/// address space is refused when the connection is made, so neither a
/// spelling of 127.0.0.1 nor a name that changes its answer reaches inside.
/// The operator may allow networks and names (`webhooks.allow_internal`).
#[derive(Debug, Clone, Default)]
pub struct Reach {
    networks: Vec<ipnet::IpNet>,
    /// Lower-case host names allowed to resolve to internal addresses.
    names: Vec<String>,
}

impl Reach {
    /// From `webhooks.allow_internal`: CIDR networks and host names.
    pub fn allowing(entries: &[String]) -> Self {
        let mut reach = Self::default();
        for entry in entries {
            match entry.parse::<ipnet::IpNet>() {
                Ok(net) => reach.networks.push(net),
                Err(_) => match entry.parse::<std::net::IpAddr>() {
                    Ok(ip) => reach.networks.push(ipnet::IpNet::from(ip)),
                    Err(_) => reach.names.push(entry.trim_end_matches('.').to_ascii_lowercase()),
                },
            }
        }
        reach
    }

    /// Whether `ip`, reached as `host`, may be sent to.
    pub fn permits(&self, host: &str, ip: std::net::IpAddr) -> bool {
        !is_internal(ip)
            || self.networks.iter().any(|n| n.contains(&ip))
            || self.names.iter().any(|n| n.eq_ignore_ascii_case(host.trim_end_matches('.')))
    }

    /// The address `url` names when its host is an address literal that is
    /// not permitted (names are checked when they are resolved).
    pub fn refuses(&self, url: &str) -> Option<std::net::IpAddr> {
        let parsed = reqwest::Url::parse(url).ok()?;
        let host = parsed.host_str()?;
        let ip: std::net::IpAddr = host.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
        (!self.permits("", ip)).then_some(ip)
    }
}

/// Why the HTTP client cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error("cannot set up the webhook client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Why one delivery was not accepted; its text is kept as the attempt's
/// error.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no signing secret: set alerts.webhook_secret, or the key changed")]
    NoSecret,
    #[error("the payload cannot be written: {0}")]
    Payload(serde_json::Error),
    #[error("refused: {0} is an internal address (see webhooks.allow_internal)")]
    Internal(std::net::IpAddr),
    /// The request failed; the text names the innermost cause.
    #[error("{}", cause(.0))]
    Request(reqwest::Error),
    #[error("the receiver answered {0}")]
    Status(reqwest::StatusCode),
}

/// Loopback, private, link-local, unspecified, multicast, broadcast, shared
/// (100.64/10), benchmark and reserved IPv4 addresses; of IPv6 everything
/// but global unicast (2000::/3), and IPv4 addresses carried in IPv6 (mapped,
/// NAT64, 6to4) are judged as IPv4.
pub fn is_internal(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |high: u16, low: u16| {
                let [a, b] = high.to_be_bytes();
                let [c, d] = low.to_be_bytes();
                is_internal(IpAddr::from([a, b, c, d]))
            };
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            match s {
                // NAT64 (RFC 6052): the IPv4 address it reaches.
                [0x64, 0xff9b, 0, 0, 0, 0, high, low] => embedded(high, low),
                // 6to4: the IPv4 address of the relay it names.
                [0x2002, high, low, ..] => embedded(high, low),
                // Documentation, Teredo, ORCHID and the local NAT64 prefix.
                [0x2001, 0x0db8, ..] | [0x2001, 0, ..] | [0x2001, 0x10..=0x2f, ..] => true,
                [first, ..] => first & 0xe000 != 0x2000,
            }
        }
    }
}

/// Resolves names with the system resolver and keeps only the addresses
/// [`Reach`] permits, at the moment the connection is made.
struct Guarded(Reach);

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<std::net::SocketAddr> =
                found.iter().copied().filter(|a| reach.permits(&host, a.ip())).collect();
            if allowed.is_empty() && !found.is_empty() {
                let message = format!("refused: {host} resolves to an internal address (see webhooks.allow_internal)");
                return Err(message.into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[derive(Clone)]
pub struct Sender {
    pub store: Store,
    pub client: reqwest::Client,
    /// Where deliveries may go; the client's resolver holds the same.
    pub reach: Reach,
    /// Opens the endpoints' own sealed secrets.
    pub key: message::SecretKey,
    /// The configuration's secret, for its alert URLs.
    pub alert_secret: Option<Vec<u8>>,
    /// How long a delivery taken by this node is its own: a node that dies
    /// leaves it to come due again after this (at least `MIN_LEASE`).
    pub lease: Duration,
}

/// What an endpoint's secret is sealed as.
pub const SEAL_PURPOSE: &str = "webhook-secret";

/// The signature of a delivery: hex HMAC-SHA256 of `<timestamp>.<body>`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The innermost cause of a failed request (a refused address says so
/// there, under "error sending request").
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    if std::ptr::eq(inner, e) { e.to_string() } else { format!("{e}: {inner}") }
}

/// When to try again after `attempts` failures: 30 s, doubled each time,
/// at most 6 h apart.
fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(0);
    Duration::seconds((30i64 << exponent).min(6 * 3600))
}

impl Sender {
    /// A client with a 10 s timeout, no redirects, no proxy, and a resolver
    /// that keeps to `reach`.
    pub fn client(reach: &Reach) -> Result<reqwest::Client, ClientError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(std::sync::Arc::new(Guarded(reach.clone())))
            .user_agent("ninsho-webhooks")
            .build()?)
    }

    /// Sends what is due at `now` (one batch, all at once) and waits for the
    /// answers; returns how many were tried.
    pub async fn round(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let batch = i64::try_from(IN_FLIGHT).unwrap_or(32);
        let due = self.store.lease_webhooks(now, batch, PER_ENDPOINT, self.lease.max(MIN_LEASE)).await?;
        let outcomes = futures_util::future::join_all(due.iter().map(|d| self.deliver(d, now))).await;
        outcomes.into_iter().collect::<Result<Vec<()>, _>>()?;
        Ok(due.len())
    }

    /// Sends one delivery and records the outcome.
    async fn deliver(&self, delivery: &LeasedWebhook, now: DateTime<Utc>) -> Result<(), StoreError> {
        let (status, outcome) = self.send(delivery, now).await;
        let retry_at = (now - delivery.created_at < GIVE_UP_AFTER).then(|| now + backoff(delivery.attempts));
        match outcome {
            Ok(()) => self.store.webhook_attempt(delivery.id, now, status, None, None).await,
            Err(e) => {
                let e = e.to_string();
                tracing::warn!(url = delivery.url, error = e, "a webhook delivery failed");
                self.store.webhook_attempt(delivery.id, now, status, Some(&e), retry_at).await
            }
        }
    }

    /// One POST: the receiver's status (when it answered) and the outcome.
    async fn send(&self, delivery: &LeasedWebhook, now: DateTime<Utc>) -> (Option<i32>, Result<(), SendError>) {
        let secret = match &delivery.secret {
            Some(sealed) => self.key.open(SEAL_PURPOSE, sealed),
            None => self.alert_secret.clone(),
        };
        let Some(secret) = secret else {
            return (None, Err(SendError::NoSecret));
        };
        let mut payload = delivery.payload.clone();
        if let Some(object) = payload.as_object_mut() {
            object.insert("id".into(), delivery.id.into());
        }
        let body = match serde_json::to_vec(&payload) {
            Ok(body) => body,
            Err(e) => return (None, Err(SendError::Payload(e))),
        };
        if let Some(ip) = self.reach.refuses(&delivery.url) {
            return (None, Err(SendError::Internal(ip)));
        }
        let timestamp = now.timestamp();
        let response = self
            .client
            .post(&delivery.url)
            .header("content-type", "application/json")
            .header("ninsho-event", &delivery.event)
            .header("ninsho-delivery", delivery.id.to_string())
            .header("ninsho-timestamp", timestamp.to_string())
            .header("ninsho-signature", format!("v1={}", signature(&secret, timestamp, &body)))
            .body(body)
            .send()
            .await;
        match response {
            Err(e) => (None, Err(SendError::Request(e))),
            Ok(r) if r.status().is_success() => (Some(i32::from(r.status().as_u16())), Ok(())),
            Ok(r) => (Some(i32::from(r.status().as_u16())), Err(SendError::Status(r.status()))),
        }
    }

    /// Sends until `cancel`: each delivery as its own task, up to
    /// `IN_FLIGHT` at once, so a slow receiver holds only its own slots;
    /// leases again as soon as slots free up, else every second.
    pub async fn run(self, cancel: CancellationToken) {
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        loop {
            let free = slots.available_permits();
            let mut taken = 0;
            if free > 0 {
                let limit = i64::try_from(free).unwrap_or(1);
                match self.store.lease_webhooks(Utc::now(), limit, PER_ENDPOINT, self.lease.max(MIN_LEASE)).await {
                    Ok(due) => {
                        taken = due.len();
                        for delivery in due {
                            let Ok(slot) = slots.clone().acquire_owned().await else { return };
                            let sender = self.clone();
                            tokio::spawn(async move {
                                if let Err(e) = sender.deliver(&delivery, Utc::now()).await {
                                    tracing::warn!(error = %e, "recording a webhook attempt failed");
                                }
                                drop(slot);
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "leasing webhook deliveries failed"),
                }
            }
            let pause = if taken > 0 && taken == free { 50 } else { 1000 };
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(std::time::Duration::from_millis(pause)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_an_internal_address_is_refused() {
        let reach = Reach::default();
        for url in [
            "http://127.0.0.1:9000/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/",
            "http://172.16.3.4/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[fec0::1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a00:5]/",
            "http://[2002:a00:1::1]/",
            "http://[2001:db8::1]/",
        ] {
            assert!(reach.refuses(url).is_some(), "{url}");
        }
        for url in [
            "https://hooks.example.com/x",
            "http://203.0.113.9/",
            "http://[2a00:1450::1]/",
            "http://[64:ff9b::808:808]/",
        ] {
            assert_eq!(reach.refuses(url), None, "{url}");
        }
        let allowed = Reach::allowing(&["10.1.2.0/24".into(), "Hooks.Internal.".into()]);
        assert_eq!(allowed.refuses("http://10.1.2.3/"), None);
        assert!(allowed.refuses("http://10.1.3.3/").is_some());
        assert!(allowed.permits("hooks.internal", "10.9.9.9".parse().expect("ip")));
        assert!(!allowed.permits("other.internal", "10.9.9.9".parse().expect("ip")));
    }

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

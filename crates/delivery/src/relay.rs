//! The relay transport (`delivery.relay`), for hosts that cannot reach
//! port 25: every message goes to one smarthost instead of the recipient's
//! MX, over STARTTLS (`smtp://`) or TLS from the first byte (`smtps://`),
//! with AUTH, on a pool of connections (lettre's SMTP transport). Messages
//! are still signed with their author domain's key by the engine; what
//! the relay answers is read by the same classifier as an MX's reply, so
//! retries and bounces behave the same. Per-destination shaping does not
//! apply (the relay shapes); a rate of its own does.
//!
//! A refused login is about us, never about a recipient: the message is
//! deferred, not bounced, and the reason says so.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{AsyncSmtpTransport, PoolConfig};
use lettre::{AsyncTransport, Tokio1Executor};

use crate::{Attempt, EngineError, Outgoing, Queued, Transport};
use domain::TlsState;

/// Where the relay is and how to reach it.
#[derive(Clone)]
pub struct RelayConfig {
    pub host: String,
    pub port: u16,
    /// TLS from the first byte (`smtps://`, usually 465); else STARTTLS,
    /// required (never clear text).
    pub implicit_tls: bool,
    pub username: Option<String>,
    /// Never printed: `Debug` hides it.
    pub password: Option<String>,
    /// Connections kept open and used at once.
    pub connections: u32,
    /// Messages a second handed to the relay; 0: as fast as it takes them.
    pub per_second: u32,
    /// The name we greet it with.
    pub hello: String,
    /// Extra trusted roots (PEM) besides the system's, for a relay with a
    /// private CA.
    pub roots_pem: Option<Vec<u8>>,
    pub timeout: Duration,
}

impl std::fmt::Debug for RelayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("implicit_tls", &self.implicit_tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(hidden)"))
            .field("connections", &self.connections)
            .field("per_second", &self.per_second)
            .finish()
    }
}

/// Why the relay transport cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("the relay's TLS settings: {0}")]
    Tls(lettre::transport::smtp::Error),
}

/// The relay transport.
pub struct Relay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: RelayConfig,
    pace: Option<tokio::sync::Mutex<tokio::time::Instant>>,
}

impl Relay {
    pub fn new(config: RelayConfig) -> Result<Self, RelayError> {
        let mut tls = TlsParameters::builder(config.host.clone());
        if let Some(pem) = &config.roots_pem {
            tls = tls.add_root_certificate(Certificate::from_pem(pem).map_err(RelayError::Tls)?);
        }
        let tls = tls.build_rustls().map_err(RelayError::Tls)?;
        let tls = if config.implicit_tls { Tls::Wrapper(tls) } else { Tls::Required(tls) };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
            .port(config.port)
            .tls(tls)
            .hello_name(ClientId::Domain(config.hello.clone()))
            .timeout(Some(config.timeout))
            .pool_config(PoolConfig::new().max_size(config.connections.max(1)).idle_timeout(Duration::from_secs(30)));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder
                .credentials(Credentials::new(user.clone(), password.clone()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        let pace = (config.per_second > 0).then(|| tokio::sync::Mutex::new(tokio::time::Instant::now()));
        Ok(Self { transport: builder.build(), config, pace })
    }

    /// Waits for this message's turn under the relay's rate.
    async fn wait_turn(&self) {
        let Some(pace) = &self.pace else { return };
        let gap = Duration::from_secs(1) / self.config.per_second.max(1);
        let at = {
            let mut next = pace.lock().await;
            let at = (*next).max(tokio::time::Instant::now());
            *next = at + gap;
            at
        };
        tokio::time::sleep_until(at).await;
    }

    async fn send_one(&self, out: Outgoing) -> (Queued, Attempt) {
        self.wait_turn().await;
        let host = Some(self.config.host.clone());
        let envelope = match (out.envelope_from.parse(), out.queued.recipient().parse()) {
            (Ok(from), Ok(to)) => Envelope::new(Some(from), vec![to]),
            _ => {
                let why = format!("{:?} cannot be written as an SMTP address for the relay", out.queued.recipient());
                return (out.queued, Attempt::undeliverable(why, replies::Reason::Undefined));
            }
        };
        let attempt = match envelope {
            Err(e) => Attempt::deferred(format!("relay {}: {e}", self.config.host), host),
            Ok(envelope) => match self.transport.send_raw(&envelope, &out.message).await {
                Ok(response) => {
                    let text: Vec<&str> = response.message().collect();
                    let (enhanced, text) = split_enhanced(&text.join(" "));
                    Attempt {
                        tls: Some(TlsState::Verified),
                        ..Attempt::from_reply(response.code().into(), enhanced, text, host)
                    }
                }
                Err(e) => self.refused(&e, host),
            },
        };
        (out.queued, attempt)
    }

    /// What an error of the relay means for the message: a reply is read
    /// as an MX's would be, except a refused login (about us: deferred); a
    /// failure without a reply defers.
    fn refused(&self, e: &lettre::transport::smtp::Error, host: Option<String>) -> Attempt {
        let text = std::error::Error::source(e).map(ToString::to_string).unwrap_or_default();
        let relay = &self.config.host;
        match e.status().map(u16::from) {
            Some(code @ (530 | 534 | 535 | 538 | 454)) => {
                tracing::error!(relay, code, reply = %text, "the relay refused our login; mail waits");
                Attempt::deferred(format!("relay {relay} refused our login: {code} {text}"), host)
            }
            Some(code) => {
                let (enhanced, text) = split_enhanced(&text);
                Attempt { tls: Some(TlsState::Verified), ..Attempt::from_reply(code, enhanced, text, host) }
            }
            None => Attempt::deferred(format!("relay {relay}: {e}"), host),
        }
    }
}

/// `5.1.1 user unknown` → (Some("5.1.1"), "user unknown").
fn split_enhanced(text: &str) -> (Option<String>, String) {
    let text = text.trim();
    let (first, rest) = text.split_once(' ').unwrap_or((text, ""));
    let parts: Vec<&str> = first.split('.').collect();
    let enhanced = parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..].iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    if enhanced { (Some(first.to_owned()), rest.trim().to_owned()) } else { (None, text.to_owned()) }
}

impl Transport for Relay {
    async fn deliver(&self, batch: Vec<Outgoing>) -> Result<Vec<(Queued, Attempt)>, EngineError> {
        use futures_util::StreamExt;
        let at_once = usize::try_from(self.config.connections.max(1)).unwrap_or(1);
        Ok(futures_util::stream::iter(batch).map(|out| self.send_one(out)).buffer_unordered(at_once).collect().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_are_split_from_the_words() {
        assert_eq!(split_enhanced("5.1.1 <x@y>: user unknown"), (Some("5.1.1".into()), "<x@y>: user unknown".into()));
        assert_eq!(split_enhanced("Ok queued as 12"), (None, "Ok queued as 12".into()));
        assert_eq!(split_enhanced("4.7.28 slow down"), (Some("4.7.28".into()), "slow down".into()));
        assert_eq!(split_enhanced("1.2.3 no"), (None, "1.2.3 no".into()));
    }

    #[test]
    fn the_password_is_never_printed() {
        let config = RelayConfig {
            host: "smtp.example.net".into(),
            port: 587,
            implicit_tls: false,
            username: Some("ninsho".into()),
            password: Some("hunter2-secret".into()),
            connections: 4,
            per_second: 0,
            hello: "mta.example.jp".into(),
            roots_pem: None,
            timeout: Duration::from_secs(60),
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("smtp.example.net"), "{printed}");
    }
}

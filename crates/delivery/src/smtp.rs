//! Direct delivery to each recipient's MX hosts over SMTP.
//!
//! A batch is split by recipient domain; each domain's MX hosts name its
//! destination (a provider from the shaping file, or the domain itself),
//! whose limits decide how many connections carry its messages and how many
//! messages go over each. Every message is its own transaction (one MAIL
//! FROM, one RCPT TO), so a refused recipient never affects another, and the
//! three commands go in one round trip where the server offers PIPELINING.
//! Connections are kept open between batches for a short while.
//!
//! TLS: STARTTLS whenever offered, checked against the MX name; under the
//! opportunistic policy a certificate that does not verify is still used
//! (never clear text when TLS is possible) and the delivery records
//! "unverified"; under the required policy the message waits instead.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use mail_send::SmtpClient;
use rustls::RootCertStore;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use smtp_proto::Response;
use smtp_proto::response::parser::ResponseReceiver;
use smtp_proto::{EXT_PIPELINING, EXT_START_TLS};
use store::SourceIpUsage;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::mta_sts::{Mode, MtaSts};
use crate::shaping::{Limits, Shaping, TlsPolicy};
use crate::{Attempt, EngineError, Outgoing, Queued, Transport};
use domain::TlsState;
use identity::dns::{Dns, LookupError};

/// An address mail leaves from and the name it introduces itself with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub ip: IpAddr,
    /// The EHLO name: the PTR name of `ip`.
    pub helo: String,
}

/// How long to wait for each step (RFC 5321 §4.5.3.2 for the replies).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// The greeting, EHLO, STARTTLS, MAIL FROM and RCPT TO replies.
    pub command: Duration,
    /// The reply to DATA.
    pub data_start: Duration,
    /// Sending the message and the reply to its final dot.
    pub data_end: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(30),
            command: Duration::from_secs(5 * 60),
            data_start: Duration::from_secs(2 * 60),
            data_end: Duration::from_secs(10 * 60),
        }
    }
}

pub struct SmtpConfig {
    /// The port of MX hosts: 25, except in tests.
    pub port: u16,
    pub sources: Vec<Source>,
    pub shaping: Shaping,
    pub timeouts: Timeouts,
    /// Open connections at most, over all destinations.
    pub max_connections: usize,
    /// Trust anchors for MX certificates.
    pub roots: RootCertStore,
    /// How long an unused connection stays open for the next batch.
    pub idle: Duration,
    /// The HTTPS port of MTA-STS policy hosts: 443, except in tests.
    pub mta_sts_port: u16,
    /// Where suspensions are shared with the other nodes and each source
    /// address's daily sends are counted (the warm-up ramp); needed when
    /// the shaping file has one.
    pub ledger: Option<Arc<dyn Ledger>>,
    pub metrics: crate::metrics::DeliveryMetrics,
}

impl SmtpConfig {
    /// The system's trust anchors plus those in `extra_pem` (a private CA).
    pub fn roots(extra_pem: Option<&std::path::Path>) -> Result<RootCertStore, SetupError> {
        let mut roots = RootCertStore::empty();
        let system = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(system.certs);
        if let Some(path) = extra_pem {
            use rustls::pki_types::pem::PemObject;
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|source| SetupError::Certificates { path: path.to_owned(), source })?;
            if certs.is_empty() {
                return Err(SetupError::NoCertificate(path.to_owned()));
            }
            for cert in certs {
                roots.add(cert).map_err(|source| SetupError::Certificate { path: path.to_owned(), source })?;
            }
        }
        Ok(roots)
    }
}

/// What the transport shares with the other delivery nodes: destinations
/// suspended by their replies, and each source address's sends per day
/// (the warm-up ramp). The transport sees only this, never the store.
pub trait Ledger: Send + Sync {
    fn suspend<'a>(&'a self, destination: &'a str, until: DateTime<Utc>, why: &'a str) -> Pending<'a, ()>;
    /// Suspensions still running at `now`: (destination, until, why).
    fn suspensions(&self, now: DateTime<Utc>) -> Pending<'_, Vec<(String, DateTime<Utc>, String)>>;
    fn usage<'a>(&'a self, ips: &'a [IpAddr], day: NaiveDate) -> Pending<'a, Vec<SourceIpUsage>>;
    fn add_sends<'a>(&'a self, day: NaiveDate, sends: &'a [(IpAddr, i32)]) -> Pending<'a, ()>;
}

/// A ledger call in flight.
pub type Pending<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, LedgerError>> + Send + 'a>>;

/// The ledger could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("the shared delivery ledger: {0}")]
pub struct LedgerError(#[source] Box<dyn std::error::Error + Send + Sync>);

/// The ledger kept in PostgreSQL, shared by every node on the database.
impl Ledger for store::Store {
    fn suspend<'a>(&'a self, destination: &'a str, until: DateTime<Utc>, why: &'a str) -> Pending<'a, ()> {
        Box::pin(async move { self.suspend_destination(destination, until, why).await.map_err(stored) })
    }

    fn suspensions(&self, now: DateTime<Utc>) -> Pending<'_, Vec<(String, DateTime<Utc>, String)>> {
        Box::pin(async move { self.destination_suspensions(now).await.map_err(stored) })
    }

    fn usage<'a>(&'a self, ips: &'a [IpAddr], day: NaiveDate) -> Pending<'a, Vec<SourceIpUsage>> {
        Box::pin(async move { self.source_ip_usage(ips, day).await.map_err(stored) })
    }

    fn add_sends<'a>(&'a self, day: NaiveDate, sends: &'a [(IpAddr, i32)]) -> Pending<'a, ()> {
        Box::pin(async move { self.add_source_ip_sends(day, sends).await.map_err(stored) })
    }
}

fn stored(e: store::StoreError) -> LedgerError {
    LedgerError(Box::new(e))
}

/// The SMTP transport; cheap to share between delivery workers.
#[derive(Clone)]
pub struct Smtp {
    inner: Arc<Inner>,
}

struct Inner {
    dns: Dns,
    mta_sts: MtaSts,
    config: SmtpConfig,
    verified: TlsConnector,
    unverified: TlsConnector,
    connections: Arc<Semaphore>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Open, unused connections by destination.
    idle: HashMap<String, Vec<Session>>,
    /// Connection slots of each destination.
    slots: HashMap<String, Arc<Semaphore>>,
    /// Destinations that asked us to slow down: until when, and why.
    suspended: HashMap<String, (Instant, String)>,
    /// Suspensions made here and not yet shared through the database.
    unshared: Vec<(String, chrono::DateTime<chrono::Utc>, String)>,
    /// Rate-limited destinations: the earliest time of their next message.
    next_send: HashMap<String, Instant>,
    /// Round-robin position over the source addresses.
    next_source: usize,
    /// The earliest time of the next message under the global rate.
    next_global: Option<Instant>,
    warmup: Option<Warmup>,
}

/// Today's warm-up allowance of each source address, and the sends not yet
/// counted in the database.
struct Warmup {
    day: chrono::NaiveDate,
    remaining: HashMap<IpAddr, u32>,
    unsaved: HashMap<IpAddr, i32>,
}

/// Why no source address can be used.
enum NoSource {
    /// None of the address family of the MX host.
    Family,
    /// All have sent their warm-up allowance for today.
    WarmedUp,
    /// None is one the From domain may send from.
    NotAllowed,
}

/// Where a lane sends: the destination (and its metrics label), the MX
/// hosts, and the source addresses allowed (empty: any).
#[derive(Clone, Copy)]
struct Route<'a> {
    destination: &'a str,
    label: &'a str,
    hosts: &'a [String],
    allowed: &'a [IpAddr],
}

/// One open SMTP session, ready for a new transaction.
struct Session {
    client: Client,
    mx: String,
    /// The source address it was opened from.
    source: IpAddr,
    tls: TlsState,
    pipelining: bool,
    /// Messages sent over it.
    sent: usize,
    idle_since: Instant,
}

enum Client {
    Plain(SmtpClient<TcpStream>),
    Tls(Box<SmtpClient<TlsStream<TcpStream>>>),
}

/// How a transaction ended when it got no final reply.
enum Broken {
    /// Before the message was handed over: safe to retry on a new connection.
    BeforeData(WireError),
    /// During or after the message: the server may have it; never resent now.
    InData(WireError),
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BeforeData(e) => e.fmt(f),
            Self::InData(WireError::Unanswered) => f.write_str("after DATA: no reply in time"),
            Self::InData(e @ WireError::Slow) => write!(f, "during DATA: {e}"),
            Self::InData(e) => write!(f, "after DATA: {e}"),
        }
    }
}

/// Why the transport cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read certificates from {}: {source}", path.display())]
    Certificates { path: std::path::PathBuf, source: rustls::pki_types::pem::Error },
    #[error("{} holds no certificate", .0.display())]
    NoCertificate(std::path::PathBuf),
    #[error("{}: {source}", path.display())]
    Certificate { path: std::path::PathBuf, source: rustls::Error },
    #[error("no source address to send from")]
    NoSource,
    #[error("a warm-up ramp needs the database to count each address's sends")]
    WarmupWithoutStore,
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error("{0} has no PTR record; receivers refuse such mail")]
    NoPtr(IpAddr),
    #[error("the PTR name of {ip}, {name}, does not resolve back to it")]
    PtrMismatch { ip: IpAddr, name: String },
    #[error(transparent)]
    MtaSts(#[from] crate::mta_sts::SetupError),
}

/// Why a session with an MX host could not be opened; its text is the
/// deferred attempt's reason.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("{host} ({addr}): cannot connect from {from}: {source}")]
    Connect { host: String, addr: SocketAddr, from: IpAddr, source: mail_send::Error },
    #[error("{host}: {source}")]
    Socket { host: String, source: std::io::Error },
    #[error("{host}: no greeting: {source}")]
    NoGreeting { host: String, source: mail_send::Error },
    #[error("{host} greeted with {code} {text}")]
    Greeting { host: String, code: u16, text: String },
    #[error("{host} does not offer STARTTLS and this destination requires TLS")]
    NoStartTls { host: String },
    #[error("{host}: {step} refused: {code} {text}")]
    Refused { host: String, step: &'static str, code: u16, text: String },
    #[error("{host}: no reply to {step} in time")]
    Timeout { host: String, step: &'static str },
    #[error("{host}: {step} failed: {source}")]
    Failed { host: String, step: &'static str, source: mail_send::Error },
}

/// Why a command or the message got no reply.
#[derive(Debug, thiserror::Error)]
enum WireError {
    #[error("connection lost: {0}")]
    Lost(#[from] std::io::Error),
    #[error("the server did not take the command in time")]
    Slow,
    #[error("the server's reply cannot be parsed")]
    Unparsable,
    #[error("connection closed by the server")]
    Closed,
    #[error("no reply in time")]
    Unanswered,
    #[error("the server did not answer DATA")]
    NoDataReply,
}

/// One SMTP reply.
struct Reply {
    code: u16,
    enhanced: Option<String>,
    text: String,
}

impl Reply {
    fn from_response(r: &smtp_proto::Response<String>) -> Self {
        let enhanced = (r.esc[0] != 0).then(|| format!("{}.{}.{}", r.esc[0], r.esc[1], r.esc[2]));
        Self { code: r.code, enhanced, text: r.message.trim().to_owned() }
    }

    fn attempt(self, session: &Session) -> Attempt {
        let mut attempt = Attempt::from_reply(self.code, self.enhanced, self.text, Some(session.mx.clone()));
        attempt.tls = Some(session.tls);
        attempt
    }
}

impl Smtp {
    pub fn new(dns: Dns, config: SmtpConfig) -> Result<Self, SetupError> {
        if config.sources.is_empty() {
            return Err(SetupError::NoSource);
        }
        if !config.shaping.warmup.is_empty() && config.ledger.is_none() {
            return Err(SetupError::WarmupWithoutStore);
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifying = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(config.roots.clone())
            .with_no_client_auth();
        let accepting = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth();
        let mta_sts = MtaSts::new(dns.clone(), config.roots.clone(), config.mta_sts_port)?;
        Ok(Self {
            inner: Arc::new(Inner {
                dns,
                mta_sts,
                verified: TlsConnector::from(Arc::new(verifying)),
                unverified: TlsConnector::from(Arc::new(accepting)),
                connections: Arc::new(Semaphore::new(config.max_connections)),
                config,
                state: Mutex::new(State::default()),
            }),
        })
    }

    /// Resolves each source address's PTR name, its EHLO name: production
    /// needs one that resolves back to the address (forward-confirmed).
    pub async fn sources(dns: &Dns, ips: &[IpAddr]) -> Result<Vec<Source>, SetupError> {
        let mut sources = Vec::with_capacity(ips.len());
        for &ip in ips {
            let name = dns.ptr(ip).await?.ok_or(SetupError::NoPtr(ip))?;
            let forward = dns.addresses(&name).await?;
            if !forward.contains(&ip) {
                return Err(SetupError::PtrMismatch { ip, name });
            }
            sources.push(Source { ip, helo: name });
        }
        Ok(sources)
    }
}

impl Transport for Smtp {
    async fn deliver(&self, batch: Vec<Outgoing>) -> Result<Vec<(Queued, Attempt)>, EngineError> {
        // By recipient domain, and by the source addresses allowed.
        let mut by_domain: HashMap<(String, Arc<[IpAddr]>), Vec<Outgoing>> = HashMap::new();
        for out in batch {
            let domain = domain::domain_of(out.queued.recipient()).to_ascii_lowercase();
            by_domain.entry((domain, out.sources.clone())).or_default().push(out);
        }
        self.inner.refresh_warmup().await?;
        self.inner.sync_suspensions().await?;
        let mut tasks = tokio::task::JoinSet::new();
        for ((domain, allowed), messages) in by_domain {
            let inner = self.inner.clone();
            tasks.spawn(async move { inner.deliver_domain(&domain, allowed, messages).await });
        }
        let mut attempts = Vec::new();
        while let Some(done) = tasks.join_next().await {
            attempts.extend(done.map_err(|e| EngineError::Task("delivery", e))?);
        }
        self.inner.save_warmup().await?;
        self.inner.sync_suspensions().await?;
        Ok(attempts)
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn deliver_domain(
        self: Arc<Self>,
        domain: &str,
        allowed: Arc<[IpAddr]>,
        messages: Vec<Outgoing>,
    ) -> Vec<(Queued, Attempt)> {
        let hosts = match self.dns.route(domain).await {
            Ok(hosts) => hosts,
            Err(e) => {
                // No domain, a null MX, no host: the address is dead.
                let attempt = if e.is_permanent() {
                    Attempt::undeliverable(e.to_string(), replies::Reason::HostUnknown)
                } else {
                    Attempt::deferred(e.to_string(), None)
                };
                return messages.into_iter().map(|m| (m.queued, attempt.clone())).collect();
            }
        };
        let (destination, limits) = self.config.shaping.destination(domain, &hosts);
        let mut limits = limits.clone();
        // Metrics name providers only; other domains would be too many labels.
        let label: Arc<str> = if destination == domain { "other".into() } else { destination.as_str().into() };
        let mut hosts = hosts;
        if let Some(policy) = self.mta_sts.policy(&self.dns, domain).await {
            match policy.mode {
                Mode::Enforce => {
                    // Only the hosts the policy names, only over verified TLS.
                    hosts.retain(|host| policy.allows(host));
                    limits.tls = TlsPolicy::Required;
                    if hosts.is_empty() {
                        let why = format!("the MTA-STS policy of {domain} allows none of its MX hosts");
                        let attempt = Attempt::deferred(why, None);
                        return messages.into_iter().map(|m| (m.queued, attempt.clone())).collect();
                    }
                }
                Mode::Testing if !hosts.iter().all(|host| policy.allows(host)) => {
                    tracing::warn!(domain, "MX hosts outside the MTA-STS policy (testing mode): sending anyway");
                }
                Mode::Testing | Mode::None => {}
            }
        }
        let slots = self
            .lock()
            .slots
            .entry(destination.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(limits.connections)))
            .clone();
        let lanes = limits.connections.min(messages.len().div_ceil(limits.messages_per_connection)).max(1);
        let mut shares: Vec<Vec<Outgoing>> = (0..lanes).map(|_| Vec::new()).collect();
        for (i, m) in messages.into_iter().enumerate() {
            shares[i % lanes].push(m);
        }
        let hosts = Arc::new(hosts);
        let mut tasks = tokio::task::JoinSet::new();
        for share in shares {
            let (inner, hosts, slots, limits, destination, label, allowed) = (
                self.clone(),
                hosts.clone(),
                slots.clone(),
                limits.clone(),
                destination.clone(),
                label.clone(),
                allowed.clone(),
            );
            tasks.spawn(async move {
                // Both permits are held for the lane's life; closed semaphores never happen.
                let _slot = slots.acquire_owned().await;
                let _connection = inner.connections.clone().acquire_owned().await;
                let route = Route { destination: &destination, label: &label, hosts: &hosts, allowed: &allowed };
                inner.lane(&route, &limits, share).await
            });
        }
        let mut attempts = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(part) => attempts.extend(part),
                Err(e) => tracing::error!(error = %e, "an SMTP lane failed"),
            }
        }
        attempts
    }

    /// Sends messages one after the other over one connection at a time.
    async fn lane(&self, route: &Route<'_>, limits: &Limits, messages: Vec<Outgoing>) -> Vec<(Queued, Attempt)> {
        let Route { destination, label, hosts, allowed } = *route;
        let mut attempts = Vec::with_capacity(messages.len());
        // A kept connection serves only if it meets this domain's terms: one
        // of its (allowed) MX hosts, and verified TLS when TLS is required.
        let mut session = self.take_idle(destination).filter(|s| {
            hosts.iter().any(|h| h.eq_ignore_ascii_case(&s.mx))
                && (limits.tls == TlsPolicy::Opportunistic || s.tls == TlsState::Verified)
                && (allowed.is_empty() || allowed.contains(&s.source))
        });
        let mut messages = messages.into_iter();
        while let Some(out) = messages.next() {
            if let Some(attempt) = off_the_hour(destination, limits.quiet_minutes_after_hour, Utc::now()) {
                attempts.push((out.queued, attempt));
                continue;
            }
            if let Some(attempt) = self.suspended(destination) {
                attempts.push((out.queued, attempt));
                continue;
            }
            self.pace(destination, limits.messages_per_minute).await;
            self.pace_global().await;
            // A kept session whose address has sent today's warm-up share
            // gives way to one from another address.
            if let Some(s) = session.take_if(|s| !self.has_allowance(s.source)) {
                s.quit().await;
            }
            let mut retried = false;
            let attempt = loop {
                let current = match session.take() {
                    Some(s) => s,
                    None => match self.connect(hosts, limits.tls, allowed).await {
                        Ok(s) => {
                            self.config.metrics.connected(label, s.tls.as_str());
                            s
                        }
                        Err(attempt) => {
                            // No host takes mail now: the rest of the lane waits too.
                            attempts.push((out.queued, attempt.clone()));
                            attempts.extend(messages.map(|m| (m.queued, attempt.clone())));
                            return attempts;
                        }
                    },
                };
                let mut current = current;
                self.spend_allowance(current.source);
                let started = Instant::now();
                let result = current.transaction(&out, &self.config.timeouts).await;
                self.config.metrics.transaction(label, started.elapsed().as_secs_f64());
                match result {
                    Ok((reply, reusable)) => {
                        let code = reply.code;
                        if let Some(wait) = self.config.shaping.suspension(code, reply.enhanced.as_deref(), &reply.text)
                        {
                            self.suspend(destination, wait, &format!("{code} {}", reply.text));
                        }
                        let attempt = reply.attempt(&current);
                        current.sent += 1;
                        if reusable && current.sent < limits.messages_per_connection {
                            session = Some(current);
                        } else {
                            current.quit().await;
                        }
                        break attempt;
                    }
                    Err(Broken::BeforeData(why)) if !retried && current.sent > 0 => {
                        // A kept connection the server had closed meanwhile.
                        tracing::debug!(mx = %current.mx, reason = %why, "reconnecting");
                        retried = true;
                    }
                    Err(broken) => {
                        let mut attempt = Attempt::deferred(broken.to_string(), Some(current.mx.clone()));
                        attempt.tls = Some(current.tls);
                        break attempt;
                    }
                }
            };
            self.config.metrics.attempt(label, attempt.status.as_str());
            attempts.push((out.queued, attempt));
        }
        if let Some(s) = session {
            self.keep_idle(destination, s, limits.connections);
        }
        attempts
    }

    fn take_idle(&self, destination: &str) -> Option<Session> {
        let mut state = self.lock();
        let idle = state.idle.get_mut(destination)?;
        let fresh_after = Instant::now().checked_sub(self.config.idle)?;
        idle.retain(|s| s.idle_since > fresh_after);
        idle.pop()
    }

    fn keep_idle(&self, destination: &str, mut session: Session, max: usize) {
        session.idle_since = Instant::now();
        let mut state = self.lock();
        let idle = state.idle.entry(destination.to_owned()).or_default();
        if idle.len() < max {
            idle.push(session);
        }
    }

    /// The deferral of a suspended destination, with the time to wait.
    fn suspended(&self, destination: &str) -> Option<Attempt> {
        let mut state = self.lock();
        let (until, why) = state.suspended.get(destination)?;
        let now = Instant::now();
        if *until <= now {
            state.suspended.remove(destination);
            return None;
        }
        let wait = *until - now;
        let mut attempt = Attempt::deferred(
            format!("{destination} is suspended for {} more minutes after: {why}", wait.as_secs().div_ceil(60)),
            None,
        );
        attempt.retry_after = chrono::Duration::from_std(wait).ok();
        Some(attempt)
    }

    fn suspend(&self, destination: &str, wait: Duration, why: &str) {
        tracing::warn!(destination, minutes = wait.as_secs() / 60, reply = why, "destination suspended");
        let until = Instant::now() + wait;
        let why: String = why.chars().take(200).collect();
        let mut state = self.lock();
        if let Ok(wait) = chrono::Duration::from_std(wait) {
            state.unshared.push((destination.to_owned(), chrono::Utc::now() + wait, why.clone()));
        }
        state.suspended.insert(destination.to_owned(), (until, why));
    }

    /// Shares this node's new suspensions and learns the other nodes'.
    async fn sync_suspensions(&self) -> Result<(), LedgerError> {
        let Some(ledger) = &self.config.ledger else { return Ok(()) };
        let unshared = std::mem::take(&mut self.lock().unshared);
        for (destination, until, why) in &unshared {
            ledger.suspend(destination, *until, why).await?;
        }
        let now = chrono::Utc::now();
        let running = ledger.suspensions(now).await?;
        let mut state = self.lock();
        for (destination, until, why) in running {
            let Ok(left) = (until - now).to_std() else { continue };
            let until = Instant::now() + left;
            let known = state.suspended.get(&destination).is_some_and(|(mine, _)| *mine >= until);
            if !known {
                state.suspended.insert(destination, (until, why));
            }
        }
        Ok(())
    }

    /// Waits for the destination's next slot under its rate limit.
    async fn pace(&self, destination: &str, per_minute: u32) {
        if per_minute == 0 {
            return;
        }
        let gap = Duration::from_secs(60) / per_minute;
        let at = {
            let mut state = self.lock();
            let now = Instant::now();
            let next = state.next_send.entry(destination.to_owned()).or_insert(now);
            let at = (*next).max(now);
            *next = at + gap;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }

    /// The next source address of `ip`'s family, among those `allowed`
    /// (empty: any), that may still send today.
    fn source_for(&self, ip: IpAddr, allowed: &[IpAddr]) -> Result<Source, NoSource> {
        let mut state = self.lock();
        let family: Vec<&Source> = self.config.sources.iter().filter(|s| s.ip.is_ipv4() == ip.is_ipv4()).collect();
        if family.is_empty() {
            return Err(NoSource::Family);
        }
        let family: Vec<&Source> =
            family.into_iter().filter(|s| allowed.is_empty() || allowed.contains(&s.ip)).collect();
        if family.is_empty() {
            return Err(NoSource::NotAllowed);
        }
        let usable: Vec<&Source> = match &state.warmup {
            Some(w) => family.into_iter().filter(|s| w.remaining.get(&s.ip).is_some_and(|n| *n > 0)).collect(),
            None => family,
        };
        if usable.is_empty() {
            return Err(NoSource::WarmedUp);
        }
        state.next_source = state.next_source.wrapping_add(1);
        Ok(usable[state.next_source % usable.len()].clone())
    }

    /// Whether `ip` may send another message today (warm-up).
    fn has_allowance(&self, ip: IpAddr) -> bool {
        self.lock().warmup.as_ref().is_none_or(|w| w.remaining.get(&ip).is_some_and(|n| *n > 0))
    }

    /// Counts one message from `ip` against its warm-up allowance.
    fn spend_allowance(&self, ip: IpAddr) {
        if let Some(w) = &mut self.lock().warmup {
            if let Some(n) = w.remaining.get_mut(&ip) {
                *n = n.saturating_sub(1);
            }
            *w.unsaved.entry(ip).or_insert(0) += 1;
        }
    }

    /// Loads today's allowances when the day (UTC) has changed.
    async fn refresh_warmup(&self) -> Result<(), LedgerError> {
        let Some(ledger) = self.config.ledger.as_ref().filter(|_| !self.config.shaping.warmup.is_empty()) else {
            return Ok(());
        };
        let today = chrono::Utc::now().date_naive();
        if self.lock().warmup.as_ref().is_some_and(|w| w.day == today) {
            return Ok(());
        }
        self.save_warmup().await?;
        let ips: Vec<IpAddr> = self.config.sources.iter().map(|s| s.ip).collect();
        let mut remaining = HashMap::new();
        for usage in ledger.usage(&ips, today).await? {
            let day = (today - usage.first_day).num_days() + 1;
            let left = match self.config.shaping.warmup_cap(day) {
                Some(cap) => u32::try_from(i64::from(cap) - usage.sent_today).unwrap_or(0),
                None => u32::MAX,
            };
            remaining.insert(usage.ip, left);
        }
        self.lock().warmup = Some(Warmup { day: today, remaining, unsaved: HashMap::new() });
        Ok(())
    }

    /// Writes the sends counted since the last save.
    async fn save_warmup(&self) -> Result<(), LedgerError> {
        let Some(ledger) = &self.config.ledger else { return Ok(()) };
        let (day, unsaved) = match &mut self.lock().warmup {
            Some(w) if !w.unsaved.is_empty() => (w.day, std::mem::take(&mut w.unsaved)),
            _ => return Ok(()),
        };
        let sends: Vec<(IpAddr, i32)> = unsaved.into_iter().collect();
        ledger.add_sends(day, &sends).await
    }

    /// Waits for the next slot under the global rate.
    async fn pace_global(&self) {
        let per_second = self.config.shaping.global_per_second;
        if per_second == 0 {
            return;
        }
        let gap = Duration::from_secs(1) / per_second;
        let at = {
            let mut state = self.lock();
            let now = Instant::now();
            let at = state.next_global.unwrap_or(now).max(now);
            state.next_global = Some(at + gap);
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }

    /// A session with the first MX host that takes one, in preference order.
    async fn connect(&self, hosts: &[String], policy: TlsPolicy, allowed: &[IpAddr]) -> Result<Session, Attempt> {
        let mut last = Attempt::deferred("no MX host could be reached".into(), None);
        for host in hosts.iter().take(5) {
            let addresses = match self.dns.addresses(host).await {
                Ok(a) => a,
                Err(e) => {
                    last = Attempt::deferred(e.to_string(), Some(host.clone()));
                    continue;
                }
            };
            for ip in addresses {
                let source = match self.source_for(ip, allowed) {
                    Ok(source) => source,
                    Err(NoSource::Family) => continue,
                    Err(NoSource::WarmedUp) => return Err(warmed_up()),
                    Err(NoSource::NotAllowed) => {
                        let why = "none of this node's source addresses is one the From domain may send from";
                        return Err(Attempt::deferred(why.into(), None));
                    }
                };
                match self.open(host, SocketAddr::new(ip, self.config.port), &source, policy).await {
                    Ok(session) => return Ok(session),
                    Err(why) => {
                        tracing::debug!(mx = %host, %ip, reason = %why, "MX host unavailable");
                        last = Attempt::deferred(why.to_string(), Some(host.clone()));
                    }
                }
            }
        }
        Err(last)
    }

    /// A TCP connection from the source address. No Nagle delay: commands
    /// and replies are small and each one waits for the other side.
    async fn tcp(&self, host: &str, addr: SocketAddr, source: &Source) -> Result<SmtpClient<TcpStream>, SessionError> {
        let client = SmtpClient::connect_using(source.ip, addr, self.config.timeouts.connect)
            .await
            .map_err(|e| SessionError::Connect { host: host.to_owned(), addr, from: source.ip, source: e })?;
        client.stream.set_nodelay(true).map_err(|e| SessionError::Socket { host: host.to_owned(), source: e })?;
        Ok(client)
    }

    async fn open(
        &self,
        host: &str,
        addr: SocketAddr,
        source: &Source,
        policy: TlsPolicy,
    ) -> Result<Session, SessionError> {
        let t = self.config.timeouts;
        let greeted = |mut client: SmtpClient<TcpStream>| async move {
            client.timeout = t.command;
            let greeting =
                client.read().await.map_err(|e| SessionError::NoGreeting { host: host.to_owned(), source: e })?;
            if greeting.code != 220 {
                let text = greeting.message.trim().to_owned();
                return Err(SessionError::Greeting { host: host.to_owned(), code: greeting.code, text });
            }
            let ehlo = client.ehlo(&source.helo).await.map_err(|e| describe(host, "EHLO", e))?;
            Ok((client, ehlo))
        };
        let (client, ehlo) = greeted(self.tcp(host, addr, source).await?).await?;
        if !ehlo.has_capability(EXT_START_TLS) {
            if policy == TlsPolicy::Required {
                return Err(SessionError::NoStartTls { host: host.to_owned() });
            }
            let pipelining = ehlo.has_capability(EXT_PIPELINING);
            return Ok(Session::new(Client::Plain(client), host, source.ip, TlsState::None, pipelining));
        }
        let (client, tls) = match client.start_tls(&self.verified, host).await {
            Ok(client) => (client, TlsState::Verified),
            Err(mail_send::Error::Tls(e)) if policy == TlsPolicy::Opportunistic => {
                // The certificate does not verify: encrypt anyway, on a new connection.
                tracing::debug!(mx = %host, error = %e, "certificate does not verify; using TLS unverified");
                let (client, _) = greeted(self.tcp(host, addr, source).await?).await?;
                let client =
                    client.start_tls(&self.unverified, host).await.map_err(|e| describe(host, "STARTTLS", e))?;
                (client, TlsState::Unverified)
            }
            Err(e) => return Err(describe(host, "STARTTLS", e)),
        };
        let mut client = client;
        let ehlo = client.ehlo(&source.helo).await.map_err(|e| describe(host, "EHLO", e))?;
        let pipelining = ehlo.has_capability(EXT_PIPELINING);
        Ok(Session::new(Client::Tls(Box::new(client)), host, source.ip, tls, pipelining))
    }
}

/// The deferral when every source address has sent its warm-up share:
/// until a minute into the next UTC day.
fn warmed_up() -> Attempt {
    let now = chrono::Utc::now();
    let tomorrow = (now.date_naive() + chrono::Days::new(1)).and_time(chrono::NaiveTime::MIN).and_utc();
    let mut attempt =
        Attempt::deferred("warm-up: the source addresses have sent today's share (shaping [warmup])".into(), None);
    attempt.retry_after = Some(tomorrow - now + chrono::Duration::minutes(1));
    attempt
}

fn describe(host: &str, step: &'static str, e: mail_send::Error) -> SessionError {
    let host = host.to_owned();
    match e {
        mail_send::Error::UnexpectedReply(r) => {
            SessionError::Refused { host, step, code: r.code, text: r.message.trim().to_owned() }
        }
        mail_send::Error::Timeout => SessionError::Timeout { host, step },
        source => SessionError::Failed { host, step, source },
    }
}

impl Session {
    fn new(client: Client, mx: &str, source: IpAddr, tls: TlsState, pipelining: bool) -> Self {
        Self { client, mx: mx.to_owned(), source, tls, pipelining, sent: 0, idle_since: Instant::now() }
    }

    async fn transaction(&mut self, out: &Outgoing, t: &Timeouts) -> Result<(Reply, bool), Broken> {
        match &mut self.client {
            Client::Plain(c) => transaction(c, self.pipelining, out, t).await,
            Client::Tls(c) => transaction(c, self.pipelining, out, t).await,
        }
    }

    /// Says goodbye, without waiting long for a server that may be gone.
    async fn quit(self) {
        let bye = async {
            let _ = match self.client {
                Client::Plain(c) => c.quit().await,
                Client::Tls(c) => c.quit().await,
            };
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), bye).await;
    }
}

/// MAIL FROM, RCPT TO and DATA for one message: the reply that decides its
/// fate, and whether the connection can carry another message.
async fn transaction<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut SmtpClient<S>,
    pipelining: bool,
    out: &Outgoing,
    t: &Timeouts,
) -> Result<(Reply, bool), Broken> {
    let commands = [
        format!("MAIL FROM:<{}>\r\n", out.envelope_from),
        format!("RCPT TO:<{}>\r\n", out.queued.recipient()),
        "DATA\r\n".to_owned(),
    ];
    // Replies can arrive together; bytes read ahead stay here.
    let mut buf = Vec::new();
    let mut replies: Vec<Response<String>> = Vec::with_capacity(3);
    if pipelining {
        send(&mut client.stream, commands.concat().as_bytes(), t.command).await.map_err(Broken::BeforeData)?;
    }
    for (i, command) in commands.iter().enumerate() {
        if !pipelining {
            send(&mut client.stream, command.as_bytes(), t.command).await.map_err(Broken::BeforeData)?;
        }
        let wait = if i == 2 { t.data_start } else { t.command };
        match read_reply(&mut client.stream, &mut buf, wait).await {
            Ok(reply) => replies.push(reply),
            Err(why) => {
                // A refusal already read decides the outcome (a server that
                // says 421 and hangs up); the connection is done either way.
                if let Some(refused) = replies.iter().find(|r| r.code / 100 != 2) {
                    return Ok((Reply::from_response(refused), false));
                }
                return Err(Broken::BeforeData(why));
            }
        }
        let positive = replies.last().is_some_and(|r| r.code / 100 == 2 || r.code == 354);
        if !pipelining && !positive {
            break;
        }
    }
    let refused = replies.iter().take(2).find(|r| r.code / 100 != 2);
    let data = replies.get(2).filter(|r| r.code == 354);
    if let Some(refused) = refused.or(if data.is_none() { replies.get(2) } else { None }) {
        let reply = Reply::from_response(refused);
        let mut reusable = reply.code != 421;
        if data.is_some() {
            // DATA was accepted though the recipient was not: send nothing.
            reusable &= send(&mut client.stream, b".\r\n", t.command).await.is_ok()
                && read_reply(&mut client.stream, &mut buf, t.data_end).await.is_ok();
        }
        if reusable {
            reusable = send(&mut client.stream, b"RSET\r\n", t.command).await.is_ok()
                && read_reply(&mut client.stream, &mut buf, t.command).await.is_ok_and(|r| r.code == 250);
        }
        return Ok((reply, reusable));
    }
    if data.is_none() {
        return Err(Broken::BeforeData(WireError::NoDataReply));
    }
    if let Err(why) = send(&mut client.stream, &dot_stuffed(&out.message), t.data_end).await {
        return Err(Broken::InData(why));
    }
    match read_reply(&mut client.stream, &mut buf, t.data_end).await {
        Ok(reply) => {
            let reply = Reply::from_response(&reply);
            let reusable = reply.code != 421;
            Ok((reply, reusable))
        }
        Err(why) => Err(Broken::InData(why)),
    }
}

/// The message as DATA carries it: lines starting with a dot get another,
/// and it ends with CRLF, a lone dot, CRLF. One buffer, so one write.
fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    if message.first() == Some(&b'.') {
        out.push(b'.');
    }
    let mut copied = 0;
    for at in memchr::memmem::find_iter(message, b"\n.") {
        out.extend_from_slice(&message[copied..=at]);
        out.push(b'.');
        copied = at + 1;
    }
    out.extend_from_slice(&message[copied..]);
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8], wait: Duration) -> Result<(), WireError> {
    let written = tokio::time::timeout(wait, async {
        stream.write_all(bytes).await?;
        stream.flush().await
    })
    .await;
    match written {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(WireError::Lost(e)),
        Err(_) => Err(WireError::Slow),
    }
}

/// The next reply, keeping any bytes after it in `buf` for the next call.
async fn read_reply<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    wait: Duration,
) -> Result<Response<String>, WireError> {
    let read = tokio::time::timeout(wait, async {
        loop {
            if !buf.is_empty() {
                let mut bytes = buf.iter();
                match ResponseReceiver::default().parse(&mut bytes) {
                    Ok(reply) => {
                        let used = buf.len() - bytes.len();
                        buf.drain(..used);
                        return Ok(reply);
                    }
                    Err(smtp_proto::Error::NeedsMoreData { .. }) => {}
                    Err(_) => return Err(WireError::Unparsable),
                }
            }
            let mut chunk = [0u8; 2048];
            match stream.read(&mut chunk).await {
                Ok(0) => return Err(WireError::Closed),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(WireError::Lost(e)),
            }
        }
    })
    .await;
    read.unwrap_or(Err(WireError::Unanswered))
}

/// Accepts any certificate (and checks the handshake signatures): the
/// opportunistic fallback, recorded as "unverified".
/// A deferral until `quiet` minutes past the hour when `now` falls in the
/// first `quiet` minutes of one: the Japanese carriers ask bulk senders to
/// keep off the top of the hour, when everyone's scheduled mail arrives.
/// The rate limit then spreads what waited.
fn off_the_hour(destination: &str, quiet: u32, now: DateTime<Utc>) -> Option<Attempt> {
    use chrono::Timelike;
    if now.minute() >= quiet {
        return None;
    }
    let wait = chrono::Duration::seconds(i64::from(quiet * 60 - now.minute() * 60 - now.second()));
    let mut attempt = Attempt::deferred(
        format!("{destination} takes no bulk mail in the first {quiet} minutes of an hour; sent after"),
        None,
    );
    attempt.retry_after = Some(wait);
    Some(attempt)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_top_of_the_hour_is_kept_off_for_destinations_that_ask() {
        use chrono::TimeZone;
        let at = |m, s| Utc.with_ymd_and_hms(2026, 12, 4, 9, m, s).unwrap();
        let waited = off_the_hour("docomo", 5, at(0, 30)).expect("deferred at 09:00:30");
        assert_eq!(waited.retry_after, Some(chrono::Duration::seconds(270)), "until 09:05");
        assert!(waited.reply.contains("first 5 minutes"), "{}", waited.reply);
        assert_eq!(
            off_the_hour("docomo", 5, at(4, 59)).and_then(|a| a.retry_after),
            Some(chrono::Duration::seconds(1))
        );
        assert!(off_the_hour("docomo", 5, at(5, 0)).is_none());
        assert!(off_the_hour("docomo", 5, at(59, 59)).is_none());
        assert!(off_the_hour("gmail", 0, at(0, 0)).is_none(), "0: any time");
    }

    use super::{dot_stuffed, off_the_hour};
    use chrono::Utc;

    #[test]
    fn data_is_dot_stuffed_and_ends_with_a_lone_dot() {
        assert_eq!(
            dot_stuffed(b"A: b\r\n\r\n.hidden\r\n..two\r\nend\r\n"),
            b"A: b\r\n\r\n..hidden\r\n...two\r\nend\r\n.\r\n"
        );
        assert_eq!(dot_stuffed(b".first\r\nno newline"), b"..first\r\nno newline\r\n.\r\n");
        // A dot after a bare LF starts a line for a receiver too.
        assert_eq!(dot_stuffed(b"x\n.\r\n"), b"x\n..\r\n.\r\n");
    }
}

#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

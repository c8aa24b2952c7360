//! The delivery engine: starts campaigns when their time comes, leases due
//! deliveries from the queue, renders each recipient's copy and hands it to a
//! [`Transport`], then writes the outcomes back in one batch.
//!
//! Time comes in from outside ([`Engine::tick`] takes `now`), so tests drive
//! schedules without sleeping. Crash safety rests on the queue: a row is
//! leased (status sending, due again at the lease's end) before anything is
//! sent, and only an outcome written afterwards ends it. A worker killed at
//! any moment leaves its rows to come due again; at most the messages in
//! flight are sent twice, none is lost.

pub mod metrics;
pub mod mta_sts;
pub mod queue;
pub mod relay;
pub mod reply;
pub mod shaping;
pub mod smtp;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use domain::{DeliveryStatus, OutboxStatus, TlsState};
use message::{Recipient, SecretKey};
use store::{DeliveryOutcome, LeasedDelivery, LeasedMessage, MessageOutcome, Store, StoreError};

pub use crate::queue::Queue;
use tokio_util::sync::CancellationToken;

/// What one attempt to hand a message over produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// delivered, deferred, bounced or failed.
    pub status: DeliveryStatus,
    pub code: Option<i16>,
    pub enhanced: Option<String>,
    pub reply: String,
    pub mx: Option<String>,
    /// How the connection was protected: verified, unverified (TLS to a
    /// certificate that did not verify) or none.
    pub tls: Option<TlsState>,
    /// Deferred by a server that throttles us: wait longer.
    pub slow_down: bool,
    /// Do not try again before this long (a suspended destination).
    pub retry_after: Option<Duration>,
    /// Why it bounced (bounced attempts only), read as a bounce message
    /// with the same words would be: its effect decides suppression.
    pub reason: Option<replies::Reason>,
    /// The bytes kept by the sandbox (outbox messages show them there).
    pub captured: Option<Vec<u8>>,
}

impl Attempt {
    /// An attempt that ended with an SMTP reply, classified.
    pub fn from_reply(code: u16, enhanced: Option<String>, text: String, mx: Option<String>) -> Self {
        let verdict = replies::reply(code, enhanced.as_deref(), &text);
        let (status, slow_down, reason) = match verdict.outcome {
            replies::Outcome::Delivered => (DeliveryStatus::Delivered, false, None),
            replies::Outcome::Deferred { slow_down } => (DeliveryStatus::Deferred, slow_down, None),
            replies::Outcome::Bounced => (DeliveryStatus::Bounced, false, Some(verdict.reason)),
        };
        Self {
            status,
            code: i16::try_from(code).ok(),
            enhanced,
            reply: text,
            mx,
            tls: None,
            slow_down,
            retry_after: None,
            reason,
            captured: None,
        }
    }

    /// An attempt that ended without a reply (no route, connection lost).
    pub fn deferred(reason: String, mx: Option<String>) -> Self {
        Self { mx, ..Self::local(DeliveryStatus::Deferred, reason) }
    }

    /// Never deliverable, without asking any server (no such domain, null
    /// MX): `why` says so, `reason` classes it.
    pub fn undeliverable(why: String, reason: replies::Reason) -> Self {
        Self { reason: Some(reason), ..Self::local(DeliveryStatus::Bounced, why) }
    }

    fn local(status: DeliveryStatus, reason: String) -> Self {
        Self {
            status,
            code: None,
            enhanced: None,
            reply: reason,
            mx: None,
            tls: None,
            slow_down: false,
            retry_after: None,
            reason: None,
            captured: None,
        }
    }
}

/// Why the engine's round stopped: the database failed, or a task of
/// its own did (a panic, or the runtime shutting down).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a {0} task failed: {1}")]
    Task(&'static str, tokio::task::JoinError),
    #[error(transparent)]
    Ledger(#[from] smtp::LedgerError),
}

/// Why one recipient's message cannot be built; its text is the failed
/// delivery's reason.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the campaign was deleted")]
    Deleted,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Prepare(#[from] prepare::PrepareError),
    #[error(transparent)]
    Template(#[from] message::TemplateError),
    #[error(transparent)]
    Identity(#[from] identity::IdentityError),
    #[error(transparent)]
    Sign(#[from] message::dkim::DkimError),
}

/// What a message is: a campaign delivery, or a message of ninsho's own
/// (a confirmation, a test send) from the outbox.
#[derive(Debug)]
pub enum Queued {
    Delivery(LeasedDelivery),
    Message(LeasedMessage),
}

impl Queued {
    /// The recipient's address.
    pub fn recipient(&self) -> &str {
        match self {
            Self::Delivery(d) => &d.email,
            Self::Message(m) => &m.to_address,
        }
    }
}

/// One message, rendered and signed, ready to hand over.
#[derive(Debug)]
pub struct Outgoing {
    pub queued: Queued,
    pub subject: String,
    /// MAIL FROM: the message's VERP bounce address.
    pub envelope_from: String,
    pub message: Vec<u8>,
    /// The source addresses the From domain may send from; empty: any.
    pub sources: Arc<[std::net::IpAddr]>,
}

/// Where messages go: the capture mailbox in sandbox mode, the recipients'
/// MX hosts otherwise.
pub trait Transport: Send + Sync + 'static {
    /// Hands a batch over and returns each message's attempt, in any order.
    fn deliver(&self, batch: Vec<Outgoing>)
    -> impl Future<Output = Result<Vec<(Queued, Attempt)>, EngineError>> + Send;
}

impl<T: Transport> Transport for Arc<T> {
    fn deliver(
        &self,
        batch: Vec<Outgoing>,
    ) -> impl Future<Output = Result<Vec<(Queued, Attempt)>, EngineError>> + Send {
        (**self).deliver(batch)
    }
}

/// Sandbox mode: the exact bytes are kept in the capture mailbox (shown in
/// the dashboard) and nothing leaves the machine.
pub struct Sandbox {
    pub store: Store,
}

impl Transport for Sandbox {
    async fn deliver(&self, batch: Vec<Outgoing>) -> Result<Vec<(Queued, Attempt)>, EngineError> {
        let mut attempts = Vec::with_capacity(batch.len());
        for out in batch {
            // An outbox message is already in the mailbox: its bytes are
            // kept with its outcome.
            if let Queued::Delivery(d) = &out.queued {
                self.store.capture_message(d, &out.subject, &out.message).await?;
            }
            let reply = "captured in the sandbox mailbox".to_owned();
            let attempt = Attempt::from_reply(250, Some("2.0.0".into()), reply, Some("sandbox".into()));
            attempts.push((out.queued, Attempt { captured: Some(out.message), ..attempt }));
        }
        Ok(attempts)
    }
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub public_url: String,
    /// The envelope sender is `b-…@<bounce_subdomain>.<From domain>`.
    pub bounce_subdomain: String,
    /// The From of ninsho's own messages (confirmations): an address or
    /// `Name <address>`.
    pub system_from: String,
    /// Send only from domains with a DKIM key (production mode).
    pub require_identity: bool,
    /// How long a deferred campaign message is retried before it fails.
    pub retry_days: i64,
    /// Deliveries leased per round.
    pub batch: i64,
    /// How long a leased row is ours before it comes due again.
    pub lease: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            bounce_subdomain: "bounce".into(),
            system_from: "ninsho@localhost".into(),
            require_identity: false,
            retry_days: reply::BULK_LIFETIME_DAYS,
            batch: 500,
            lease: Duration::minutes(5),
        }
    }
}

pub struct Engine<T, Q = Store> {
    queue: Q,
    key: SecretKey,
    config: EngineConfig,
    transport: T,
    /// Compiled campaigns by id; dropped when a campaign finishes.
    campaigns: HashMap<i64, Arc<message::Campaign>>,
    /// DKIM signers by From domain (None: the domain has no key).
    signers: HashMap<String, Option<Arc<message::dkim::Signer>>>,
    /// The source addresses each From domain may send from (empty: any).
    sources: HashMap<String, Arc<[std::net::IpAddr]>>,
    /// When A/B tests and sequence steps were last looked at: they scan
    /// subscriptions and events, so once a minute is enough, not every round.
    last_planned: Option<DateTime<Utc>>,
}

/// How often the engine's clock lets A/B tests and sequences be planned.
const PLANNING_EVERY: Duration = Duration::minutes(1);

impl<T: Transport, Q: Queue> Engine<T, Q> {
    pub fn new(queue: Q, key: SecretKey, config: EngineConfig, transport: T) -> Self {
        Self {
            queue,
            key,
            config,
            transport,
            campaigns: HashMap::new(),
            signers: HashMap::new(),
            sources: HashMap::new(),
            last_planned: None,
        }
    }

    /// One round at time `now`: start the campaigns that are due, end the
    /// A/B tests whose wait is over and queue the sequence steps whose delay
    /// has passed (at most once a minute of `now`), send one batch, finish the
    /// campaigns with nothing left. Returns how many
    /// deliveries were attempted.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> Result<usize, EngineError> {
        self.start_due(now).await?;
        if self.last_planned.is_none_or(|last| now < last || now - last >= PLANNING_EVERY) {
            self.last_planned = Some(now);
            // Keys rotate and domains get addresses: look them up afresh.
            self.signers.clear();
            self.sources.clear();
            for (campaign, winner) in self.queue.decide_ab_tests(now).await? {
                tracing::info!(campaign, winner = winner + 1, "A/B test decided; the rest of the audience is queued");
            }
            let steps = self.queue.enqueue_sequence_steps(now).await?;
            if steps > 0 {
                tracing::info!(deliveries = steps, "sequence steps queued");
            }
        }
        // Ninsho's own messages (confirmations, tests) go before bulk.
        let messages = self.queue.lease_messages(now, self.config.batch, self.config.lease).await?;
        let mut attempted = messages.len();
        if !messages.is_empty() {
            self.send_messages(messages, now).await?;
        }
        let leased = self.queue.lease_deliveries(now, self.config.batch, self.config.lease).await?;
        attempted += leased.len();
        if !leased.is_empty() {
            self.send(leased, now).await?;
        }
        for id in self.queue.finish_campaigns().await? {
            self.campaigns.remove(&id);
            tracing::info!(campaign = id, "campaign finished");
        }
        Ok(attempted)
    }

    /// Runs rounds until `cancel`; sleeps a second when there is nothing to do.
    pub async fn run(mut self, cancel: CancellationToken) {
        loop {
            let pause = match self.tick(Utc::now()).await {
                Ok(0) => std::time::Duration::from_secs(1),
                Ok(_) => std::time::Duration::ZERO,
                Err(e) => {
                    tracing::warn!(error = %e, "a delivery round failed; retrying in 5 s");
                    std::time::Duration::from_secs(5)
                }
            };
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn start_due(&mut self, now: DateTime<Utc>) -> Result<(), EngineError> {
        for id in self.queue.due_campaigns(now).await? {
            let Some(campaign) = self.queue.campaign(id).await? else { continue };
            let started = async {
                if self.config.require_identity {
                    self.queue.check_identity(&campaign.from_address).await?;
                }
                let layout = self.queue.layout(&campaign).await?;
                let compiled = prepare::compile(&campaign, &layout)?;
                let segment = self.queue.segment(&campaign).await?;
                Ok::<_, prepare::PrepareError>(
                    self.queue.start_campaign(id, &compiled.links, &layout, segment.as_ref(), now).await?,
                )
            };
            match started.await {
                Ok(Some(recipients)) => tracing::info!(campaign = id, recipients, "campaign started"),
                Ok(None) => {}
                Err(prepare::PrepareError::Store(e)) => return Err(e.into()),
                // The domain watch verifies it within a minute of its
                // records appearing; until then the campaign waits.
                Err(e @ prepare::PrepareError::Unverified(_)) => {
                    tracing::warn!(campaign = id, error = %e, "campaign waits for its domain to be verified");
                }
                Err(e) => {
                    tracing::warn!(campaign = id, error = %e, "campaign cannot start; back to draft");
                    self.queue.fail_campaign_start(id, &e.to_string()).await?;
                }
            }
        }
        Ok(())
    }

    /// The compiled campaign, from the cache or freshly compiled from its
    /// snapshot; an error says why it cannot render.
    async fn campaign(&mut self, id: i64) -> Result<Arc<message::Campaign>, BuildError> {
        if let Some(c) = self.campaigns.get(&id) {
            return Ok(c.clone());
        }
        let row = match self.queue.campaign(id).await {
            Ok(Some(row)) => row,
            Ok(None) => return Err(BuildError::Deleted),
            Err(e) => return Err(e.into()),
        };
        let layout = self.queue.layout(&row).await?;
        let compiled = prepare::compile(&row, &layout)?;
        let identity = self.queue.sender_identity(&row.from_address).await?;
        let sender = prepare::sender(&row, &identity, &self.config.public_url);
        let campaign = message::Campaign::new(row.id, &row.name, sender, &compiled, row.anonymous_tracking)?;
        let campaign = Arc::new(campaign);
        self.campaigns.insert(id, campaign.clone());
        Ok(campaign)
    }

    /// Records a bounce during delivery as a bounce message with the same
    /// words is recorded (reason, effect), and suppresses the address by the
    /// same rule. `delivery` is None for an outbox message.
    async fn bounced(
        &self,
        email: &str,
        delivery: Option<store::BouncedDelivery>,
        reason: replies::Reason,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        let effect = reason.effect();
        let status = attempt.enhanced.clone().or_else(|| attempt.code.map(|c| format!("{}.0.0", c / 100)));
        let bounce = store::NewBounce {
            email,
            reason: reason.as_str(),
            effect: effect.as_str(),
            status: status.as_deref().unwrap_or_default(),
            diagnostic: &attempt.reply,
            arrived_later: false,
        };
        if self.queue.record_bounce(delivery.as_ref(), &bounce).await?.suppresses() {
            let why = format!("bounced: {} ({})", reason.as_str(), attempt.reply.chars().take(200).collect::<String>());
            self.queue.suppress(email, domain::SubscriberStatus::Bounced, &why).await?;
        }
        Ok(())
    }

    /// The DKIM signer of a From domain, loaded once. Without a key the
    /// message goes unsigned (sandbox mode; production refuses such domains).
    async fn signer(&mut self, domain: &str) -> Result<Option<Arc<message::dkim::Signer>>, BuildError> {
        if let Some(found) = self.signers.get(domain) {
            return Ok(found.clone());
        }
        let signer = self.queue.signer(&self.key, domain).await?.map(Arc::new);
        self.signers.insert(domain.to_owned(), signer.clone());
        Ok(signer)
    }

    /// The source addresses a From domain may send from, loaded once.
    async fn sources(&mut self, domain: &str) -> Result<Arc<[std::net::IpAddr]>, StoreError> {
        if let Some(found) = self.sources.get(domain) {
            return Ok(found.clone());
        }
        let ips: Arc<[std::net::IpAddr]> = self.queue.source_ips(domain).await?.into();
        self.sources.insert(domain.to_owned(), ips.clone());
        Ok(ips)
    }

    async fn send(&mut self, leased: Vec<LeasedDelivery>, now: DateTime<Utc>) -> Result<(), EngineError> {
        let mut jobs = Vec::with_capacity(leased.len());
        for delivery in leased {
            let campaign = self.campaign(delivery.campaign_id).await;
            let signer = match &campaign {
                Ok(c) => self.signer(c.sender.domain()).await,
                Err(_) => Ok(None),
            };
            let campaign = match signer {
                Ok(signer) => campaign.map(|c| (c, signer)),
                Err(why) => Err(why),
            };
            jobs.push((delivery, campaign.map_err(Arc::new)));
        }
        // Rendering and signing are CPU work: off the async reactor, on
        // every core.
        let key = self.key.clone();
        let date = now.timestamp();
        let subdomain = self.config.bounce_subdomain.clone();
        let rendered = render_all(jobs, key, subdomain, date).await?;

        let mut outgoing = Vec::with_capacity(rendered.len());
        let mut attempts = Vec::with_capacity(rendered.len());
        for message in rendered {
            match message {
                Rendered::Unsendable(delivery) => attempts.push((
                    Queued::Delivery(delivery),
                    Attempt::local(
                        DeliveryStatus::Suppressed,
                        "the recipient left, was blocklisted or is suppressed".into(),
                    ),
                )),
                Rendered::Broken(delivery, why) => attempts.push((
                    Queued::Delivery(delivery),
                    Attempt::local(DeliveryStatus::Failed, format!("cannot render: {why}")),
                )),
                Rendered::Ready(mut out) => {
                    if let Queued::Delivery(d) = &out.queued
                        && let Some(campaign) = self.campaigns.get(&d.campaign_id).cloned()
                    {
                        out.sources = self.sources(campaign.sender.domain()).await?;
                    }
                    outgoing.push(out)
                }
            }
        }
        if !outgoing.is_empty() {
            attempts.extend(self.transport.deliver(outgoing).await?);
        }
        let mut outcomes = Vec::with_capacity(attempts.len());
        for (queued, mut attempt) in attempts {
            let Queued::Delivery(delivery) = queued else { continue };
            let until = delivery.created_at + Duration::days(self.config.retry_days);
            let retry_at = self.retry(&mut attempt, until, delivery.attempts, now);
            if let Some(reason) = attempt.reason.filter(|_| attempt.status == DeliveryStatus::Bounced) {
                let of = store::BouncedDelivery {
                    id: delivery.id,
                    campaign_id: delivery.campaign_id,
                    subscriber_id: delivery.subscriber_id,
                    list_id: delivery.list_id,
                    email: delivery.email.clone(),
                };
                self.bounced(&delivery.email, Some(of), reason, &attempt).await?;
            }
            outcomes.push(DeliveryOutcome {
                id: delivery.id,
                status: attempt.status,
                code: attempt.code,
                enhanced: attempt.enhanced,
                reply: Some(attempt.reply),
                mx: attempt.mx,
                tls: attempt.tls,
                retry_at,
                at: now,
            });
        }
        Ok(self.queue.record_outcomes(&outcomes).await?)
    }

    /// A deferred attempt's next time, or its end when the message has
    /// been retried `until` its lifetime ends (the attempt then fails).
    fn retry(
        &self,
        attempt: &mut Attempt,
        until: DateTime<Utc>,
        attempts: i32,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if attempt.status != DeliveryStatus::Deferred {
            return None;
        }
        if now > until {
            attempt.status = DeliveryStatus::Failed;
            attempt.reply = format!("expired after {attempts} attempts; last: {}", attempt.reply);
            return None;
        }
        let backoff = reply::retry_delay(attempts, attempt.slow_down);
        Some(now + attempt.retry_after.map_or(backoff, |wait| wait.max(backoff)))
    }

    /// Sends outbox messages: built from their text here (confirmations),
    /// or built elsewhere (test sends, transactional mail); signed for their
    /// From domain on every core off the reactor, once: a retry sends the
    /// bytes the first attempt signed.
    async fn send_messages(&mut self, leased: Vec<LeasedMessage>, now: DateTime<Utc>) -> Result<(), EngineError> {
        let mut jobs = Vec::with_capacity(leased.len());
        let mut attempts = Vec::new();
        for m in leased {
            let from = m.from_address.clone().unwrap_or_else(|| self.config.system_from.clone());
            let domain = domain::domain_of(domain::bare_address(&from)).to_ascii_lowercase();
            let signer = match self.signer(&domain).await {
                _ if m.signed => None,
                Ok(None) if self.config.require_identity => {
                    let why = format!("{domain:?} has no DKIM key: ninsho sends only signed mail in production");
                    attempts.push((Queued::Message(m), Attempt::local(DeliveryStatus::Failed, why)));
                    continue;
                }
                Ok(signer) => signer,
                Err(why) => {
                    attempts.push((Queued::Message(m), Attempt::local(DeliveryStatus::Failed, why.to_string())));
                    continue;
                }
            };
            let of = message::verp::Bounced::Message(m.id);
            let envelope_from = message::verp::bounce_address(&self.key, of, &self.config.bounce_subdomain, &domain);
            let sources = self.sources(&domain).await?;
            jobs.push(MessageJob { message: m, from, domain, signer, envelope_from, sources });
        }
        let (outgoing, unsigned) = sign_all(jobs, now.timestamp()).await?;
        attempts.extend(unsigned);
        // What signing made, kept for retries and the message log: the
        // header fields in front of the kept bytes (the bytes themselves
        // are not written again), or whole new bytes.
        let mut signed_bytes = HashMap::new();
        for out in &outgoing {
            if let Queued::Message(m) = &out.queued
                && !m.signed
            {
                let signed = match &m.raw {
                    Some(raw) => store::Signed::of(raw, out.message.clone()),
                    None => store::Signed::Whole(out.message.clone()),
                };
                signed_bytes.insert(m.id, signed);
            }
        }
        if !outgoing.is_empty() {
            attempts.extend(self.transport.deliver(outgoing).await?);
        }
        let mut outcomes = Vec::with_capacity(attempts.len());
        for (queued, mut attempt) in attempts {
            let Queued::Message(m) = queued else { continue };
            let retry_at = self.retry(&mut attempt, m.expires_at, m.attempts, now);
            if let Some(reason) = attempt.reason.filter(|_| attempt.status == DeliveryStatus::Bounced) {
                self.bounced(&m.to_address, None, reason, &attempt).await?;
            }
            let status = match attempt.status {
                DeliveryStatus::Delivered if attempt.captured.is_some() => OutboxStatus::Captured,
                DeliveryStatus::Delivered => OutboxStatus::Sent,
                DeliveryStatus::Deferred => OutboxStatus::Deferred,
                DeliveryStatus::Bounced => OutboxStatus::Bounced,
                _ => OutboxStatus::Failed,
            };
            outcomes.push(MessageOutcome {
                id: m.id,
                status,
                code: attempt.code,
                enhanced: attempt.enhanced,
                reply: attempt.reply,
                mx: attempt.mx,
                tls: attempt.tls,
                retry_at,
                signed: signed_bytes.remove(&m.id),
                at: now,
            });
        }
        Ok(self.queue.record_message_outcomes(&outcomes).await?)
    }
}

/// An outbox message with what signing it needs.
struct MessageJob {
    message: LeasedMessage,
    /// An address or `Name <address>`.
    from: String,
    domain: String,
    /// None: sent as it is (signed before, or a domain without a key).
    signer: Option<Arc<message::dkim::Signer>>,
    envelope_from: String,
    sources: Arc<[std::net::IpAddr]>,
}

/// Builds (from their text) and signs outbox messages on blocking threads,
/// one share per core: the messages ready to hand over, and the attempts of
/// those that could not be signed.
async fn sign_all(jobs: Vec<MessageJob>, date: i64) -> Result<(Vec<Outgoing>, Vec<(Queued, Attempt)>), EngineError> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let share = jobs.len().div_ceil(cores).max(1);
    let mut jobs = jobs.into_iter();
    let mut tasks = Vec::with_capacity(cores);
    loop {
        let part: Vec<MessageJob> = jobs.by_ref().take(share).collect();
        if part.is_empty() {
            break;
        }
        tasks.push(tokio::task::spawn_blocking(move || {
            part.into_iter().map(|job| sign_one(job, date)).collect::<Vec<_>>()
        }));
    }
    let (mut ready, mut failed) = (Vec::new(), Vec::new());
    for task in tasks {
        for signed in task.await.map_err(|e| EngineError::Task("signing", e))? {
            match signed {
                Signed::Ready(out) => ready.push(out),
                Signed::Unsignable(m, why) => {
                    failed.push((Queued::Message(m), Attempt::local(DeliveryStatus::Failed, why)));
                }
            }
        }
    }
    Ok((ready, failed))
}

/// An outbox message signed, or why it cannot be.
enum Signed {
    Ready(Outgoing),
    Unsignable(LeasedMessage, String),
}

fn sign_one(job: MessageJob, date: i64) -> Signed {
    let m = job.message;
    let bytes = match &m.raw {
        Some(raw) => raw.clone(),
        None => {
            let message_id = format!("m{}.{date}@{}", m.id, job.domain);
            message::mime::plain(&job.from, &m.to_address, &m.subject, &m.text_body, &message_id, date)
        }
    };
    let bytes = match &job.signer {
        Some(signer) => match signer.sign(&bytes) {
            Ok(signed) => signed,
            Err(e) => return Signed::Unsignable(m, format!("cannot sign: {e}")),
        },
        None => bytes,
    };
    Signed::Ready(Outgoing {
        subject: m.subject.clone(),
        envelope_from: job.envelope_from,
        message: bytes,
        sources: job.sources,
        queued: Queued::Message(m),
    })
}

type Job = (LeasedDelivery, Result<(Arc<message::Campaign>, Option<Arc<message::dkim::Signer>>), Arc<BuildError>>);
/// A rendered message, or why there is none.
enum Rendered {
    Ready(Outgoing),
    /// The recipient left, was blocklisted or suppressed since the start.
    Unsendable(LeasedDelivery),
    /// The message cannot be built, and why.
    Broken(LeasedDelivery, Arc<BuildError>),
}

/// Renders and signs the jobs on blocking threads, one share per core.
async fn render_all(
    jobs: Vec<Job>,
    key: SecretKey,
    subdomain: String,
    date: i64,
) -> Result<Vec<Rendered>, EngineError> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let share = jobs.len().div_ceil(cores).max(1);
    let mut jobs = jobs.into_iter();
    let mut tasks = Vec::with_capacity(cores);
    loop {
        let part: Vec<Job> = jobs.by_ref().take(share).collect();
        if part.is_empty() {
            break;
        }
        let (key, subdomain) = (key.clone(), subdomain.clone());
        tasks.push(tokio::task::spawn_blocking(move || {
            part.into_iter()
                .map(|(delivery, campaign)| {
                    let built = match (&campaign, delivery.sendable) {
                        (_, false) => return Rendered::Unsendable(delivery),
                        (Err(why), true) => Err(why.clone()),
                        (Ok((c, signer)), true) => {
                            build(c, signer.as_deref(), &key, &subdomain, &delivery, date).map_err(Arc::new)
                        }
                    };
                    match built {
                        Ok((subject, envelope_from, message)) => Rendered::Ready(Outgoing {
                            queued: Queued::Delivery(delivery),
                            subject,
                            envelope_from,
                            message,
                            sources: Arc::from([]),
                        }),
                        Err(why) => Rendered::Broken(delivery, why),
                    }
                })
                .collect::<Vec<_>>()
        }));
    }
    let mut rendered = Vec::new();
    for task in tasks {
        let part = task.await.map_err(|e| EngineError::Task("rendering", e))?;
        rendered.extend(part);
    }
    Ok(rendered)
}

/// One recipient's message, DKIM-signed when the domain has a key, with
/// its subject and envelope sender.
fn build(
    campaign: &message::Campaign,
    signer: Option<&message::dkim::Signer>,
    key: &SecretKey,
    bounce_subdomain: &str,
    d: &LeasedDelivery,
    date: i64,
) -> Result<(String, String, Vec<u8>), BuildError> {
    let to = Recipient {
        delivery_id: d.id,
        subscriber_id: d.subscriber_id,
        email: &d.email,
        name: &d.name,
        attributes: &d.attributes.0,
        list_id: d.list_id,
        list_name: &d.list_name,
        variant: usize::try_from(d.variant).unwrap_or(0),
    };
    let built = campaign.build(key, &to, date)?;
    let bytes = match signer {
        Some(signer) => signer.sign(&built.bytes)?,
        None => built.bytes,
    };
    let of = message::verp::Bounced::Delivery(d.id);
    let envelope_from = message::verp::bounce_address(key, of, bounce_subdomain, campaign.sender.domain());
    Ok((built.subject, envelope_from, bytes))
}

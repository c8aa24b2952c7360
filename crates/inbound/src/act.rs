//! ninsho's own addresses and what mail to them does: a bounce to a VERP
//! address marks its delivery bounced and suppresses the address (at once
//! for a hard reason, after repeats for a soft one); a complaint
//! unsubscribes and suppresses, and counts toward the campaign's complaint
//! rate; a message to the unsubscribe address unsubscribes the subscriber
//! its token names. Every message is recorded with what was done, and one
//! that cannot be read keeps its bytes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Utc;
use message::SecretKey;
use message::links::{self, Purpose};
use message::verp::{self, Bounced};
use store::{AlertMail, BouncedDelivery, NewBounce, Store, StoreError};

use crate::feedback::{self, Complaint, Feedback};
use crate::smtp::{Envelope, Mailbox};
use domain::SubscriberStatus;
use replies::Effect;

/// Complaint rates that raise an alert: Gmail's guidance is to stay under
/// 0.1 % and never reach 0.3 %.
pub const COMPLAINT_WARN: f64 = 0.001;
pub const COMPLAINT_LIMIT: f64 = 0.003;

/// Which of our addresses a recipient is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    Verp(Bounced),
    Reports,
    Unsubscribe,
}

/// The inbox of mail that comes back: which of our addresses a recipient is,
/// and what to do with the message.
#[derive(Clone)]
pub struct Inbox {
    pub store: Store,
    pub key: SecretKey,
    pub bounce_subdomain: String,
    /// `delivery.report_address`, when it is not on a bounce subdomain.
    pub report_address: Option<String>,
    /// Reads and keeps the DMARC and TLS reports sent to the report
    /// address (shared by every session: imports take turns).
    pub reports: reports::ingest::Ingest,
    /// The sending domains as last read (shared by every session).
    pub domains: SendingDomains,
}

/// The sending domains, read again at most every 5 seconds when a name is
/// not among them and every minute anyway: a flood of recipients that are
/// not ours costs no query each, and a domain added a moment ago is known
/// within seconds.
#[derive(Clone, Default)]
pub struct SendingDomains(Arc<Mutex<Option<DomainsRead>>>);

/// The names, lower-case, and when they were read.
type DomainsRead = (Instant, HashSet<String>);

impl SendingDomains {
    async fn contains(&self, store: &Store, domain: &str) -> Result<bool, StoreError> {
        let age = |read: &Instant| read.elapsed();
        {
            let known = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((read, names)) = known.as_ref() {
                let found = names.contains(domain);
                if age(read) < std::time::Duration::from_secs(60)
                    && (found || age(read) < std::time::Duration::from_secs(5))
                {
                    return Ok(found);
                }
            }
        }
        let names: HashSet<String> =
            store.sending_domains().await?.into_iter().map(|d| d.domain.to_ascii_lowercase()).collect();
        let found = names.contains(domain);
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((Instant::now(), names));
        Ok(found)
    }
}

/// Why an address is not one we take mail for; shown as the SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("550 5.7.1 <{0}>: not an address of this server (no relaying)")]
    NotOurs(String),
    #[error("550 5.1.1 <{0}>: no such address")]
    NoSuchAddress(String),
}

impl Inbox {
    /// Which of our addresses `address` is, or the reply refusing it; a
    /// database failure is an error of its own (the sender is told to retry).
    pub async fn address(&self, address: &str) -> Result<Result<Address, Refusal>, StoreError> {
        let lower = address.trim().to_ascii_lowercase();
        if self.report_address.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(&lower)) {
            return Ok(Ok(Address::Reports));
        }
        let refuse = || Refusal::NotOurs(address.to_owned());
        let Some((local, domain)) = lower.rsplit_once('@') else { return Ok(Err(refuse())) };
        let Some(sending) = domain.strip_prefix(&format!("{}.", self.bounce_subdomain)) else {
            return Ok(Err(refuse()));
        };
        // The signature first: a made-up address costs no query.
        let ours = match local {
            "reports" => Address::Reports,
            "unsubscribe" => Address::Unsubscribe,
            _ => match verp::parse(&self.key, &lower) {
                Some(bounced) => Address::Verp(bounced),
                None => return Ok(Err(Refusal::NoSuchAddress(address.to_owned()))),
            },
        };
        if !self.domains.contains(&self.store, sending).await? {
            return Ok(Err(refuse()));
        }
        Ok(Ok(ours))
    }

    /// Reads one message for one of our addresses and acts on it, and
    /// records what was done. Only a database failure is an error (the
    /// sender is told to try again); a message the database refuses as it
    /// is would fail the same way every time, so it is kept, unread, with
    /// the reason.
    pub async fn handle(&self, envelope: &Envelope, rcpt: &str) -> Result<(), StoreError> {
        let acted = match self.address(rcpt).await? {
            Ok(Address::Verp(of)) => self.at_verp(of, &envelope.data).await,
            Ok(Address::Unsubscribe) => self.unsubscribe(&envelope.data).await,
            Ok(Address::Reports) => self.report(&envelope.data).await,
            Err(refusal) => Ok(("ignored", refusal.to_string(), false)),
        };
        let (kind, outcome, keep) = match acted {
            Ok(done) => done,
            Err(StoreError::Refused(why)) => ("unreadable", format!("could not be kept as it is: {why}"), true),
            Err(e) => return Err(e),
        };
        tracing::info!(rcpt, kind, outcome, "inbound message");
        let raw = keep.then_some(envelope.data.as_slice());
        self.store.record_inbound(Some(envelope.peer), &envelope.mail_from, rcpt, kind, &outcome, raw).await?;
        Ok(())
    }

    async fn at_verp(&self, of: Bounced, data: &[u8]) -> Result<(&'static str, String, bool), StoreError> {
        match feedback::parse(data) {
            Feedback::Bounce(bounce) => {
                let Some(failure) = bounce.failed.iter().find(|f| !f.delayed) else {
                    return Ok(("bounce", "a delay warning: nothing to do until it fails".into(), false));
                };
                let effect = failure.reason.effect();
                let effect_word = effect.as_str();
                let (email, delivery) = match of {
                    Bounced::Delivery(id) => match self.store.delivery_for_feedback(id).await? {
                        Some(d) => (d.email.clone(), Some(d)),
                        None => return Ok(("bounce", format!("delivery {id} no longer exists"), false)),
                    },
                    Bounced::Message(id) => {
                        let reply = format!("bounced later: {} {}", failure.status, failure.diagnostic);
                        match self.store.bounce_outbound(id, &reply).await? {
                            Some(to) => (to, None),
                            None => return Ok(("bounce", format!("message {id} no longer exists"), false)),
                        }
                    }
                };
                let new = NewBounce {
                    email: &email,
                    reason: failure.reason.as_str(),
                    effect: effect_word,
                    status: &failure.status,
                    diagnostic: &failure.diagnostic,
                    arrived_later: true,
                };
                let tally = self.store.record_bounce(delivery.as_ref(), &new).await?;
                let reason = format!("{} ({} {})", failure.reason.as_str(), failure.status, failure.diagnostic);
                let suppress = tally.suppresses();
                if suppress {
                    let why = format!("bounced: {}", reason.chars().take(200).collect::<String>());
                    self.store.suppress_for_feedback(&email, SubscriberStatus::Bounced, &why).await?;
                }
                let (n, of, days) = (tally.bounces, tally.rule.bounces, tally.rule.days);
                let done = match (effect, suppress) {
                    (_, true) => format!("{effect_word} bounce, {reason}: {email} suppressed"),
                    (_, false) if of > 0 => {
                        format!("{effect_word} bounce {n} of {of} in {days} days, {reason}: {email} kept")
                    }
                    (Effect::Sender, false) => {
                        format!("{effect_word} bounce (about our sending, not the address), {reason}")
                    }
                    _ => format!("{effect_word} bounce, {reason}: {email} kept (its rule never suppresses)"),
                };
                Ok(("bounce", done, false))
            }
            Feedback::Complaint(complaint) => {
                let delivery = match of {
                    Bounced::Delivery(id) => self.store.delivery_for_feedback(id).await?,
                    Bounced::Message(_) => None,
                };
                Ok(("complaint", self.complain(delivery, &complaint).await?, false))
            }
            Feedback::Unsubscribe => {
                let Bounced::Delivery(id) = of else {
                    return Ok(("unsubscribe", "an unsubscribe request for a message of ours: ignored".into(), false));
                };
                let Some(d) = self.store.delivery_for_feedback(id).await? else {
                    return Ok(("unsubscribe", format!("delivery {id} no longer exists"), false));
                };
                match self.store.unsubscribe(d.subscriber_id, d.list_id).await {
                    Ok(()) | Err(StoreError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
                Ok((
                    "unsubscribe",
                    format!("{} unsubscribed from list {} (mail client request)", d.email, d.list_id),
                    false,
                ))
            }
            Feedback::AutoReply => Ok(("auto-reply", "an auto-reply, not a bounce: ignored".into(), false)),
            Feedback::Other => Ok(("unreadable", "neither a bounce nor a complaint; kept".into(), true)),
        }
    }

    /// A complaint about one of our deliveries: unsubscribed from the list
    /// it came through, suppressed, and counted toward the campaign's
    /// complaint rate.
    async fn complain(&self, delivery: Option<BouncedDelivery>, complaint: &Complaint) -> Result<String, StoreError> {
        // Only a delivery named by a signed VERP address is acted on: the
        // rest of a report can say anything.
        let Some(email) = delivery.as_ref().map(|d| d.email.clone()) else {
            let named = complaint.recipient.as_deref().unwrap_or("no one");
            return Ok(format!("a complaint about {named} that names no delivery of ours (no valid VERP): ignored"));
        };
        if let Some(d) = &delivery {
            match self.store.unsubscribe(d.subscriber_id, d.list_id).await {
                Ok(()) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let why = format!("complaint ({}) {}", complaint.feedback_type, complaint.user_agent);
        self.store.suppress_for_feedback(&email, SubscriberStatus::Complained, why.trim()).await?;
        let counts = self
            .store
            .record_complaint(delivery.as_ref(), &email, &complaint.feedback_type, &complaint.user_agent)
            .await?;
        if let (Some(d), Some((complaints, delivered))) = (&delivery, counts) {
            self.complaint_rate(d.campaign_id, complaints, delivered).await?;
        }
        Ok(format!("complaint ({}): {email} unsubscribed and suppressed", complaint.feedback_type))
    }

    /// Raises an alert when this complaint takes the campaign's rate over
    /// 0.1 % or over 0.3 %.
    async fn complaint_rate(&self, campaign: i64, complaints: i64, delivered: i64) -> Result<(), StoreError> {
        let delivered = delivered.max(1) as f64;
        let (before, now) = ((complaints - 1) as f64 / delivered, complaints as f64 / delivered);
        let crossed = [COMPLAINT_LIMIT, COMPLAINT_WARN].into_iter().find(|limit| before < *limit && now >= *limit);
        let (Some(limit), Some((domain_id, domain))) = (crossed, self.store.campaign_sending_domain(campaign).await?)
        else {
            return Ok(());
        };
        let loud = limit >= COMPLAINT_LIMIT;
        tracing::warn!(campaign, complaints, "complaint rate over {:.1} %", limit * 100.0);
        let said = |lang: i18n::Language| {
            let args = [
                ("campaign", i18n::Arg::from(campaign)),
                ("complaints", i18n::Arg::from(complaints)),
                ("delivered", i18n::Arg::from(delivered.to_string())),
                ("rate", i18n::Arg::from(format!("{:.2}", now * 100.0))),
                ("domain", i18n::Arg::from(domain.as_str())),
                ("limit", i18n::Arg::from(format!("{:.1}", limit * 100.0))),
            ];
            let over = lang.t(if loud { "alert-complaint-loud" } else { "alert-complaint-over" });
            let detail = format!("{}; {over}", lang.t_with("alert-complaint-detail", &args));
            let subject =
                lang.t_with(if loud { "alert-complaint-urgent-subject" } else { "alert-complaint-subject" }, &args);
            AlertMail { language: lang.code().into(), subject, text: format!("{detail}\n") }
        };
        let mail: Vec<AlertMail> = i18n::Language::ALL.into_iter().map(&said).collect();
        let detail = said(i18n::Language::English).text.trim_end().to_owned();
        self.store.raise_alert(domain_id, "Complaint rate", &detail, &mail).await
    }

    /// `mailto:` unsubscribe: the subject (or body) holds the signed token.
    async fn unsubscribe(&self, data: &[u8]) -> Result<(&'static str, String, bool), StoreError> {
        let parsed = message::parse::parse(data);
        let subject = parsed.as_ref().and_then(|m| m.subject()).unwrap_or_default().to_owned();
        let body = parsed.as_ref().and_then(|m| m.body_text(0)).map(|b| b.into_owned()).unwrap_or_default();
        let now = Utc::now().timestamp();
        let claims = format!("{subject} {body}")
            .split_whitespace()
            .find_map(|word| links::verify(&self.key, Purpose::Unsubscribe, word, now).ok());
        let Some(claims) = claims else {
            return Ok(("unsubscribe", "no valid unsubscribe token: ignored".into(), false));
        };
        match self.store.unsubscribe(claims.subscriber_id, claims.list_id).await {
            Ok(()) => Ok((
                "unsubscribe",
                format!("subscriber {} unsubscribed from list {}", claims.subscriber_id, claims.list_id),
                false,
            )),
            Err(StoreError::NotFound(_)) => Ok(("unsubscribe", "no such subscription: nothing to do".into(), false)),
            Err(e) => Err(e),
        }
    }

    /// The report address: complaints from feedback loops, and DMARC and
    /// TLS reports (kept for analysis).
    async fn report(&self, data: &[u8]) -> Result<(&'static str, String, bool), StoreError> {
        match feedback::parse(data) {
            Feedback::Complaint(complaint) => {
                let delivery = self.delivery_of(&complaint).await?;
                Ok(("complaint", self.complain(delivery, &complaint).await?, false))
            }
            _ => {
                let outcomes = self.reports.import("message", data, "listener").await?;
                let failed = outcomes.iter().any(|(_, o)| matches!(o, reports::ingest::Outcome::Failed(_)));
                let said: Vec<String> = outcomes.iter().map(|(file, o)| format!("{file}: {o}")).collect();
                // A failed report is kept by the import itself, with its reason.
                Ok(("report", said.join("; "), failed && outcomes.is_empty()))
            }
        }
    }

    /// The delivery a complaint is about: the signed VERP address in the
    /// quoted Return-Path or the report's Original-Mail-From. (Our
    /// Message-ID is not signed, so it never decides.)
    async fn delivery_of(&self, complaint: &Complaint) -> Result<Option<BouncedDelivery>, StoreError> {
        let verp = [complaint.original.return_path.as_deref(), complaint.original_mail_from.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|a| verp::parse(&self.key, a));
        match verp {
            Some(Bounced::Delivery(id)) => self.store.delivery_for_feedback(id).await,
            _ => Ok(None),
        }
    }
}

impl Mailbox for Inbox {
    /// Whoever sends bounces and reports: no logins here.
    type Identity = ();

    async fn accepts(&self, _: Option<&()>, address: &str) -> Option<String> {
        match self.address(address).await {
            Ok(Ok(_)) => None,
            Ok(Err(refusal)) => Some(refusal.to_string()),
            Err(e) => {
                tracing::warn!(error = %e, "cannot look up a recipient");
                Some("451 4.3.0 try again later".into())
            }
        }
    }

    type Error = StoreError;

    async fn deliver(&self, envelope: Envelope) -> Result<String, StoreError> {
        for rcpt in &envelope.recipients {
            self.handle(&envelope, rcpt).await?;
        }
        Ok("250 2.0.0 accepted".into())
    }
}

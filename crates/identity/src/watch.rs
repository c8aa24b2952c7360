//! The watch over sending domains: their DNS re-checked periodically (a
//! domain not verified yet, every minute), key rotations carried on (a
//! pending key signs once its record is seen; the key it replaces retires
//! after a grace period), and an alert when a check that was green breaks.
//! Each domain is claimed by one delivery node per round. The watch also
//! alerts once on each campaign whose bounces pass the share the sender
//! settings allow (a list gone stale, a bought list).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use domain::KeyStatus;
use store::{AlertMail, SendingDomain, Store, StoreError};
use tokio_util::sync::CancellationToken;

use crate::Setup;
use crate::dns::Dns;
use crate::doctor::{self, Check, Status};

#[derive(Clone)]
pub struct Watch {
    pub store: Store,
    pub dns: Dns,
    pub setup: Setup,
    /// The node's source addresses (for domains without their own).
    pub source_ips: Vec<IpAddr>,
    /// How often a verified domain is checked again.
    pub every: Duration,
    /// How long a replaced key stays published.
    pub grace: Duration,
}

/// A domain's unverified checks are retried this often.
const RETRY: Duration = Duration::minutes(1);

impl Watch {
    /// Checks the domains that are due at `now`; returns how many.
    pub async fn round(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        for (domain, selector) in self.store.retire_keys(now).await? {
            tracing::info!(domain, selector, "DKIM key retired; its DNS record may be removed");
        }
        let due = self.store.claim_domain_checks(now, self.every, RETRY).await?;
        for domain in &due {
            self.check(domain, now).await?;
        }
        for over in self.store.claim_error_rate_alerts(ERROR_RATE_MIN_SENDS).await? {
            error_rate_alert(&self.store, &over).await?;
        }
        Ok(due.len())
    }

    async fn check(&self, domain: &SendingDomain, now: DateTime<Utc>) -> Result<(), StoreError> {
        let ips = domain.sends_from(&self.source_ips);
        // In English: checks are stored and compared by what they are called.
        let english = i18n::Language::English;
        let checks = doctor::check_domain(&self.store, &self.dns, &domain.domain, &self.setup, &ips, english).await?;
        record(&self.store, domain, &checks, now, self.grace).await
    }

    /// Rounds every 30 s until `cancel`.
    pub async fn run(self, cancel: CancellationToken) {
        loop {
            if let Err(e) = self.round(Utc::now()).await {
                tracing::warn!(error = %e, "the domain watch failed a round");
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
            }
        }
    }
}

/// Keeps the outcome of a domain's checks, wherever they ran (the watch,
/// the domains page, `ninsho doctor`): a pending key whose record was seen
/// starts signing (the key it replaces retires after `grace`), the domain
/// is verified when every signing key's record is right, and a check that
/// was green and now fails raises an alert.
pub async fn record(
    store: &Store,
    domain: &SendingDomain,
    checks: &[Check],
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<(), StoreError> {
    for key in store.published_dkim_keys(&domain.domain).await? {
        let what = format!("DKIM {} (pending)", key.selector);
        if key.status == KeyStatus::Pending && checks.iter().any(|c| c.what == what && c.status == Status::Pass) {
            store.promote_key(key.id, now, grace).await?;
            tracing::info!(domain = domain.domain, selector = key.selector, "DKIM key published; it signs now");
        }
    }
    let signing: Vec<&Check> =
        checks.iter().filter(|c| c.what.starts_with("DKIM") && !c.what.ends_with("(pending)")).collect();
    let dkim_ok = !signing.is_empty() && signing.iter().all(|c| c.status == Status::Pass);
    let json = serde_json::to_value(checks).unwrap_or_default();
    let before = store.record_domain_checks(domain.id, &json, dkim_ok, now).await?;
    let before: Vec<Check> = serde_json::from_value(before).unwrap_or_default();
    for broken in broke(&before, checks) {
        alert(store, domain, broken).await?;
    }
    Ok(())
}

/// Logs the alert and raises it (the domains page, and mail to every admin
/// through the outbox: sent in production, captured in sandbox mode).
async fn alert(store: &Store, domain: &SendingDomain, broken: &Check) -> Result<(), StoreError> {
    tracing::warn!(domain = domain.domain, check = broken.what, detail = broken.detail, "a DNS check broke");
    let mail: Vec<AlertMail> = i18n::Language::ALL
        .into_iter()
        .map(|lang| {
            let args = [("check", broken.what.as_str().into()), ("domain", domain.domain.as_str().into())];
            AlertMail {
                language: lang.code().into(),
                subject: lang.t_with("alert-check-subject", &args),
                text: format!(
                    "{}\n\n  {}\n\n{}\n",
                    lang.t_with("alert-check-intro", &args),
                    broken.detail,
                    lang.t1("alert-check-next", "domain", &domain.domain)
                ),
            }
        })
        .collect();
    store.raise_alert(domain.id, &broken.what, &broken.detail, &mail).await
}

/// A campaign's error rate is judged once it has sent this many messages:
/// two bounces of a test to ten addresses say nothing about a list.
pub const ERROR_RATE_MIN_SENDS: i64 = 50;

/// Raises the alert on a campaign whose bounces passed the threshold.
async fn error_rate_alert(store: &Store, over: &store::ErrorRate) -> Result<(), StoreError> {
    let rate = over.bounced as f64 * 100.0 / over.sent.max(1) as f64;
    tracing::warn!(
        campaign = over.campaign_id,
        over.sent,
        over.bounced,
        "campaign error rate over the alert threshold"
    );
    let said = |lang: i18n::Language| {
        let args = [
            ("campaign", i18n::Arg::from(over.campaign_id)),
            ("name", i18n::Arg::from(over.name.as_str())),
            ("domain", i18n::Arg::from(over.domain.as_str())),
            ("sent", i18n::Arg::from(lang.number(over.sent))),
            ("bounced", i18n::Arg::from(lang.number(over.bounced))),
            ("rate", i18n::Arg::from(format!("{rate:.1}"))),
            ("limit", i18n::Arg::from(format!("{}", over.limit_percent))),
        ];
        let detail = lang.t_with("alert-error-rate-detail", &args);
        AlertMail {
            language: lang.code().into(),
            subject: lang.t_with("alert-error-rate-subject", &args),
            text: format!("{detail}\n\n{}\n", lang.t("alert-error-rate-advice")),
        }
    };
    let mail: Vec<AlertMail> = i18n::Language::ALL.into_iter().map(&said).collect();
    let english = said(i18n::Language::English);
    let detail = english.text.lines().next().unwrap_or_default().to_owned();
    store.raise_alert(over.domain_id, "High error rate", &detail, &mail).await
}

/// How long a replaced DKIM key stays published by default: long enough
/// for mail signed with it to be delivered and read.
pub const GRACE: Duration = Duration::days(7);

/// The checks that passed in `before` and fail in `now`.
fn broke<'a>(before: &[Check], now: &'a [Check]) -> Vec<&'a Check> {
    now.iter()
        .filter(|c| c.status == Status::Fail)
        .filter(|c| before.iter().any(|b| b.what == c.what && b.status == Status::Pass))
        .collect()
}

//! Reports in: unpacked, parsed, classified row by row, kept once, and
//! alerts raised for a new spoofing source or one of our own failing. A
//! file that cannot be read is kept with the reason, never dropped.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use store::{AlertMail, NewDmarcReport, NewDmarcRow, Store, StoreError};
use tokio::sync::Semaphore;

use crate::parse::{self as reports, Aggregate, Limits, Report, Row};

/// A spoofing source is alerted on once it sends at least this many
/// messages in one report.
pub const SPOOFING_ALERT: i64 = 10;

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// (kind, reporter, report id, domain, rows kept, rows skipped, what
    /// was assumed where the file was at fault)
    Imported {
        kind: &'static str,
        org: String,
        report_id: String,
        domain: String,
        rows: usize,
        skipped: usize,
        assumed: Vec<String>,
    },
    Duplicate {
        kind: &'static str,
        org: String,
        report_id: String,
    },
    /// Kept with the reason.
    Failed(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Imported { kind, org, report_id, domain, rows, skipped, assumed } => {
                write!(f, "imported {kind} report {report_id} from {org} for {domain}: {rows} rows")?;
                if *skipped > 0 {
                    write!(f, ", {skipped} skipped")?;
                }
                for note in assumed {
                    write!(f, "; {note}")?;
                }
                Ok(())
            }
            Self::Duplicate { kind, org, report_id } => {
                write!(f, "{kind} report {report_id} from {org}: had it already")
            }
            Self::Failed(reason) => write!(f, "not imported: {reason} (kept)"),
        }
    }
}

/// How a DMARC row's source is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Authorised, and DMARC passes.
    Normal,
    /// Someone else relayed it (an override reason, ARC, DKIM surviving a
    /// forwarder that breaks SPF).
    Forwarded,
    /// Our own source, or an authorised one, failing DKIM or aligning wrongly.
    Misconfigured,
    /// Nothing authorises it and nothing passes aligned.
    Spoofing,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Forwarded => "forwarded",
            Self::Misconfigured => "misconfigured",
            Self::Spoofing => "spoofing",
        }
    }
}

/// Judges one row of `domain`'s report; `ours` says whether its source is
/// one of our sending addresses.
pub fn classify(row: &Row, domain: &str, ours: bool) -> (Class, String) {
    let dkim_aligned = row.dkim == "pass";
    let spf_aligned = row.spf == "pass";
    let passed = |results: &[(String, String, String)]| -> Vec<String> {
        results.iter().filter(|(_, _, r)| r == "pass").map(|(d, _, _)| d.clone()).collect()
    };
    let dkim_pass = passed(&row.dkim_results);
    let spf_pass = passed(&row.spf_results);
    let forwarded_reason = row.reasons.iter().find(|(kind, comment)| {
        matches!(kind.as_str(), "forwarded" | "trusted_forwarder" | "mailing_list")
            || (kind == "local_policy" && comment.to_ascii_lowercase().contains("arc=pass"))
    });
    if ours {
        return if dkim_aligned {
            (Class::Normal, "our address; DKIM aligned".into())
        } else if dkim_pass.is_empty() {
            (Class::Misconfigured, format!("our address, but no DKIM signature of {domain} verifies"))
        } else {
            (Class::Misconfigured, format!("our address, but DKIM passes only for {}", dkim_pass.join(", ")))
        };
    }
    if let Some((kind, comment)) = forwarded_reason {
        let comment = if comment.is_empty() { String::new() } else { format!(" ({comment})") };
        return (Class::Forwarded, format!("the receiver overrode DMARC: {kind}{comment}"));
    }
    match (dkim_aligned, spf_aligned) {
        (true, false) => (Class::Forwarded, "DKIM aligned survives, SPF fails: a forwarder".into()),
        (true, true) => (Class::Normal, "an authorised sender (SPF and DKIM aligned)".into()),
        (false, true) => (Class::Misconfigured, format!("SPF authorises it, but it does not sign with {domain}'s key")),
        (false, false) if !dkim_pass.is_empty() || !spf_pass.is_empty() => {
            let who: Vec<String> = dkim_pass.into_iter().chain(spf_pass).collect();
            (
                Class::Misconfigured,
                format!(
                    "passes for {} but not aligned with {domain}: a service sending for you without your key?",
                    who.join(", ")
                ),
            )
        }
        (false, false) => (Class::Spoofing, "nothing authorises it and nothing passes".into()),
    }
}

/// Messages (or files) whose reports are unpacked and read at the same
/// time; the others wait their turn, so many senders at once cannot
/// multiply the memory one import takes.
pub const IMPORTS_AT_ONCE: usize = 2;
/// The most rows one DMARC report adds. A report over many days has its
/// records spread over periods of several days when days × records would
/// pass this (the range is the reporter's to choose).
pub const MAX_ROWS: usize = 100_000;
/// Rows written at a time.
const ROW_BATCH: usize = 2_000;

/// Reads reports and keeps them; cheap to clone (clones share their turns).
#[derive(Clone)]
pub struct Ingest {
    store: Store,
    /// The nodes' source addresses (`delivery.source_ips`); each sending
    /// domain's own are added.
    source_ips: Vec<IpAddr>,
    limits: Limits,
    turns: Arc<Semaphore>,
}

impl Ingest {
    pub fn new(store: Store, source_ips: Vec<IpAddr>, limits: Limits) -> Self {
        Self { store, source_ips, limits, turns: Arc::new(Semaphore::new(IMPORTS_AT_ONCE)) }
    }

    /// Imports every report in `bytes` (a file, an archive or a message).
    /// Returns (file, outcome) for each: every part that cannot be taken
    /// out, read or kept is a failure of its own, kept with its reason, and
    /// never stops the others. What arrived is kept once, as it arrived
    /// (compressed), with the first failure. Only a database that cannot
    /// even keep a failure is an error.
    pub async fn import(&self, name: &str, bytes: &[u8], via: &str) -> Result<Vec<(String, Outcome)>, StoreError> {
        let _turn = self.turns.acquire().await.map_err(|_| StoreError::Refused("the importer is closed".into()))?;
        let parts = reports::unpack(name, bytes, self.limits);
        let mut ours: Vec<IpAddr> = self.source_ips.clone();
        let domains = self.store.sending_domains().await?;
        ours.extend(domains.iter().flat_map(|d| d.source_ips.iter().map(|n| n.addr())));
        let mut raw = Some(bytes);
        let mut outcomes = Vec::with_capacity(parts.len());
        for part in parts {
            let (file, kept) = match part {
                Err((file, reason)) => (file, Err(reason.to_string())),
                Ok(reports::File { name: file, bytes: content, notes }) => {
                    let kept = match reports::parse(&content) {
                        Ok(Report::Dmarc(mut report)) => {
                            report.assumed.splice(0..0, notes);
                            if report.begin == 0 && report.end == 0 {
                                // No date_range: the day before it arrived.
                                let today = Utc::now().timestamp().div_euclid(86_400) * 86_400;
                                (report.begin, report.end) = (today - 86_400, today - 1);
                                report
                                    .assumed
                                    .push("no date_range: the day before the report arrived is assumed".into());
                            }
                            self.keep_dmarc(&report, &ours, &domains, via).await
                        }
                        Ok(Report::Tls(report)) => self.keep_tls(&report, via).await,
                        Err(reason) => Ok(Outcome::Failed(reason.to_string())),
                    };
                    match kept {
                        Ok(Outcome::Failed(reason)) => (file, Err(reason)),
                        Ok(outcome) => (file, Ok(outcome)),
                        // The database is away: the sender is told to try
                        // again (what was imported stays, and comes again
                        // as a duplicate).
                        Err(e @ StoreError::Database(_)) => return Err(e),
                        Err(e) => (file, Err(format!("could not be kept: {e}"))),
                    }
                }
            };
            let file = reports::clean_text(&file, 200);
            let outcome = match kept {
                Ok(outcome) => outcome,
                Err(reason) => {
                    let reason = reports::clean_text(&reason, 1000);
                    let arrived = raw.take().unwrap_or_default();
                    if !self.store.keep_report_failure(&file, &reason, via, arrived).await? {
                        tracing::warn!(file, "a failed report's bytes are not kept: the space for them is full");
                    }
                    Outcome::Failed(reason)
                }
            };
            outcomes.push((file, outcome));
        }
        Ok(outcomes)
    }

    async fn keep_dmarc(
        &self,
        report: &Aggregate,
        ours: &[IpAddr],
        domains: &[store::SendingDomain],
        via: &str,
    ) -> Result<Outcome, StoreError> {
        let when = |t: i64| DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default();
        let mut skipped = report.skipped.clone();
        skipped.extend(report.assumed.iter().cloned());
        let mut spans = report.days();
        let records = report.records.len().max(1);
        if records.saturating_mul(spans.len()) > MAX_ROWS {
            let coarse = reports::coarsen(&spans, MAX_ROWS / records);
            skipped.push(format!(
                "the report covers {} days: its {} records are counted in {} periods of up to {} days, \
                 each on its first day, to keep at most {MAX_ROWS} rows",
                spans.len(),
                report.records.len(),
                coarse.len(),
                spans.len().div_ceil(coarse.len().max(1))
            ));
            spans = coarse;
        }
        let p = &report.policy;
        let new = NewDmarcReport {
            org_name: &report.org_name,
            report_id: &report.report_id,
            email: &report.email,
            domain: &report.domain,
            begin: when(report.begin),
            end: when(report.end),
            policy: serde_json::json!({ "p": p.p, "sp": p.sp, "pct": p.pct, "adkim": p.adkim, "aspf": p.aspf }),
            via,
            skipped: &skipped,
        };
        let kind = "DMARC";
        let Some(mut writer) = self.store.begin_dmarc_report(&new).await? else {
            return Ok(Outcome::Duplicate { kind, org: report.org_name.clone(), report_id: report.report_id.clone() });
        };
        let mut batch = Vec::with_capacity(ROW_BATCH);
        let mut alerts = Vec::new();
        for row in &report.records {
            let Some(ip) = row.source_ip else { continue };
            let (class, why) = classify(row, &report.domain, ours.contains(&ip));
            let alert = match class {
                Class::Spoofing if row.count >= SPOOFING_ALERT => Some("Spoofing source"),
                Class::Misconfigured if ours.contains(&ip) => Some("Own source failing"),
                _ => None,
            };
            // One alert per kind and report, naming up to 5 new sources.
            if let Some(what) = alert
                && alerts.iter().filter(|(w, _)| *w == what).count() < 5
                && !self.store.dmarc_source_seen(&report.domain, ip, class.as_str()).await?
            {
                alerts.push((what, format!("{ip} sent {} messages as {}: {why}", row.count, report.domain)));
            }
            let details = serde_json::json!({
                "dkim": row.dkim_results,
                "spf": row.spf_results,
                "reasons": row.reasons,
            });
            for (day, count) in reports::share(row.count, &spans) {
                batch.push(NewDmarcRow {
                    day,
                    source_ip: ip,
                    count,
                    disposition: row.disposition.clone(),
                    dkim_aligned: row.dkim == "pass",
                    spf_aligned: row.spf == "pass",
                    header_from: row.header_from.clone(),
                    envelope_from: row.envelope_from.clone(),
                    details: details.clone(),
                    class: class.as_str(),
                    why: why.clone(),
                });
                if batch.len() >= ROW_BATCH {
                    writer.rows(&batch).await?;
                    batch.clear();
                }
            }
        }
        if !batch.is_empty() {
            writer.rows(&batch).await?;
        }
        writer.finish().await?;
        let sending = domains.iter().find(|d| d.domain.eq_ignore_ascii_case(&report.domain));
        for what in ["Spoofing source", "Own source failing"] {
            let lines: Vec<&str> = alerts.iter().filter(|(w, _)| *w == what).map(|(_, d)| d.as_str()).collect();
            if lines.is_empty() {
                continue;
            }
            let detail = lines.join("; ");
            tracing::warn!(domain = report.domain, what, detail, "DMARC report alert");
            if let Some(d) = sending {
                let key = if what == "Spoofing source" { "alert-dmarc-spoofing" } else { "alert-dmarc-own-failing" };
                let mail: Vec<AlertMail> = i18n::Language::ALL
                    .into_iter()
                    .map(|lang| AlertMail {
                        language: lang.code().into(),
                        subject: lang.t2("alert-dmarc-subject", "what", lang.t(key), "domain", &d.domain),
                        text: format!("{}\n", lines.join("\n")),
                    })
                    .collect();
                self.store.raise_alert(d.id, what, &detail, &mail).await?;
            }
        }
        Ok(Outcome::Imported {
            kind,
            org: report.org_name.clone(),
            report_id: report.report_id.clone(),
            domain: report.domain.clone(),
            rows: report.records.len(),
            skipped: report.skipped.len(),
            assumed: report.assumed.clone(),
        })
    }

    async fn keep_tls(&self, report: &reports::TlsReport, via: &str) -> Result<Outcome, StoreError> {
        let policies: Vec<(String, String, i64, i64, serde_json::Value)> = report
            .policies
            .iter()
            .map(|p| {
                let details = serde_json::json!(p.failure_details);
                (p.policy_type.clone(), p.domain.clone(), p.successes, p.failures, details)
            })
            .collect();
        let kind = "TLS";
        let kept = self
            .store
            .insert_tls_report(&report.org_name, &report.report_id, report.begin, report.end, via, &policies)
            .await?;
        let domain = report.policies.first().map(|p| p.domain.clone()).unwrap_or_default();
        Ok(match kept {
            None => Outcome::Duplicate { kind, org: report.org_name.clone(), report_id: report.report_id.clone() },
            Some(_) => Outcome::Imported {
                kind,
                org: report.org_name.clone(),
                report_id: report.report_id.clone(),
                domain,
                rows: report.policies.len(),
                skipped: 0,
                assumed: report.assumed.clone(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(dkim: &str, spf: &str) -> Row {
        Row { source_ip: "203.0.113.5".parse().ok(), count: 1, dkim: dkim.into(), spf: spf.into(), ..Row::default() }
    }

    #[test]
    fn rows_are_classified_by_who_sent_and_what_passed() {
        let d = "shop.example";
        assert_eq!(classify(&row("pass", "pass"), d, true).0, Class::Normal);
        assert_eq!(classify(&row("fail", "pass"), d, true).0, Class::Misconfigured);
        assert_eq!(classify(&row("pass", "fail"), d, false).0, Class::Forwarded);
        let mut listed = row("fail", "fail");
        listed.reasons.push(("mailing_list".into(), String::new()));
        assert_eq!(classify(&listed, d, false).0, Class::Forwarded);
        let mut arc = row("fail", "fail");
        arc.reasons.push(("local_policy".into(), "arc=pass as[1].d=lists.example".into()));
        assert_eq!(classify(&arc, d, false).0, Class::Forwarded);
        let mut esp = row("fail", "fail");
        esp.dkim_results.push(("esp.example".into(), "s1".into(), "pass".into()));
        let (class, why) = classify(&esp, d, false);
        assert_eq!(class, Class::Misconfigured);
        assert!(why.contains("esp.example"), "{why}");
        assert_eq!(classify(&row("fail", "fail"), d, false).0, Class::Spoofing);
    }
}

//! Checks a sending domain's DNS as receivers will see it, through the
//! project's resolver, and says exactly what is wrong: the DKIM record of
//! each active key, SPF of the bounce subdomain for each source address,
//! DMARC, and the forward-confirmed PTR of each source address. A lookup
//! that fails is "could not check", never "fail".

use std::net::IpAddr;

use domain::KeyStatus;
use mail_auth::Parameters;
use mail_auth::spf::verify::SpfParameters;
use store::Store;

use i18n::Language;

use crate::dns::{Dns, LookupError};
use crate::{Setup, say, spf_record};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// Works, but deserves attention (DMARC at p=none).
    Warn,
    Fail,
    /// The lookup itself failed: nothing is known.
    Unknown,
}

impl Status {
    /// `ok`, `warn`, `fail` or `unknown` (page classes and the API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "ok",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Unknown => "unknown",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// What was checked: "DKIM r202611", "SPF 203.0.113.5", "DMARC", "PTR 203.0.113.5".
    pub what: String,
    pub status: Status,
    pub detail: String,
}

impl Check {
    fn new(what: impl Into<String>, status: Status, detail: impl Into<String>) -> Self {
        Self { what: what.into(), status, detail: detail.into() }
    }
}

/// The value of tag `name` in a `tag=value; …` record, spaces removed.
fn tag(record: &str, name: &str) -> Option<String> {
    record.split(';').find_map(|part| {
        let (key, value) = part.split_once('=')?;
        (key.trim() == name).then(|| value.chars().filter(|c| !c.is_whitespace()).collect())
    })
}

/// Every check for `domain` sending from `ips`, set up around ninsho as
/// `setup` says, in `lang`. What is stored and compared (the watch, its
/// alerts) is checked in English: a check is known by its `what`.
pub async fn check_domain(
    store: &Store,
    dns: &Dns,
    domain: &str,
    setup: &Setup,
    ips: &[IpAddr],
    lang: Language,
) -> Result<Vec<Check>, store::StoreError> {
    let domain =
        domain::ascii_domain(domain.trim()).unwrap_or_else(|| domain.trim().trim_end_matches('.').to_ascii_lowercase());
    let mut checks = Vec::new();
    let keys = store.published_dkim_keys(&domain).await?;
    if !keys.iter().any(|k| k.status == KeyStatus::Active) {
        checks.push(Check::new("DKIM", Status::Fail, lang.t1("dns-check-no-key", "domain", &domain)));
    }
    for key in &keys {
        let mut check = dkim(dns, &domain, &key.selector, &key.dns_record, lang).await;
        let state = match key.status {
            KeyStatus::Active => None,
            KeyStatus::Pending => Some("dns-check-key-pending"),
            KeyStatus::Retiring => Some("dns-check-key-retiring"),
            KeyStatus::Retired => Some("dns-check-key-retired"),
        };
        if let Some(state) = state {
            check.what = lang.t1(state, "what", &check.what);
        }
        if key.status == KeyStatus::Pending && check.status == Status::Fail {
            check.status = Status::Warn;
            check.detail = lang.t1("dns-check-waiting", "detail", &check.detail);
        }
        checks.push(check);
    }
    let bounce = setup.bounce_domain(&domain);
    match &setup.relay {
        Some(relay) => checks.extend(spf_for_relay(dns, &bounce, relay, lang).await),
        None => checks.extend(spf(dns, &bounce, ips, lang).await),
    }
    checks.push(bounce_mx(dns, &bounce, &setup.inbound_host, lang).await);
    checks.extend(dmarc(dns, &domain, &setup.report_address(&domain), lang).await);
    match &setup.relay {
        Some(relay) => {
            checks.push(Check::new("PTR", Status::Pass, lang.t1("dns-check-ptr-relay", "host", &relay.host)))
        }
        None => {
            for &ip in ips {
                checks.push(ptr(dns, ip, setup.ptr_names.get(&ip).map(String::as_str), lang).await);
            }
        }
    }
    if let Some((chain, _)) = store.domain_smime(&domain).await? {
        checks.push(smime(&chain, lang));
    }
    Ok(checks)
}

/// The S/MIME certificate: a warning 30 days before it ends, a failure
/// once it has (the domain watch then raises an alert).
fn smime(chain: &str, lang: Language) -> Check {
    let what = lang.t("dns-check-smime");
    match message::smime::days_left(chain) {
        Err(e) => Check::new(what, Status::Fail, lang.t1("dns-check-smime-unreadable", "error", e)),
        Ok((days, until)) if days < 0 => {
            Check::new(what, Status::Fail, lang.t1("dns-check-smime-expired", "until", until))
        }
        Ok((days, until)) if days < 30 => {
            Check::new(what, Status::Warn, lang.t2("dns-check-smime-ending", "until", until, "days", days))
        }
        Ok((_, until)) => Check::new(what, Status::Pass, lang.t1("dns-check-smime-valid", "until", until)),
    }
}

/// "could not check: …" in `lang`.
fn could_not(lang: Language, error: impl std::fmt::Display) -> String {
    lang.t1("dns-check-could-not", "error", error)
}

/// What the domain's DNS holds now that a suggested record builds on: the
/// PTR name of each address (or `mail.<domain>` to choose when it has
/// none) and the current SPF record of the bounce subdomain.
pub async fn published(
    dns: &Dns,
    domain: &str,
    setup: &Setup,
    ips: &[IpAddr],
) -> (Vec<(IpAddr, String)>, Option<String>) {
    let mut ptrs = Vec::new();
    for &ip in ips {
        let name = match setup.ptr_names.get(&ip) {
            Some(expected) => expected.clone(),
            None => dns.ptr(ip).await.ok().flatten().unwrap_or_else(|| format!("mail.{domain}")),
        };
        ptrs.push((ip, name));
    }
    let spf = dns
        .txt(&setup.bounce_domain(domain))
        .await
        .ok()
        .and_then(|records| records.into_iter().find(|r| r.to_ascii_lowercase().starts_with("v=spf1")));
    (ptrs, spf)
}

pub(crate) async fn dkim(dns: &Dns, domain: &str, selector: &str, stored: &str, lang: Language) -> Check {
    let what = format!("DKIM {selector}");
    let name = format!("{selector}._domainkey.{domain}");
    let records = match dns.txt(&name).await {
        Ok(r) => r,
        Err(e) => return Check::new(what, Status::Unknown, could_not(lang, e)),
    };
    let keys: Vec<&String> = records.iter().filter(|r| tag(r, "p").is_some()).collect();
    match keys.as_slice() {
        [] => Check::new(what, Status::Fail, lang.t1("dns-check-dkim-missing", "name", &name)),
        [one] if tag(one, "p") == tag(stored, "p") => {
            Check::new(what, Status::Pass, lang.t1("dns-check-dkim-ok", "name", &name))
        }
        [_] => Check::new(what, Status::Fail, lang.t1("dns-check-dkim-mismatch", "name", &name)),
        _ => Check::new(what, Status::Fail, lang.t2("dns-check-dkim-several", "name", &name, "n", keys.len())),
    }
}

async fn spf(dns: &Dns, bounce: &str, ips: &[IpAddr], lang: Language) -> Vec<Check> {
    let records = match dns.txt(bounce).await {
        Ok(r) => r,
        Err(e) => return vec![Check::new("SPF", Status::Unknown, could_not(lang, e))],
    };
    let spf: Vec<&String> = records.iter().filter(|r| r.to_ascii_lowercase().starts_with("v=spf1")).collect();
    if spf.is_empty() {
        let record = spf_record(None, ips);
        return vec![Check::new(
            "SPF",
            Status::Fail,
            lang.t2("dns-check-spf-missing", "domain", bounce, "record", record),
        )];
    }
    if spf.len() > 1 {
        let detail = lang.t2("dns-check-spf-several", "domain", bounce, "n", spf.len());
        return vec![Check::new("SPF", Status::Fail, detail)];
    }
    let mut checks = vec![spf_lookups(dns, spf[0], lang).await];
    for &ip in ips {
        let sender = format!("postmaster@{bounce}");
        let output = dns
            .authenticator()
            .verify_spf(Parameters::new(SpfParameters::verify_mail_from(ip, bounce, bounce, &sender)))
            .await;
        let what = format!("SPF {ip}");
        let check = match output.result() {
            mail_auth::SpfResult::Pass => {
                Check::new(what, Status::Pass, lang.t2("dns-check-spf-ok", "domain", bounce, "ip", ip))
            }
            mail_auth::SpfResult::TempError => {
                Check::new(what, Status::Unknown, could_not(lang, lang.t("dns-check-lookup-failed")))
            }
            mail_auth::SpfResult::PermError => {
                Check::new(what, Status::Fail, lang.t1("dns-check-spf-permerror", "domain", bounce))
            }
            other => Check::new(
                what,
                Status::Fail,
                say(
                    lang,
                    "dns-check-spf-not-covered",
                    &[
                        ("domain", &bounce),
                        ("ip", &ip),
                        ("result", &format!("{other:?}")),
                        ("record", &spf_record(Some(spf[0]), ips)),
                    ],
                ),
            ),
        };
        checks.push(check);
    }
    checks
}

/// Behind a relay: the bounce subdomain's SPF must name the relay (its
/// include, or its host's addresses), within the lookup limit.
async fn spf_for_relay(dns: &Dns, bounce: &str, relay: &crate::RelaySetup, lang: Language) -> Vec<Check> {
    let records = match dns.txt(bounce).await {
        Ok(r) => r,
        Err(e) => return vec![Check::new("SPF", Status::Unknown, could_not(lang, e))],
    };
    let spf: Vec<&String> = records.iter().filter(|r| r.to_ascii_lowercase().starts_with("v=spf1")).collect();
    let term = relay.spf_term();
    let wanted = crate::spf_with(spf.first().map(|s| s.as_str()), std::slice::from_ref(&term));
    match spf.as_slice() {
        [] => {
            vec![Check::new("SPF", Status::Fail, lang.t2("dns-check-spf-missing", "domain", bounce, "record", wanted))]
        }
        [one] if one.split_whitespace().any(|t| t.trim_start_matches('+').eq_ignore_ascii_case(&term)) => {
            let named = lang.t2("dns-check-spf-relay-ok", "domain", bounce, "term", &term);
            vec![spf_lookups(dns, one, lang).await, Check::new("SPF", Status::Pass, named)]
        }
        [_] => {
            let args: [(&str, &dyn std::fmt::Display); 4] =
                [("domain", &bounce), ("term", &term), ("host", &relay.host), ("record", &wanted)];
            vec![Check::new("SPF", Status::Fail, say(lang, "dns-check-spf-relay-missing", &args))]
        }
        _ => vec![Check::new("SPF", Status::Fail, lang.t2("dns-check-spf-several", "domain", bounce, "n", spf.len()))],
    }
}

/// The DMARC record, and whether its aggregate reports come to ninsho.
async fn dmarc(dns: &Dns, domain: &str, report_address: &str, lang: Language) -> Vec<Check> {
    use mail_auth::common::parse::TxtRecordParser;
    let name = format!("_dmarc.{domain}");
    let records = match dns.txt(&name).await {
        Ok(r) => r,
        Err(e) => return vec![Check::new("DMARC", Status::Unknown, could_not(lang, e))],
    };
    let dmarc: Vec<&String> = records.iter().filter(|r| r.starts_with("v=DMARC1")).collect();
    let start = format!("v=DMARC1; p=none; rua=mailto:{report_address}");
    let record = match dmarc.as_slice() {
        [] => {
            let detail = lang.t2("dns-check-dmarc-missing", "name", &name, "record", start);
            return vec![Check::new("DMARC", Status::Fail, detail)];
        }
        [one] => match mail_auth::dmarc::Dmarc::parse(one.as_bytes()) {
            Err(e) => {
                let detail = lang.t2("dns-check-dmarc-syntax", "name", &name, "error", e);
                return vec![Check::new("DMARC", Status::Fail, detail)];
            }
            Ok(record) => record,
        },
        _ => {
            let detail = lang.t2("dns-check-dmarc-several", "name", &name, "n", dmarc.len());
            return vec![Check::new("DMARC", Status::Fail, detail)];
        }
    };
    let policy = if record.p == mail_auth::dmarc::Policy::None {
        Check::new("DMARC", Status::Warn, lang.t("dns-check-dmarc-none"))
    } else {
        Check::new("DMARC", Status::Pass, lang.t1("dns-check-dmarc-enforced", "name", &name))
    };
    let to_us = record.rua().iter().any(|uri| uri.uri().eq_ignore_ascii_case(report_address));
    let what = lang.t("dns-check-dmarc-reports");
    let reports = if to_us {
        Check::new(what, Status::Pass, lang.t1("dns-check-reports-ok", "address", report_address))
    } else {
        let args: [(&str, &dyn std::fmt::Display); 3] =
            [("address", &report_address), ("name", &name), ("domain", &domain)];
        Check::new(what, Status::Warn, say(lang, "dns-check-reports-elsewhere", &args))
    };
    vec![policy, reports]
}

/// The bounce subdomain's MX: bounces and reports must reach ninsho.
async fn bounce_mx(dns: &Dns, bounce: &str, inbound_host: &str, lang: Language) -> Check {
    let what = format!("MX {bounce}");
    let inbound = inbound_host.trim_end_matches('.');
    match dns.route(bounce).await {
        Ok(hosts) if inbound.is_empty() => {
            Check::new(what, Status::Pass, lang.t1("dns-check-mx-unknown-host", "hosts", hosts.join(", ")))
        }
        Ok(hosts) if hosts.iter().any(|h| h.eq_ignore_ascii_case(inbound)) => {
            Check::new(what, Status::Pass, lang.t1("dns-check-mx-ok", "host", inbound))
        }
        Ok(hosts) => Check::new(
            what,
            Status::Warn,
            lang.t2("dns-check-mx-elsewhere", "hosts", hosts.join(", "), "host", inbound),
        ),
        Err(crate::dns::RouteError::Temporary { reason, .. }) => {
            Check::new(what, Status::Unknown, could_not(lang, reason))
        }
        Err(_) => {
            let host = if inbound.is_empty() { lang.t("dns-check-inbound-host") } else { inbound.to_owned() };
            Check::new(what, Status::Fail, lang.t2("dns-check-mx-missing", "domain", bounce, "host", host))
        }
    }
}

/// SPF allows 10 DNS lookups (include, a, mx, ptr, exists, redirect),
/// counted through every include; more is a permerror everywhere.
async fn spf_lookups(dns: &Dns, record: &str, lang: Language) -> Check {
    let what = lang.t("dns-check-spf-lookups");
    match count_lookups(dns, record.to_owned(), 0).await {
        Err(e) => Check::new(what, Status::Unknown, could_not(lang, e)),
        Ok(n) if n > 10 => Check::new(what, Status::Fail, lang.t1("dns-check-lookups-over", "n", n)),
        Ok(n) if n >= 8 => Check::new(what, Status::Warn, lang.t1("dns-check-lookups-near", "n", n)),
        Ok(n) => Check::new(what, Status::Pass, lang.t1("dns-check-lookups-ok", "n", n)),
    }
}

fn count_lookups(
    dns: &Dns,
    record: String,
    depth: u32,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<u32, LookupError>> + Send + '_>> {
    Box::pin(async move {
        let mut n = 0;
        for term in record.split_whitespace().skip(1) {
            let term = term.trim_start_matches(['+', '-', '~', '?']).to_ascii_lowercase();
            let (name, target) = term.split_once([':', '=']).map_or((term.as_str(), None), |(a, b)| (a, Some(b)));
            match (name.split('/').next().unwrap_or_default(), target) {
                ("include" | "redirect", Some(target)) => {
                    n += 1;
                    if depth < 10 {
                        let records = dns.txt(target).await?;
                        if let Some(next) = records.into_iter().find(|r| r.to_ascii_lowercase().starts_with("v=spf1")) {
                            n += count_lookups(dns, next, depth + 1).await?;
                        }
                    }
                }
                ("a" | "mx" | "ptr" | "exists", _) => n += 1,
                _ => {}
            }
        }
        Ok(n)
    })
}

/// The PTR of a source address: present, resolving back to it, and the
/// name the configuration expects when it names one.
async fn ptr(dns: &Dns, ip: IpAddr, expected: Option<&str>, lang: Language) -> Check {
    let what = format!("PTR {ip}");
    let name = match dns.ptr(ip).await {
        Ok(Some(name)) => name,
        Ok(None) => return Check::new(what, Status::Fail, lang.t1("dns-check-ptr-missing", "ip", ip)),
        Err(e) => return Check::new(what, Status::Unknown, could_not(lang, e)),
    };
    if let Some(expected) = expected.map(|e| e.trim_end_matches('.')).filter(|e| !e.eq_ignore_ascii_case(&name)) {
        let args: [(&str, &dyn std::fmt::Display); 3] = [("ip", &ip), ("name", &name), ("expected", &expected)];
        return Check::new(what, Status::Fail, say(lang, "dns-check-ptr-unexpected", &args));
    }
    match dns.addresses(&name).await {
        Ok(addresses) if addresses.contains(&ip) => {
            Check::new(what, Status::Pass, lang.t2("dns-check-ptr-ok", "name", &name, "ip", ip))
        }
        Ok(_) => Check::new(what, Status::Fail, lang.t2("dns-check-ptr-unconfirmed", "ip", ip, "name", &name)),
        Err(e) => Check::new(what, Status::Unknown, could_not(lang, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::tag;

    #[test]
    fn tags_are_read_without_spaces() {
        let record = "v=DKIM1; k=rsa; p=MIIB IjAN\tBgkq";
        assert_eq!(tag(record, "p").as_deref(), Some("MIIBIjANBgkq"));
        assert_eq!(tag(record, "k").as_deref(), Some("rsa"));
        assert_eq!(tag(record, "x"), None);
    }
}

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

use crate::dns::{Dns, LookupError};
use crate::{Setup, spf_record};

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
/// `setup` says.
pub async fn check_domain(
    store: &Store,
    dns: &Dns,
    domain: &str,
    setup: &Setup,
    ips: &[IpAddr],
) -> Result<Vec<Check>, store::StoreError> {
    let domain =
        domain::ascii_domain(domain.trim()).unwrap_or_else(|| domain.trim().trim_end_matches('.').to_ascii_lowercase());
    let mut checks = Vec::new();
    let keys = store.published_dkim_keys(&domain).await?;
    if !keys.iter().any(|k| k.status == KeyStatus::Active) {
        checks.push(Check::new(
            "DKIM",
            Status::Fail,
            format!("{domain} has no DKIM key: `ninsho domain add {domain}`"),
        ));
    }
    for key in &keys {
        let mut check = dkim(dns, &domain, &key.selector, &key.dns_record).await;
        if key.status != KeyStatus::Active {
            check.what = format!("{} ({})", check.what, key.status);
        }
        if key.status == KeyStatus::Pending && check.status == Status::Fail {
            check.status = Status::Warn;
            check.detail = format!("waiting for its record: {}", check.detail);
        }
        checks.push(check);
    }
    let bounce = setup.bounce_domain(&domain);
    checks.extend(spf(dns, &bounce, ips).await);
    checks.push(bounce_mx(dns, &bounce, &setup.inbound_host).await);
    checks.extend(dmarc(dns, &domain, &setup.report_address(&domain)).await);
    for &ip in ips {
        checks.push(ptr(dns, ip, setup.ptr_names.get(&ip).map(String::as_str)).await);
    }
    if let Some((chain, _)) = store.domain_smime(&domain).await? {
        checks.push(smime(&chain));
    }
    Ok(checks)
}

/// The S/MIME certificate: a warning 30 days before it ends, a failure
/// once it has (the domain watch then raises an alert).
fn smime(chain: &str) -> Check {
    let what = "S/MIME certificate";
    match message::smime::days_left(chain) {
        Err(e) => Check::new(what, Status::Fail, format!("the stored certificate cannot be read: {e}")),
        Ok((days, until)) if days < 0 => Check::new(
            what,
            Status::Fail,
            format!(
                "expired {until}: mail is signed with an expired certificate; upload a new one on the domains page"
            ),
        ),
        Ok((days, until)) if days < 30 => {
            Check::new(what, Status::Warn, format!("ends {until}, in {days} days: upload its successor"))
        }
        Ok((_, until)) => Check::new(what, Status::Pass, format!("valid until {until}")),
    }
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

pub(crate) async fn dkim(dns: &Dns, domain: &str, selector: &str, stored: &str) -> Check {
    let what = format!("DKIM {selector}");
    let name = format!("{selector}._domainkey.{domain}");
    let records = match dns.txt(&name).await {
        Ok(r) => r,
        Err(e) => return Check::new(what, Status::Unknown, format!("could not check: {e}")),
    };
    let keys: Vec<&String> = records.iter().filter(|r| tag(r, "p").is_some()).collect();
    match keys.as_slice() {
        [] => Check::new(
            what,
            Status::Fail,
            format!("no DKIM record at {name}: publish the one `ninsho domain list` prints"),
        ),
        [one] if tag(one, "p") == tag(stored, "p") => Check::new(what, Status::Pass, format!("{name} has the key")),
        [_] => Check::new(what, Status::Fail, format!("the DKIM key at {name} does not match the stored key")),
        _ => Check::new(what, Status::Fail, format!("{name} has {} DKIM records; keep only one", keys.len())),
    }
}

async fn spf(dns: &Dns, bounce: &str, ips: &[IpAddr]) -> Vec<Check> {
    let records = match dns.txt(bounce).await {
        Ok(r) => r,
        Err(e) => return vec![Check::new("SPF", Status::Unknown, format!("could not check: {e}"))],
    };
    let spf: Vec<&String> = records.iter().filter(|r| r.to_ascii_lowercase().starts_with("v=spf1")).collect();
    if spf.is_empty() {
        let record = spf_record(None, ips);
        return vec![Check::new("SPF", Status::Fail, format!("no SPF record at {bounce}; publish \"{record}\""))];
    }
    if spf.len() > 1 {
        let detail = format!("{bounce} has {} SPF records; receivers treat that as an error (merge them)", spf.len());
        return vec![Check::new("SPF", Status::Fail, detail)];
    }
    let mut checks = vec![spf_lookups(dns, spf[0]).await];
    for &ip in ips {
        let sender = format!("postmaster@{bounce}");
        let output = dns
            .authenticator()
            .verify_spf(Parameters::new(SpfParameters::verify_mail_from(ip, bounce, bounce, &sender)))
            .await;
        let what = format!("SPF {ip}");
        let check = match output.result() {
            mail_auth::SpfResult::Pass => Check::new(what, Status::Pass, format!("{bounce} allows {ip}")),
            mail_auth::SpfResult::TempError => {
                Check::new(what, Status::Unknown, "could not check: a DNS lookup failed")
            }
            mail_auth::SpfResult::PermError => Check::new(
                what,
                Status::Fail,
                format!("the SPF record of {bounce} is broken (permerror: a syntax error or more than 10 lookups)"),
            ),
            other => Check::new(
                what,
                Status::Fail,
                format!(
                    "SPF of {bounce} does not cover {ip} (result: {other:?}); publish, in place of the current record, \"{}\"",
                    spf_record(Some(spf[0]), ips)
                ),
            ),
        };
        checks.push(check);
    }
    checks
}

/// The DMARC record, and whether its aggregate reports come to ninsho.
async fn dmarc(dns: &Dns, domain: &str, report_address: &str) -> Vec<Check> {
    use mail_auth::common::parse::TxtRecordParser;
    let name = format!("_dmarc.{domain}");
    let records = match dns.txt(&name).await {
        Ok(r) => r,
        Err(e) => return vec![Check::new("DMARC", Status::Unknown, format!("could not check: {e}"))],
    };
    let dmarc: Vec<&String> = records.iter().filter(|r| r.starts_with("v=DMARC1")).collect();
    let start = format!("v=DMARC1; p=none; rua=mailto:{report_address}");
    let record = match dmarc.as_slice() {
        [] => {
            return vec![Check::new(
                "DMARC",
                Status::Fail,
                format!("no DMARC record at {name}; start with \"{start}\""),
            )];
        }
        [one] => match mail_auth::dmarc::Dmarc::parse(one.as_bytes()) {
            Err(e) => {
                let detail = format!("the DMARC record at {name} has a syntax error: {e}");
                return vec![Check::new("DMARC", Status::Fail, detail)];
            }
            Ok(record) => record,
        },
        _ => {
            let detail = format!("{name} has {} DMARC records; keep only one", dmarc.len());
            return vec![Check::new("DMARC", Status::Fail, detail)];
        }
    };
    let policy = if record.p == mail_auth::dmarc::Policy::None {
        Check::new(
            "DMARC",
            Status::Warn,
            "p=none: reports only; move to quarantine, then reject, once reports show all mail aligned",
        )
    } else {
        Check::new("DMARC", Status::Pass, format!("{name} is enforced"))
    };
    let to_us = record.rua().iter().any(|uri| uri.uri().eq_ignore_ascii_case(report_address));
    let reports = if to_us {
        Check::new("DMARC reports", Status::Pass, format!("aggregate reports come to {report_address}"))
    } else {
        Check::new(
            "DMARC reports",
            Status::Warn,
            format!("add rua=mailto:{report_address} to {name} so ninsho can analyse who sends as {domain}"),
        )
    };
    vec![policy, reports]
}

/// The bounce subdomain's MX: bounces and reports must reach ninsho.
async fn bounce_mx(dns: &Dns, bounce: &str, inbound_host: &str) -> Check {
    let what = format!("MX {bounce}");
    let inbound = inbound_host.trim_end_matches('.');
    match dns.route(bounce).await {
        Ok(hosts) if inbound.is_empty() => Check::new(
            what,
            Status::Pass,
            format!("bounces go to {} (set delivery.inbound_host to check it is ninsho)", hosts.join(", ")),
        ),
        Ok(hosts) if hosts.iter().any(|h| h.eq_ignore_ascii_case(inbound)) => {
            Check::new(what, Status::Pass, format!("bounces come back to {inbound}"))
        }
        Ok(hosts) => Check::new(
            what,
            Status::Warn,
            format!("bounces go to {}, not to ninsho's inbound host {inbound}", hosts.join(", ")),
        ),
        Err(crate::dns::RouteError::Temporary { reason, .. }) => {
            Check::new(what, Status::Unknown, format!("could not check: {reason}"))
        }
        Err(_) => {
            let host = if inbound.is_empty() { "<ninsho's inbound host>" } else { inbound };
            Check::new(
                what,
                Status::Fail,
                format!("bounces to {bounce} cannot be delivered; publish \"{bounce}. MX 10 {host}.\""),
            )
        }
    }
}

/// SPF allows 10 DNS lookups (include, a, mx, ptr, exists, redirect),
/// counted through every include; more is a permerror everywhere.
async fn spf_lookups(dns: &Dns, record: &str) -> Check {
    match count_lookups(dns, record.to_owned(), 0).await {
        Err(e) => Check::new("SPF lookups", Status::Unknown, format!("could not check: {e}")),
        Ok(n) if n > 10 => Check::new(
            "SPF lookups",
            Status::Fail,
            format!("{n} DNS lookups; SPF allows 10 (permerror): flatten includes"),
        ),
        Ok(n) if n >= 8 => Check::new(
            "SPF lookups",
            Status::Warn,
            format!("{n} of the 10 DNS lookups SPF allows; one more include and SPF breaks"),
        ),
        Ok(n) => Check::new("SPF lookups", Status::Pass, format!("{n} of the 10 DNS lookups SPF allows")),
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
async fn ptr(dns: &Dns, ip: IpAddr, expected: Option<&str>) -> Check {
    let what = format!("PTR {ip}");
    let name = match dns.ptr(ip).await {
        Ok(Some(name)) => name,
        Ok(None) => {
            return Check::new(what, Status::Fail, format!("{ip} has no PTR record; receivers refuse such mail"));
        }
        Err(e) => return Check::new(what, Status::Unknown, format!("could not check: {e}")),
    };
    if let Some(expected) = expected.map(|e| e.trim_end_matches('.')).filter(|e| !e.eq_ignore_ascii_case(&name)) {
        return Check::new(
            what,
            Status::Fail,
            format!(
                "the PTR of {ip} is {name}, not {expected} (delivery.ptr_names): the EHLO name and reputation follow the PTR"
            ),
        );
    }
    match dns.addresses(&name).await {
        Ok(addresses) if addresses.contains(&ip) => {
            Check::new(what, Status::Pass, format!("{name}, which resolves back to {ip} (the EHLO name)"))
        }
        Ok(_) => Check::new(what, Status::Fail, format!("the PTR name of {ip}, {name}, does not resolve back to it")),
        Err(e) => Check::new(what, Status::Unknown, format!("could not check: {e}")),
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

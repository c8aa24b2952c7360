//! Checks a sending domain's DNS as receivers will see it, through the
//! project's resolver, and says exactly what is wrong: the DKIM record of
//! each active key, SPF of the bounce subdomain for each source address,
//! DMARC, and the forward-confirmed PTR of each source address. A lookup
//! that fails is "could not check", never "fail".

use std::net::IpAddr;

use mail_auth::Parameters;
use mail_auth::spf::verify::SpfParameters;
use store::Store;

use crate::dns::Dns;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    /// Works, but deserves attention (DMARC at p=none).
    Warn,
    Fail,
    /// The lookup itself failed: nothing is known.
    Unknown,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Every check for `domain` sending from `ips`, its envelope sender on
/// `<bounce_subdomain>.<domain>`.
pub async fn check_domain(
    store: &Store,
    dns: &Dns,
    domain: &str,
    bounce_subdomain: &str,
    ips: &[IpAddr],
) -> Result<Vec<Check>, store::StoreError> {
    let domain =
        domain::ascii_domain(domain.trim()).unwrap_or_else(|| domain.trim().trim_end_matches('.').to_ascii_lowercase());
    let mut checks = Vec::new();
    let keys = store.active_dkim_keys(&domain).await?;
    if keys.is_empty() {
        checks.push(Check::new(
            "DKIM",
            Status::Fail,
            format!("{domain} has no DKIM key: `ninsho domain add {domain}`"),
        ));
    }
    for key in &keys {
        checks.push(dkim(dns, &domain, &key.selector, &key.dns_record).await);
    }
    let bounce = format!("{bounce_subdomain}.{domain}");
    checks.extend(spf(dns, &bounce, ips).await);
    checks.push(dmarc(dns, &domain).await);
    for &ip in ips {
        checks.push(ptr(dns, ip).await);
    }
    Ok(checks)
}

async fn dkim(dns: &Dns, domain: &str, selector: &str, stored: &str) -> Check {
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
        let ips: Vec<String> = ips.iter().map(|ip| format!("ip{}:{ip}", if ip.is_ipv4() { 4 } else { 6 })).collect();
        let record = format!("v=spf1 {} -all", ips.join(" "));
        return vec![Check::new("SPF", Status::Fail, format!("no SPF record at {bounce}; publish \"{record}\""))];
    }
    if spf.len() > 1 {
        let detail = format!("{bounce} has {} SPF records; receivers treat that as an error (merge them)", spf.len());
        return vec![Check::new("SPF", Status::Fail, detail)];
    }
    let mut checks = Vec::new();
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
            other => Check::new(what, Status::Fail, format!("SPF of {bounce} does not cover {ip} (result: {other:?})")),
        };
        checks.push(check);
    }
    checks
}

async fn dmarc(dns: &Dns, domain: &str) -> Check {
    use mail_auth::common::parse::TxtRecordParser;
    let name = format!("_dmarc.{domain}");
    let records = match dns.txt(&name).await {
        Ok(r) => r,
        Err(e) => return Check::new("DMARC", Status::Unknown, format!("could not check: {e}")),
    };
    let dmarc: Vec<&String> = records.iter().filter(|r| r.starts_with("v=DMARC1")).collect();
    match dmarc.as_slice() {
        [] => Check::new("DMARC", Status::Fail, format!("no DMARC record at {name}; start with \"v=DMARC1; p=none\"")),
        [one] => match mail_auth::dmarc::Dmarc::parse(one.as_bytes()) {
            Err(e) => Check::new("DMARC", Status::Fail, format!("the DMARC record at {name} has a syntax error: {e}")),
            Ok(record) if record.p == mail_auth::dmarc::Policy::None => Check::new(
                "DMARC",
                Status::Warn,
                "p=none: reports only; move to quarantine, then reject, once reports show all mail aligned",
            ),
            Ok(_) => Check::new("DMARC", Status::Pass, format!("{name} is enforced")),
        },
        _ => Check::new("DMARC", Status::Fail, format!("{name} has {} DMARC records; keep only one", dmarc.len())),
    }
}

async fn ptr(dns: &Dns, ip: IpAddr) -> Check {
    let what = format!("PTR {ip}");
    let name = match dns.ptr(ip).await {
        Ok(Some(name)) => name,
        Ok(None) => {
            return Check::new(what, Status::Fail, format!("{ip} has no PTR record; receivers refuse such mail"));
        }
        Err(e) => return Check::new(what, Status::Unknown, format!("could not check: {e}")),
    };
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

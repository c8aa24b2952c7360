//! The sending identity of a domain, everything that makes mail from it
//! authenticated: its DKIM keys (generated here, stored sealed under the
//! server key, turned back into a signer when mail is built), the DNS as
//! receivers see it ([`dns`]), the checks of that DNS ([`doctor`]), the
//! periodic watch and key rotation ([`watch`]) and the deliverability score
//! of a real message ([`score`]). The web changes identities through this
//! crate; the engine reads them to sign.

pub mod dns;
pub mod doctor;
pub mod score;
pub mod watch;

use chrono::{Datelike, Utc};
use domain::KeyStatus;
/// The language checks, records and findings are said in.
pub use i18n::Language;
use message::SecretKey;
use message::dkim::{self, Signer};
use store::{NewDkimKey, SendingDomain, Store, StoreError};

/// What the private keys are sealed for (part of the encryption key).
const SEAL_PURPOSE: &str = "dkim-private-key";

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Key(#[from] dkim::DkimError),
    #[error("{0:?} is not a domain name")]
    BadDomain(String),
    #[error("{0} is not a sending domain (add it with `ninsho domain add {0}`)")]
    NotSending(String),
    #[error("{0} has a rotation in progress (key {1} waits for its DNS record)")]
    Pending(String, String),
    #[error("the stored DKIM key of {0} cannot be opened with this server's secret key")]
    Sealed(String),
    #[error("S/MIME: {0}")]
    Smime(String),
}

/// A record to publish: (name, TXT value).
pub type DnsRecord = (String, String);

/// The message `key` in `lang`, each argument shown as it displays (numbers
/// as they are, never grouped).
pub(crate) fn say(lang: i18n::Language, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let args: Vec<(&str, i18n::Arg)> =
        args.iter().map(|(name, value)| (*name, i18n::Arg::Text(value.to_string()))).collect();
    lang.t_with(key, &args)
}

/// Keys just made: (algorithm, selector, key pair).
type Made = Vec<(String, String, dkim::GeneratedKey)>;

/// The private keys of `made`, sealed under the server key.
fn seal(key: &SecretKey, made: &Made) -> Vec<Vec<u8>> {
    made.iter().map(|(_, _, g)| key.seal(SEAL_PURPOSE, &g.private_pkcs8)).collect()
}

/// `made` as the store takes it, with its sealed private keys.
fn new_keys<'a>(made: &'a Made, sealed: &'a [Vec<u8>]) -> Vec<NewDkimKey<'a>> {
    made.iter()
        .zip(sealed)
        .map(|((algorithm, selector, g), sealed)| NewDkimKey {
            algorithm,
            selector,
            sealed_private_key: sealed,
            dns_record: &g.dns_record,
        })
        .collect()
}

/// The TXT records to publish for `made`.
fn records_of(made: &Made, domain: &str) -> Vec<DnsRecord> {
    made.iter().map(|(_, selector, g)| (format!("{selector}._domainkey.{domain}"), g.dns_record.clone())).collect()
}

/// Adds a sending domain with a new RSA-2048 key (and an Ed25519 one when
/// asked), with dated selectors; returns the DNS records to publish.
pub async fn add_domain(
    store: &Store,
    key: &SecretKey,
    domain: &str,
    ed25519: bool,
) -> Result<(SendingDomain, Vec<DnsRecord>), IdentityError> {
    let domain = domain::ascii_domain(domain.trim()).ok_or_else(|| IdentityError::BadDomain(domain.trim().into()))?;
    let month = Utc::now();
    let month = format!("{}{:02}", month.year(), month.month());
    let mut made: Made = vec![("rsa-sha256".into(), format!("r{month}"), dkim::generate_rsa()?)];
    if ed25519 {
        made.push(("ed25519-sha256".into(), format!("e{month}"), dkim::generate_ed25519()?));
    }
    let sealed = seal(key, &made);
    let added = store.add_sending_domain(&domain, &new_keys(&made, &sealed)).await?;
    let records = records_of(&made, &domain);
    Ok((added, records))
}

/// Starts a key rotation: new keys (the algorithms the domain signs with
/// now) under new dated selectors, `pending` until the watch sees their
/// records in DNS; then they sign and the old keys retire after a grace
/// period. Returns the records to publish.
pub async fn rotate(store: &Store, key: &SecretKey, domain: &str) -> Result<Vec<DnsRecord>, IdentityError> {
    let domain = domain::ascii_domain(domain.trim()).ok_or_else(|| IdentityError::BadDomain(domain.trim().into()))?;
    let published = store.published_dkim_keys(&domain).await?;
    if published.is_empty() {
        return Err(IdentityError::NotSending(domain));
    }
    if let Some(pending) = published.iter().find(|k| k.status == KeyStatus::Pending) {
        return Err(IdentityError::Pending(domain, pending.selector.clone()));
    }
    let day = Utc::now().format("%Y%m%d").to_string();
    let taken: Vec<&str> = published.iter().map(|k| k.selector.as_str()).collect();
    let mut made: Made = Vec::new();
    for active in published.iter().filter(|k| k.status == KeyStatus::Active) {
        let prefix = if active.algorithm == "rsa-sha256" { "r" } else { "e" };
        let selector = (1..)
            .map(|n| if n == 1 { format!("{prefix}{day}") } else { format!("{prefix}{day}-{n}") })
            .find(|s| !taken.contains(&s.as_str()) && s != &active.selector)
            .unwrap_or_default();
        let pair = if active.algorithm == "rsa-sha256" { dkim::generate_rsa()? } else { dkim::generate_ed25519()? };
        made.push((active.algorithm.clone(), selector, pair));
    }
    let sealed = seal(key, &made);
    store.add_pending_keys(&domain, &new_keys(&made, &sealed)).await.map_err(|e| match e {
        StoreError::Conflict(_) => IdentityError::Pending(domain.clone(), String::new()),
        e => e.into(),
    })?;
    Ok(records_of(&made, &domain))
}

/// The signer of a domain's active keys; None when the domain has none.
pub async fn signer(store: &Store, key: &SecretKey, domain: &str) -> Result<Option<Signer>, IdentityError> {
    let keys = store.active_dkim_keys(domain).await?;
    let open =
        |k: &store::DkimKey| key.open(SEAL_PURPOSE, &k.private_key).ok_or_else(|| IdentityError::Sealed(domain.into()));
    let Some(rsa) = keys.iter().find(|k| k.algorithm == "rsa-sha256") else { return Ok(None) };
    let rsa_der = open(rsa)?;
    let ed = match keys.iter().find(|k| k.algorithm == "ed25519-sha256") {
        Some(k) => Some((k.selector.as_str(), open(k)?)),
        None => None,
    };
    let ed = ed.as_ref().map(|(selector, der)| (*selector, der.as_slice()));
    let signer = Signer::new(domain, (&rsa.selector, &rsa_der), ed)?;
    let Some((certs, sealed)) = store.domain_smime(domain).await? else { return Ok(Some(signer)) };
    let key_der = key.open(SMIME_PURPOSE, &sealed).ok_or_else(|| IdentityError::Sealed(domain.into()))?;
    let smime = message::smime::Signer::from_stored(&certs, &key_der)
        .map_err(|e| IdentityError::Smime(format!("{domain}: {e}")))?;
    Ok(Some(signer.with_smime(smime)))
}

/// What a domain's S/MIME key is sealed as.
pub const SMIME_PURPOSE: &str = "smime-key";

/// Makes `domain` S/MIME-sign its mail with `smime` (checked valid now);
/// returns what the certificate says about itself.
pub async fn set_smime(
    store: &Store,
    key: &SecretKey,
    domain: &str,
    smime: &message::smime::Signer,
) -> Result<message::smime::Identity, IdentityError> {
    smime.check_validity().map_err(|e| IdentityError::Smime(e.to_string()))?;
    let identity = smime.identity();
    let (certs, key_der) = smime.to_stored().map_err(|e| IdentityError::Smime(e.to_string()))?;
    let sealed = key.seal(SMIME_PURPOSE, &key_der);
    if !store.set_domain_smime(domain, &certs, &sealed, &identity.subject, &identity.not_after).await? {
        return Err(IdentityError::Smime(format!("{domain} is not a sending domain")));
    }
    Ok(identity)
}

/// How sending domains are set up around ninsho: where bounces come back
/// and where receivers send their reports.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Envelope senders are `b-…@<bounce_subdomain>.<domain>`.
    pub bounce_subdomain: String,
    /// Where DMARC aggregate and TLS reports go; None: `reports@` the
    /// bounce subdomain, which is in the domain's own organisation and so
    /// needs no authorisation record.
    pub report_address: Option<String>,
    /// The host that takes bounces and reports (ninsho's inbound role): the
    /// MX of the bounce subdomain. Empty: not known (`delivery.inbound_host`).
    pub inbound_host: String,
    /// The PTR name each source address should have, where one is set.
    pub ptr_names: std::collections::BTreeMap<std::net::IpAddr, String>,
    /// Mail leaves through a relay (`delivery.relay`): SPF must cover the
    /// relay, and PTR and HELO are the relay's business.
    pub relay: Option<RelaySetup>,
}

/// The relay mail leaves through, as the DNS checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelaySetup {
    pub host: String,
    /// What SPF must include for it (`include:_spf.example.net`); None:
    /// the relay host's addresses (`a:smtp.example.net`).
    pub spf_include: Option<String>,
}

impl RelaySetup {
    /// The SPF term that covers the relay.
    pub fn spf_term(&self) -> String {
        self.spf_include.clone().unwrap_or_else(|| format!("a:{}", self.host))
    }
}

impl Setup {
    pub fn bounce_domain(&self, domain: &str) -> String {
        format!("{}.{domain}", self.bounce_subdomain)
    }

    pub fn report_address(&self, domain: &str) -> String {
        self.report_address.clone().unwrap_or_else(|| format!("reports@{}", self.bounce_domain(domain)))
    }
}

/// One DNS record to publish, with what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub purpose: String,
    pub name: String,
    pub kind: &'static str,
    pub value: String,
    /// Worth having, not needed to send.
    pub optional: bool,
    /// The record of a new key that signs once its record is seen (a
    /// rotation in progress).
    pub pending: bool,
}

impl Record {
    fn new(purpose: impl Into<String>, name: String, kind: &'static str, value: String) -> Self {
        Self { purpose: purpose.into(), name, kind, value, optional: false, pending: false }
    }

    fn optional(self) -> Self {
        Self { optional: true, ..self }
    }

    /// The record in zone-file form.
    pub fn zone_line(&self) -> String {
        match self.kind {
            "TXT" => zone_line(&self.name, &self.value),
            kind => format!("{}. 3600 IN {kind} {}", self.name, self.value),
        }
    }
}

/// What the DNS of a sending domain should hold, in zone-file terms:
/// each DKIM key, SPF of the bounce subdomain (merged into `existing_spf`
/// when there is one), its MX, DMARC with reports to ninsho, the PTR of
/// each source address (`ptrs`: the address and its name, current or to
/// choose), and the optional TLS-RPT, MTA-STS and BIMI records. Each
/// purpose is said in `lang`.
pub fn records(
    domain: &str,
    keys: &[store::DkimKey],
    setup: &Setup,
    ptrs: &[(std::net::IpAddr, String)],
    existing_spf: Option<&str>,
    lang: i18n::Language,
) -> Vec<Record> {
    let bounce = setup.bounce_domain(domain);
    let reports = setup.report_address(domain);
    let mut out: Vec<Record> = keys
        .iter()
        .map(|k| {
            let key = match k.status {
                KeyStatus::Pending => "dns-record-dkim-pending",
                KeyStatus::Retiring => "dns-record-dkim-retiring",
                _ => "dns-record-dkim",
            };
            let purpose = lang.t2(key, "selector", &k.selector, "algorithm", &k.algorithm);
            let record =
                Record::new(purpose, format!("{}._domainkey.{domain}", k.selector), "TXT", k.dns_record.clone());
            Record { pending: k.status == KeyStatus::Pending, ..record }
        })
        .collect();
    let ips: Vec<std::net::IpAddr> = ptrs.iter().map(|(ip, _)| *ip).collect();
    let spf_purpose = if existing_spf.is_some() { "dns-record-spf-merged" } else { "dns-record-spf" };
    let spf = match &setup.relay {
        Some(relay) => spf_with(existing_spf, &[relay.spf_term()]),
        None => spf_record(existing_spf, &ips),
    };
    out.push(Record::new(lang.t(spf_purpose), bounce.clone(), "TXT", spf));
    let (inbound, purpose) = match setup.inbound_host.trim_end_matches('.') {
        "" => (format!("mail.{domain}"), "dns-record-mx-unknown"),
        host => (host.to_owned(), "dns-record-mx"),
    };
    out.push(Record::new(lang.t(purpose), bounce.clone(), "MX", format!("10 {inbound}.")));
    out.push(Record::new(
        lang.t("dns-record-dmarc"),
        format!("_dmarc.{domain}"),
        "TXT",
        format!("v=DMARC1; p=none; rua=mailto:{reports}; adkim=r; aspf=r"),
    ));
    // Behind a relay, the addresses mail leaves from are the relay's.
    for (ip, name) in ptrs.iter().filter(|_| setup.relay.is_none()) {
        let reverse = match ip {
            std::net::IpAddr::V4(v4) => {
                let o = v4.octets();
                format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
            }
            std::net::IpAddr::V6(v6) => {
                let nibbles: Vec<String> =
                    v6.octets().iter().rev().flat_map(|b| [b & 0xf, b >> 4]).map(|n| format!("{n:x}")).collect();
                format!("{}.ip6.arpa", nibbles.join("."))
            }
        };
        out.push(Record::new(lang.t2("dns-record-ptr", "ip", ip, "name", name), reverse, "PTR", format!("{name}.")));
    }
    out.push(
        Record::new(
            lang.t("dns-record-tls-rpt"),
            format!("_smtp._tls.{domain}"),
            "TXT",
            format!("v=TLSRPTv1; rua=mailto:{reports}"),
        )
        .optional(),
    );
    out.push(
        Record::new(
            lang.t1("dns-record-mta-sts", "domain", domain),
            format!("_mta-sts.{domain}"),
            "TXT",
            format!("v=STSv1; id={}", Utc::now().format("%Y%m%d")),
        )
        .optional(),
    );
    out.push(
        Record::new(
            lang.t("dns-record-bimi"),
            format!("default._bimi.{domain}"),
            "TXT",
            format!("v=BIMI1; l=https://{domain}/logo.svg"),
        )
        .optional(),
    );
    out
}

/// The SPF record naming `ips`: `existing` with the missing addresses
/// merged in before its `all` (or `redirect`), else a new one ending `-all`.
pub fn spf_record(existing: Option<&str>, ips: &[std::net::IpAddr]) -> String {
    let terms: Vec<String> = ips.iter().map(|ip| format!("ip{}:{ip}", if ip.is_ipv4() { 4 } else { 6 })).collect();
    spf_with(existing, &terms)
}

/// The SPF record with `wanted` terms (`ip4:…`, `include:…`): `existing`
/// with the missing ones merged in before its `all` (or `redirect`), else a
/// new one ending `-all`.
pub fn spf_with(existing: Option<&str>, wanted: &[String]) -> String {
    let Some(existing) = existing.filter(|e| e.to_ascii_lowercase().starts_with("v=spf1")) else {
        let terms: String = wanted.iter().map(|t| format!("{t} ")).collect();
        return format!("v=spf1 {terms}-all");
    };
    let mut terms: Vec<String> = existing.split_whitespace().skip(1).map(str::to_owned).collect();
    let present = |t: &str, terms: &[String]| terms.iter().any(|x| x.eq_ignore_ascii_case(t));
    let at = terms
        .iter()
        .position(|t| {
            let t = t.to_ascii_lowercase();
            t.trim_start_matches(['+', '-', '~', '?']) == "all" || t.starts_with("redirect=")
        })
        .unwrap_or(terms.len());
    let missing: Vec<String> = wanted.iter().filter(|t| !present(t, &terms)).cloned().collect();
    terms.splice(at..at, missing);
    format!("v=spf1 {}", terms.join(" "))
}

/// A TXT record in zone-file form, the value split into quoted strings of
/// at most 255 characters (a 2048-bit key does not fit in one).
pub fn zone_line(name: &str, value: &str) -> String {
    let chunks: Vec<String> =
        value.as_bytes().chunks(255).map(|c| format!("\"{}\"", String::from_utf8_lossy(c))).collect();
    format!("{name}. 3600 IN TXT ( {} )", chunks.join(" "))
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    #[test]
    fn spf_is_merged_into_an_existing_record_never_duplicated() {
        let ips: Vec<IpAddr> = vec!["203.0.113.5".parse().expect("v4"), "2001:db8::5".parse().expect("v6")];
        assert_eq!(super::spf_record(None, &ips), "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all");
        assert_eq!(
            super::spf_record(Some("v=spf1 include:_spf.example.net ~all"), &ips),
            "v=spf1 include:_spf.example.net ip4:203.0.113.5 ip6:2001:db8::5 ~all"
        );
        assert_eq!(
            super::spf_record(Some("v=spf1 ip4:203.0.113.5 redirect=_spf.example.net"), &ips[..1]),
            "v=spf1 ip4:203.0.113.5 redirect=_spf.example.net",
            "an address already there is not added twice"
        );
        assert_eq!(super::spf_record(Some("v=spf1 mx"), &ips[..1]), "v=spf1 mx ip4:203.0.113.5");
    }
    #[test]
    fn records_say_what_they_are_for_in_each_language_and_mark_a_rotation() {
        let key = |selector: &str, status| store::DkimKey {
            id: 1,
            domain_id: 1,
            algorithm: "rsa-sha256".into(),
            selector: selector.into(),
            private_key: Vec::new(),
            dns_record: "v=DKIM1; k=rsa; p=AAAA".into(),
            status,
            created_at: chrono::Utc::now(),
        };
        let keys = [key("r202611", domain::KeyStatus::Active), key("r20261201", domain::KeyStatus::Pending)];
        let setup = super::Setup {
            relay: None,
            bounce_subdomain: "bounce".into(),
            report_address: None,
            inbound_host: "mx.shop.example".into(),
            ptr_names: Default::default(),
        };
        let ptrs = [("203.0.113.5".parse::<IpAddr>().expect("v4"), "mail.shop.example".to_owned())];
        let english = super::records("shop.example", &keys, &setup, &ptrs, None, i18n::Language::English);
        let japanese = super::records("shop.example", &keys, &setup, &ptrs, None, i18n::Language::Japanese);
        assert_eq!(english[0].purpose, "DKIM key r202611 (rsa-sha256)");
        assert_eq!(english[1].purpose, "DKIM key r20261201 (rsa-sha256), published before it signs");
        assert_eq!(japanese[1].purpose, "DKIM鍵 r20261201（rsa-sha256）。署名に使われる前に登録してください");
        assert_eq!(
            english.iter().map(|r| r.pending).collect::<Vec<_>>(),
            japanese.iter().map(|r| r.pending).collect::<Vec<_>>()
        );
        assert!(!english[0].pending && english[1].pending);
        let ptr = english.iter().find(|r| r.kind == "PTR").expect("a PTR record");
        assert_eq!(
            ptr.purpose,
            "PTR of 203.0.113.5, set by whoever gives you the address; mail.shop.example must resolve back to 203.0.113.5"
        );
        for (en, ja) in english.iter().zip(&japanese) {
            assert_eq!((&en.name, en.kind, &en.value, en.optional), (&ja.name, ja.kind, &ja.value, ja.optional));
            assert_ne!(en.purpose, ja.purpose);
        }
    }

    #[test]
    fn long_records_are_split_into_255_character_strings() {
        let value = format!("v=DKIM1; k=rsa; p={}", "A".repeat(392));
        let line = super::zone_line("r202611._domainkey.shop.example", &value);
        assert!(line.starts_with("r202611._domainkey.shop.example. 3600 IN TXT ( \"v=DKIM1; k=rsa; p=AAA"));
        let strings: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        assert_eq!(strings.len(), 2);
        assert_eq!(strings[0].len(), 255);
        assert_eq!(strings.concat(), value);
    }
}

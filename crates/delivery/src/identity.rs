//! The sending identity of a domain: its DKIM keys, generated here, stored
//! sealed under the server key, and turned back into a signer when mail
//! from the domain is built.

use chrono::{Datelike, Utc};
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
    #[error("the stored DKIM key of {0} cannot be opened with this server's secret key")]
    Sealed(String),
}

/// A record to publish: (name, TXT value).
pub type DnsRecord = (String, String);

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
    let mut generated = vec![("rsa-sha256", format!("r{month}"), dkim::generate_rsa()?)];
    if ed25519 {
        generated.push(("ed25519-sha256", format!("e{month}"), dkim::generate_ed25519()?));
    }
    let sealed: Vec<Vec<u8>> = generated.iter().map(|(_, _, g)| key.seal(SEAL_PURPOSE, &g.private_pkcs8)).collect();
    let keys: Vec<NewDkimKey<'_>> = generated
        .iter()
        .zip(&sealed)
        .map(|((algorithm, selector, g), sealed)| NewDkimKey {
            algorithm,
            selector,
            sealed_private_key: sealed,
            dns_record: &g.dns_record,
        })
        .collect();
    let added = store.add_sending_domain(&domain, &keys).await?;
    let records = generated
        .iter()
        .map(|(_, selector, g)| (format!("{selector}._domainkey.{domain}"), g.dns_record.clone()))
        .collect();
    Ok((added, records))
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
    Ok(Some(Signer::new(domain, (&rsa.selector, &rsa_der), ed)?))
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

//! The envelope sender (MAIL FROM) of each message: a VERP address on the
//! bounce subdomain of the From domain, `b-<delivery>-<tag>@bounce.<domain>`.
//!
//! The subdomain aligns with the From domain for SPF and DMARC (relaxed),
//! and the local part names the delivery row, signed, so a bounce that comes
//! back maps to exactly one recipient and a forged one maps to none. Only
//! lowercase letters and digits: some servers fold the case of local parts.

use crate::SecretKey;

const PURPOSE: &str = "verp";
/// Bytes of the HMAC kept in the tag (64 bits, 16 hex digits).
const TAG_BYTES: usize = 8;

/// The bounce address of a delivery whose From domain is `domain`.
pub fn bounce_address(key: &SecretKey, delivery_id: i64, subdomain: &str, domain: &str) -> String {
    let id = format!("{delivery_id:x}");
    let tag = key.sign_hex(PURPOSE, id.as_bytes(), TAG_BYTES);
    format!("b-{id}-{tag}@{subdomain}.{domain}")
}

/// The delivery a bounce address names, when its tag is ours.
pub fn delivery_of(key: &SecretKey, address: &str) -> Option<i64> {
    let local = address.rsplit_once('@').map_or(address, |(local, _)| local).to_ascii_lowercase();
    let (id, tag) = local.strip_prefix("b-")?.split_once('-')?;
    let valid = key.verify_hex(PURPOSE, id.as_bytes(), tag, TAG_BYTES);
    if valid { i64::from_str_radix(id, 16).ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounce_address_names_its_delivery_and_only_with_our_tag() {
        let key = SecretKey::random();
        let address = bounce_address(&key, 123_456, "bounce", "news.example.com");
        assert!(address.starts_with("b-1e240-") && address.ends_with("@bounce.news.example.com"), "{address}");
        assert!(address.chars().all(|c| !c.is_ascii_uppercase()));
        assert_eq!(delivery_of(&key, &address), Some(123_456));
        assert_eq!(delivery_of(&key, &address.to_ascii_uppercase()), Some(123_456), "case-folded by a server");

        let other = SecretKey::random();
        assert_eq!(delivery_of(&other, &address), None, "another server's key");
        let forged = address.replace("b-1e240-", "b-1e241-");
        assert_eq!(delivery_of(&key, &forged), None, "another delivery with the same tag");
        for junk in ["", "b-", "b-1e240", "postmaster@bounce.news.example.com", "b-zz-00@x"] {
            assert_eq!(delivery_of(&key, junk), None, "{junk}");
        }
    }
}

//! The envelope sender (MAIL FROM) of each message: a VERP address on the
//! bounce subdomain of the From domain, `b-<delivery>-<tag>@bounce.<domain>`
//! for a campaign delivery, `t-<message>-<tag>@…` for a message of ninsho's
//! own (a confirmation, a test send).
//!
//! The subdomain aligns with the From domain for SPF and DMARC (relaxed),
//! and the local part names the delivery row, signed, so a bounce that comes
//! back maps to exactly one recipient and a forged one maps to none. Only
//! lowercase letters and digits: some servers fold the case of local parts.

use crate::SecretKey;

const PURPOSE: &str = "verp";
/// Bytes of the HMAC kept in the tag (64 bits, 16 hex digits).
const TAG_BYTES: usize = 8;

/// What a bounce address stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounced {
    /// A campaign delivery (`deliveries.id`).
    Delivery(i64),
    /// An outbox message (`outbound_messages.id`).
    Message(i64),
}

/// The bounce address of a message whose From domain is `domain`.
pub fn bounce_address(key: &SecretKey, of: Bounced, subdomain: &str, domain: &str) -> String {
    let (prefix, id) = match of {
        Bounced::Delivery(id) => ("b", id),
        Bounced::Message(id) => ("t", id),
    };
    let signed = format!("{prefix}-{id:x}");
    let tag = key.sign_hex(PURPOSE, signed.as_bytes(), TAG_BYTES);
    format!("{signed}-{tag}@{subdomain}.{domain}")
}

/// What a bounce address names, when its tag is ours.
pub fn parse(key: &SecretKey, address: &str) -> Option<Bounced> {
    let local = domain::local_part(address).to_ascii_lowercase();
    let (signed, tag) = local.rsplit_once('-')?;
    if !key.verify_hex(PURPOSE, signed.as_bytes(), tag, TAG_BYTES) {
        return None;
    }
    let (prefix, id) = signed.split_once('-')?;
    let id = i64::from_str_radix(id, 16).ok()?;
    match prefix {
        "b" => Some(Bounced::Delivery(id)),
        "t" => Some(Bounced::Message(id)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounce_address_names_its_message_and_only_with_our_tag() {
        let key = SecretKey::random();
        let address = bounce_address(&key, Bounced::Delivery(123_456), "bounce", "news.example.com");
        assert!(address.starts_with("b-1e240-") && address.ends_with("@bounce.news.example.com"), "{address}");
        assert!(address.chars().all(|c| !c.is_ascii_uppercase()));
        assert_eq!(parse(&key, &address), Some(Bounced::Delivery(123_456)));
        assert_eq!(parse(&key, &address.to_ascii_uppercase()), Some(Bounced::Delivery(123_456)), "case-folded");
        let own = bounce_address(&key, Bounced::Message(123_456), "bounce", "news.example.com");
        assert!(own.starts_with("t-1e240-"), "{own}");
        assert_eq!(parse(&key, &own), Some(Bounced::Message(123_456)));

        let other = SecretKey::random();
        assert_eq!(parse(&other, &address), None, "another server's key");
        let forged = address.replace("b-1e240-", "b-1e241-");
        assert_eq!(parse(&key, &forged), None, "another delivery with the same tag");
        let swapped = address.replacen("b-", "t-", 1);
        assert_eq!(parse(&key, &swapped), None, "a delivery's tag does not name a message");
        for junk in ["", "b-", "b-1e240", "postmaster@bounce.news.example.com", "b-zz-00@x"] {
            assert_eq!(parse(&key, junk), None, "{junk}");
        }
    }
}

use std::fmt;

/// An email address in the form ninsho stores and compares it.
///
/// Parsing trims surrounding white space, keeps the local part exactly as
/// written (RFC 5321 says only the receiving host may interpret it) and turns
/// the domain into lower-case ASCII (IDN domains become punycode), so
/// `Taro@Example.JP` and `Taro@example.jp` are the same mailbox domain-wise.
/// Case-insensitive uniqueness of the whole address is the store's business
/// (it compares `lower(address)`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmailError {
    #[error("the address is empty")]
    Empty,
    #[error("the address is longer than 254 characters")]
    TooLong,
    #[error("the address has no @")]
    MissingAt,
    #[error("the part before the @ is empty or longer than 64 characters")]
    BadLocalPart,
    #[error("the part before the @ contains a character that is not allowed: {0:?}")]
    BadLocalChar(char),
    #[error("the domain {0:?} is not a valid domain name")]
    BadDomain(String),
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(EmailError::Empty);
        }
        let (local, domain) = raw.rsplit_once('@').ok_or(EmailError::MissingAt)?;
        if local.is_empty() || local.len() > 64 {
            return Err(EmailError::BadLocalPart);
        }
        if let Some(c) = local.chars().find(|c| !is_local_char(*c)) {
            return Err(EmailError::BadLocalChar(c));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(EmailError::BadLocalChar('.'));
        }
        let domain = ascii_domain(domain).ok_or_else(|| EmailError::BadDomain(domain.into()))?;
        let address = format!("{local}@{domain}");
        if address.len() > 254 {
            return Err(EmailError::TooLong);
        }
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

/// The domain part of an address as written (after the last `@`); empty
/// when there is none. For text not parsed into an [`EmailAddress`]
/// (envelope addresses, stored From lines).
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// The local part of an address (before the last `@`); the whole text
/// when there is no `@`.
pub fn local_part(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(local, _)| local)
}

/// The address inside a mailbox written `Name <address>`, or the text
/// itself, trimmed.
pub fn bare_address(mailbox: &str) -> &str {
    mailbox.rsplit_once('<').map_or(mailbox, |(_, a)| a.trim_end_matches('>')).trim()
}

/// An address as shown to someone who may not see it: the first character
/// of the local part and the domain (`t•••@example.jp`), which is enough to
/// tell providers and typos apart.
pub fn masked(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

/// Dot-atom characters of RFC 5322 plus UTF-8 (RFC 6531). Quoted local parts
/// are refused: no mailbox provider hands them out and they break many MTAs.
fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~.".contains(c)
        || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
}

/// A domain name in its ASCII form (IDN labels in punycode, lower case, no
/// final dot), or `None` when it is not a host name (empty or long labels,
/// underscores, a single label).
pub fn ascii_domain(domain: &str) -> Option<String> {
    let ascii = idna::domain_to_ascii(domain.trim_end_matches('.')).ok()?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let valid_label = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    (labels.len() >= 2 && ascii.len() <= 253 && labels.iter().all(valid_label)).then_some(ascii)
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: Result<&str, EmailError>) {
        assert_eq!(EmailAddress::parse(raw).as_ref().map(|e| e.as_str()), expected.as_ref().map(|s| *s), "{raw:?}");
    }

    #[test]
    fn accepts_and_normalises() {
        check("  Taro@Example.JP ", Ok("Taro@example.jp"));
        check("a.b+tag@sub.example.com", Ok("a.b+tag@sub.example.com"));
        check("info@日本語.jp", Ok("info@xn--wgv71a119e.jp"));
        check("user@example.com.", Ok("user@example.com"));
    }

    #[test]
    fn refuses_with_reason() {
        check("", Err(EmailError::Empty));
        check("no-at-sign", Err(EmailError::MissingAt));
        check("@example.com", Err(EmailError::BadLocalPart));
        check("a b@example.com", Err(EmailError::BadLocalChar(' ')));
        check("a..b@example.com", Err(EmailError::BadLocalChar('.')));
        check("user@localhost", Err(EmailError::BadDomain("localhost".into())));
        check("user@-bad.com", Err(EmailError::BadDomain("-bad.com".into())));
        check(&format!("{}@example.com", "x".repeat(65)), Err(EmailError::BadLocalPart));
    }

    #[test]
    fn parts() {
        let e = EmailAddress::parse("Ops@Example.com").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.local_part(), "Ops");
        assert_eq!(e.domain(), "example.com");
    }
}

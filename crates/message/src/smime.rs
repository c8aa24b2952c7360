//! S/MIME signing (RFC 8551) of finished messages: the message's body
//! entity is signed as CMS SignedData (detached, SHA-256) by OpenSSL and
//! wrapped in `multipart/signed` next to its `smime.p7s`. Sign before DKIM:
//! the DKIM signature then covers the signed structure and both verify.
//!
//! A signing identity comes from a PEM bundle (certificate chain, leaf
//! first or anywhere, and its private key) or a PKCS#12 file with its
//! password; it is kept as the PEM chain and the key's PKCS#8 DER.

use base64::Engine as _;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::X509;

#[derive(Debug, thiserror::Error)]
pub enum SmimeError {
    #[error("no certificate was found in the file")]
    NoCertificate,
    #[error("no private key was found in the file, or it is encrypted and the password is wrong")]
    NoKey,
    #[error("none of the certificates belongs to the private key")]
    KeyMismatch,
    #[error("the PKCS#12 file cannot be opened (is the password right?): {0}")]
    Pkcs12(String),
    #[error("the certificate is not valid now (valid {0})")]
    NotValidNow(String),
    #[error("the message has no header/body separator")]
    Malformed,
    #[error("OpenSSL: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
}

/// A signing certificate, its chain and its key.
pub struct Signer {
    cert: X509,
    key: PKey<Private>,
    chain: Vec<X509>,
}

/// What a signing certificate says about itself, for the dashboard.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    /// The addresses it may sign for (rfc822Name alternative names).
    pub emails: Vec<String>,
    pub not_after: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("smime::Signer").field("subject", &self.identity().subject).finish_non_exhaustive()
    }
}

impl Signer {
    /// From a PEM bundle: certificates and one private key (PKCS#8 or
    /// traditional, encrypted with `password` or not), in any order.
    /// OpenSSL never prompts for a password: a wrong or missing one is an
    /// error.
    pub fn from_pem(pem: &[u8], password: &str) -> Result<Self, SmimeError> {
        let certs = X509::stack_from_pem(pem).map_err(|_| SmimeError::NoCertificate)?;
        let key = PKey::private_key_from_pem_callback(pem, |buffer| {
            let password = password.as_bytes();
            if password.is_empty() || password.len() > buffer.len() {
                // No password given (or an impossible one): fail, never prompt.
                return Err(openssl::error::ErrorStack::get());
            }
            buffer[..password.len()].copy_from_slice(password);
            Ok(password.len())
        })
        .map_err(|_| SmimeError::NoKey)?;
        Self::assemble(certs, key)
    }

    /// From a PKCS#12 (.p12/.pfx) file.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, SmimeError> {
        let parsed = openssl::pkcs12::Pkcs12::from_der(der)
            .and_then(|p| p.parse2(password))
            .map_err(|e| SmimeError::Pkcs12(e.to_string()))?;
        let key = parsed.pkey.ok_or(SmimeError::NoKey)?;
        let mut certs: Vec<X509> = parsed.cert.into_iter().collect();
        certs.extend(parsed.ca.map(|ca| ca.into_iter().collect::<Vec<_>>()).unwrap_or_default());
        Self::assemble(certs, key)
    }

    /// From what `to_stored` gave: the PEM chain and the key's PKCS#8 DER.
    pub fn from_stored(chain_pem: &str, key_der: &[u8]) -> Result<Self, SmimeError> {
        let certs = X509::stack_from_pem(chain_pem.as_bytes()).map_err(|_| SmimeError::NoCertificate)?;
        let key = PKey::private_key_from_der(key_der).map_err(|_| SmimeError::NoKey)?;
        Self::assemble(certs, key)
    }

    fn assemble(certs: Vec<X509>, key: PKey<Private>) -> Result<Self, SmimeError> {
        if certs.is_empty() {
            return Err(SmimeError::NoCertificate);
        }
        let mut leaf = None;
        let mut chain = Vec::new();
        for cert in certs {
            let matches = cert.public_key().is_ok_and(|public| public.public_eq(&key));
            if matches && leaf.is_none() {
                leaf = Some(cert);
            } else {
                chain.push(cert);
            }
        }
        let cert = leaf.ok_or(SmimeError::KeyMismatch)?;
        Ok(Self { cert, key, chain })
    }

    /// Refuses a certificate that has expired or is not valid yet.
    pub fn check_validity(&self) -> Result<(), SmimeError> {
        let now = openssl::asn1::Asn1Time::days_from_now(0)?;
        let (from, until) = (self.cert.not_before(), self.cert.not_after());
        if from > now || until < now {
            return Err(SmimeError::NotValidNow(format!("from {from} until {until}")));
        }
        Ok(())
    }

    pub fn identity(&self) -> Identity {
        let subject = self
            .cert
            .subject_name()
            .entries()
            .filter_map(|e| Some(format!("{}={}", e.object().nid().short_name().ok()?, e.data().to_string().ok()?)))
            .collect::<Vec<_>>()
            .join(", ");
        let emails = self
            .cert
            .subject_alt_names()
            .map(|names| names.iter().filter_map(|n| n.email().map(str::to_ascii_lowercase)).collect())
            .unwrap_or_default();
        Identity { subject, emails, not_after: self.cert.not_after().to_string() }
    }

    /// The PEM chain (signing certificate first) and the key's PKCS#8 DER,
    /// to be kept (the key sealed).
    pub fn to_stored(&self) -> Result<(String, Vec<u8>), SmimeError> {
        let mut pem = self.cert.to_pem()?;
        for cert in &self.chain {
            pem.extend(cert.to_pem()?);
        }
        let key = self.key.private_key_to_pkcs8()?;
        Ok((String::from_utf8_lossy(&pem).into_owned(), key))
    }

    /// Signs a finished message (CRLF lines): its `Content-*` fields and
    /// body become the first part of a `multipart/signed`, the signature
    /// the second; every other header field stays on top.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SmimeError> {
        let split = find(message, b"\r\n\r\n").ok_or(SmimeError::Malformed)?;
        let (head, body) = (&message[..split + 2], &message[split + 4..]);
        let mut top = Vec::with_capacity(head.len() + 256);
        let mut entity = Vec::with_capacity(message.len());
        for field in fields(head) {
            let name = field.split(|&b| b == b':').next().unwrap_or_default();
            if name.eq_ignore_ascii_case(b"MIME-Version") {
                continue;
            }
            if name.len() > 8 && name[..8].eq_ignore_ascii_case(b"Content-") {
                entity.extend_from_slice(field);
            } else {
                top.extend_from_slice(field);
            }
        }
        entity.extend_from_slice(b"\r\n");
        entity.extend_from_slice(body);

        let mut chain = Stack::new()?;
        for cert in &self.chain {
            chain.push(cert.clone())?;
        }
        let flags = CMSOptions::DETACHED | CMSOptions::BINARY;
        let signed = CmsContentInfo::sign(Some(&self.cert), Some(&self.key), Some(&chain), Some(&entity), flags)?;
        let der = signed.to_der()?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(der);

        let boundary = format!("=_smime_{}", hex(&crate::secret::random_bytes::<12>()));
        top.extend_from_slice(b"MIME-Version: 1.0\r\n");
        top.extend_from_slice(
            format!(
                "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n\
                 \tboundary=\"{boundary}\"\r\n\r\nThis is a cryptographically signed message in MIME format.\r\n\r\n--{boundary}\r\n"
            )
            .as_bytes(),
        );
        top.extend_from_slice(&entity);
        top.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
                 Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"smime.p7s\"\r\n\
                 Content-Description: S/MIME Cryptographic Signature\r\n\r\n"
            )
            .as_bytes(),
        );
        for line in encoded.as_bytes().chunks(76) {
            top.extend_from_slice(line);
            top.extend_from_slice(b"\r\n");
        }
        top.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Ok(top)
    }
}

/// Days until the signing certificate (the first of a stored PEM chain)
/// expires (negative: expired that long ago), and its end date.
pub fn days_left(chain_pem: &str) -> Result<(i32, String), SmimeError> {
    let cert = X509::from_pem(chain_pem.as_bytes()).map_err(|_| SmimeError::NoCertificate)?;
    let now = openssl::asn1::Asn1Time::days_from_now(0)?;
    let diff = now.diff(cert.not_after())?;
    Ok((diff.days, cert.not_after().to_string()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The header's fields, each with its folded continuation lines and CRLF.
fn fields(head: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < head.len() {
        let end = find(&head[at..], b"\r\n").map_or(head.len(), |i| at + i + 2);
        let next_is_continuation = head.get(end).is_some_and(|&b| b == b' ' || b == b'\t');
        if !next_is_continuation {
            out.push(&head[start..end]);
            start = end;
        }
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_their_folded_lines() {
        let head = b"From: a@b.example\r\nSubject: one\r\n two\r\nContent-Type: text/plain;\r\n\tcharset=utf-8\r\n";
        let got = fields(head);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], b"Subject: one\r\n two\r\n");
        assert_eq!(got[2], b"Content-Type: text/plain;\r\n\tcharset=utf-8\r\n");
    }

    /// A self-signed certificate valid from `from` to `until` days from now.
    fn certificate(from: i64, until: i64) -> (X509, PKey<Private>) {
        let key = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut name = openssl::x509::X509NameBuilder::new().unwrap_or_else(|e| panic!("{e}"));
        name.append_entry_by_text("CN", "news@example.jp").unwrap_or_else(|e| panic!("{e}"));
        let name = name.build();
        let mut builder = X509::builder().unwrap_or_else(|e| panic!("{e}"));
        let day = |d: i64| {
            let seconds = chrono::Utc::now().timestamp() + d * 86_400;
            openssl::asn1::Asn1Time::from_unix(seconds).unwrap_or_else(|e| panic!("{e}"))
        };
        builder.set_subject_name(&name).unwrap_or_else(|e| panic!("{e}"));
        builder.set_issuer_name(&name).unwrap_or_else(|e| panic!("{e}"));
        builder.set_pubkey(&key).unwrap_or_else(|e| panic!("{e}"));
        builder.set_not_before(&day(from)).unwrap_or_else(|e| panic!("{e}"));
        builder.set_not_after(&day(until)).unwrap_or_else(|e| panic!("{e}"));
        builder.sign(&key, openssl::hash::MessageDigest::sha256()).unwrap_or_else(|e| panic!("{e}"));
        (builder.build(), key)
    }

    #[test]
    fn validity_is_checked_and_counted_in_days() {
        let pem = |cert: &X509| String::from_utf8(cert.to_pem().unwrap_or_default()).unwrap_or_default();
        let (current, key) = certificate(-1, 10);
        let signer = Signer::assemble(vec![current.clone()], key).unwrap_or_else(|e| panic!("{e}"));
        assert!(signer.check_validity().is_ok());
        assert!(matches!(days_left(&pem(&current)), Ok((9 | 10, _))));
        let (expired, key) = certificate(-30, -2);
        let signer = Signer::assemble(vec![expired.clone()], key).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(signer.check_validity(), Err(SmimeError::NotValidNow(_))));
        assert!(matches!(days_left(&pem(&expired)), Ok((d, _)) if d < 0));
        let (future, key) = certificate(5, 50);
        let signer = Signer::assemble(vec![future], key).unwrap_or_else(|e| panic!("{e}"));
        assert!(signer.check_validity().is_err(), "not valid yet");
    }

    #[test]
    fn a_signed_message_keeps_its_header_on_top_and_its_body_inside() {
        let (cert, key) = certificate(-1, 10);
        let signer = Signer::assemble(vec![cert], key).unwrap_or_else(|e| panic!("{e}"));
        let message = b"From: news@example.jp\r\nSubject: Hi\r\nMIME-Version: 1.0\r\n\
            Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello\r\n";
        let signed = signer.sign(message).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&signed);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("From: news@example.jp\r\nSubject: Hi\r\nMIME-Version: 1.0\r\n"), "{head}");
        assert!(head.contains("multipart/signed") && !head.contains("text/plain"), "{head}");
        assert!(
            body.contains(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello\r\n"
            )
        );
        assert!(body.contains("application/pkcs7-signature"));
        assert_eq!(text.matches("MIME-Version").count(), 1);
    }

    #[test]
    fn a_bundle_without_a_matching_key_is_refused() {
        let garbage = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(Signer::from_pem(garbage, "").is_err());
        assert!(matches!(Signer::from_pkcs12(b"not pkcs12", "x"), Err(SmimeError::Pkcs12(_))));
    }
}

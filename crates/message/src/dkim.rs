//! DKIM signatures of the author's own domain (`d=` the From domain):
//! RSA-SHA256 always (what Gmail and Microsoft verify), Ed25519-SHA256 as an
//! optional second signature (RFC 8463). Relaxed/relaxed canonicalization;
//! From is signed twice (over-signed), so a From added on the way breaks the
//! signature instead of riding on it.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner, Done};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The headers every signature covers, From twice.
pub const SIGNED_HEADERS: &[&str] = &[
    "From",
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Id",
    "Feedback-ID",
];

#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    #[error("the DKIM key cannot be read: {0}")]
    Key(String),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// A private key and the DNS record that publishes its public half.
#[derive(Clone)]
pub struct GeneratedKey {
    /// PKCS#8 DER; store it encrypted, never log it.
    pub private_pkcs8: Vec<u8>,
    /// The TXT record's value: `v=DKIM1; k=rsa; p=…`.
    pub dns_record: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey").field("dns_record", &self.dns_record).finish_non_exhaustive()
    }
}

/// A new RSA-2048 key.
pub fn generate_rsa() -> Result<GeneratedKey, DkimError> {
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|e| DkimError::Key(e.to_string()))?;
    let private: aws_lc_rs::encoding::Pkcs8V1Der<'_> = pair.as_der().map_err(|e| DkimError::Key(e.to_string()))?;
    let public: aws_lc_rs::encoding::PublicKeyX509Der<'_> =
        pair.public_key().as_der().map_err(|e| DkimError::Key(e.to_string()))?;
    Ok(GeneratedKey {
        private_pkcs8: private.as_ref().to_vec(),
        dns_record: format!("v=DKIM1; k=rsa; p={}", STANDARD.encode(public.as_ref())),
    })
}

/// A new Ed25519 key.
pub fn generate_ed25519() -> Result<GeneratedKey, DkimError> {
    let pkcs8 = Ed25519Key::generate_pkcs8().map_err(|e| DkimError::Key(e.to_string()))?;
    let key = Ed25519Key::from_pkcs8_der(&pkcs8).map_err(|e| DkimError::Key(e.to_string()))?;
    Ok(GeneratedKey {
        private_pkcs8: pkcs8,
        dns_record: format!("v=DKIM1; k=ed25519; p={}", STANDARD.encode(key.public_key())),
    })
}

/// Signs messages of one domain (S/MIME first when the domain has a
/// certificate, then DKIM); shareable between threads.
pub struct Signer {
    rsa: DkimSigner<RsaKey<Sha256>, Done>,
    ed25519: Option<DkimSigner<Ed25519Key, Done>>,
    smime: Option<crate::smime::Signer>,
}

impl Signer {
    /// `rsa` and `ed25519` are (selector, PKCS#8 DER).
    pub fn new(domain: &str, rsa: (&str, &[u8]), ed25519: Option<(&str, &[u8])>) -> Result<Self, DkimError> {
        let key = RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(rsa.1)))
            .map_err(|e| DkimError::Key(e.to_string()))?;
        let rsa =
            configure(DkimSigner::from_key(key).domain(domain).selector(rsa.0).headers(SIGNED_HEADERS.iter().copied()));
        let ed25519 = match ed25519 {
            None => None,
            Some((selector, der)) => {
                let key = Ed25519Key::from_pkcs8_der(der).map_err(|e| DkimError::Key(e.to_string()))?;
                Some(configure(
                    DkimSigner::from_key(key).domain(domain).selector(selector).headers(SIGNED_HEADERS.iter().copied()),
                ))
            }
        };
        Ok(Self { rsa, ed25519, smime: None })
    }

    /// Also S/MIME-signs every message, before DKIM.
    pub fn with_smime(mut self, smime: crate::smime::Signer) -> Self {
        self.smime = Some(smime);
        self
    }

    /// The message with its DKIM-Signature header(s) in front. CPU-bound
    /// (an RSA-2048 signature costs about half a millisecond): call it off
    /// the async reactor.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, DkimError> {
        let smime_signed;
        let message = match &self.smime {
            Some(smime) => {
                smime_signed = smime.sign(message).map_err(|e| DkimError::Sign(format!("S/MIME: {e}")))?;
                smime_signed.as_slice()
            }
            None => message,
        };
        let rsa = self.rsa.sign(message).map_err(|e| DkimError::Sign(e.to_string()))?.to_header();
        let ed = match &self.ed25519 {
            Some(signer) => signer.sign(message).map_err(|e| DkimError::Sign(e.to_string()))?.to_header(),
            None => String::new(),
        };
        let mut out = Vec::with_capacity(rsa.len() + ed.len() + message.len());
        out.extend_from_slice(ed.as_bytes());
        out.extend_from_slice(rsa.as_bytes());
        out.extend_from_slice(message);
        Ok(out)
    }
}

/// What checking one DKIM-Signature gave: `d=`, `s=` and the result
/// (`pass`, or why not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub domain: String,
    pub selector: String,
    pub result: String,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.result == "pass"
    }
}

/// Checks a message's DKIM signatures as a receiver would, against the
/// given published records (`<selector>._domainkey.<domain>`, TXT value)
/// instead of DNS: how the sandbox mailbox shows that its messages verify.
pub async fn verify(message: &[u8], published: &[(String, String)]) -> Vec<Verdict> {
    use mail_auth::common::parse::TxtRecordParser;
    use mail_auth::common::verify::DomainKey;
    use mail_auth::{AuthenticatedMessage, MessageAuthenticator, Parameters, ResolverCache, Txt};

    let Some(parsed) = AuthenticatedMessage::parse(message) else { return Vec::new() };
    let records = Records::default();
    for (name, value) in published {
        if let Ok(key) = DomainKey::parse(value.as_bytes()) {
            let name = format!("{}.", name.trim_end_matches('.'));
            records.insert(name.into(), Txt::DomainKey(std::sync::Arc::new(key)), std::time::Instant::now());
        }
    }
    let Ok(authenticator) = MessageAuthenticator::new(Default::default(), Default::default()) else {
        return Vec::new();
    };
    let outputs = authenticator.verify_dkim(Parameters::new(&parsed).with_txt_cache(&records)).await;
    outputs
        .iter()
        .map(|o| Verdict {
            domain: o.signature().map(|s| s.d.clone()).unwrap_or_default(),
            selector: o.signature().map(|s| s.s.clone()).unwrap_or_default(),
            result: match o.result() {
                mail_auth::DkimResult::Pass => "pass".into(),
                other => format!("{other:?}").to_lowercase(),
            },
        })
        .collect()
}

/// Published records held in memory, answering the verifier's lookups.
#[derive(Default)]
struct Records(std::sync::Mutex<std::collections::HashMap<Box<str>, mail_auth::Txt>>);

impl mail_auth::ResolverCache<Box<str>, mail_auth::Txt> for Records {
    fn get<Q>(&self, name: &Q) -> Option<mail_auth::Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.get(name).cloned()
    }
    fn remove<Q>(&self, name: &Q) -> Option<mail_auth::Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.lock().ok()?.remove(name)
    }
    fn insert(&self, key: Box<str>, value: mail_auth::Txt, _valid_until: std::time::Instant) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(key, value);
        }
    }
}

fn configure<T: mail_auth::common::crypto::SigningKey>(signer: DkimSigner<T, Done>) -> DkimSigner<T, Done> {
    signer.header_canonicalization(Canonicalization::Relaxed).body_canonicalization(Canonicalization::Relaxed)
}

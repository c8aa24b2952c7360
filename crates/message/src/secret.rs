//! The server's secret key and the random tokens derived from or checked
//! against it. The key never leaves this module: `Debug` hides it and nothing
//! logs it.

use std::fmt;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = hmac::Hmac<Sha256>;

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect()
}

/// 32 random bytes, kept in a file (mode 0600) under the data directory.
/// The HMAC state keyed with it is kept too: every message signs dozens of
/// links, and keying costs as much as signing a short link.
#[derive(Clone)]
pub struct SecretKey([u8; 32], HmacSha256);

#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    #[error("cannot read the secret key {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot create the secret key {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    #[error("the secret key {0} is not 32 bytes long; restore it from a backup or remove it to make a new one")]
    Corrupt(PathBuf),
    #[error("the secret key {0} can be read by other users; run `chmod 600` on it")]
    Exposed(PathBuf),
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// Reads the key at `path`, creating it (0600) when absent.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretKeyError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let meta =
                    std::fs::metadata(path).map_err(|source| SecretKeyError::Read { path: path.into(), source })?;
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(SecretKeyError::Exposed(path.into()));
                }
                let key: [u8; 32] = bytes.try_into().map_err(|_| SecretKeyError::Corrupt(path.into()))?;
                Ok(Self::from_bytes(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random();
                let create = |source| SecretKeyError::Create { path: path.into(), source };
                let mut file =
                    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(create)?;
                file.write_all(&key.0).and_then(|()| file.sync_all()).map_err(create)?;
                Ok(key)
            }
            Err(source) => Err(SecretKeyError::Read { path: path.into(), source }),
        }
    }

    /// A key from known bytes (golden tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let keyed = <HmacSha256 as KeyInit>::new_from_slice(&bytes).unwrap_or_else(|_| unreachable_hmac());
        Self(bytes, keyed)
    }

    /// A fresh random key (tests, and the first start).
    pub fn random() -> Self {
        Self::from_bytes(random_bytes())
    }

    /// `HMAC(key, purpose || 0 || data)`, URL-safe base64.
    pub fn sign(&self, purpose: &str, data: &[u8]) -> String {
        let mut signature = String::with_capacity(43);
        self.sign_into(purpose, data, &mut signature);
        signature
    }

    /// [`Self::sign`], appended to `out`.
    pub fn sign_into(&self, purpose: &str, data: &[u8], out: &mut String) {
        // Into a buffer on the stack: `encode_string` goes through a chunked
        // encoder that costs as much as the HMAC.
        let mut encoded = [0u8; 43];
        let written = URL_SAFE_NO_PAD
            .encode_slice(self.mac(purpose, data).finalize().into_bytes(), &mut encoded)
            .unwrap_or_else(|e| unreachable!("32 bytes are 43 base64 characters: {e}"));
        out.push_str(std::str::from_utf8(&encoded[..written]).unwrap_or_default());
    }

    /// Constant-time check of a value made by [`Self::sign`].
    pub fn verify(&self, purpose: &str, data: &[u8], signature: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        self.mac(purpose, data).verify_slice(&bytes).is_ok()
    }

    /// The first `bytes` bytes of the HMAC in lowercase hex: for tokens that
    /// must survive case folding (e-mail local parts).
    pub fn sign_hex(&self, purpose: &str, data: &[u8], bytes: usize) -> String {
        let mac = self.mac(purpose, data).finalize().into_bytes();
        mac.iter().take(bytes).map(|b| format!("{b:02x}")).collect()
    }

    /// Constant-time check of a value made by [`Self::sign_hex`].
    pub fn verify_hex(&self, purpose: &str, data: &[u8], tag: &str, bytes: usize) -> bool {
        let Some(tag) = decode_hex(tag) else { return false };
        tag.len() == bytes && self.mac(purpose, data).verify_truncated_left(&tag).is_ok()
    }

    fn mac(&self, purpose: &str, data: &[u8]) -> HmacSha256 {
        let mut mac = self.1.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac
    }

    /// Encrypts `plaintext` for storage (AES-256-GCM under a key derived
    /// for `purpose`): a random nonce, then the ciphertext and its tag.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Vec<u8> {
        use aws_lc_rs::aead::{Aad, NONCE_LEN, Nonce};
        let key = self.aead_key(purpose);
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let mut sealed = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(purpose.as_bytes()),
            &mut sealed,
        )
        .unwrap_or_else(|_| unreachable!("AES-GCM sealing fails only for inputs over 64 GB"));
        [nonce_bytes.as_slice(), &sealed].concat()
    }

    /// Decrypts what [`Self::seal`] made for the same purpose; None if it was
    /// altered, made for another purpose or under another key.
    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        use aws_lc_rs::aead::{Aad, NONCE_LEN, Nonce};
        let (nonce, ciphertext) = (sealed.get(..NONCE_LEN)?, sealed.get(NONCE_LEN..)?);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = ciphertext.to_vec();
        let plain = self.aead_key(purpose).open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buffer).ok()?;
        Some(plain.to_vec())
    }

    fn aead_key(&self, purpose: &str) -> aws_lc_rs::aead::LessSafeKey {
        use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
        let derived = self.mac("seal", purpose.as_bytes()).finalize().into_bytes();
        let unbound = UnboundKey::new(&AES_256_GCM, &derived).unwrap_or_else(|_| unreachable!("32 bytes fit AES-256"));
        LessSafeKey::new(unbound)
    }

    /// The code that authorises creating the first admin. It is derived from
    /// the key, so it survives restarts, and it is useless once an admin exists.
    pub fn setup_token(&self) -> String {
        self.sign("setup", b"first-admin")
    }
}

/// HMAC accepts keys of any length; this cannot happen.
fn unreachable_hmac() -> HmacSha256 {
    unreachable!("HMAC-SHA256 takes keys of any length")
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS random source failing is not something a server can carry on from.
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("the operating system's random source failed: {e}"));
    bytes
}

/// A random token for cookies and links: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What the database keeps of a session or API token: its SHA-256.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new API token, shown once: `nsh_` and 32 random bytes.
pub fn new_api_token() -> String {
    format!("nsh_{}", random_token())
}

/// The form in which API tokens are stored.
pub fn api_token_hash(token: &str) -> Vec<u8> {
    token_hash(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_the_same_purpose_and_data() {
        let key = SecretKey::random();
        let sig = key.sign("csrf", b"abc");
        assert!(key.verify("csrf", b"abc", &sig));
        assert!(!key.verify("csrf", b"abd", &sig));
        assert!(!key.verify("unsubscribe", b"abc", &sig));
        assert!(!SecretKey::random().verify("csrf", b"abc", &sig));
        assert!(!key.verify("csrf", b"abc", "not base64!"));
    }

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_purpose() {
        let key = SecretKey::random();
        let sealed = key.seal("dkim", b"private key bytes");
        assert!(!sealed.windows(7).any(|w| w == b"private"), "the plaintext does not show");
        assert_eq!(key.open("dkim", &sealed).as_deref(), Some(&b"private key bytes"[..]));
        assert_eq!(key.open("other", &sealed), None);
        assert_eq!(SecretKey::random().open("dkim", &sealed), None);
        let mut altered = sealed.clone();
        altered[20] ^= 1;
        assert_eq!(key.open("dkim", &altered), None);
        assert_eq!(key.open("dkim", b"short"), None);
        assert_ne!(key.seal("dkim", b"x"), key.seal("dkim", b"x"), "a fresh nonce each time");
    }

    #[test]
    fn key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("secret.key");
        let first = SecretKey::load_or_create(&path).unwrap_or_else(|e| panic!("{e}"));
        let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        assert_eq!(mode, 0o600);
        let again = SecretKey::load_or_create(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.setup_token(), again.setup_token());

        std::fs::write(&path, b"short").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(SecretKey::load_or_create(&path), Err(SecretKeyError::Corrupt(_))));
        std::fs::write(&path, [0u8; 32]).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(SecretKey::load_or_create(&path), Err(SecretKeyError::Exposed(_))));
    }
}

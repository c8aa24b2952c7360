//! Admin passwords: the policy a new password must meet, and argon2id hashing.
//!
//! Hashing and verifying take tens of milliseconds of CPU by design, so the
//! async entry points run them on the blocking pool, off the reactor.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shorter passwords are refused whatever their strength estimate.
pub const MIN_LENGTH: usize = 12;
/// Longer ones are refused too: hashing megabytes is a denial of service.
pub const MAX_LENGTH: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("the password must have at most {MAX_LENGTH} characters")]
    TooLong,
    #[error("this password is too easy to guess{0}")]
    Weak(String),
}

/// Checks a new password. `context` holds words an attacker would try first
/// (the account's email and its parts, the product name).
pub fn check_policy(password: &str, context: &[&str]) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    let letters = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let flat = letters(password);
    for word in context {
        let local = letters(word.split('@').next().unwrap_or_default());
        if local.chars().count() >= 4 && flat.contains(&local) {
            return Err(PasswordError::Weak(": it contains the account's email address".into()));
        }
    }
    let mut inputs: Vec<&str> = context.iter().flat_map(|w| w.split(['@', '.', '-', '_', '+'])).collect();
    inputs.extend(context.iter().copied());
    inputs.extend(["ninsho", "admin", "newsletter"]);
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if (estimate.score() as u8) < 3 {
        let hint = estimate
            .feedback()
            .map(|f| {
                let mut parts: Vec<String> = f.warning().map(|w| w.to_string()).into_iter().collect();
                parts.extend(f.suggestions().iter().map(|s| s.to_string()));
                parts.join(" ")
            })
            .filter(|s| !s.is_empty())
            .map(|s| format!(": {s}"))
            .unwrap_or_else(|| ": add more unrelated words".into());
        return Err(PasswordError::Weak(hint));
    }
    Ok(())
}

fn hasher() -> Argon2<'static> {
    // OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// An argon2id PHC string for `password`.
pub fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Whether `password` matches the PHC string `hash`. A malformed hash never matches.
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// At most this many hashes are computed at once (each takes 19 MiB): a
/// burst of logins queues instead of exhausting memory.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Runs `work` on the blocking pool once a hashing permit is free.
async fn limited<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, crate::AppError> {
    let _permit = HASHING.acquire().await.map_err(crate::AppError::internal)?;
    tokio::task::spawn_blocking(work).await.map_err(|e| crate::AppError::internal(format!("hashing task failed: {e}")))
}

pub async fn hash(password: String) -> Result<String, crate::AppError> {
    limited(move || hash_blocking(&password))
        .await?
        .map_err(|e| crate::AppError::internal(format!("hashing failed: {e}")))
}

/// Whether `password` matches `hash`. Without a hash (unknown account) it is
/// checked against a dummy one, so that a wrong email takes as long as a
/// wrong password, and the answer is false.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, crate::AppError> {
    limited(move || match hash {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            let _ = verify_blocking(&password, dummy_hash());
            false
        }
    })
    .await
}

/// A valid hash of a random password, made once (on the blocking pool).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking(&crate::secret::random_token())
            .unwrap_or_else(|e| panic!("argon2 cannot hash with fixed, valid parameters: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_short_common_and_contextual_passwords() {
        assert_eq!(check_policy("short", &[]), Err(PasswordError::TooShort));
        assert_eq!(check_policy(&"x".repeat(300), &[]), Err(PasswordError::TooLong));
        for weak in ["password1234", "qwertyuiop123", "123456789012", "aaaaaaaaaaaa", "iloveyou1234"] {
            assert!(matches!(check_policy(weak, &[]), Err(PasswordError::Weak(_))), "{weak} was accepted");
        }
        assert!(
            matches!(check_policy("hanako.tanaka2024", &["hanako.tanaka@example.jp"]), Err(PasswordError::Weak(_))),
            "a password made of the account's own name was accepted"
        );
    }

    #[test]
    fn policy_accepts_a_strong_passphrase() {
        assert_eq!(check_policy("orbit cactus lantern 47 violet", &["ops@example.com"]), Ok(()));
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_blocking("orbit cactus lantern 47").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_blocking("orbit cactus lantern 47", &hash));
        assert!(!verify_blocking("orbit cactus lantern 48", &hash));
        assert!(!verify_blocking("orbit cactus lantern 47", "not a hash"));
    }
}

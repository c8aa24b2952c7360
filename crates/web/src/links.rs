//! Signed links for subscribers: confirm, unsubscribe, profile.
//!
//! A token is `<subscriber>.<list>.<expiry>.<signature>`, the signature an
//! HMAC of purpose, ids and expiry under the server key: it cannot be
//! guessed, altered (another subscriber, another list) or used for another
//! purpose.

use crate::secret::SecretKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Confirm,
    Unsubscribe,
    Profile,
}

impl Purpose {
    fn word(self) -> &'static str {
        match self {
            Self::Confirm => "link:confirm",
            Self::Unsubscribe => "link:unsubscribe",
            Self::Profile => "link:profile",
        }
    }
}

/// What a valid token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkClaims {
    pub subscriber_id: i64,
    pub list_id: i64,
    /// Unix time after which the link is no longer honoured; 0: never.
    pub expires: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    Invalid,
    Expired(LinkClaims),
}

pub fn token(key: &SecretKey, purpose: Purpose, claims: LinkClaims) -> String {
    let body = format!("{}.{}.{}", claims.subscriber_id, claims.list_id, claims.expires);
    let signature = key.sign(purpose.word(), body.as_bytes());
    format!("{body}.{signature}")
}

pub fn verify(key: &SecretKey, purpose: Purpose, token: &str, now: i64) -> Result<LinkClaims, LinkError> {
    let mut parts = token.splitn(4, '.');
    let (Some(sid), Some(lid), Some(exp), Some(signature)) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Invalid);
    };
    let body = format!("{sid}.{lid}.{exp}");
    if !key.verify(purpose.word(), body.as_bytes(), signature) {
        return Err(LinkError::Invalid);
    }
    let claims = LinkClaims {
        subscriber_id: sid.parse().map_err(|_| LinkError::Invalid)?,
        list_id: lid.parse().map_err(|_| LinkError::Invalid)?,
        expires: exp.parse().map_err(|_| LinkError::Invalid)?,
    };
    if claims.expires != 0 && claims.expires < now {
        return Err(LinkError::Expired(claims));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_purpose_subscriber_list_and_expiry() {
        let key = SecretKey::random();
        let claims = LinkClaims { subscriber_id: 7, list_id: 3, expires: 0 };
        let t = token(&key, Purpose::Unsubscribe, claims);
        assert_eq!(verify(&key, Purpose::Unsubscribe, &t, 100), Ok(claims));
        assert_eq!(verify(&key, Purpose::Profile, &t, 100), Err(LinkError::Invalid));
        assert_eq!(verify(&SecretKey::random(), Purpose::Unsubscribe, &t, 100), Err(LinkError::Invalid));
        let altered = t.replacen("7.", "8.", 1);
        assert_eq!(verify(&key, Purpose::Unsubscribe, &altered, 100), Err(LinkError::Invalid));
        assert_eq!(verify(&key, Purpose::Unsubscribe, "7.3.0", 100), Err(LinkError::Invalid));
        let expiring = LinkClaims { expires: 50, ..claims };
        let t = token(&key, Purpose::Confirm, expiring);
        assert_eq!(verify(&key, Purpose::Confirm, &t, 49), Ok(expiring));
        assert_eq!(verify(&key, Purpose::Confirm, &t, 51), Err(LinkError::Expired(expiring)));
    }
}

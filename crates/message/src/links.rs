//! Signed links for subscribers: confirm, unsubscribe, profile, and the
//! tracking links of campaigns (click, open, view in a browser).
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
    /// A change of address: `list_id` carries the change's id.
    Address,
}

impl Purpose {
    fn word(self) -> &'static str {
        match self {
            Self::Confirm => "link:confirm",
            Self::Unsubscribe => "link:unsubscribe",
            Self::Profile => "link:profile",
            Self::Address => "link:address",
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

/// The unsubscribe page (GET) and one-click endpoint (POST) of a subscriber
/// on a list.
pub fn unsubscribe_url(key: &SecretKey, public_url: &str, subscriber_id: i64, list_id: i64) -> String {
    let claims = LinkClaims { subscriber_id, list_id, expires: 0 };
    format!("{public_url}/u/{}", token(key, Purpose::Unsubscribe, claims))
}

/// The profile page of a subscriber.
pub fn profile_url(key: &SecretKey, public_url: &str, subscriber_id: i64) -> String {
    let claims = LinkClaims { subscriber_id, list_id: 0, expires: 0 };
    format!("{public_url}/p/{}", token(key, Purpose::Profile, claims))
}

/// What a campaign's tracking links carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    Click,
    Open,
    View,
}

impl Track {
    fn word(self) -> &'static str {
        match self {
            Self::Click => "track:click",
            Self::Open => "track:open",
            Self::View => "track:view",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Click => "/t/c/",
            Self::Open => "/t/o/",
            Self::View => "/t/v/",
        }
    }
}

/// A tracking link's claims. `subscriber_id` is 0 when tracking is anonymous;
/// `link` is the index of the URL in the campaign (0 for opens and views).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackClaims {
    pub campaign_id: i64,
    pub link: i64,
    pub subscriber_id: i64,
}

/// A tracking link. A message has dozens, so no `format!` here: its integer
/// formatting costs more than the signature.
pub fn track_url(key: &SecretKey, public_url: &str, kind: Track, claims: TrackClaims) -> String {
    let mut number = itoa::Buffer::new();
    let mut body = String::with_capacity(64);
    body.push_str(number.format(claims.campaign_id));
    body.push('.');
    body.push_str(number.format(claims.link));
    body.push('.');
    body.push_str(number.format(claims.subscriber_id));
    let mut url = String::with_capacity(public_url.len() + body.len() + 56);
    url.push_str(public_url);
    url.push_str(kind.path());
    url.push_str(&body);
    url.push('.');
    key.sign_into(kind.word(), body.as_bytes(), &mut url);
    url
}

/// Where a campaign's tracked links go, compose leaves a mark: the link's
/// index between the bytes `\x01` and `\x02`. Rendering puts the
/// subscriber's own signed link there while it encodes the message, rather
/// than evaluating a template expression for each of a message's dozens of
/// links. Neither byte can come from anywhere else: compose removes them
/// from what the marketer wrote, and rendering from subscribers' data.
const MARK_START: u8 = 0x01;
const MARK_END: u8 = 0x02;

/// The mark for link `index`.
pub fn mark(index: usize) -> String {
    format!("\u{1}{index}\u{2}")
}

/// The mark at the start of `bytes`, if there is one: the link's index and
/// the mark's length.
pub fn parse_mark(bytes: &[u8]) -> Option<(usize, usize)> {
    let rest = bytes.strip_prefix(&[MARK_START])?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 6 || rest.get(digits) != Some(&MARK_END) {
        return None;
    }
    let index = rest[..digits].iter().fold(0, |n, d| n * 10 + usize::from(d - b'0'));
    Some((index, digits + 2))
}

/// `text` with each mark replaced by its link (what looks like a mark of a
/// link that does not exist stays as it is).
pub fn fill_marks(text: &str, links: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + links.len() * 96);
    let mut rest = text;
    while let Some(at) = rest.find(char::from(MARK_START)) {
        out.push_str(&rest[..at]);
        match parse_mark(&rest.as_bytes()[at..]).and_then(|(index, len)| Some((links.get(index)?, len))) {
            Some((link, len)) => {
                out.push_str(link);
                rest = &rest[at + len..];
            }
            None => {
                out.push(char::from(MARK_START));
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether `text` holds a byte that marks are made of.
pub fn has_mark_bytes(text: &str) -> bool {
    text.contains([char::from(MARK_START), char::from(MARK_END)])
}

/// `text` without the bytes marks are made of.
pub fn strip_marks(text: &str) -> std::borrow::Cow<'_, str> {
    if has_mark_bytes(text) {
        text.replace([char::from(MARK_START), char::from(MARK_END)], "").into()
    } else {
        text.into()
    }
}

/// Checks the token part of a tracking URL (what follows `/t/c/`, …).
pub fn verify_track(key: &SecretKey, kind: Track, token: &str) -> Option<TrackClaims> {
    let (body, signature) = token.rsplit_once('.')?;
    if !key.verify(kind.word(), body.as_bytes(), signature) {
        return None;
    }
    let mut parts = body.split('.').map(str::parse::<i64>);
    let (Some(Ok(campaign_id)), Some(Ok(link)), Some(Ok(subscriber_id)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some(TrackClaims { campaign_id, link, subscriber_id })
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

    #[test]
    fn marks_are_found_filled_and_stripped() {
        let links = ["https://a.example/t/c/1.0.5.x".to_owned(), "https://a.example/t/c/1.1.5.y".to_owned()];
        let text = format!("a {} b {}{} c \u{1}9\u{2} d \u{1}x\u{2} \u{1}", mark(1), mark(0), mark(1));
        assert_eq!(parse_mark(mark(12).as_bytes()), Some((12, 4)));
        assert_eq!(parse_mark(b"\x011234567\x02"), None);
        assert_eq!(parse_mark(b"\x0112"), None);
        assert_eq!(
            fill_marks(&text, &links),
            format!("a {} b {}{} c \u{1}9\u{2} d \u{1}x\u{2} \u{1}", links[1], links[0], links[1])
        );
        assert_eq!(strip_marks(&text), "a 1 b 01 c 9 d x ");
        assert!(matches!(strip_marks("plain"), std::borrow::Cow::Borrowed("plain")));
    }

    #[test]
    fn tracking_links_bind_kind_campaign_link_and_subscriber() {
        let key = SecretKey::random();
        let claims = TrackClaims { campaign_id: 4, link: 2, subscriber_id: 9 };
        let url = track_url(&key, "https://n.example", Track::Click, claims);
        let token = url.strip_prefix("https://n.example/t/c/").expect("click path");
        assert_eq!(verify_track(&key, Track::Click, token), Some(claims));
        assert_eq!(verify_track(&key, Track::Open, token), None);
        assert_eq!(verify_track(&key, Track::Click, &token.replacen("4.2", "4.3", 1)), None);
        assert_eq!(verify_track(&key, Track::Click, "4.2.9"), None);
    }
}

//! A submitted message made fit to go out (RFC 6409 §8): Bcc removed,
//! DKIM signatures of our own domains removed (the engine signs again;
//! other signatures stay), Date and Message-ID added when missing, and a
//! Received line on top. The body is left as it is, byte for byte.

use chrono::{DateTime, Utc};
use mail_parser::{HeaderValue, MessageParser};

/// What `fit` needs to know.
#[derive(Debug, Clone, Copy)]
pub struct Fitting<'a> {
    /// The domains ninsho signs for: their signatures are replaced.
    pub our_domains: &'a [String],
    /// The From's domain, for a Message-ID made here.
    pub from_domain: &'a str,
    /// The Received line's value.
    pub received: &'a str,
    pub date: DateTime<Utc>,
}

/// The message as it will go, and its Message-ID (without angle brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    pub bytes: Vec<u8>,
    pub message_id: String,
}

/// The header fields of `raw` (each with its continuation lines and CRLF)
/// and where the body starts.
fn fields(raw: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut fields: Vec<&[u8]> = Vec::new();
    let mut at = 0;
    while at < raw.len() {
        let end = raw[at..].windows(2).position(|w| w == b"\r\n").map_or(raw.len(), |p| at + p + 2);
        let line = &raw[at..end];
        if line == b"\r\n" {
            return (fields, end);
        }
        let continues = matches!(line.first(), Some(b' ' | b'\t'));
        match fields.last_mut() {
            Some(last) if continues => {
                let start = last.as_ptr() as usize - raw.as_ptr() as usize;
                *last = &raw[start..end];
            }
            _ => fields.push(line),
        }
        at = end;
    }
    (fields, raw.len())
}

/// A field's name, lower-cased.
fn name(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == b':').unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).trim().to_ascii_lowercase()
}

/// A field's value, unfolded.
fn value(field: &[u8]) -> String {
    let start = field.iter().position(|&b| b == b':').map_or(field.len(), |p| p + 1);
    String::from_utf8_lossy(&field[start..]).replace("\r\n", "").trim().to_owned()
}

/// The `d=` of a DKIM-Signature value.
fn signing_domain(value: &str) -> Option<String> {
    value.split(';').find_map(|tag| {
        let (name, v) = tag.split_once('=')?;
        (name.trim() == "d").then(|| v.split_whitespace().collect::<String>().to_ascii_lowercase())
    })
}

/// The message fit to go.
pub fn fit(raw: &[u8], fitting: &Fitting<'_>) -> Fitted {
    let (found, body) = fields(raw);
    let mut out = Vec::with_capacity(raw.len() + 512);
    out.extend_from_slice(b"Received: ");
    out.extend_from_slice(clean(fitting.received).as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut message_id = None;
    let mut dated = false;
    for field in found {
        let field_name = name(field);
        match field_name.as_str() {
            "bcc" => continue,
            "dkim-signature" if signing_domain(&value(field)).is_some_and(|d| fitting.our_domains.contains(&d)) => {
                continue;
            }
            "message-id" => {
                let id = value(field).trim_start_matches('<').trim_end_matches('>').trim().to_owned();
                if !id.is_empty() && message_id.is_none() {
                    message_id = Some(id);
                }
            }
            "date" => dated = true,
            _ => {}
        }
        out.extend_from_slice(field);
    }
    if !dated {
        out.extend_from_slice(format!("Date: {}\r\n", fitting.date.to_rfc2822()).as_bytes());
    }
    let message_id = match message_id {
        Some(id) => clean(&id),
        None => {
            let random: String = message::secret::random_bytes::<12>().iter().map(|b| format!("{b:02x}")).collect();
            let id = format!("sub.{random}@{}", fitting.from_domain);
            out.extend_from_slice(format!("Message-ID: <{id}>\r\n").as_bytes());
            id
        }
    };
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&raw[body.min(raw.len())..]);
    Fitted { bytes: out, message_id }
}

/// The one address of the From header; None when there is none or more
/// than one.
pub fn from_address(raw: &[u8]) -> Option<String> {
    let message = MessageParser::default().parse_headers(raw)?;
    let from = message.from()?;
    let mut addresses = from.iter();
    let first = addresses.next()?.address()?.trim().to_owned();
    (addresses.next().is_none() && first.contains('@')).then_some(first)
}

/// The decoded subject, for the message log (one line, at most 500 characters).
pub fn subject(raw: &[u8]) -> String {
    let message = MessageParser::default().parse_headers(raw);
    let subject = message
        .as_ref()
        .and_then(|m| m.header("Subject"))
        .and_then(|h| match h {
            HeaderValue::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .unwrap_or_default();
    clean(&subject).chars().take(500).collect()
}

/// Text for a header: control characters become spaces.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A client's EHLO name for the Received line: printable ASCII, at most 100.
pub fn clean_word(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_graphic()).take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fitting<'a>(ours: &'a [String]) -> Fitting<'a> {
        Fitting {
            our_domains: ours,
            from_domain: "shop.example",
            received: "from app ([10.0.0.5]) by mx (ninsho) with ESMTPSA; now",
            date: DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn bcc_and_our_own_signatures_go_others_stay() {
        let raw = b"From: Shop <orders@shop.example>\r\nTo: a@example.jp\r\nBcc: secret@example.jp,\r\n  other@example.jp\r\n\
            DKIM-Signature: v=1; a=rsa-sha256; d=shop.example; s=old;\r\n b=abc\r\n\
            DKIM-Signature: v=1; a=rsa-sha256; d=esp.example; s=x; b=def\r\nSubject: Hi\r\n\r\nBody\r\nBcc: stays in the body\r\n";
        let ours = vec!["shop.example".to_owned()];
        let fitted = fit(raw, &fitting(&ours));
        let text = String::from_utf8_lossy(&fitted.bytes);
        assert!(text.starts_with("Received: from app ([10.0.0.5])"), "{text}");
        assert!(!text.contains("secret@example.jp") && !text.contains("other@example.jp"), "{text}");
        assert!(!text.contains("d=shop.example"), "{text}");
        assert!(text.contains("d=esp.example"), "{text}");
        assert!(text.contains("Date: "), "a Date is added: {text}");
        assert!(text.contains(&format!("Message-ID: <{}>", fitted.message_id)), "{text}");
        assert!(fitted.message_id.ends_with("@shop.example"));
        assert!(text.ends_with("\r\n\r\nBody\r\nBcc: stays in the body\r\n"), "the body is untouched: {text}");
    }

    #[test]
    fn a_message_id_and_date_that_are_there_are_kept() {
        let raw = b"From: a@shop.example\r\nDate: Mon, 1 Dec 2026 10:00:00 +0900\r\nMessage-ID: <x1@app.example>\r\n\r\nHi\r\n";
        let fitted = fit(raw, &fitting(&[]));
        let text = String::from_utf8_lossy(&fitted.bytes);
        assert_eq!(fitted.message_id, "x1@app.example");
        assert_eq!(text.matches("Date:").count(), 1, "{text}");
        assert_eq!(text.matches("Message-ID:").count(), 1, "{text}");
    }

    #[test]
    fn the_from_must_be_one_address() {
        assert_eq!(from_address(b"From: Shop <Orders@Shop.Example>\r\n\r\nx").as_deref(), Some("Orders@Shop.Example"));
        assert_eq!(from_address(b"From: a@x.example, b@y.example\r\n\r\nx"), None);
        assert_eq!(from_address(b"To: a@x.example\r\n\r\nx"), None);
        assert_eq!(subject(b"Subject: =?utf-8?B?44GU5rOo5paH?=\r\n\r\nx"), "ご注文");
    }
}

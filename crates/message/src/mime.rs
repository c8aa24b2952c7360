//! The wire form of one message: RFC 5322 headers and a
//! `multipart/alternative` body (text first, HTML last, as clients prefer
//! the last part they can show).
//!
//! mail-builder does the encodings: RFC 2047 encoded words for non-ASCII
//! subjects and names, quoted-printable or base64 bodies, so no line is ever
//! longer than 998 octets. The boundary is derived from the Message-ID, so
//! the same input always gives the same bytes.

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;
use sha2::{Digest, Sha256};

/// The headers of one message.
#[derive(Debug, Clone)]
pub struct Headers<'a> {
    pub from_name: &'a str,
    pub from_address: &'a str,
    pub reply_to: Option<&'a str>,
    pub to_name: &'a str,
    pub to_address: &'a str,
    /// Without angle brackets: `id@sending.domain`.
    pub message_id: &'a str,
    /// Unix time.
    pub date: i64,
    /// `List-Unsubscribe` targets: the signed one-click https URL and mailto.
    pub unsubscribe_https: &'a str,
    pub unsubscribe_mailto: &'a str,
    /// `List-Id`: the list's name and its identifier (`list-3.example.com`).
    pub list_name: &'a str,
    pub list_id: &'a str,
    pub feedback_id: &'a str,
}

/// Builds the message bytes (CRLF line ends).
pub fn build(headers: &Headers<'_>, subject: &str, text: &str, html: &str) -> Vec<u8> {
    let boundary = boundary(headers.message_id);
    let body = MimePart::new(
        ContentType::new("multipart/alternative").attribute("boundary", boundary),
        vec![
            MimePart::new(ContentType::new("text/plain").attribute("charset", "utf-8"), text),
            MimePart::new(ContentType::new("text/html").attribute("charset", "utf-8"), html),
        ],
    );
    let to = if headers.to_name.is_empty() {
        Address::new_address(None::<&str>, headers.to_address)
    } else {
        Address::new_address(Some(headers.to_name), headers.to_address)
    };
    let mut builder = MessageBuilder::new()
        .from((headers.from_name, headers.from_address))
        .to(to)
        .subject(subject)
        .date(Date::new(headers.date))
        .message_id(MessageId::new(headers.message_id));
    if let Some(reply_to) = headers.reply_to {
        builder = builder.reply_to(reply_to);
    }
    let unsubscribe = format!("<{}>, <{}>", headers.unsubscribe_https, headers.unsubscribe_mailto);
    let list_id = match phrase(headers.list_name) {
        Some(name) => format!("\"{name}\" <{}>", headers.list_id),
        None => format!("<{}>", headers.list_id),
    };
    let mut out = Vec::with_capacity(html.len() + text.len() + 2048);
    builder
        .header("List-Unsubscribe", Raw::new(unsubscribe))
        .header("List-Unsubscribe-Post", Raw::new("List-Unsubscribe=One-Click"))
        .header("List-Id", Raw::new(list_id))
        .header("Feedback-ID", Raw::new(headers.feedback_id))
        .body(body)
        .write_to(&mut out)
        .unwrap_or_else(|e| unreachable!("writing to a Vec cannot fail: {e}"));
    out
}

/// A list name usable as the quoted phrase of `List-Id`: printable ASCII
/// without quotes or backslashes (other names are left out; the header's
/// identifier is what filters use).
fn phrase(name: &str) -> Option<&str> {
    let ok = !name.is_empty() && name.len() <= 60 && name.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    ok.then_some(name)
}

fn boundary(message_id: &str) -> String {
    let digest = Sha256::digest(message_id.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("=_ninsho_{hex}")
}

//! The wire form of one message: RFC 5322 headers and a
//! `multipart/alternative` body (text first, HTML last, as clients prefer
//! the last part they can show).
//!
//! mail-builder writes the headers (RFC 2047 encoded words for non-ASCII
//! subjects and names), each through one function that first cleans every
//! value of control characters; the bodies are quoted-printable or base64, encoded
//! here, so no line is ever longer than 998 octets. The boundary is derived from the Message-ID, so
//! the same input always gives the same bytes.

use std::borrow::Cow;

use mail_builder::headers::Header;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use sha2::{Digest, Sha256};

use crate::jis::{self, Charset};

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
    /// The list headers of mail to a list; None for transactional mail.
    pub list: Option<ListHeaders<'a>>,
    pub feedback_id: &'a str,
    /// Headers the sender added (a transactional message's own
    /// `List-Unsubscribe`, `X-Order`…), checked by [`extra_header_name`].
    pub extra: &'a [(String, String)],
    /// UTF-8, or ISO-2022-JP: the text parts in 7bit JIS and the subject
    /// and names in ISO-2022-JP encoded words.
    pub charset: Charset,
}

/// The headers of mail sent to a list.
#[derive(Debug, Clone, Copy)]
pub struct ListHeaders<'a> {
    /// `List-Unsubscribe` targets: the signed one-click https URL and mailto.
    pub unsubscribe_https: &'a str,
    pub unsubscribe_mailto: &'a str,
    /// `List-Id`: the list's name and its identifier (`list-3.example.com`).
    pub list_name: &'a str,
    pub list_id: &'a str,
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// `application/pdf`, checked against the content by whoever takes it in.
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Headers ninsho writes itself or that would change what a receiver
/// checks: a sender may not add them.
const RESERVED_HEADERS: [&str; 16] = [
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "dkim-signature",
    "return-path",
    "received",
    "sender",
    "authentication-results",
    "arc-seal",
];

/// Why a header name a sender gave cannot be added, or None when it can:
/// a field name of printable ASCII without a colon (RFC 5322 3.6.8), at
/// most 64 long, none of the headers ninsho writes itself.
pub fn extra_header_name(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
        return Some("is not a header name (letters, digits and dashes)");
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("arc-") || lower.starts_with("content-") {
        return Some("is a header ninsho writes itself");
    }
    None
}

/// Builds the message bytes (CRLF line ends). Every header goes through
/// [`header`], which cleans its values; the two parts are encoded straight
/// into the message rather than into parts that are then copied.
/// The marks of tracked links in `text` and `html` are filled from `links`
/// ([`crate::links::mark`]).
pub fn build(headers: &Headers<'_>, subject: &str, text: &str, html: &str, links: &[String]) -> Vec<u8> {
    build_with(headers, subject, text, html, links, &[])
}

/// [`build`] with files: then a `multipart/mixed` message whose first part
/// is the text and HTML alternative and the others the files, in base64.
pub fn build_with(
    headers: &Headers<'_>,
    subject: &str,
    text: &str,
    html: &str,
    links: &[String],
    attachments: &[Attachment],
) -> Vec<u8> {
    let boundary = boundary(headers.message_id);
    // Room for the encoding (quoted-printable adds a few percent) and for the
    // links filled into both parts, so that the message is never moved.
    let links_len: usize = links.iter().map(String::len).sum();
    let mut out = Vec::with_capacity(text.len() + html.len() + (text.len() + html.len()) / 4 + 2 * links_len + 4096);
    let japanese = headers.charset == Charset::Iso2022Jp;
    let in_charset = |value| if japanese { jis_words(value) } else { value };
    header(&mut out, "From", in_charset(Value::Address(headers.from_name, headers.from_address)));
    header(&mut out, "To", in_charset(Value::Address(headers.to_name, headers.to_address)));
    header(&mut out, "Subject", in_charset(Value::Text(subject)));
    header(&mut out, "Date", Value::Date(headers.date));
    header(&mut out, "Message-ID", Value::MessageId(headers.message_id));
    if let Some(reply_to) = headers.reply_to {
        header(&mut out, "Reply-To", Value::Address("", reply_to));
    }
    if let Some(list) = headers.list {
        let unsubscribe = format!("<{}>, <{}>", list.unsubscribe_https, list.unsubscribe_mailto);
        let list_id = match phrase(list.list_name) {
            Some(name) => format!("\"{name}\" <{}>", list.list_id),
            None => format!("<{}>", list.list_id),
        };
        header(&mut out, "List-Unsubscribe", Value::Raw(&unsubscribe));
        header(&mut out, "List-Unsubscribe-Post", Value::Raw("List-Unsubscribe=One-Click"));
        header(&mut out, "List-Id", Value::Raw(&list_id));
    }
    header(&mut out, "Feedback-ID", Value::Raw(headers.feedback_id));
    for (name, value) in headers.extra.iter().filter(|(name, _)| extra_header_name(name).is_none()) {
        header(&mut out, name, Value::Text(value));
    }
    header(&mut out, "MIME-Version", Value::Raw("1.0"));
    let mixed = format!("{boundary}.m");
    if attachments.is_empty() {
        header(&mut out, "Content-Type", Value::ContentType("multipart/alternative", "boundary", &boundary));
    } else {
        header(&mut out, "Content-Type", Value::ContentType("multipart/mixed", "boundary", &mixed));
        out.extend_from_slice(b"\r\n--");
        out.extend_from_slice(mixed.as_bytes());
        out.extend_from_slice(b"\r\n");
        header(&mut out, "Content-Type", Value::ContentType("multipart/alternative", "boundary", &boundary));
    }
    out.extend_from_slice(b"\r\n");
    for (content_type, content) in [("text/plain", text), ("text/html", html)] {
        out.extend_from_slice(b"\r\n--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"\r\n");
        if japanese {
            header(&mut out, "Content-Type", Value::ContentType(content_type, "charset", "ISO-2022-JP"));
            header(&mut out, "Content-Transfer-Encoding", Value::Raw("7bit"));
            out.extend_from_slice(b"\r\n");
            let filled = crate::links::fill_marks(content, links);
            let declared;
            let content: &str = if content_type == "text/html" {
                declared = declared_jis(&filled);
                &declared
            } else {
                &filled
            };
            jis::body(content, &mut out);
            continue;
        }
        let encoding = encoding_for(content);
        header(&mut out, "Content-Type", Value::ContentType(content_type, "charset", "utf-8"));
        header(&mut out, "Content-Transfer-Encoding", Value::Raw(encoding.name()));
        out.extend_from_slice(b"\r\n");
        encoding.encode(content, links, &mut out);
    }
    out.extend_from_slice(b"\r\n--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
    if !attachments.is_empty() {
        for file in attachments {
            out.extend_from_slice(b"\r\n--");
            out.extend_from_slice(mixed.as_bytes());
            out.extend_from_slice(b"\r\n");
            attachment(&mut out, file);
        }
        out.extend_from_slice(b"\r\n--");
        out.extend_from_slice(mixed.as_bytes());
        out.extend_from_slice(b"--\r\n");
    }
    out
}

/// One file's part: its type, its name (RFC 2231 when not ASCII, through
/// mail-builder) and its content in base64 lines.
fn attachment(out: &mut Vec<u8>, file: &Attachment) {
    let name = header_text(&file.filename);
    let at = "Content-Type: ".len();
    out.extend_from_slice(b"Content-Type: ");
    ContentType::new(header_text(&file.content_type))
        .attribute("name", name.as_ref())
        .write_header(&mut *out, at)
        .unwrap_or_else(|e| unreachable!("writing to a Vec cannot fail: {e}"));
    header(out, "Content-Transfer-Encoding", Value::Raw("base64"));
    out.extend_from_slice(b"Content-Disposition: ");
    ContentType::new("attachment")
        .attribute("filename", name.as_ref())
        .write_header(&mut *out, "Content-Disposition: ".len())
        .unwrap_or_else(|e| unreachable!("writing to a Vec cannot fail: {e}"));
    out.extend_from_slice(b"\r\n");
    base64_lines(&file.content, out);
}

/// A plain-text message of ninsho's own (a double opt-in confirmation):
/// From, To, Subject, Date, Message-ID and one text part. `from` is an
/// address or `Name <address>`.
pub fn plain(from: &str, to: &str, subject: &str, text: &str, message_id: &str, date: i64) -> Vec<u8> {
    let (from_name, from_address) = match from.rsplit_once('<') {
        Some((name, address)) => (name.trim().trim_matches('"'), address.trim_end_matches('>').trim()),
        None => ("", from.trim()),
    };
    let encoding = encoding_for(text);
    let mut out = Vec::with_capacity(text.len() + text.len() / 3 + 1024);
    header(&mut out, "From", Value::Address(from_name, from_address));
    header(&mut out, "To", Value::Address("", to));
    header(&mut out, "Subject", Value::Text(subject));
    header(&mut out, "Date", Value::Date(date));
    header(&mut out, "Message-ID", Value::MessageId(message_id));
    header(&mut out, "MIME-Version", Value::Raw("1.0"));
    header(&mut out, "Content-Type", Value::ContentType("text/plain", "charset", "utf-8"));
    header(&mut out, "Content-Transfer-Encoding", Value::Raw(encoding.name()));
    out.extend_from_slice(b"\r\n");
    encoding.encode(text, &[], &mut out);
    out
}

/// A subject or a display name in ISO-2022-JP encoded words, when it is
/// not plain ASCII (which stays as it is).
fn jis_words(value: Value<'_>) -> Value<'_> {
    match value {
        Value::Text(text) if !text.is_ascii() => Value::Words(jis::encoded_words(&header_text(text)), None),
        Value::Address(name, address) if !name.is_ascii() => {
            let name = header_text(name);
            Value::Words(jis::encoded_words(cut(name.trim(), LONGEST_NAME)), Some(address))
        }
        other => other,
    }
}

/// An HTML part that says it is ISO-2022-JP: the layout's `<meta charset>`
/// must agree with the part's, or a browser reads it as UTF-8.
fn declared_jis(html: &str) -> Cow<'_, str> {
    let head = &html[..html.len().min(2048)];
    let lower = head.to_ascii_lowercase();
    for declared in ["charset=\"utf-8\"", "charset=utf-8", "charset='utf-8'"] {
        if let Some(at) = lower.find(declared) {
            let mut changed = String::with_capacity(html.len() + 8);
            changed.push_str(&html[..at]);
            changed.push_str("charset=\"iso-2022-jp\"");
            changed.push_str(&html[at + declared.len()..]);
            return Cow::Owned(changed);
        }
    }
    Cow::Borrowed(html)
}

/// What a header says, before it is written.
enum Value<'a> {
    /// Encoded words already made (ISO-2022-JP), one to a line, and the
    /// address they name, if any.
    Words(Vec<String>, Option<&'a str>),
    /// Unstructured text (a subject): RFC 2047 encoded words when not ASCII.
    Text(&'a str),
    /// A display name (may be empty) and an address.
    Address(&'a str, &'a str),
    /// Without angle brackets.
    MessageId(&'a str),
    /// Unix time.
    Date(i64),
    /// A type with one attribute: (`text/plain`, `charset`, `utf-8`).
    ContentType(&'a str, &'a str, &'a str),
    /// Written as it is, folded where it is long.
    Raw(&'a str),
}

/// Writes one header. Every header of every message ninsho writes passes
/// here, and every value in it through [`header_text`] first: whatever a
/// subscriber, a marketer or a stored row put into a name, a subject or a
/// list's name, no control character (CR and LF among them) reaches the
/// header, so none can end it early and start another.
fn header(out: &mut Vec<u8>, name: &str, value: Value<'_>) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    let at = name.len() + 2;
    let written = match value {
        Value::Text(text) => {
            let text = header_text(text);
            if text.split_ascii_whitespace().any(|word| word.len() > LONGEST_WORD) {
                // mail-builder folds plain text only at spaces.
                encoded_words(&text, out);
                Ok(0)
            } else {
                Text::new(text).write_header(&mut *out, at)
            }
        }
        Value::Address(display, address) => {
            let display = header_text(display);
            let display = cut(display.trim(), LONGEST_NAME);
            Address::new_address((!display.is_empty()).then_some(display), header_text(address))
                .write_header(&mut *out, at)
        }
        Value::MessageId(id) => MessageId::new(header_text(id)).write_header(&mut *out, at),
        Value::Date(date) => Date::new(date).write_header(&mut *out, at),
        Value::ContentType(kind, attribute, value) => ContentType::new(header_text(kind))
            .attribute(header_text(attribute), header_text(value))
            .write_header(&mut *out, at),
        Value::Raw(raw) => Raw::new(header_text(raw)).write_header(&mut *out, at),
        Value::Words(words, address) => {
            out.extend_from_slice(words.join("\r\n ").as_bytes());
            if let Some(address) = address {
                out.extend_from_slice(b"\r\n <");
                out.extend_from_slice(header_text(address).as_bytes());
                out.push(b'>');
            }
            out.extend_from_slice(b"\r\n");
            Ok(0)
        }
    };
    written.unwrap_or_else(|e| unreachable!("writing to a Vec cannot fail: {e}"));
}

/// The longest word written as it is in a text header: any longer and the
/// header is written as encoded words, so no line passes 998 octets.
const LONGEST_WORD: usize = 900;
/// Display names are cut after this many bytes (the forms take 200
/// characters): a quoted name is one word that no folding can break.
const LONGEST_NAME: usize = 600;

/// `text` as RFC 2047 encoded words (`=?utf-8?B?…?=`) of at most 39 bytes
/// (whole characters) each, one to a line.
fn encoded_words(text: &str, out: &mut Vec<u8>) {
    use base64::Engine;
    let mut rest = text;
    let mut first = true;
    while !rest.is_empty() {
        let end = cut(rest, 39).len().max(rest.chars().next().map_or(0, char::len_utf8));
        let (word, tail) = rest.split_at(end);
        if !first {
            out.extend_from_slice(b"\r\n ");
        }
        out.extend_from_slice(b"=?utf-8?B?");
        out.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(word).as_bytes());
        out.extend_from_slice(b"?=");
        first = false;
        rest = tail;
    }
    out.extend_from_slice(b"\r\n");
}

/// The longest start of `text` of at most `max` bytes that ends between characters.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `value` fit for a header: each run of control characters (C0 with CR,
/// LF and tab, DEL, C1) and of Unicode line and paragraph separators
/// becomes one space. Borrowed when there is none, as nearly always.
pub fn header_text(value: &str) -> Cow<'_, str> {
    let unfit = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
    if !value.contains(unfit) {
        return Cow::Borrowed(value);
    }
    let mut clean = String::with_capacity(value.len());
    let mut in_run = false;
    for c in value.chars() {
        if unfit(c) {
            if !in_run {
                clean.push(' ');
            }
            in_run = true;
        } else {
            clean.push(c);
            in_run = false;
        }
    }
    Cow::Owned(clean)
}

/// How a text part is encoded: quoted-printable for mostly-ASCII text,
/// base64 when most of it is not (Japanese, say), where quoted-printable
/// would triple the size. Encoded here rather than by mail-builder, whose
/// encoder is slower than the rest of rendering put together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    QuotedPrintable,
    Base64,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Self::QuotedPrintable => "quoted-printable",
            Self::Base64 => "base64",
        }
    }

    /// Encodes `content` with its link marks filled from `links`.
    fn encode(self, content: &str, links: &[String], out: &mut Vec<u8>) {
        match self {
            Self::QuotedPrintable => quoted_printable(content, links, out),
            Self::Base64 => base64_lines(crate::links::fill_marks(content, links).as_bytes(), out),
        }
    }
}

fn encoding_for(content: &str) -> Encoding {
    if non_ascii_bytes(content.as_bytes()) * 3 <= content.len() { Encoding::QuotedPrintable } else { Encoding::Base64 }
}

/// Quoted-printable (RFC 2045 6.7) of text: line breaks (LF or CRLF) become
/// CRLF, encoded lines are at most 76 characters, and a space or tab before
/// a line break is encoded. Hand-written because the crates at hand encode at
/// a fraction of the speed rendering needs (this runs once per message): runs
/// of bytes that stay as they are, found eight at a time, are copied in
/// slices, and only the bytes between them are looked at one by one.
fn quoted_printable(input: &str, links: &[String], out: &mut Vec<u8>) {
    let bytes = input.as_bytes();
    let mut out = Quoted { out, column: 0 };
    let line_ends_at = |i: usize| match bytes.get(i) {
        None | Some(b'\n') => true,
        Some(b'\r') => bytes.get(i + 1) == Some(&b'\n'),
        Some(_) => false,
    };
    let mut i = 0;
    while i < bytes.len() {
        let end = i + plain_prefix(&bytes[i..]);
        let ends_line = line_ends_at(end);
        let run = &bytes[i..end];
        match run.split_last() {
            // A space must not end a line: the last one before a break is escaped.
            Some((b' ', rest)) if ends_line => {
                out.plain(rest, false);
                out.escaped(b' ', true);
            }
            _ => out.plain(run, ends_line),
        }
        i = end;
        match bytes.get(i) {
            None => break,
            Some(b'\n') => {
                out.hard_break();
                i += 1;
            }
            Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => {
                out.hard_break();
                i += 2;
            }
            Some(b'\t') if !line_ends_at(i + 1) => {
                out.plain(b"\t", false);
                i += 1;
            }
            Some(_)
                if let Some((index, len)) = crate::links::parse_mark(&bytes[i..])
                    && let Some(link) = links.get(index) =>
            {
                // The link goes where its mark is, encoded like the text around it.
                out.text(link.as_bytes(), line_ends_at(i + len));
                i += len;
            }
            Some(&byte) => {
                out.escaped(byte, line_ends_at(i + 1));
                i += 1;
            }
        }
    }
}

/// Quoted-printable output and the column it has reached. A line holds at
/// most 75 characters and the `=` of a soft break, or 76 characters when it
/// ends there.
struct Quoted<'a> {
    out: &'a mut Vec<u8>,
    column: usize,
}

impl Quoted<'_> {
    const WIDTH: usize = 75;

    /// Bytes that stay as they are; `ends_line`: a line break follows.
    fn plain(&mut self, mut run: &[u8], ends_line: bool) {
        while !run.is_empty() {
            let room = Self::WIDTH - self.column + usize::from(ends_line && run.len() == Self::WIDTH + 1 - self.column);
            if room == 0 {
                self.soft_break();
                continue;
            }
            let take = run.len().min(room);
            self.out.extend_from_slice(&run[..take]);
            self.column += take;
            run = &run[take..];
        }
    }

    /// Text without line breaks (a link); `ends_line`: a line break follows.
    fn text(&mut self, mut text: &[u8], ends_line: bool) {
        while !text.is_empty() {
            let end = plain_prefix(text);
            self.plain(&text[..end], ends_line && end == text.len());
            if let Some(&byte) = text.get(end) {
                self.escaped(byte, ends_line && end + 1 == text.len());
                text = &text[end + 1..];
            } else {
                break;
            }
        }
    }

    /// `=XX`; `last`: the line ends after it.
    fn escaped(&mut self, byte: u8, last: bool) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        if self.column + 3 > Self::WIDTH + usize::from(last) {
            self.soft_break();
        }
        self.out.extend_from_slice(&[b'=', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]]);
        self.column += 3;
    }

    fn soft_break(&mut self) {
        self.out.extend_from_slice(b"=\r\n");
        self.column = 0;
    }

    fn hard_break(&mut self) {
        self.out.extend_from_slice(b"\r\n");
        self.column = 0;
    }
}

/// How many leading bytes quoted-printable keeps as they are: printable
/// ASCII and space, but not '='. A word of eight bytes is tested at once: a
/// byte below 0x20, from 0x7f up, or equal to '=' sets its high bit in one
/// of three masks (the classic "has less / has more / has zero" tests). A
/// carry or borrow can only mark bytes above a true hit, so the lowest mark
/// is the first byte to escape.
fn plain_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let marks = |word: &[u8]| {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let x = u64::from_le_bytes(eight);
        let below_space = x.wrapping_sub(0x20 * ONES) & !x & HIGH;
        let from_del = (x.wrapping_add(ONES) | x) & HIGH;
        let equals = (x ^ (0x3d * ONES)).wrapping_sub(ONES) & !(x ^ (0x3d * ONES)) & HIGH;
        below_space | from_del | equals
    };
    // Two words a turn, tested together: most of a mail is plain text.
    let mut pairs = bytes.chunks_exact(16);
    let mut i = 0;
    for pair in &mut pairs {
        let (low, high) = (marks(&pair[..8]), marks(&pair[8..]));
        if low | high != 0 {
            let first = if low != 0 { low.trailing_zeros() } else { 64 + high.trailing_zeros() };
            return i + first as usize / 8;
        }
        i += 16;
    }
    let rest = pairs.remainder();
    if let Some(word) = rest.get(..8) {
        let found = marks(word);
        if found != 0 {
            return i + found.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    i + bytes[i..].iter().take_while(|b| matches!(b, b' '..=b'<' | b'>'..=b'~')).count()
}

/// How many bytes are 0x80 or above. Eight bytes at a time, each byte's high
/// bit added into its own lane of a word; a lane is emptied before it could
/// pass 255.
fn non_ascii_bytes(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut count = 0;
    for block in bytes.chunks(255 * 8) {
        let mut words = block.chunks_exact(8);
        let mut lanes = 0u64;
        for word in &mut words {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            lanes += (u64::from_le_bytes(eight) >> 7) & ONES;
        }
        count += lanes.to_le_bytes().iter().map(|&lane| usize::from(lane)).sum::<usize>();
        count += words.remainder().iter().filter(|b| !b.is_ascii()).count();
    }
    count
}

/// Base64 in lines of 76 characters, CRLF-terminated.
fn base64_lines(bytes: &[u8], out: &mut Vec<u8>) {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    out.reserve(encoded.len() + encoded.len() / 38 + 2);
    for line in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
}

/// A list name usable as the quoted phrase of `List-Id`: printable ASCII
/// without quotes or backslashes (other names are left out; the header's
/// identifier is what filters use).
fn phrase(name: &str) -> Option<&str> {
    let ok = !name.is_empty()
        && name.len() <= 60
        && name.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    ok.then_some(name)
}

fn boundary(message_id: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(message_id.as_bytes());
    let mut boundary = String::with_capacity(33);
    boundary.push_str("=_ninsho_");
    for byte in &digest[..12] {
        boundary.push(char::from(HEX[usize::from(byte >> 4)]));
        boundary.push(char::from(HEX[usize::from(byte & 15)]));
    }
    boundary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(encoded: &[u8]) -> Vec<u8> {
        quoted_printable::decode(encoded, quoted_printable::ParseMode::Strict).expect("valid quoted-printable")
    }

    #[test]
    fn non_ascii_bytes_are_counted() {
        assert_eq!(non_ascii_bytes(b""), 0);
        assert_eq!(non_ascii_bytes("plain ascii text, longer than eight".as_bytes()), 0);
        assert_eq!(non_ascii_bytes("日本".as_bytes()), 6);
        assert_eq!(non_ascii_bytes("abcdefgh·ij日".as_bytes()), 5);
        // Past the point where a lane would overflow.
        let long = format!("{}x{}", "é".repeat(3000), "ab日".repeat(700));
        assert_eq!(non_ascii_bytes(long.as_bytes()), 6000 + 2100);
    }

    #[test]
    fn the_first_byte_to_escape_is_found_wherever_it_is() {
        for at in 0..40 {
            for special in [b'=', b'\n', b'\r', b'\t', 0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xff] {
                let mut bytes = vec![b'a'; at];
                bytes.push(special);
                bytes.extend_from_slice(b"b=c\x01d~ efghijklmnop");
                assert_eq!(plain_prefix(&bytes), at, "{special:#x} at {at}");
            }
            let plain: Vec<u8> = (b' '..=b'~').filter(|b| *b != b'=').cycle().take(at).collect();
            assert_eq!(plain_prefix(&plain), at);
        }
    }

    #[test]
    fn quoted_printable_round_trips_and_keeps_lines_short() {
        let long = "a".repeat(300);
        let samples = [
            "plain line\nsecond line\n".to_owned(),
            "crlf\r\nends here \r\ntrailing tab\t".to_owned(),
            format!("{long}={long}\n"),
            "日本語のテキストと ASCII が混ざった行 ".repeat(20),
            "=3D literal equals and a lone \r carriage return".to_owned(),
            "tabs\tinside and at the end\t\nx ~\u{7f}\u{1}".to_owned(),
            format!("{} \n", "b".repeat(75)),
            format!("{}=\n", "c".repeat(74)),
            // Looks like a link mark, but there is no link: kept as text.
            "a \u{1}9\u{2}\nb \u{1}\n".to_owned(),
        ];
        for sample in samples {
            let mut encoded = Vec::new();
            quoted_printable(&sample, &[], &mut encoded);
            for line in encoded.split(|b| *b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                assert!(line.len() <= 76, "{}", String::from_utf8_lossy(line));
                assert!(!line.ends_with(b" ") && !line.ends_with(b"\t"));
            }
            let expected = sample.replace("\r\n", "\n").replace('\n', "\r\n");
            assert_eq!(String::from_utf8(decode(&encoded)).expect("utf-8"), expected);
        }
    }
}

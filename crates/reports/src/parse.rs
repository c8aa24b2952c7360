//! DMARC aggregate reports (RFC 7489 appendix C) and SMTP TLS reports (RFC
//! 8460): unpacked from what they arrive in (gzip, zip, a whole message),
//! with caps against decompression bombs, and parsed tolerantly: invalid
//! UTF-8, tags in the wrong case or with a namespace prefix, stray
//! elements, empty reasons. XML entities are never expanded. Pure: no I/O,
//! no panics on any input (fuzzed).

use std::io::Read;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use quick_xml::events::Event;

/// How much a report may grow when decompressed, and by what ratio.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_ratio: u64,
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_bytes: 32 * 1024 * 1024, max_ratio: 200, max_files: 50 }
    }
}

/// A file inside what arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
    /// What was wrong with how it arrived, and what was read all the same
    /// (a gzip stream that ends early).
    pub notes: Vec<String>,
}

/// One part of what arrived: a file to read, or why it could not be taken
/// out, with its name.
pub type Part = Result<File, (String, UnpackError)>;

/// Why a file could not be taken out of what arrived.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("archives nested too deep")]
    TooDeep,
    #[error("refused: the files in it decompress to more than the cap together")]
    TotalCap,
    #[error("more than {0} files")]
    TooMany(usize),
    #[error("more than {max} files: the last {left} were not read")]
    TooManyLeft { max: usize, left: usize },
    #[error("not a valid zip: {0}")]
    Zip(zip::result::ZipError),
    #[error("{0}")]
    ZipEntry(zip::result::ZipError),
    #[error("a message that cannot be read")]
    Message,
    #[error("a message without a report attached")]
    NoReport,
    #[error("refused: larger than the cap")]
    TooLarge,
    #[error("cannot decompress: {0}")]
    Decompress(std::io::Error),
    #[error("refused: it decompresses to more than {cap} bytes ({ratio}× its size): a decompression bomb?")]
    Bomb { cap: u64, ratio: u64 },
}

/// Why a file is not a report.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not well-formed XML at byte {at}: {source}")]
    Xml { at: u64, source: quick_xml::Error },
    #[error("elements nested too deep")]
    TooDeep,
    #[error("no <feedback> element: not a DMARC aggregate report")]
    NotDmarc,
    #[error("the report has no org_name or report_id")]
    DmarcUnnamed,
    #[error("the report names no policy domain")]
    NoDomain,
    #[error("a TLS report larger than {} MB is not read", MAX_TLS_BYTES / (1024 * 1024))]
    TlsTooLarge,
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the report has no organization-name or report-id")]
    TlsUnnamed,
    #[error("neither a DMARC aggregate report (XML) nor a TLS report (JSON)")]
    Unknown,
}

/// The report files inside `bytes`: a gzip or zip archive is opened (also
/// nested, a few levels deep), a message's attachments are taken out, and
/// anything else is one file. Each part stands alone: a bomb or a broken
/// archive beside good reports fails only itself.
pub fn unpack(name: &str, bytes: &[u8], limits: Limits) -> Vec<Part> {
    let mut out = Vec::new();
    unpack_into(name, bytes, limits, 0, &mut out);
    out
}

fn unpack_into(name: &str, bytes: &[u8], limits: Limits, depth: u32, out: &mut Vec<Part>) {
    let fail = |reason: UnpackError| Err((name.to_owned(), reason));
    if depth > 3 {
        return out.push(fail(UnpackError::TooDeep));
    }
    // The cap holds for everything unpacked together, not file by file.
    let used: u64 = out.iter().filter_map(|p| p.as_ref().ok()).map(|f| f.bytes.len() as u64).sum();
    let limits = Limits { max_bytes: limits.max_bytes.saturating_sub(used), ..limits };
    if limits.max_bytes == 0 {
        return out.push(fail(UnpackError::TotalCap));
    }
    if out.len() >= limits.max_files {
        return out.push(fail(UnpackError::TooMany(limits.max_files)));
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        // Members one after the other are read as one stream.
        let decoder = flate2::read::MultiGzDecoder::new(bytes);
        match capped(decoder, bytes.len() as u64, limits) {
            Ok((inner, note)) => {
                let inner_name = name.strip_suffix(".gz").unwrap_or(name);
                let from = out.len();
                unpack_into(inner_name, &inner, limits, depth + 1, out);
                noted(&mut out[from..], note);
            }
            Err(e) => out.push(fail(e)),
        }
        return;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
            Ok(archive) => archive,
            Err(e) => return out.push(fail(UnpackError::Zip(e))),
        };
        for i in 0..archive.len() {
            if out.len() >= limits.max_files {
                let left = archive.len() - i;
                out.push(Err((name.to_owned(), UnpackError::TooManyLeft { max: limits.max_files, left })));
                break;
            }
            let file = match archive.by_index(i) {
                Ok(file) => file,
                Err(e) => {
                    out.push(Err((format!("{name}#{}", i + 1), UnpackError::ZipEntry(e))));
                    continue;
                }
            };
            if file.is_dir() {
                continue;
            }
            let inner_name = file.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("{name}#{}", i + 1));
            let compressed = file.compressed_size().max(1);
            match capped(file, compressed, limits) {
                Ok((inner, note)) => {
                    let from = out.len();
                    unpack_into(&inner_name, &inner, limits, depth + 1, out);
                    noted(&mut out[from..], note);
                }
                Err(e) => out.push(Err((inner_name, e))),
            }
        }
        return;
    }
    if looks_like_message(bytes) {
        let Some(message) = message::parse::parse(bytes) else {
            return out.push(fail(UnpackError::Message));
        };
        let before = out.len();
        for part in message.attachments() {
            let file = mail_parser::MimeHeaders::attachment_name(part).unwrap_or("attachment").to_owned();
            // An archive labelled as text (`text/plain; name=x.xml.gz`) was
            // decoded as text: its bytes are taken from the transfer
            // encoding again.
            let archive = [".gz", ".zip"].iter().any(|x| file.to_ascii_lowercase().ends_with(x));
            let raw = match &part.body {
                mail_parser::PartType::Text(_) if archive => transfer_decoded(&message, part),
                _ => None,
            };
            unpack_into(&file, raw.as_deref().unwrap_or(part.contents()), limits, depth + 1, out);
        }
        if out.len() == before {
            // Some reporters put the report in the body itself.
            let body = message.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
            if body.contains("<feedback") || body.trim_start().starts_with('{') {
                out.push(Ok(File { name: name.to_owned(), bytes: body.into_bytes(), notes: Vec::new() }));
            } else {
                out.push(Err((name.to_owned(), UnpackError::NoReport)));
            }
        }
        return;
    }
    if bytes.len() as u64 > limits.max_bytes {
        return out.push(fail(UnpackError::TooLarge));
    }
    out.push(Ok(File { name: name.to_owned(), bytes: bytes.to_vec(), notes: Vec::new() }));
}

/// The note of how a file arrived, on each file taken out of it.
fn noted(parts: &mut [Part], note: Option<String>) {
    let Some(note) = note else { return };
    for file in parts.iter_mut().flatten() {
        file.notes.push(note.clone());
    }
}

/// A part's body decoded from its transfer encoding only (base64 or
/// quoted-printable), whatever its content type says.
fn transfer_decoded(message: &mail_parser::Message<'_>, part: &mail_parser::MessagePart<'_>) -> Option<Vec<u8>> {
    use base64::Engine;
    let raw = message.raw_message().get(part.offset_body as usize..part.offset_end as usize)?;
    let encoding = mail_parser::MimeHeaders::content_transfer_encoding(part)?;
    if !encoding.eq_ignore_ascii_case("base64") {
        return None;
    }
    let text: Vec<u8> = raw.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Reads all of `reader`, refusing more than the size cap or the ratio cap
/// (a decompression bomb). A stream that breaks off after giving some bytes
/// (a truncated gzip) is read as far as it goes, with a note saying so.
fn capped(reader: impl Read, compressed: u64, limits: Limits) -> Result<(Vec<u8>, Option<String>), UnpackError> {
    let cap = limits.max_bytes.min(compressed.saturating_mul(limits.max_ratio).max(64 * 1024).min(limits.max_bytes));
    let mut out = Vec::new();
    let note = match reader.take(cap + 1).read_to_end(&mut out) {
        Ok(_) => None,
        Err(e) if out.is_empty() => return Err(UnpackError::Decompress(e)),
        Err(e) => Some(format!("the compressed stream breaks off ({e}): read as far as it goes, {} bytes", out.len())),
    };
    if out.len() as u64 > cap {
        return Err(UnpackError::Bomb { cap, ratio: cap / compressed.max(1) });
    }
    Ok((out, note))
}

/// Headers first: a line `Name: value` before any blank line.
fn looks_like_message(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(2048)];
    let text = String::from_utf8_lossy(head);
    let first = text.lines().next().unwrap_or_default();
    let is_header = first
        .split_once(':')
        .is_some_and(|(name, _)| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    is_header && (text.contains("\n\n") || text.contains("\r\n\r\n") || bytes.len() > head.len())
}

// ---------------------------------------------------------------- DMARC

/// A DMARC aggregate report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregate {
    pub org_name: String,
    pub email: String,
    pub report_id: String,
    pub begin: i64,
    pub end: i64,
    pub domain: String,
    pub policy: Policy,
    pub records: Vec<Row>,
    /// Rows left out, with the reason (a bad address, a bad count).
    pub skipped: Vec<String>,
    /// What was assumed where the report left a field out (as parsedmarc
    /// assumes it), to keep with the report.
    pub assumed: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub p: String,
    pub sp: String,
    pub pct: String,
    pub adkim: String,
    pub aspf: String,
}

/// One `<record>`: a source address and what receivers saw of its mail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub source_ip: Option<IpAddr>,
    pub count: i64,
    pub disposition: String,
    /// The DMARC-aligned verdicts (`pass` or `fail`).
    pub dkim: String,
    pub spf: String,
    /// Override reasons: (type, comment).
    pub reasons: Vec<(String, String)>,
    pub header_from: String,
    pub envelope_from: String,
    /// (domain, selector, result)
    pub dkim_results: Vec<(String, String, String)>,
    /// (domain, scope, result)
    pub spf_results: Vec<(String, String, String)>,
}

impl Aggregate {
    /// The report's days, each with its share of a count: a report over
    /// more than a day is split by the seconds it spends in each (largest
    /// remainders rounded up, so the shares add up to `count`).
    pub fn split(&self, count: i64) -> Vec<(NaiveDate, i64)> {
        share(count, &self.days())
    }

    /// The days the report covers (at most 366) and the seconds it spends
    /// in each; one day for a report of a day or less.
    pub fn days(&self) -> Vec<(NaiveDate, i64)> {
        // Times outside 1970..9999 are a reporter's mistake: clamp them.
        const LAST: i64 = 253_402_300_799;
        let (a, b) = (self.begin.clamp(0, LAST), self.end.clamp(0, LAST));
        let (begin, end) = (a.min(b), a.max(b));
        let day_of = |t: i64| DateTime::<Utc>::from_timestamp(t, 0).map(|d| d.date_naive());
        let Some(first) = day_of(begin) else { return Vec::new() };
        if end - begin <= 86_400 {
            return vec![(first, 1)];
        }
        let mut spans = Vec::new();
        let mut start = begin;
        while start < end && spans.len() < 366 {
            let next_midnight = (start.div_euclid(86_400) + 1) * 86_400;
            let stop = next_midnight.min(end);
            if let Some(day) = day_of(start) {
                spans.push((day, stop - start));
            }
            start = stop;
        }
        spans
    }
}

/// `spans` joined into at most `periods` runs of consecutive days, each
/// run named by its first day.
pub fn coarsen(spans: &[(NaiveDate, i64)], periods: usize) -> Vec<(NaiveDate, i64)> {
    let per = spans.len().div_ceil(periods.max(1)).max(1);
    spans.chunks(per).map(|run| (run[0].0, run.iter().map(|(_, s)| s).sum())).collect()
}

/// `count` shared over `spans` by their seconds, largest remainders
/// rounded up so the shares add up to `count`; spans that get nothing are
/// left out.
pub fn share(count: i64, spans: &[(NaiveDate, i64)]) -> Vec<(NaiveDate, i64)> {
    if let [(day, _)] = spans {
        return vec![(*day, count)];
    }
    let total: i128 = spans.iter().map(|(_, s)| i128::from(*s)).sum::<i128>().max(1);
    let count_wide = i128::from(count);
    let mut shares: Vec<(NaiveDate, i128, i128)> = spans
        .iter()
        .map(|(d, s)| (*d, count_wide * i128::from(*s) / total, (count_wide * i128::from(*s)) % total))
        .collect();
    let mut left = count_wide - shares.iter().map(|(_, n, _)| n).sum::<i128>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(shares[i].2));
    for i in order {
        if left <= 0 {
            break;
        }
        shares[i].1 += 1;
        left -= 1;
    }
    shares.into_iter().filter(|(_, n, _)| *n > 0).map(|(d, n, _)| (d, i64::try_from(n).unwrap_or(i64::MAX))).collect()
}

/// The local name of a tag, lower-cased: `<dmarc:Report_ID>` → `report_id`.
fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or_default().to_ascii_lowercase()
}

/// The most messages one row may claim: more is a forgery or a bug, and
/// would overflow the sums.
pub const MAX_COUNT: i64 = 1_000_000_000;
/// The most records read from one report (the largest real reports have a
/// few thousand); the rest are counted as skipped, never held.
pub const MAX_RECORDS: usize = 50_000;
/// DKIM and SPF results and override reasons kept per record (real
/// records have one to three of each).
const MAX_PER_RECORD: usize = 20;
/// Reasons for skipped records kept word for word; the rest are counted.
const MAX_SKIPPED_REASONS: usize = 50;
/// The longest text kept from one element (a name, a report id, a comment).
const MAX_TEXT: usize = 1000;

/// The largest TLS report read.
const MAX_TLS_BYTES: usize = 2 * 1024 * 1024;
/// Policies of a TLS report, and failure details of a policy, kept.
const MAX_TLS_ITEMS: usize = 1000;

/// A file's name or a reason fit to keep: its control characters become
/// spaces and it is cut after `max` characters.
pub fn clean_text(text: &str, max: usize) -> String {
    text.chars().take(max).map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Text from a report fit to keep: no NUL or other control character
/// (each becomes a space; PostgreSQL takes no NUL), at most [`MAX_TEXT`]
/// bytes.
fn clean(value: String) -> String {
    if value.len() <= MAX_TEXT && !value.contains(char::is_control) {
        return value;
    }
    clean_text(&value, MAX_TEXT)
}

/// A file's text: by its byte order mark (UTF-8, UTF-16), else by the
/// encoding its XML declaration names (`ISO-8859-1`, `Shift_JIS`), else
/// UTF-8 with invalid bytes replaced.
pub fn decoded(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding.decode_with_bom_removal(bytes).0;
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    let declared = head
        .strip_prefix("<?xml")
        .and_then(|d| d.split("?>").next())
        .and_then(|d| d.split_once("encoding=").map(|(_, rest)| rest))
        .and_then(|rest| rest.trim_start().get(1..))
        .and_then(|rest| rest.split(['"', '\'']).next())
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    match declared {
        Some(encoding) if encoding != encoding_rs::UTF_8 => encoding.decode_without_bom_handling(bytes).0,
        _ => String::from_utf8_lossy(bytes),
    }
}

/// Parses a DMARC aggregate report. XML that is not well-formed (a text
/// field holding `<x@y>` or a bare `&`, a file that ends early) is read
/// again leniently, as far as it goes, and the report says so.
pub fn parse_dmarc(bytes: &[u8]) -> Result<Aggregate, ParseError> {
    let text = decoded(bytes);
    let (mut report, beyond_cap) = match read_dmarc(&text, false) {
        Err(ParseError::Xml { at, source }) => {
            let (mut report, beyond_cap) = read_dmarc(&text, true)?;
            // Nothing gained: the fault is the answer.
            if report.records.is_empty() {
                return Err(ParseError::Xml { at, source });
            }
            report.assumed.insert(0, format!("not well-formed XML at byte {at} ({source}): read leniently"));
            (report, beyond_cap)
        }
        read => read?,
    };
    if report.org_name.trim().is_empty() {
        // As parsedmarc does: the reporter is the domain of its address.
        let domain = report.email.rsplit('@').next().unwrap_or_default().trim().trim_end_matches('>');
        if report.email.contains('@') && !domain.is_empty() {
            report.org_name = domain.to_ascii_lowercase();
            report.assumed.push(format!("org_name was empty: the reporter is taken to be {}", report.org_name));
        }
    }
    if report.report_id.is_empty() || report.org_name.is_empty() {
        return Err(ParseError::DmarcUnnamed);
    }
    if report.domain.is_empty() {
        return Err(ParseError::NoDomain);
    }
    // A range with one end: a day from it (reports cover a day). Without
    // either, the importer assumes the day before the report arrived.
    match (report.begin > 0, report.end > 0) {
        (true, true) | (false, false) => {}
        (true, false) => {
            report.end = report.begin + 86_399;
            report.assumed.push("date_range has no end: the day from its begin is assumed".into());
        }
        (false, true) => {
            report.begin = report.end - 86_399;
            report.assumed.push("date_range has no begin: the day up to its end is assumed".into());
        }
    }
    let mut kept = Vec::with_capacity(report.records.len());
    let mut unread = 0usize;
    for (i, r) in std::mem::take(&mut report.records).into_iter().enumerate() {
        let fault = if r.source_ip.is_none() {
            "no valid source_ip".to_owned()
        } else if r.count <= 0 || r.count > MAX_COUNT {
            format!("count is not a number from 1 to {MAX_COUNT}")
        } else {
            kept.push(r);
            continue;
        };
        if report.skipped.len() < MAX_SKIPPED_REASONS {
            report.skipped.push(format!("record {}: {fault}", i + 1));
        } else {
            unread += 1;
        }
    }
    if unread > 0 {
        report.skipped.push(format!("{unread} more records skipped for the same kinds of fault"));
    }
    if beyond_cap > 0 {
        report.skipped.push(format!("{beyond_cap} records after the first {MAX_RECORDS} were not read"));
    }
    report.records = kept;
    Ok(report)
}

/// One pass over a DMARC report's XML: the report as read and the records
/// beyond [`MAX_RECORDS`]. Strict, the first fault is an error; lenient,
/// stray ends, unmatched names and bare `&` are taken as they come and a
/// fault ends the reading (what came before it is kept, a record it cut
/// in half is not).
fn read_dmarc(text: &str, lenient: bool) -> Result<(Aggregate, usize), ParseError> {
    let mut reader = quick_xml::Reader::from_str(text);
    // Not trimmed event by event: `Example &amp; Sons` keeps its spaces
    // (each value is trimmed whole).
    reader.config_mut().trim_text(false);
    if lenient {
        let config = reader.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.allow_dangling_amp = true;
    }
    let mut path: Vec<String> = Vec::new();
    let mut report = Aggregate::default();
    let mut row: Option<Row> = None;
    let mut auth: (String, String, String) = Default::default();
    let mut reason: (String, String) = Default::default();
    let mut saw_feedback = false;
    let mut beyond_cap = 0usize;
    // An element's text, gathered from its text, CDATA and reference events.
    let mut text_of = String::new();
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(source) if lenient => {
                report.assumed.push(format!(
                    "the XML breaks off at byte {} ({source}): the records before it are read",
                    reader.error_position()
                ));
                break;
            }
            Err(source) => return Err(ParseError::Xml { at: reader.error_position(), source }),
        };
        match event {
            Event::Start(e) => {
                let name = local(e.name().into_inner());
                saw_feedback |= name == "feedback";
                match name.as_str() {
                    "record" => row = Some(Row::default()),
                    "dkim" | "spf" if path.last().is_some_and(|p| p == "auth_results") => auth = Default::default(),
                    "reason" => reason = Default::default(),
                    _ => {}
                }
                path.push(name);
                text_of.clear();
                if path.len() > 64 {
                    return Err(ParseError::TooDeep);
                }
            }
            Event::End(e) => {
                let name = local(e.name().into_inner());
                if path.last() == Some(&name) && !text_of.trim().is_empty() {
                    let value = std::mem::take(&mut text_of).trim().to_owned();
                    set(&mut report, &mut row, &mut auth, &mut reason, &path, value);
                }
                text_of.clear();
                // Close up to the matching element (tolerates stray ends).
                if let Some(at) = path.iter().rposition(|p| *p == name) {
                    path.truncate(at);
                }
                let parent = path.last().map(String::as_str);
                match (name.as_str(), parent, row.as_mut()) {
                    ("record", _, Some(_)) => {
                        if let Some(done) = row.take() {
                            if report.records.len() < MAX_RECORDS {
                                report.records.push(done);
                            } else {
                                beyond_cap += 1;
                            }
                        }
                    }
                    ("dkim", Some("auth_results"), Some(r)) if r.dkim_results.len() < MAX_PER_RECORD => {
                        r.dkim_results.push(std::mem::take(&mut auth));
                    }
                    ("spf", Some("auth_results"), Some(r)) if r.spf_results.len() < MAX_PER_RECORD => {
                        r.spf_results.push(std::mem::take(&mut auth));
                    }
                    ("reason", _, Some(r)) if r.reasons.len() < MAX_PER_RECORD => {
                        let taken = std::mem::take(&mut reason);
                        if !taken.0.is_empty() || !taken.1.is_empty() {
                            r.reasons.push(taken);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) => text_of.push_str(&t.into_inner()),
            Event::CData(t) => text_of.push_str(&t.into_inner()),
            // Only the five XML entities and character references are
            // expanded; anything a DOCTYPE defines stays as written.
            Event::GeneralRef(r) => {
                let name = r.into_inner();
                let expanded = match name.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    n => n
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                match expanded {
                    Some(c) => text_of.push(c),
                    None => {
                        text_of.push('&');
                        text_of.push_str(&name);
                        text_of.push(';');
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_feedback {
        return Err(ParseError::NotDmarc);
    }
    Ok((report, beyond_cap))
}

/// A time in seconds since 1970 as reporters write it (`1709683200`, also
/// `1709683200.0`); 0 when it is none.
fn seconds(value: &str) -> i64 {
    value
        .parse::<i64>()
        .ok()
        .or_else(|| value.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f as i64))
        .unwrap_or(0)
}

fn set(
    report: &mut Aggregate,
    row: &mut Option<Row>,
    auth: &mut (String, String, String),
    reason: &mut (String, String),
    path: &[String],
    value: String,
) {
    let value = clean(value);
    let tail: Vec<&str> = path.iter().rev().take(3).map(String::as_str).collect();
    let lower = value.to_ascii_lowercase();
    match (tail.as_slice(), row.as_mut()) {
        (["org_name", "report_metadata", ..], _) => report.org_name = value,
        (["email", "report_metadata", ..], _) => report.email = value,
        (["report_id", "report_metadata", ..], _) => report.report_id = value,
        (["begin", "date_range", ..], _) => report.begin = seconds(&value),
        (["end", "date_range", ..], _) => report.end = seconds(&value),
        (["domain", "policy_published", ..], _) => report.domain = lower.trim_end_matches('.').to_owned(),
        (["p", "policy_published", ..], _) => report.policy.p = lower,
        (["sp", "policy_published", ..], _) => report.policy.sp = lower,
        (["pct", "policy_published", ..], _) => report.policy.pct = lower,
        (["adkim", "policy_published", ..], _) => report.policy.adkim = lower,
        (["aspf", "policy_published", ..], _) => report.policy.aspf = lower,
        (["source_ip", "row", ..], Some(r)) => r.source_ip = value.parse().ok(),
        (["count", "row", ..], Some(r)) => r.count = value.parse().unwrap_or(0),
        (["disposition", "policy_evaluated", ..], Some(r)) => r.disposition = lower,
        (["dkim", "policy_evaluated", ..], Some(r)) => r.dkim = lower,
        (["spf", "policy_evaluated", ..], Some(r)) => r.spf = lower,
        (["type", "reason", "policy_evaluated"], Some(_)) => reason.0 = lower,
        (["comment", "reason", "policy_evaluated"], Some(_)) => reason.1 = value,
        (["header_from", "identifiers", ..], Some(r)) => r.header_from = lower,
        (["envelope_from", "identifiers", ..], Some(r)) => r.envelope_from = lower,
        (["domain", "dkim" | "spf", "auth_results"], Some(_)) => auth.0 = lower,
        (["selector" | "scope", "dkim" | "spf", "auth_results"], Some(_)) => auth.1 = value,
        (["result", "dkim" | "spf", "auth_results"], Some(_)) => auth.2 = lower,
        _ => {}
    }
}

// ----------------------------------------------------------------- TLS-RPT

/// An SMTP TLS report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsReport {
    pub org_name: String,
    pub report_id: String,
    pub begin: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub policies: Vec<TlsPolicy>,
    /// What was assumed where the report left a field out.
    pub assumed: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsPolicy {
    /// `sts`, `tlsa` or `no-policy-found`.
    pub policy_type: String,
    pub domain: String,
    pub successes: i64,
    pub failures: i64,
    /// (result type, sending address, receiving MX, sessions)
    pub failure_details: Vec<(String, String, String, i64)>,
}

/// Parses an RFC 8460 report (JSON).
pub fn parse_tls(bytes: &[u8]) -> Result<TlsReport, ParseError> {
    // Read whole, JSON takes about ten times its size: real reports are a
    // few kilobytes.
    if bytes.len() > MAX_TLS_BYTES {
        return Err(ParseError::TlsTooLarge);
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)?;
    let text =
        |v: &serde_json::Value, key: &str| clean(v.get(key).and_then(|x| x.as_str()).unwrap_or_default().to_owned());
    let number = |v: &serde_json::Value, key: &str| {
        v.get(key).and_then(serde_json::Value::as_i64).unwrap_or(0).clamp(0, MAX_COUNT)
    };
    let time = |key: &str| {
        value
            .get("date-range")
            .and_then(|d| d.get(key))
            .and_then(|t| t.as_str())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let mut report = TlsReport {
        org_name: text(&value, "organization-name"),
        assumed: Vec::new(),
        report_id: text(&value, "report-id"),
        begin: time("start-datetime"),
        end: time("end-datetime"),
        policies: value
            .get("policies")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
            .take(MAX_TLS_ITEMS)
            .map(|p| {
                let policy = p.get("policy").cloned().unwrap_or_default();
                let summary = p.get("summary").cloned().unwrap_or_default();
                TlsPolicy {
                    policy_type: text(&policy, "policy-type"),
                    domain: text(&policy, "policy-domain").to_ascii_lowercase(),
                    successes: number(&summary, "total-successful-session-count"),
                    failures: number(&summary, "total-failure-session-count"),
                    failure_details: p
                        .get("failure-details")
                        .and_then(|f| f.as_array())
                        .into_iter()
                        .flatten()
                        .take(MAX_TLS_ITEMS)
                        .map(|f| {
                            (
                                text(f, "result-type"),
                                text(f, "sending-mta-ip"),
                                text(f, "receiving-mx-hostname"),
                                number(f, "failed-session-count"),
                            )
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    if report.org_name.trim().is_empty() {
        // As for DMARC: the reporter is the domain of its contact address
        // (`mailto:tlsrpt@example.net` or `tlsrpt@example.net`).
        let contact = text(&value, "contact-info");
        let domain = contact.rsplit_once('@').map(|(_, d)| d.trim().trim_end_matches('>').to_ascii_lowercase());
        if let Some(domain) = domain.filter(|d| d.contains('.') && !d.contains(char::is_whitespace)) {
            report.assumed.push(format!("organization-name was empty: the reporter is taken to be {domain}"));
            report.org_name = domain;
        }
    }
    if report.report_id.is_empty() || report.org_name.is_empty() {
        return Err(ParseError::TlsUnnamed);
    }
    Ok(report)
}

/// A parsed report of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    Dmarc(Box<Aggregate>),
    Tls(TlsReport),
}

/// Parses one unpacked file as whichever report it is.
pub fn parse(bytes: &[u8]) -> Result<Report, ParseError> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace() && *b != 0xef && *b != 0xbb && *b != 0xbf);
    match start.map(|i| bytes[i]) {
        Some(b'{') => parse_tls(bytes).map(Report::Tls),
        Some(b'<') => parse_dmarc(bytes).map(|r| Report::Dmarc(Box::new(r))),
        // UTF-16 (its byte order mark first).
        Some(0xfe | 0xff) if decoded(bytes).trim_start().starts_with('<') => {
            parse_dmarc(bytes).map(|r| Report::Dmarc(Box::new(r)))
        }
        _ => Err(ParseError::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"<?xml version="1.0"?>
<feedback><report_metadata><org_name>Example</org_name><report_id>r1</report_id>
<date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata>
<policy_published><domain>Shop.Example</domain><p>none</p></policy_published>
<record><row><source_ip>203.0.113.5</source_ip><count>3</count><policy_evaluated><disposition>none</disposition>
<dkim>pass</dkim><spf>fail</spf><reason><type>forwarded</type><comment/></reason></policy_evaluated></row>
<identifiers><header_from>shop.example</header_from></identifiers>
<auth_results><dkim><domain>shop.example</domain><selector>r1</selector><result>pass</result></dkim>
<spf><domain>fwd.example</domain><result>fail</result></spf></auth_results></record>
<record><row><source_ip>not-an-ip</source_ip><count>1</count></row></record>
</feedback>"#;

    #[test]
    fn an_empty_org_name_falls_back_to_the_reporters_domain_and_says_so() {
        let empty = REPORT.replace(
            "<org_name>Example</org_name>",
            "<org_name> </org_name><email>noreply-dmarc@Reports.Example.net</email>",
        );
        let r = parse_dmarc(empty.as_bytes()).expect("a report");
        assert_eq!(r.org_name, "reports.example.net");
        assert_eq!(r.assumed, vec!["org_name was empty: the reporter is taken to be reports.example.net".to_owned()]);
        assert_eq!(r.records.len(), 1, "its rows are read");
        let nameless = REPORT.replace("<org_name>Example</org_name>", "<org_name></org_name>");
        assert!(matches!(parse_dmarc(nameless.as_bytes()), Err(ParseError::DmarcUnnamed)), "no address: refused");
    }

    #[test]
    fn an_aggregate_report_is_read_with_its_rows() {
        let r = parse_dmarc(REPORT.as_bytes()).expect("a report");
        assert_eq!((r.org_name.as_str(), r.report_id.as_str(), r.domain.as_str()), ("Example", "r1", "shop.example"));
        assert_eq!(r.records.len(), 1);
        let row = &r.records[0];
        assert_eq!(row.source_ip, Some("203.0.113.5".parse().expect("ip")));
        assert_eq!((row.count, row.dkim.as_str(), row.spf.as_str()), (3, "pass", "fail"));
        assert_eq!(row.reasons, vec![("forwarded".into(), String::new())]);
        assert_eq!(row.dkim_results, vec![("shop.example".into(), "r1".into(), "pass".into())]);
        assert_eq!(row.spf_results, vec![("fwd.example".into(), String::new(), "fail".into())]);
        assert_eq!(r.skipped, vec!["record 2: no valid source_ip".to_owned()]);
    }

    #[test]
    fn wrong_case_prefixes_and_bad_utf8_are_tolerated() {
        let odd = REPORT
            .replace("<org_name>Example</org_name>", "<Org_Name>Ex\u{e9}mple</Org_Name>")
            .replace("<feedback>", "<dmarc:feedback xmlns:dmarc=\"urn:x\">")
            .replace("</feedback>", "</dmarc:feedback>");
        let mut bytes = odd.into_bytes();
        bytes.extend_from_slice(b"<!-- \xff\xfe -->");
        let r = parse_dmarc(&bytes).expect("a report");
        assert_eq!(r.org_name, "Ex\u{e9}mple");
        assert_eq!(r.records.len(), 1);
    }

    #[test]
    fn entities_are_never_expanded() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE f [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\
            <feedback><report_metadata><org_name>&b;</org_name><report_id>x</report_id></report_metadata>\
            <policy_published><domain>d.example</domain></policy_published></feedback>";
        let r = parse_dmarc(bomb.as_bytes()).expect("parsed");
        assert_eq!(r.org_name, "&b;", "the entity stays as written");
    }

    #[test]
    fn reports_over_a_day_are_split_per_day() {
        let r = Aggregate { begin: 1_700_000_000, end: 1_700_000_000 + 3 * 86_400, ..Aggregate::default() };
        // From 22:13 on one day to 22:13 three days later: four calendar days.
        let days = r.split(1000);
        assert_eq!(days.len(), 4, "{days:?}");
        assert_eq!(days.iter().map(|(_, n)| n).sum::<i64>(), 1000);
        assert_eq!(days[0].1, 25, "1 h 47 min of 72 h: {days:?}");
        let one = Aggregate { begin: 1_700_000_000, end: 1_700_086_399, ..Aggregate::default() };
        assert_eq!(one.split(7).len(), 1);
    }

    #[test]
    fn a_long_range_can_be_counted_in_fewer_periods() {
        let r = Aggregate { begin: 1_700_000_000, end: 1_700_000_000 + 365 * 86_400, ..Aggregate::default() };
        let days = r.days();
        assert_eq!(days.len(), 366);
        let periods = coarsen(&days, 14);
        assert_eq!(periods.len(), 14);
        assert_eq!(periods[0].0, days[0].0);
        assert_eq!(periods.iter().map(|(_, s)| s).sum::<i64>(), 365 * 86_400);
        let shares = share(1000, &periods);
        assert_eq!(shares.iter().map(|(_, n)| n).sum::<i64>(), 1000);
    }

    /// `unpack`'s parts as names with `ok` or the reason.
    fn outcomes(parts: &[Part]) -> Vec<String> {
        parts
            .iter()
            .map(|p| match p {
                Ok(file) => format!("{}: ok", file.name),
                Err((name, reason)) => format!("{name}: {reason}"),
            })
            .collect()
    }

    fn gzip(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
        gz.write_all(bytes).expect("gzip");
        gz.finish().expect("gzip")
    }

    #[test]
    fn gzip_and_zip_open_and_bombs_are_refused() {
        use std::io::Write;
        let gz = gzip(REPORT.as_bytes(), flate2::Compression::default());
        let files = unpack("r.xml.gz", &gz, Limits::default());
        assert!(matches!(&files[..], [Ok(f)] if f.name == "r.xml" && f.bytes == REPORT.as_bytes()), "{files:?}");

        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("r.xml", zip::write::SimpleFileOptions::default()).expect("zip");
        zip.write_all(REPORT.as_bytes()).expect("zip");
        let zip = zip.finish().expect("zip").into_inner();
        assert_eq!(outcomes(&unpack("r.zip", &zip, Limits::default())), ["r.xml: ok"]);

        let bomb = gzip(&vec![b'<'; 20 * 1024 * 1024], flate2::Compression::best());
        let parts = unpack("bomb.xml.gz", &bomb, Limits::default());
        assert!(matches!(&parts[..], [Err((_, UnpackError::Bomb { .. }))]), "{parts:?}");

        // Each file under the cap, all of them together over it.
        let mut many = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..6 {
            many.start_file(format!("r{i}.xml"), zip::write::SimpleFileOptions::default()).expect("zip");
            many.write_all(&vec![b' '; 40 * 1024]).expect("zip");
        }
        let many = many.finish().expect("zip").into_inner();
        let small = Limits { max_bytes: 200 * 1024, max_ratio: 1000, max_files: 50 };
        let got = outcomes(&unpack("many.zip", &many, small));
        assert_eq!(got[..5], ["r0.xml: ok", "r1.xml: ok", "r2.xml: ok", "r3.xml: ok", "r4.xml: ok"]);
        assert!(got[5].contains("cap"), "{got:?}");
    }

    #[test]
    fn a_bad_part_fails_alone() {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("good-1.xml.gz", options).expect("zip");
        zip.write_all(&gzip(REPORT.as_bytes(), flate2::Compression::default())).expect("zip");
        zip.start_file("bomb.xml.gz", options).expect("zip");
        zip.write_all(&gzip(&vec![b'<'; 20 * 1024 * 1024], flate2::Compression::best())).expect("zip");
        zip.start_file("broken.xml.gz", options).expect("zip");
        zip.write_all(&gzip(REPORT.as_bytes(), flate2::Compression::default())[..40]).expect("zip");
        zip.start_file("good-2.xml", options).expect("zip");
        zip.write_all(REPORT.as_bytes()).expect("zip");
        let zip = zip.finish().expect("zip").into_inner();
        let got = outcomes(&unpack("mixed.zip", &zip, Limits::default()));
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!((got[0].as_str(), got[3].as_str()), ("good-1.xml: ok", "good-2.xml: ok"));
        assert!(got[1].starts_with("bomb.xml.gz: refused") && got[2].starts_with("broken.xml.gz: "), "{got:?}");
    }

    #[test]
    fn nul_and_control_characters_never_reach_the_report() {
        let nul = REPORT.replace("<org_name>", "<org_name>&#0;Evil\u{0}").replace("<report_id>", "<report_id>a&#1;b");
        let report = parse_dmarc(nul.as_bytes()).expect("still read");
        assert!(!report.org_name.contains(char::is_control), "{:?}", report.org_name);
        assert!(report.org_name.contains("Evil"));
        assert!(!report.report_id.contains(char::is_control), "{:?}", report.report_id);
        let tls = br#"{"organization-name": "Org\u0000", "report-id": "r\u0001", "policies": []}"#;
        let report = parse_tls(tls).expect("read");
        assert_eq!((report.org_name.as_str(), report.report_id.as_str()), ("Org ", "r "));
    }

    #[test]
    fn a_record_keeps_at_most_twenty_results_of_each_kind() {
        let results = "<dkim><domain>d.example</domain><result>pass</result></dkim>".repeat(1000);
        let xml = REPORT.replace("<auth_results>", &format!("<auth_results>{results}"));
        let report = parse_dmarc(xml.as_bytes()).expect("read");
        assert_eq!(report.records[0].dkim_results.len(), MAX_PER_RECORD);
    }

    #[test]
    fn records_past_the_cap_are_counted_never_held() {
        let record = "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>";
        let bad = "<record><row><source_ip>nope</source_ip><count>1</count></row></record>";
        let many = format!(
            "<feedback><report_metadata><org_name>o</org_name><report_id>r</report_id></report_metadata>\
             <policy_published><domain>shop.example</domain></policy_published>{}{}</feedback>",
            bad.repeat(80),
            record.repeat(MAX_RECORDS + 7)
        );
        let report = parse_dmarc(many.as_bytes()).expect("read");
        assert_eq!(report.records.len(), MAX_RECORDS - 80);
        assert_eq!(report.skipped.len(), MAX_SKIPPED_REASONS + 2, "{:?}", &report.skipped[MAX_SKIPPED_REASONS..]);
        assert_eq!(report.skipped[MAX_SKIPPED_REASONS], "30 more records skipped for the same kinds of fault");
        assert_eq!(report.skipped[MAX_SKIPPED_REASONS + 1], "87 records after the first 50000 were not read");
    }

    #[test]
    fn text_keeps_its_spaces_around_entities_and_a_bare_ampersand() {
        let escaped = REPORT.replace("<org_name>Example</org_name>", "<org_name>Example &amp; Sons</org_name>");
        assert_eq!(parse_dmarc(escaped.as_bytes()).expect("reads").org_name, "Example & Sons");
        let bare = REPORT.replace("<org_name>Example</org_name>", "<org_name>Example & Sons</org_name>");
        let report = parse_dmarc(bare.as_bytes()).expect("reads leniently");
        assert_eq!(report.org_name, "Example & Sons");
        assert!(report.assumed[0].starts_with("not well-formed XML at byte"), "{:?}", report.assumed);
    }

    #[test]
    fn a_range_with_one_end_is_a_day_from_it() {
        let no_end = REPORT.replace("<end>1700086399</end>", "");
        let report = parse_dmarc(no_end.as_bytes()).expect("one end is enough");
        assert_eq!((report.begin, report.end), (1_700_000_000, 1_700_086_399));
        assert!(report.assumed.iter().any(|a| a.contains("no end")), "{:?}", report.assumed);
        let decimal = REPORT.replace("<begin>1700000000</begin>", "<begin>1700000000.0</begin>");
        assert_eq!(parse_dmarc(decimal.as_bytes()).expect("reads").begin, 1_700_000_000);
        let none = REPORT.replace("<date_range><begin>1700000000</begin><end>1700086399</end></date_range>", "");
        let report = parse_dmarc(none.as_bytes()).expect("the importer dates it");
        assert_eq!((report.begin, report.end), (0, 0));
    }

    #[test]
    fn a_tls_report_without_organization_name_is_named_by_its_contact() {
        let json = br#"{"organization-name": "", "contact-info": "mailto:tlsrpt@Reports.Example.net",
            "report-id": "t1", "policies": [{"policy": {"policy-type": "sts", "policy-domain": "shop.example"},
            "summary": {"total-successful-session-count": 9, "total-failure-session-count": 1}}]}"#;
        let report = parse_tls(json).expect("named by its contact");
        assert_eq!(report.org_name, "reports.example.net");
        assert_eq!(report.assumed.len(), 1, "{:?}", report.assumed);
        assert_eq!((report.policies[0].successes, report.policies[0].failures), (9, 1));
        let nameless = br#"{"organization-name": "", "report-id": "t1", "policies": []}"#;
        assert!(matches!(parse_tls(nameless), Err(ParseError::TlsUnnamed)));
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for junk in [&b""[..], b"\x00\x01", b"<feedback", b"{\"a\":", b"PK\x03\x04junk", b"\x1f\x8bjunk"] {
            for file in unpack("junk", junk, Limits::default()).into_iter().flatten() {
                assert!(parse(&file.bytes).is_err(), "{junk:?}");
            }
            assert!(parse(junk).is_err());
        }
    }
}

//! Streaming CSV reading for imports: decoding (UTF-8 with or without BOM,
//! Shift_JIS/CP932 as Excel writes it in Japan), the header, and one
//! [`Row`] or [`RowError`] per record, with its line number.
//!
//! A bad record never stops the file: a record with an unterminated quote is
//! cut off after [`MAX_RECORD_LINES`] lines or [`MAX_RECORD_BYTES`] bytes,
//! reported, and reading resumes on the next line. A line longer than
//! [`MAX_RECORD_BYTES`] is read past, never held: its report quotes only its
//! start.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use domain::EmailAddress;
use serde_json::{Map, Value};

pub const MAX_RECORD_LINES: usize = 20;
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// How much of a rejected record (in characters) is kept for the report.
const RAW_KEEP: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    ShiftJis,
}

impl Encoding {
    pub fn parse(word: &str) -> Option<Self> {
        match word.trim().to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "utf8" => Some(Self::Utf8),
            "shiftjis" | "sjis" | "cp932" | "windows31j" => Some(Self::ShiftJis),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::ShiftJis => "Shift_JIS",
        }
    }

    /// UTF-8 when `prefix` has a UTF-8 BOM or is valid UTF-8 (a character cut
    /// at the end of the prefix is allowed); Shift_JIS otherwise.
    pub fn detect(prefix: &[u8]) -> Self {
        if prefix.starts_with(b"\xEF\xBB\xBF") {
            return Self::Utf8;
        }
        match std::str::from_utf8(prefix) {
            Ok(_) => Self::Utf8,
            Err(e) if e.error_len().is_none() => Self::Utf8,
            Err(_) => Self::ShiftJis,
        }
    }
}

/// One good record.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub email: EmailAddress,
    pub name: Option<String>,
    pub attributes: Map<String, Value>,
}

/// One rejected record: where, why, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
    pub raw: String,
}

/// Why a record is not a subscriber; its text is the row's kept reason.
#[derive(Debug, thiserror::Error)]
enum RowFault {
    #[error("has bytes that are not text in the file's encoding (choose the encoding: UTF-8 or Shift_JIS)")]
    Encoding,
    #[error("has {got} fields, the header has {header}")]
    Fields { got: usize, header: usize },
    #[error("the name {0}")]
    Name(domain::text::TextError),
    #[error("the value of {key:?} {fault}")]
    Attribute { key: String, fault: domain::text::TextError },
    #[error("invalid email address {raw:?}: {error}")]
    Email { raw: String, error: domain::EmailError },
    #[error("duplicate of line {0}")]
    Duplicate(u32),
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the header has no email column (columns: {0})")]
    NoEmailColumn(String),
    #[error("the header line is longer than {} KB", MAX_RECORD_BYTES / 1024)]
    HeaderTooLong,
    #[error("the header's column {column} {error}")]
    BadColumn { column: usize, error: domain::text::TextError },
    #[error("reading the file failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What a column of the file becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Email,
    Name,
    Attribute(String),
    Ignored,
}

/// Reads records from a decoded (UTF-8) stream.
pub struct CsvRows<R> {
    input: R,
    columns: Vec<Column>,
    /// The number of the last physical line read from `input`.
    line: u64,
    /// Lines given back after an abandoned record, next first (reversed).
    pending: Vec<Line>,
    /// Hash of each address seen → its line, to report duplicates. The
    /// hasher is keyed at random, so nobody can craft two colliding addresses.
    seen: HashMap<u64, u32>,
    hasher: std::collections::hash_map::RandomState,
    parser: csv_core::Reader,
    fields: Vec<u8>,
    ends: Vec<usize>,
}

/// Opens `reader` with the given or detected encoding and reads its header.
/// `mapping` renames columns (header → `email`, `name`, an attribute name,
/// or `-` to ignore the column).
pub fn open(
    reader: impl Read + Send + 'static,
    encoding: Option<Encoding>,
    mapping: &HashMap<String, String>,
) -> Result<(Encoding, CsvRows<Box<dyn BufRead + Send>>), FileError> {
    let mut buffered = BufReader::with_capacity(256 * 1024, reader);
    let prefix = buffered.fill_buf()?;
    if prefix.is_empty() {
        return Err(FileError::Empty);
    }
    let encoding = encoding.unwrap_or_else(|| Encoding::detect(&prefix[..prefix.len().min(64 * 1024)]));
    let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(match encoding {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::ShiftJis => encoding_rs::SHIFT_JIS,
        }))
        .bom_override(true)
        .build(buffered);
    let input: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(256 * 1024, decoder));
    let rows = CsvRows::new(input, mapping)?;
    Ok((encoding, rows))
}

/// A record as read: its first line number and its fields, or why it had to
/// be abandoned and the start of its first line.
type RawRecord = (u64, Result<Vec<String>, (Abandoned, String)>);

/// Why a record was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Abandoned {
    /// A `"` opens a value that no `"` closes within the limits.
    Unterminated,
    /// Its line is this many bytes long.
    TooLong(u64),
}

impl Abandoned {
    fn reason(self) -> String {
        match self {
            Self::Unterminated => "unterminated quoted field: a \" opens a value that no \" closes".into(),
            Self::TooLong(length) => {
                format!("the line is {length} bytes long; a record may have at most {MAX_RECORD_BYTES}")
            }
        }
    }
}

/// One physical line: its number, its bytes (only the first
/// [`MAX_RECORD_BYTES`] of a longer line), and the length of a line that was
/// too long.
struct Line {
    number: u64,
    bytes: Vec<u8>,
    too_long: Option<u64>,
}

impl<R: BufRead> CsvRows<R> {
    pub fn new(input: R, mapping: &HashMap<String, String>) -> Result<Self, FileError> {
        let mut rows = Self {
            input,
            columns: Vec::new(),
            line: 0,
            pending: Vec::new(),
            seen: HashMap::new(),
            hasher: std::collections::hash_map::RandomState::new(),
            parser: csv_core::Reader::new(),
            fields: vec![0; 4096],
            ends: vec![0; 64],
        };
        let header = loop {
            match rows.next_record()? {
                None => return Err(FileError::Empty),
                Some((_, Err((Abandoned::TooLong(_), _)))) => return Err(FileError::HeaderTooLong),
                Some((_, Err((Abandoned::Unterminated, _)))) => return Err(FileError::Empty),
                Some((_, Ok(fields))) if fields.iter().all(|f| f.trim().is_empty()) => continue,
                Some((_, Ok(fields))) => break fields,
            }
        };
        for (i, name) in header.iter().enumerate() {
            domain::text::check_line(name).map_err(|error| FileError::BadColumn { column: i + 1, error })?;
        }
        rows.columns = header.iter().map(|h| classify(h, mapping)).collect();
        if !rows.columns.contains(&Column::Email) {
            return Err(FileError::NoEmailColumn(keep(&header.join(", "))));
        }
        Ok(rows)
    }

    /// The column names as the file has them mapped: `email`, `name` or the
    /// attribute name (`-` for ignored columns).
    pub fn columns(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| match c {
                Column::Email => "email".into(),
                Column::Name => "name".into(),
                Column::Attribute(a) => a.clone(),
                Column::Ignored => "-".into(),
            })
            .collect()
    }

    /// The next physical line; of a line longer than [`MAX_RECORD_BYTES`]
    /// only the start is kept, the rest is read past.
    fn next_line(&mut self) -> Result<Option<Line>, std::io::Error> {
        if let Some(line) = self.pending.pop() {
            return Ok(Some(line));
        }
        let mut bytes = Vec::new();
        let limit = MAX_RECORD_BYTES as u64 + 1;
        if (&mut self.input).take(limit).read_until(b'\n', &mut bytes)? == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut too_long = None;
        if bytes.len() > MAX_RECORD_BYTES && !bytes.ends_with(b"\n") {
            let mut length = bytes.len() as u64;
            loop {
                let buffer = self.input.fill_buf()?;
                if buffer.is_empty() {
                    break;
                }
                let (used, done) = match buffer.iter().position(|b| *b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (buffer.len(), false),
                };
                self.input.consume(used);
                length += used as u64;
                if done {
                    break;
                }
            }
            bytes.truncate(RAW_KEEP * 4);
            too_long = Some(length);
        }
        Ok(Some(Line { number: self.line, bytes, too_long }))
    }

    fn next_record(&mut self) -> Result<Option<RawRecord>, std::io::Error> {
        let Some(first) = self.next_line()? else { return Ok(None) };
        let start = first.number;
        if let Some(length) = first.too_long {
            return Ok(Some((start, Err((Abandoned::TooLong(length), keep_bytes(&first.bytes))))));
        }
        let mut record = first.bytes;
        let mut lines: Vec<(u64, usize)> = vec![(start, record.len())];
        while has_open_quote(&record) {
            let more = if lines.len() >= MAX_RECORD_LINES || record.len() >= MAX_RECORD_BYTES {
                None
            } else {
                self.next_line()?
            };
            // A line too long to join the record ends it as an open quote
            // does, and is reported on its own after the lines read again.
            let more = match more {
                Some(line) if line.too_long.is_some() => {
                    self.pending.push(line);
                    None
                }
                other => other.map(|line| (line.number, line.bytes)),
            };
            let Some((line, more)) = more else {
                // Too long, or the file ended inside the quotes: report the
                // first line and read the following ones again as records.
                let first_len = lines[0].1;
                let mut at = first_len;
                let mut again = Vec::new();
                for &(number, len) in &lines[1..] {
                    again.push(Line { number, bytes: record[at..at + len].to_vec(), too_long: None });
                    at += len;
                }
                again.reverse();
                self.pending.extend(again);
                return Ok(Some((start, Err((Abandoned::Unterminated, keep_bytes(&record[..first_len]))))));
            };
            lines.push((line, more.len()));
            record.extend_from_slice(&more);
        }
        Ok(Some((start, Ok(self.split_fields(&record)))))
    }

    /// Splits one record into fields with csv-core.
    fn split_fields(&mut self, record: &[u8]) -> Vec<String> {
        let mut input = record;
        while let Some(stripped) = input.strip_suffix(b"\n").or_else(|| input.strip_suffix(b"\r")) {
            input = stripped;
        }
        self.parser.reset();
        let (mut out, mut nend) = (0, 0);
        let mut finishing = false;
        loop {
            let (result, nin, nout, nends) =
                self.parser.read_record(input, &mut self.fields[out..], &mut self.ends[nend..]);
            input = &input[nin..];
            out += nout;
            nend += nends;
            match result {
                csv_core::ReadRecordResult::OutputFull => self.fields.resize(self.fields.len() * 2, 0),
                csv_core::ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                csv_core::ReadRecordResult::InputEmpty if !finishing => finishing = true,
                csv_core::ReadRecordResult::InputEmpty
                | csv_core::ReadRecordResult::Record
                | csv_core::ReadRecordResult::End => break,
            }
        }
        let mut start = 0;
        self.ends[..nend]
            .iter()
            .map(|&end| {
                let field = String::from_utf8_lossy(&self.fields[start..end]).into_owned();
                start = end;
                field
            })
            .collect()
    }

    /// Turns a record's fields into a row, or says why not.
    fn row(&mut self, line: u64, fields: Vec<String>) -> Result<Row, RowFault> {
        if fields.iter().any(|f| f.contains('\u{FFFD}')) {
            return Err(RowFault::Encoding);
        }
        if fields.len() != self.columns.len() {
            return Err(RowFault::Fields { got: fields.len(), header: self.columns.len() });
        }
        let mut email = None;
        let mut name = None;
        let mut attributes = Map::new();
        for (column, value) in self.columns.iter().zip(fields) {
            let value = value.trim();
            match column {
                Column::Email => email = Some(value.to_string()),
                Column::Name => {
                    domain::text::check_line(value).map_err(RowFault::Name)?;
                    name = Some(value.to_string());
                }
                Column::Attribute(key) if !value.is_empty() => {
                    domain::text::check_text(value).map_err(|e| RowFault::Attribute { key: key.clone(), fault: e })?;
                    attributes.insert(key.clone(), json_value(value));
                }
                Column::Attribute(_) | Column::Ignored => {}
            }
        }
        let raw_email = email.unwrap_or_default();
        let email = EmailAddress::parse(&raw_email).map_err(|e| RowFault::Email { raw: keep(&raw_email), error: e })?;
        let key = std::hash::BuildHasher::hash_one(&self.hasher, email.as_str().to_lowercase());
        if let Some(first) = self.seen.get(&key) {
            return Err(RowFault::Duplicate(*first));
        }
        self.seen.insert(key, u32::try_from(line).unwrap_or(u32::MAX));
        Ok(Row { line, email, name, attributes })
    }
}

impl<R: BufRead> Iterator for CsvRows<R> {
    type Item = Result<Result<Row, RowError>, std::io::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (line, record) = match self.next_record() {
                Ok(Some(record)) => record,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            let fields = match record {
                Ok(fields) if fields.iter().all(|f| f.trim().is_empty()) => continue,
                Ok(fields) => fields,
                Err((why, raw)) => return Some(Ok(Err(RowError { line, reason: why.reason(), raw }))),
            };
            let raw = fields.join(",");
            return Some(Ok(self.row(line, fields).map_err(|fault| RowError {
                line,
                reason: fault.to_string(),
                raw: keep(&raw),
            })));
        }
    }
}

/// The start of a rejected record, for its report (a NUL, which no text
/// column takes, becomes U+FFFD).
fn keep(raw: &str) -> String {
    let mut kept: String = raw.chars().take(RAW_KEEP).map(|c| if c == '\0' { '\u{FFFD}' } else { c }).collect();
    if kept.len() < raw.len() {
        kept.push('…');
    }
    kept
}

fn keep_bytes(raw: &[u8]) -> String {
    keep(String::from_utf8_lossy(raw).trim_end())
}

/// True when the bytes so far leave a quoted field open. As in csv-core, a
/// field is quoted only when `"` is its first byte; a `"` inside an unquoted
/// field (`24" monitor`) is an ordinary character.
fn has_open_quote(record: &[u8]) -> bool {
    let mut in_quotes = false;
    let mut field_start = true;
    let mut bytes = record.iter().peekable();
    while let Some(&b) = bytes.next() {
        if in_quotes {
            if b == b'"' {
                if bytes.peek() == Some(&&b'"') {
                    bytes.next();
                } else {
                    in_quotes = false;
                }
            }
            continue;
        }
        match b {
            b'"' if field_start => in_quotes = true,
            b',' | b'\n' => {
                field_start = true;
                continue;
            }
            _ => {}
        }
        field_start = false;
    }
    in_quotes
}

fn classify(header: &str, mapping: &HashMap<String, String>) -> Column {
    let header = header.trim().trim_start_matches('\u{feff}').trim();
    let target = mapping.get(header).map(String::as_str).unwrap_or(header);
    let key = target.trim().to_lowercase();
    match key.as_str() {
        "" | "-" => Column::Ignored,
        "email" | "e-mail" | "email address" | "e-mail address" | "mail" | "メールアドレス" | "メール" => {
            Column::Email
        }
        "name" | "full name" | "名前" | "氏名" | "お名前" => Column::Name,
        _ => Column::Attribute(target.trim().to_string()),
    }
}

/// A CSV value as JSON: plain integers and decimals become numbers (but not
/// ones with leading zeros, such as postal codes), everything else a string.
fn json_value(value: &str) -> Value {
    let plain_number = !value.is_empty()
        && value.len() <= 15
        && !(value.len() > 1 && value.starts_with('0') && !value.starts_with("0."))
        && value.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || (c == '-' && i == 0) || c == '.');
    if plain_number {
        if let Ok(n) = value.parse::<i64>() {
            return Value::from(n);
        }
        if let Some(n) = value.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `input` and returns the good rows as `line:email` and the
    /// rejected ones as `line!reason`.
    fn check(input: &[u8], expected: &[&str]) {
        let (_, rows) = open(std::io::Cursor::new(input.to_vec()), None, &HashMap::new())
            .unwrap_or_else(|e| panic!("cannot open: {e}"));
        let got: Vec<String> = rows
            .map(|r| match r {
                Ok(Ok(row)) => format!("{}:{}", row.line, row.email),
                Ok(Err(e)) => format!("{}!{}", e.line, e.reason),
                Err(e) => format!("io: {e}"),
            })
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn good_rows_bad_rows_and_their_lines() {
        check(
            b"email,name,plan\na@example.com,A,pro\nnot-an-address,B,free\n\nb@example.com,\"B, Jr.\",free\nA@EXAMPLE.COM,A2,pro\nc@example.com,C\n",
            &[
                "2:a@example.com",
                "3!invalid email address \"not-an-address\": the address has no @",
                "5:b@example.com",
                "6!duplicate of line 2",
                "7!has 2 fields, the header has 3",
            ],
        );
    }

    #[test]
    fn quoted_newlines_are_one_record_and_an_unterminated_quote_is_isolated() {
        check(
            b"email,note\na@example.com,\"two\nlines\"\nb@example.com,\"never closed\nc@example.com,fine\n",
            &[
                "2:a@example.com",
                "4!unterminated quoted field: a \" opens a value that no \" closes",
                "5:c@example.com",
            ],
        );
        // Past MAX_RECORD_LINES the record is abandoned and later lines still count.
        let mut input = b"email,note\nx@example.com,\"open\n".to_vec();
        for i in 0..30 {
            input.extend_from_slice(format!("u{i}@example.com,ok\n").as_bytes());
        }
        let (_, rows) = open(std::io::Cursor::new(input), None, &HashMap::new()).unwrap_or_else(|e| panic!("{e}"));
        let results: Vec<_> = rows.filter_map(Result::ok).collect();
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 30);
    }

    #[test]
    fn a_huge_line_is_read_past_and_quoted_only_in_part() {
        let huge = "x".repeat(20 * 1024 * 1024);
        let input = format!(
            "email,note\na@example.com,{huge}\nb@example.com,\"opens\n{huge}\nc@example.com,fine\nd@example.com,{huge}"
        );
        let (_, rows) = open(std::io::Cursor::new(input.into_bytes()), None, &HashMap::new()).expect("opens");
        let got: Vec<_> = rows.map(|r| r.expect("no I/O error")).collect();
        let summary: Vec<String> = got
            .iter()
            .map(|r| match r {
                Ok(row) => format!("{}:{}", row.line, row.email),
                Err(e) => format!("{}!{}", e.line, e.reason),
            })
            .collect();
        let too_long = format!("the line is {} bytes long; a record may have at most 65536", 20 * 1024 * 1024 + 15);
        assert_eq!(
            summary,
            [
                format!("2!{too_long}"),
                "3!unterminated quoted field: a \" opens a value that no \" closes".to_string(),
                format!("4!the line is {} bytes long; a record may have at most 65536", 20 * 1024 * 1024 + 1),
                "5:c@example.com".to_string(),
                format!("6!the line is {} bytes long; a record may have at most 65536", 20 * 1024 * 1024 + 14),
            ]
        );
        for error in got.iter().filter_map(|r| r.as_ref().err()) {
            assert!(error.raw.chars().count() <= 201, "{} characters kept", error.raw.chars().count());
        }
    }

    #[test]
    fn a_huge_or_odd_header_is_refused_with_a_short_reason() {
        let huge = format!("email,{}\na@example.com,1\n", "y".repeat(10 * 1024 * 1024));
        let err = open(std::io::Cursor::new(huge.into_bytes()), None, &HashMap::new()).err().expect("refused");
        assert_eq!(err.to_string(), "the header line is longer than 64 KB");
        let no_email = format!("{}\n", "name,".repeat(10_000));
        let err = open(std::io::Cursor::new(no_email.into_bytes()), None, &HashMap::new()).err().expect("refused");
        assert!(err.to_string().len() < 300, "{err}");
        let control = open(std::io::Cursor::new(b"email,ci\x1bty\n".to_vec()), None, &HashMap::new()).err();
        assert_eq!(
            control.expect("refused").to_string(),
            "the header's column 2 contains a control character (U+001B) at character 3"
        );
    }

    #[test]
    fn control_characters_in_names_and_values_reject_the_row() {
        check(
            b"email,name,note\na@example.com,\"B\r\nReply-To: x@evil.example\",\nb@example.com,Bo,\"two\nlines\"\nc@example.com,C,nul\x00here\n",
            &[
                "2!the name contains a carriage return (U+000D) at character 2",
                "4:b@example.com",
                "6!the value of \"note\" contains a NUL character (U+0000) at character 4",
            ],
        );
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_a_character() {
        check(
            b"email,item\na@example.com,24\" monitor\nb@example.com,plain\nc@example.com,27\" TV\n",
            &["2:a@example.com", "3:b@example.com", "4:c@example.com"],
        );
        assert!(!has_open_quote(b"a,24\" monitor\n"));
        assert!(has_open_quote(b"a,\"two\n"));
        assert!(!has_open_quote(b"a,\"say \"\"hi\"\"\"\n"));
    }

    #[test]
    fn undecodable_bytes_reject_their_row() {
        // Latin-1 bytes in a file read as UTF-8.
        let (encoding, rows) = open(
            std::io::Cursor::new(b"email,city\na@example.com,Z\xfcrich\nb@example.com,Bern\n".to_vec()),
            Some(Encoding::Utf8),
            &HashMap::new(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(encoding, Encoding::Utf8);
        let got: Vec<bool> = rows.map(|r| matches!(r, Ok(Ok(_)))).collect();
        assert_eq!(got, [false, true]);
    }

    #[test]
    fn bom_crlf_and_japanese_headers() {
        check(
            "\u{feff}メールアドレス,氏名,都道府県\r\nhanako@example.jp,山田花子,東京都\r\n".as_bytes(),
            &["2:hanako@example.jp"],
        );
    }

    #[test]
    fn shift_jis_is_detected_and_decoded() {
        let text = "メールアドレス,氏名,都道府県\r\ntaro@example.jp,山田太郎,大阪府\r\n";
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        let (encoding, mut rows) =
            open(std::io::Cursor::new(bytes.into_owned()), None, &HashMap::new()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(encoding, Encoding::ShiftJis);
        let row = rows.next().and_then(Result::ok).and_then(Result::ok).unwrap_or_else(|| panic!("no row"));
        assert_eq!(row.name.as_deref(), Some("山田太郎"));
        assert_eq!(row.attributes.get("都道府県"), Some(&Value::from("大阪府")));
    }

    #[test]
    fn values_become_numbers_only_when_plainly_numbers() {
        assert_eq!(json_value("42"), Value::from(42));
        assert_eq!(json_value("-3.5"), Value::from(-3.5));
        assert_eq!(json_value("0123"), Value::from("0123"));
        assert_eq!(json_value("1-2-3"), Value::from("1-2-3"));
        assert_eq!(json_value("090-1234-5678"), Value::from("090-1234-5678"));
        assert_eq!(json_value("1e5"), Value::from("1e5"));
    }

    #[test]
    fn header_problems_fail_the_file() {
        let no_email = open(std::io::Cursor::new(b"name,plan\nA,pro\n".to_vec()), None, &HashMap::new());
        assert!(matches!(no_email, Err(FileError::NoEmailColumn(cols)) if cols == "name, plan"));
        assert!(matches!(open(std::io::Cursor::new(Vec::new()), None, &HashMap::new()), Err(FileError::Empty)));
        // A mapping can name the email column.
        let mapping = HashMap::from([("Address".to_string(), "email".to_string())]);
        let opened = open(std::io::Cursor::new(b"Address\na@example.com\n".to_vec()), None, &mapping);
        assert!(opened.is_ok());
    }
}

//! ISO-2022-JP (RFC 1468), for campaigns whose readers' mail systems or
//! phones expect it: the characters it cannot carry, found before sending
//! with their place; half-width katakana made full-width, as Japanese
//! mailers do; and the encoded forms of header words (RFC 2047 "B") and of
//! a body (7bit: every line ends in ASCII and stays under 998 octets).
//!
//! Only JIS X 0208 (and ASCII) goes out. The vendor extensions that some
//! systems show (NEC row 13: ①, ㈱, Ⅰ, ㍻ …; IBM's rows 89–92) and
//! everything outside JIS X 0208 (髙, 﨑, emoji) are refused in what the
//! marketer writes, and replaced by 〓 (the geta mark, the customary stand-in)
//! in what subscribers' data brings at send time.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use encoding_rs::ISO_2022_JP;

/// How a message's text parts and header words are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    /// UTF-8: every character, quoted-printable or base64.
    #[default]
    Utf8,
    /// ISO-2022-JP: JIS X 0208 only, 7bit.
    Iso2022Jp,
}

impl Charset {
    /// The stored and API name: `utf-8`, `iso-2022-jp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Iso2022Jp => "iso-2022-jp",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Self::Utf8),
            "iso-2022-jp" => Some(Self::Iso2022Jp),
            _ => None,
        }
    }
}

/// Why a character cannot go out in ISO-2022-JP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 機種依存文字: a vendor extension (①, ㈱, Ⅰ, ㍻ …) that only some
    /// systems show.
    VendorSpecific,
    /// An emoji or pictograph.
    Emoji,
    /// Outside JIS X 0208 (髙, 﨑, and most of Unicode).
    OutsideJis,
}

impl Kind {
    /// The key of its words in the catalogs (`charset-vendor-specific` …).
    pub fn key(self) -> &'static str {
        match self {
            Self::VendorSpecific => "charset-vendor-specific",
            Self::Emoji => "charset-emoji",
            Self::OutsideJis => "charset-outside-jis",
        }
    }
}

/// A character ISO-2022-JP cannot carry, and where it is (1-based line and
/// column, counted in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unencodable {
    pub line: usize,
    pub column: usize,
    pub character: char,
    pub kind: Kind,
}

/// Every character of `text` that ISO-2022-JP cannot carry, in order.
/// Half-width katakana are not among them (they are converted).
pub fn unencodable(text: &str) -> Vec<Unencodable> {
    let mut found = Vec::new();
    for (line_index, line) in text.split('\n').enumerate() {
        for (column_index, character) in line.chars().enumerate() {
            if is_half_width_katakana(character) || stand_in(character).is_some() {
                continue;
            }
            if let Some(kind) = fault(character) {
                found.push(Unencodable { line: line_index + 1, column: column_index + 1, character, kind });
            }
        }
    }
    found
}

/// Why `c` cannot go out, or None when it can.
pub fn fault(c: char) -> Option<Kind> {
    if c.is_ascii() {
        // The shift codes would switch character sets under the decoder.
        return matches!(c, '\u{1b}' | '\u{0e}' | '\u{0f}').then_some(Kind::OutsideJis);
    }
    thread_local! {
        static SEEN: RefCell<HashMap<char, Option<Kind>>> = RefCell::new(HashMap::new());
    }
    SEEN.with(|seen| *seen.borrow_mut().entry(c).or_insert_with(|| classify(c)))
}

fn classify(c: char) -> Option<Kind> {
    let mut buffer = [0u8; 4];
    let (bytes, _, unmappable) = ISO_2022_JP.encode(c.encode_utf8(&mut buffer));
    let vendor_range = matches!(u32::from(c), 0x2150..=0x218F | 0x2460..=0x24FF | 0x3200..=0x33FF | 0x2116 | 0x2121);
    if unmappable {
        let emoji = matches!(
            u32::from(c),
            0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x200D | 0xE000..=0xF8FF
        );
        return Some(if emoji {
            Kind::Emoji
        } else if vendor_range {
            Kind::VendorSpecific
        } else {
            Kind::OutsideJis
        });
    }
    // Encoded as ESC $ B, row, cell, ESC ( B: JIS X 0208 has rows 1–8 and
    // 16–84; the encoder also knows NEC's symbols (row 13) and the kanji of
    // IBM's extension (rows 89–92: 髙, 﨑 …).
    match bytes.as_ref() {
        [0x1b, b'$', b'B', lead, _, ..] => match lead - 0x20 {
            9..=15 => Some(Kind::VendorSpecific),
            85..=94 => Some(if vendor_range { Kind::VendorSpecific } else { Kind::OutsideJis }),
            _ => None,
        },
        // ¥ and ‾ in JIS X 0201 Roman (ESC ( J), which RFC 1468 allows.
        _ => None,
    }
}

fn is_half_width_katakana(c: char) -> bool {
    matches!(c, '\u{FF61}'..='\u{FF9F}')
}

/// The full-width forms of U+FF61 … U+FF9F, in order.
const FULL_WIDTH: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";

/// `text` with half-width katakana made full-width, a voiced or semi-voiced
/// mark joined to the kana before it (ｶﾞ → ガ, ﾊﾟ → パ, ｳﾞ → ヴ).
pub fn full_width_katakana(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_half_width_katakana) {
        return Cow::Borrowed(text);
    }
    let full: Vec<char> = FULL_WIDTH.chars().collect();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !is_half_width_katakana(c) {
            out.push(c);
            continue;
        }
        let wide = full[(u32::from(c) - 0xFF61) as usize];
        let joined = match (out.chars().last(), c) {
            (Some('ウ'), '\u{FF9E}') => Some('ヴ'),
            (Some(base @ ('カ'..='ト' | 'ハ'..='ホ')), '\u{FF9E}') if voiceable(base) => {
                char::from_u32(u32::from(base) + 1)
            }
            (Some(base @ 'ハ'..='ホ'), '\u{FF9F}') if (u32::from(base) - u32::from('ハ')).is_multiple_of(3) => {
                char::from_u32(u32::from(base) + 2)
            }
            _ => None,
        };
        match joined {
            Some(voiced) => {
                out.pop();
                out.push(voiced);
            }
            None => out.push(wide),
        }
    }
    Cow::Owned(out)
}

/// Whether a full-width kana between カ and ホ has a voiced form right
/// after it (カ→ガ, but not ッ or ナ).
fn voiceable(base: char) -> bool {
    let code = u32::from(base);
    match base {
        'カ'..='ヂ' => (code - u32::from('カ')).is_multiple_of(2),
        'ツ'..='ド' => (code - u32::from('ツ')).is_multiple_of(2),
        'ハ'..='ホ' => (code - u32::from('ハ')).is_multiple_of(3),
        _ => false,
    }
}

/// The runs of half-width katakana in `text` and what each becomes, each
/// once, to show the marketer what was converted.
pub fn conversions(text: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\n')) {
        if is_half_width_katakana(c) {
            run.push(c);
        } else if !run.is_empty() {
            let converted = full_width_katakana(&run).into_owned();
            if !found.iter().any(|(from, _)| *from == run) {
                found.push((std::mem::take(&mut run), converted));
            }
            run.clear();
        }
    }
    found
}

/// What JIS X 0208 writes for common punctuation it lacks (the layouts'
/// middle dot, dashes, a no-break space …), as Japanese mailers send it.
fn stand_in(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00B7}' | '\u{2022}' | '\u{2027}' => "・",
        '\u{00A0}' | '\u{2002}' | '\u{2003}' | '\u{2009}' => " ",
        '\u{2013}' => "－",
        '\u{2014}' => "―",
        '\u{00A9}' => "(C)",
        '\u{00AE}' => "(R)",
        '\u{2122}' => "(TM)",
        _ => return None,
    })
}

/// `text` with the stand-ins put in and every other character
/// ISO-2022-JP cannot carry replaced by 〓.
fn sendable(text: &str) -> Cow<'_, str> {
    let text = full_width_katakana(text);
    if !text.chars().any(|c| fault(c).is_some()) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match (fault(c), stand_in(c)) {
            (None, _) => out.push(c),
            (Some(_), Some(instead)) => out.push_str(instead),
            (Some(_), None) => out.push('〓'),
        }
    }
    Cow::Owned(out)
}

/// Encodes text that holds only sendable characters.
fn encode(text: &str) -> Vec<u8> {
    ISO_2022_JP.encode(text).0.into_owned()
}

/// `text` as RFC 2047 encoded words (`=?ISO-2022-JP?B?…?=`), each at most
/// 75 characters and each ending in ASCII, as RFC 1468 wants.
pub fn encoded_words(text: &str) -> Vec<String> {
    use base64::Engine;
    // 75 = "=?ISO-2022-JP?B?" (16) + 56 base64 characters + "?=" (2).
    const MOST: usize = 42;
    let text = sendable(text);
    let mut words = Vec::new();
    let mut piece = String::new();
    let mut encoded = Vec::new();
    for c in text.chars() {
        piece.push(c);
        let longer = encode(&piece);
        if longer.len() > MOST && piece.chars().count() > 1 {
            piece.pop();
            words.push(std::mem::take(&mut encoded));
            piece.clear();
            piece.push(c);
            encoded = encode(&piece);
        } else {
            encoded = longer;
        }
    }
    if !encoded.is_empty() {
        words.push(encoded);
    }
    words
        .into_iter()
        .map(|bytes| format!("=?ISO-2022-JP?B?{}?=", base64::engine::general_purpose::STANDARD.encode(bytes)))
        .collect()
}

/// The longest encoded line written as it is; a longer one is broken.
const LONGEST_LINE: usize = 900;

/// A text or HTML part in ISO-2022-JP with CRLF line ends, every line
/// under 998 octets: a longer line is broken at its last space before the
/// limit, else between two Japanese characters, else where it reaches it.
pub fn body(text: &str, out: &mut Vec<u8>) {
    let text = sendable(text);
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut rest = line;
        loop {
            let encoded = encode(rest);
            if encoded.len() <= LONGEST_LINE {
                out.extend_from_slice(&encoded);
                out.extend_from_slice(b"\r\n");
                break;
            }
            let (head, tail) = break_line(rest);
            out.extend_from_slice(&encode(head));
            out.extend_from_slice(b"\r\n");
            rest = tail;
        }
    }
}

/// Where a line too long to send breaks: (what stays on it, what goes on).
fn break_line(line: &str) -> (&str, &str) {
    // At most 5 octets a character (a switch of sets and a JIS pair), so
    // this many characters always fit.
    let fits = LONGEST_LINE / 5;
    let end = line.char_indices().nth(fits).map_or(line.len(), |(at, _)| at);
    let start = &line[..end];
    if let Some(space) = start.rfind(' ').filter(|&at| at > 0) {
        return (&line[..space], &line[space + 1..]);
    }
    let mut previous = None;
    let mut between = None;
    for (at, c) in start.char_indices() {
        if previous.is_some_and(|p: char| !p.is_ascii()) && !c.is_ascii() {
            between = Some(at);
        }
        previous = Some(c);
    }
    let at = between.unwrap_or(end);
    line.split_at(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> String {
        let (text, _, errors) = ISO_2022_JP.decode(bytes);
        assert!(!errors, "decodes cleanly");
        text.into_owned()
    }

    #[test]
    fn what_cannot_go_out_is_found_with_its_place_and_kind() {
        let text = "ご案内\n①セール ㈱ショップ\n髙橋様🎉 ｾｰﾙ ¥100";
        let found = unencodable(text);
        let seen: Vec<(usize, usize, char, Kind)> =
            found.iter().map(|u| (u.line, u.column, u.character, u.kind)).collect();
        assert_eq!(
            seen,
            vec![
                (2, 1, '①', Kind::VendorSpecific),
                (2, 6, '㈱', Kind::VendorSpecific),
                (3, 1, '髙', Kind::OutsideJis),
                (3, 4, '🎉', Kind::Emoji),
            ]
        );
        assert!(unencodable("漢字かなカナＡＢＣ、。「」〒 · – ©").is_empty(), "stand-ins are no fault");
        assert_eq!(fault('Ⅰ'), Some(Kind::VendorSpecific));
        assert_eq!(fault('﨑'), Some(Kind::OutsideJis));
        assert_eq!(fault('\u{1b}'), Some(Kind::OutsideJis));
    }

    #[test]
    fn half_width_katakana_become_full_width_with_their_marks_joined() {
        assert_eq!(full_width_katakana("ｾｰﾙ ｶﾞｲﾄﾞ ﾊﾟﾝ ｳﾞｧ ﾂﾞ ｯﾞ ﾅﾞ"), "セール ガイド パン ヴァ ヅ ッ゛ ナ゛");
        assert_eq!(full_width_katakana("ﾋﾟﾋﾞﾌﾟﾍﾟﾎﾟ｡｢｣"), "ピビプペポ。「」");
        assert!(matches!(full_width_katakana("全角のまま"), Cow::Borrowed(_)));
        assert_eq!(conversions("ｾｰﾙ と ｾｰﾙ と ｶﾞ"), vec![("ｾｰﾙ".into(), "セール".into()), ("ｶﾞ".into(), "ガ".into())]);
    }

    #[test]
    fn header_words_are_short_and_each_ends_in_ascii() {
        let subject = "【冬のセール】山田 花子さんへのご案内。最大50%オフの商品を多数ご用意しました";
        let words = encoded_words(subject);
        assert!(words.len() > 1);
        let mut decoded = String::new();
        for word in &words {
            assert!(word.len() <= 75, "{word}");
            let b64 = word.strip_prefix("=?ISO-2022-JP?B?").and_then(|w| w.strip_suffix("?=")).expect("a B word");
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
            assert!(bytes.is_ascii());
            assert!(!bytes.ends_with(b"\x1b$B") && (bytes.ends_with(b"\x1b(B") || !bytes.contains(&0x1b)));
            decoded.push_str(&decode(&bytes));
        }
        assert_eq!(decoded, subject);
        assert_eq!(encoded_words("①髙"), vec!["=?ISO-2022-JP?B?GyRCIi4iLhsoQg==?=".to_owned()], "〓〓");
    }

    #[test]
    fn a_body_is_seven_bit_with_short_lines_that_end_in_ascii() {
        let long = "あいうえお".repeat(300) + " end";
        let spaced = "word ".repeat(400);
        let text = format!("こんにちは ｾｰﾙ · ©\n{long}\n{spaced}\n①");
        let mut out = Vec::new();
        body(&text, &mut out);
        assert!(out.is_ascii());
        for line in out.split(|b| *b == b'\n') {
            assert!(line.len() <= 998, "{}", line.len());
            assert!(
                !line.contains(&0x1b) || line.windows(3).rev().find(|w| w[0] == 0x1b).is_some_and(|w| w == b"\x1b(B")
            );
        }
        let decoded = decode(&out).replace("\r\n", "\n");
        assert!(decoded.starts_with("こんにちは セール ・ (C)\n"), "stand-ins for what JIS lacks");
        // A line too long breaks between two Japanese characters: joined again, it is all there.
        assert_eq!(decoded.replace('\n', "").matches("あいうえお").count(), 300);
        assert_eq!(decoded.matches("word").count(), 400);
        assert!(decoded.ends_with("\n〓\n"));
    }
}

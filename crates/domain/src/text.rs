//! Text that people type into a field: a name, a list's or a campaign's
//! name, an attribute's value.
//!
//! These values end up in mail headers, in PostgreSQL text columns and on
//! pages. A control character has no place in any of them: CR and LF could
//! start a header of their own, NUL is refused by PostgreSQL, and the others
//! are invisible. Every edge (forms, the API, CSV rows, the profile page)
//! checks them here and names the character it refuses; the mail header
//! writer cleans whatever gets past anyway.

use std::fmt;

/// A character that may not appear in a field, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("contains {what} at character {position}")]
pub struct TextError {
    pub what: Unfit,
    /// Counted in characters from 1.
    pub position: usize,
}

/// A refused character, named for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unfit(pub char);

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            '\r' => "a carriage return",
            '\n' => "a line break",
            '\t' => "a tab",
            '\0' => "a NUL character",
            '\u{2028}' | '\u{2029}' => "a line separator",
            _ => "a control character",
        };
        write!(f, "{name} (U+{:04X})", u32::from(self.0))
    }
}

/// A single line (a name): no control character at all, tabs and line
/// breaks included, nor a Unicode line or paragraph separator.
pub fn check_line(value: &str) -> Result<(), TextError> {
    first_unfit(value, |c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
}

/// Free text (an attribute's value, a description): line breaks and tabs
/// are allowed, no other control character.
pub fn check_text(value: &str) -> Result<(), TextError> {
    first_unfit(value, |c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn first_unfit(value: &str, unfit: impl Fn(char) -> bool) -> Result<(), TextError> {
    match value.chars().enumerate().find(|(_, c)| unfit(*c)) {
        None => Ok(()),
        Some((i, c)) => Err(TextError { what: Unfit(c), position: i + 1 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_refuses_every_control_character_and_names_it() {
        assert_eq!(check_line("山田 花子 (Hanako) – 東京"), Ok(()));
        for (value, position, named) in [
            ("B\r\nReply-To: x", 2, "a carriage return (U+000D)"),
            ("B\nx", 2, "a line break (U+000A)"),
            ("\0", 1, "a NUL character (U+0000)"),
            ("a\tb", 2, "a tab (U+0009)"),
            ("ab\u{1b}[31m", 3, "a control character (U+001B)"),
            ("x\u{7f}", 2, "a control character (U+007F)"),
            ("名\u{85}", 2, "a control character (U+0085)"),
            ("a\u{2028}", 2, "a line separator (U+2028)"),
        ] {
            let err = check_line(value).expect_err(value);
            assert_eq!(err.position, position, "{value:?}");
            assert_eq!(err.what.to_string(), named);
            assert_eq!(err.to_string(), format!("contains {named} at character {position}"));
        }
    }

    #[test]
    fn free_text_keeps_its_lines_but_no_other_control() {
        assert_eq!(check_text("1-2-3 Chiyoda\r\nTokyo\tJapan"), Ok(()));
        assert_eq!(check_text("a\0b").map_err(|e| e.position), Err(2));
        assert_eq!(check_text("\u{1}").map_err(|e| e.position), Err(1));
    }
}

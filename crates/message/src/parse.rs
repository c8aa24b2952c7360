//! mail-parser behind a guard: on some malformed nesting (found by fuzzing)
//! it panics instead of returning None. Mail from the internet must never
//! take a session or an import down, so a panic there reads as "cannot be
//! parsed".

use mail_parser::{Message, MessageParser};

/// The parsed message, or None when it cannot be parsed.
pub fn parse(raw: &[u8]) -> Option<Message<'_>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| MessageParser::default().parse(raw))).ok().flatten()
}

/// The headers alone, or None.
pub fn parse_headers(raw: &[u8]) -> Option<Message<'_>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| MessageParser::default().parse_headers(raw)))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    /// A multipart whose part opens a nested message on the boundary line
    /// itself: mail-parser 0.11.9 panics ("Invalid part ID").
    const NESTED: &[u8] = b"1. \nContent-Type:multipart/ed;boundary=B00\nN\n\n--B00Content-Type:message/rfc822\n\n\
Content-Type:message/rfc822\n\n\n--B00--\n";

    #[test]
    fn a_message_that_makes_the_parser_panic_is_unreadable_not_a_crash() {
        let raw = std::panic::catch_unwind(|| mail_parser::MessageParser::default().parse(NESTED).is_some());
        assert!(raw.is_err(), "mail-parser itself panics on this input (if it no longer does, the guard may go)");
        assert!(super::parse(NESTED).is_none());
    }
}

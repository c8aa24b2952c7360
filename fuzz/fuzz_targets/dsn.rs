//! Bounce reading: any bytes after the head of a delivery report, so the
//! fuzzer spends its time in the report's fields and the quoted original.
#![no_main]

use libfuzzer_sys::fuzz_target;

const HEAD: &[u8] = b"From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\n\
Content-Type: message/delivery-status\r\n\r\n";

mod quiet;

fuzz_target!(init: quiet::mail_parser_panics(), |data: &[u8]| {
    let mut message = HEAD.to_vec();
    message.extend_from_slice(data);
    let _ = inbound::feedback::parse(&message);
    // And the bytes alone: plain-text bounces, auto-replies, garbage.
    let _ = inbound::feedback::parse(data);
});

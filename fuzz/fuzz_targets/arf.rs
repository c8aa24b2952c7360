//! Complaint reading: any bytes after the head of a feedback report.
#![no_main]

use libfuzzer_sys::fuzz_target;

const HEAD: &[u8] = b"From: fbl@example.org\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\r\n\r\n--A\r\n\
Content-Type: message/feedback-report\r\n\r\n";

mod quiet;

fuzz_target!(init: quiet::mail_parser_panics(), |data: &[u8]| {
    let mut message = HEAD.to_vec();
    message.extend_from_slice(data);
    let _ = inbound::feedback::parse(&message);
});

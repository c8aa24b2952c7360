//! Complaint reading: any bytes after the head of a feedback report.
#![no_main]

use libfuzzer_sys::fuzz_target;

const HEAD: &[u8] = b"From: fbl@example.org\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\r\n\r\n--A\r\n\
Content-Type: message/feedback-report\r\n\r\n";

/// mail-parser panics on some malformed nesting; ninsho catches that and
/// reads the message as unparseable, so such a panic is no finding. Any
/// other panic still aborts (it cannot unwind out of the fuzz target).
fn quiet_mail_parser_panics() {
    std::panic::set_hook(Box::new(|info| {
        if !info.location().is_some_and(|l| l.file().contains("mail-parser")) {
            eprintln!("{info}");
        }
    }));
}

fuzz_target!(init: quiet_mail_parser_panics(), |data: &[u8]| {
    let mut message = HEAD.to_vec();
    message.extend_from_slice(data);
    let _ = inbound::feedback::parse(&message);
});

//! DMARC aggregate and TLS reports: unpacking (gzip, zip, messages) with
//! small caps, then parsing whatever came out, and parsing the bytes as
//! they are.
#![no_main]

use inbound::reports::{self, Limits};
use libfuzzer_sys::fuzz_target;

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
    let limits = Limits { max_bytes: 1 << 20, max_ratio: 200, max_files: 8 };
    if let Ok(files) = reports::unpack("fuzz", data, limits) {
        for (_, bytes) in files {
            let _ = reports::parse(&bytes);
        }
    }
    if let Ok(reports::Report::Dmarc(report)) = reports::parse(data) {
        for row in &report.records {
            let _ = report.split(row.count);
        }
    }
});

//! DMARC aggregate and TLS reports: unpacking (gzip, zip, messages) with
//! small caps, then parsing whatever came out, and parsing the bytes as
//! they are.
#![no_main]

use reports::Limits;
use libfuzzer_sys::fuzz_target;

mod quiet;

fuzz_target!(init: quiet::mail_parser_panics(), |data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, max_ratio: 200, max_files: 8 };
    for (_, bytes) in reports::unpack("fuzz", data, limits).into_iter().flatten() {
        let _ = reports::parse(&bytes);
    }
    if let Ok(reports::Report::Dmarc(report)) = reports::parse(data) {
        for row in &report.records {
            let _ = report.split(row.count);
        }
    }
});

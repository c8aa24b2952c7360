//! The inbound listener's command parser, one line at a time.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        let _ = inbound::smtp::parse_command(line.strip_suffix(b"\r").unwrap_or(line));
    }
});

//! DMARC aggregate and SMTP TLS reports: unpacked and parsed ([`parse`],
//! pure, fuzzed), then classified and kept ([`ingest`]). The listener hands
//! each report it receives to [`Ingest`]; the dashboard and `ninsho reports
//! import` hand it uploaded files.

pub mod ingest;
pub mod parse;

pub use ingest::Ingest;
pub use parse::*;

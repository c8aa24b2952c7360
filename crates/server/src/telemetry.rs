//! Logging: `tracing` to stderr, filtered by `RUST_LOG` or `log.filter`,
//! as text or JSON.

use anyhow::{Context, Result};
use settings::{LogFormat, LogSettings};
use tracing_subscriber::EnvFilter;

pub fn init(log: &LogSettings) -> Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.is_empty() => EnvFilter::try_new(&value).context("RUST_LOG is not a valid filter")?,
        _ => EnvFilter::try_new(&log.filter).with_context(|| format!("log.filter {:?} is not valid", log.filter))?,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

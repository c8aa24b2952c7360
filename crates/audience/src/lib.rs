//! Audience operations that are more than one query: streaming CSV imports
//! (and, later, exports). Parsing runs on a blocking thread; batches are
//! written by one async writer, so memory stays bounded whatever the file size.

pub mod csv;

use std::collections::HashMap;
use std::io::Read;

use domain::ImportMode;
use store::{ImportBatch, Store};

pub use crate::csv::{Encoding, FileError, Row, RowError};

/// Subscribers' attributes fit to keep: every name (at any depth) is one
/// line, every text value free text without control characters other than
/// line breaks and tabs. The error names the attribute and the character.
pub fn check_attributes(attributes: &serde_json::Value) -> Result<(), AttributeError> {
    use serde_json::Value;
    fn check(path: &str, value: &Value) -> Result<(), AttributeError> {
        match value {
            Value::String(text) => domain::text::check_text(text).map_err(|fault| AttributeError {
                path: path.to_owned(),
                in_name: false,
                fault,
            }),
            Value::Array(items) => items.iter().try_for_each(|item| check(path, item)),
            Value::Object(map) => map.iter().try_for_each(|(key, item)| {
                let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                domain::text::check_line(key).map_err(|fault| AttributeError {
                    path: path.clone(),
                    in_name: true,
                    fault,
                })?;
                check(&path, item)
            }),
            Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        }
    }
    check("", attributes)
}

/// An attribute that may not be kept: its path, whether the fault is in
/// its name or its value, and the character.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the attribute {}{path:?} {fault}", if *.in_name { "name " } else { "" })]
pub struct AttributeError {
    pub path: String,
    pub in_name: bool,
    pub fault: domain::text::TextError,
}

/// Rows written per transaction.
pub const BATCH_ROWS: usize = 5_000;
/// Batches written at once, each on its own connection.
pub const WRITERS: usize = 2;

#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub mode: ImportMode,
    pub list_ids: Vec<i64>,
    /// `None`: detect UTF-8 (with or without BOM) or Shift_JIS.
    pub encoding: Option<Encoding>,
    /// Column renames: header → `email`, `name`, attribute name, or `-`.
    pub mapping: HashMap<String, String>,
    /// Recorded as each new subscriber's consent source.
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows_done: u64,
    pub rows_failed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{0}")]
    File(#[from] FileError),
    #[error("{0}")]
    Store(#[from] store::StoreError),
    #[error("the reading thread stopped: {0}")]
    Thread(String),
}

enum Message {
    Opened(Encoding),
    Batch(ImportBatch),
    Failed(FileError),
}

/// Imports `reader` into import `import_id` (see `Store::create_import`),
/// recording progress and rejected rows as it goes, and marks it finished or
/// failed. A bad row is reported and skipped; only an unreadable file (or
/// the database failing) stops the import.
pub async fn run_import(
    store: &Store,
    import_id: i64,
    reader: impl Read + Send + 'static,
    request: &ImportRequest,
) -> Result<ImportSummary, ImportFailure> {
    let outcome = import_batches(store, import_id, reader, request).await;
    if matches!(&outcome, Ok(summary) if summary.rows_done >= 10_000) {
        // Segment counts plan with the new sizes, not the old ones.
        if let Err(e) = store.analyze_audience().await {
            tracing::warn!(import_id, error = %e, "analyzing after the import failed");
        }
    }
    let error = outcome.as_ref().err().map(ToString::to_string);
    store.finish_import(import_id, error.as_deref()).await?;
    if let Err(e) = &outcome {
        tracing::warn!(import_id, error = %e, "import failed");
    }
    outcome
}

async fn import_batches(
    store: &Store,
    import_id: i64,
    reader: impl Read + Send + 'static,
    request: &ImportRequest,
) -> Result<ImportSummary, ImportFailure> {
    // Two batches in flight: one being parsed while the other is written.
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let encoding = request.encoding;
    let mapping = request.mapping.clone();
    let reading = tokio::task::spawn_blocking(move || read_batches(reader, encoding, &mapping, &tx));
    let mut summary = ImportSummary { rows_done: 0, rows_failed: 0 };
    // Batches hold distinct addresses (the reader drops duplicates), so they
    // can be written on several connections at once.
    let mut writing = tokio::task::JoinSet::new();
    while let Some(message) = rx.recv().await {
        match message {
            Message::Opened(encoding) => store.set_import_encoding(import_id, encoding.as_str()).await?,
            Message::Failed(e) => return Err(e.into()),
            Message::Batch(batch) => {
                if writing.len() >= WRITERS {
                    add(&mut summary, writing.join_next().await)?;
                }
                let (store, request) = (store.clone(), request.clone());
                writing.spawn(async move {
                    let mut batch = batch;
                    if request.mode == ImportMode::Unsubscribe {
                        let unknown = store.unknown_among(&batch.emails).await?;
                        batch.reject(&unknown, "not a subscriber: nothing to unsubscribe");
                    } else {
                        let erased = store.erased_among(&batch.emails).await?;
                        batch.reject(
                            &erased,
                            "this address was erased at its owner's request and is never imported again",
                        );
                    }
                    store
                        .apply_import_batch(import_id, request.mode, &request.list_ids, &request.source, &batch)
                        .await?;
                    Ok::<_, store::StoreError>((batch.emails.len() as u64, batch.error_lines.len() as u64))
                });
            }
        }
    }
    while let Some(done) = writing.join_next().await {
        add(&mut summary, Some(done))?;
    }
    reading.await.map_err(|e| ImportFailure::Thread(e.to_string()))?;
    Ok(summary)
}

type Written = Result<Result<(u64, u64), store::StoreError>, tokio::task::JoinError>;

fn add(summary: &mut ImportSummary, done: Option<Written>) -> Result<(), ImportFailure> {
    if let Some(done) = done {
        let (rows, failed) = done.map_err(|e| ImportFailure::Thread(e.to_string()))??;
        summary.rows_done += rows;
        summary.rows_failed += failed;
    }
    Ok(())
}

/// The blocking side: decode, parse, and send batches until the end of the
/// file or until the writer goes away.
fn read_batches(
    reader: impl Read + Send + 'static,
    encoding: Option<Encoding>,
    mapping: &HashMap<String, String>,
    tx: &tokio::sync::mpsc::Sender<Message>,
) {
    let rows = match csv::open(reader, encoding, mapping) {
        Ok((encoding, rows)) => {
            if tx.blocking_send(Message::Opened(encoding)).is_err() {
                return;
            }
            rows
        }
        Err(e) => {
            let _ = tx.blocking_send(Message::Failed(e));
            return;
        }
    };
    let mut batch = ImportBatch::default();
    for item in rows {
        match item {
            Ok(Ok(row)) => {
                batch.lines.push(i64::try_from(row.line).unwrap_or(i64::MAX));
                batch.emails.push(row.email.as_str().to_string());
                batch.names.push(row.name);
                batch.attributes.push(serde_json::Value::Object(row.attributes));
            }
            Ok(Err(error)) => {
                batch.error_lines.push(i64::try_from(error.line).unwrap_or(i64::MAX));
                batch.error_reasons.push(error.reason);
                batch.error_raws.push(error.raw);
            }
            Err(e) => {
                let _ = tx.blocking_send(Message::Failed(FileError::Io(e)));
                return;
            }
        }
        if batch.len() >= BATCH_ROWS && tx.blocking_send(Message::Batch(std::mem::take(&mut batch))).is_err() {
            return;
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Message::Batch(batch));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_are_checked_at_any_depth() {
        assert_eq!(check_attributes(&json!({"city": "大阪", "note": "line one\nline two", "n": 3})), Ok(()));
        let err = check_attributes(&json!({"tags": ["ok", "bad\u{0}"]})).expect_err("NUL");
        assert_eq!(err.to_string(), "the attribute \"tags\" contains a NUL character (U+0000) at character 4");
        let err = check_attributes(&json!({"home": {"ci\rty": "x"}})).expect_err("CR in a name");
        assert!(err.to_string().starts_with("the attribute name \"home.ci\\rty\" contains a carriage return"), "{err}");
    }
}

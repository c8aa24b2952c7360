//! Starting CSV imports from the dashboard or the API: the upload is
//! streamed to a spool file (never held in memory), then imported in the
//! background while the import row reports progress.

use std::collections::HashMap;

use audience::{Encoding, ImportRequest};
use domain::ImportMode;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::AppState;

/// Uploads larger than this are refused.
pub(crate) const MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// What to import and how.
pub(crate) struct ImportStart {
    pub mode: ImportMode,
    pub list_ids: Vec<i64>,
    pub encoding: Option<Encoding>,
    pub mapping: HashMap<String, String>,
    pub file_name: String,
    /// Who started it, kept as each new subscriber's consent source.
    pub source: String,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("no list {0}")]
    UnknownList(i64),
    #[error("the upload failed: {0}")]
    Upload(String),
    #[error("the file is larger than {} GiB", MAX_UPLOAD_BYTES >> 30)]
    TooLarge,
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl StartError {
    /// Why the import did not start, in `lang` (the English is the
    /// error's own message, kept on the import).
    pub(crate) fn sentence(&self, lang: i18n::Language) -> String {
        match self {
            Self::UnknownList(id) => lang.t1("import-unknown-list", "id", id),
            Self::Upload(cause) => lang.t1("import-upload-broke", "error", cause),
            Self::TooLarge => lang.t1("import-too-large", "gib", MAX_UPLOAD_BYTES >> 30),
            Self::Store(e) => e.to_string(),
        }
    }
}

/// Spools `body` (a stream of chunks: a request body or a multipart field)
/// and starts the import; returns its id at once.
pub(crate) async fn start<S, E>(state: &AppState, body: S, start: ImportStart) -> Result<i64, StartError>
where
    S: futures_util::Stream<Item = Result<axum::body::Bytes, E>>,
    E: std::fmt::Display,
{
    for id in &start.list_ids {
        if state.store().list(*id).await?.is_none() {
            return Err(StartError::UnknownList(*id));
        }
    }
    let id = state.store().create_import(start.mode, &start.file_name, &start.list_ids).await?;
    // The random part keeps two databases' import 1 (tests, or two ninsho
    // instances sharing a spool directory) from writing one file.
    let path = state.config().spool_dir.join(format!("import-{id}-{}.csv", crate::secret::random_token()));
    if let Err(e) = spool(state.store(), id, body, &path).await {
        let _ = tokio::fs::remove_file(&path).await;
        state.store().finish_import(id, Some(&e.to_string())).await?;
        return Err(e);
    }
    let store = state.store().clone();
    let request = ImportRequest {
        mode: start.mode,
        list_ids: start.list_ids,
        encoding: start.encoding,
        mapping: start.mapping,
        source: start.source,
    };
    tokio::spawn(async move {
        let outcome = match std::fs::File::open(&path) {
            Ok(file) => audience::run_import(&store, id, file, &request).await.map(|_| ()),
            Err(e) => {
                store.finish_import(id, Some(&format!("the spooled upload is gone: {e}"))).await.map_err(Into::into)
            }
        };
        if let Err(e) = outcome {
            tracing::warn!(import_id = id, error = %e, "import ended with an error");
        }
        let _ = tokio::fs::remove_file(&path).await;
    });
    Ok(id)
}

async fn spool<S, E>(store: &store::Store, id: i64, body: S, path: &std::path::Path) -> Result<(), StartError>
where
    S: futures_util::Stream<Item = Result<axum::body::Bytes, E>>,
    E: std::fmt::Display,
{
    let upload = |e: std::io::Error| StartError::Upload(e.to_string());
    let mut file = tokio::fs::File::create(path).await.map_err(upload)?;
    let mut stream = std::pin::pin!(body);
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| StartError::Upload(e.to_string()))?;
        let before = written;
        written += chunk.len() as u64;
        if written > MAX_UPLOAD_BYTES {
            return Err(StartError::TooLarge);
        }
        // A slow upload is alive: housekeeping fails imports without progress.
        if before >> 26 != written >> 26 {
            store.touch_import(id).await?;
        }
        file.write_all(&chunk).await.map_err(upload)?;
    }
    file.flush().await.map_err(upload)?;
    Ok(())
}

/// The rejected rows of an import as CSV: `line,reason,raw` (the raw row
/// is whatever the file said, so formulas are defused like in exports).
pub(crate) fn errors_csv(errors: &[store::ImportError]) -> String {
    let mut out = String::from("line,reason,raw\n");
    for e in errors {
        out.push_str(&crate::export::csv_line(&[e.line.to_string(), e.reason.clone(), e.raw.clone()]));
    }
    out
}

//! CSV exports of a list or a segment, streamed a page at a time: memory
//! stays flat whatever the audience size.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use store::{Filter, Store};

const PAGE: i64 = 5_000;

/// `email,name,status,created_at,<attribute…>` for every subscriber matching
/// `filter`, oldest first.
pub(crate) async fn csv_response(store: Store, filter: Filter, file_name: &str) -> Result<Response, store::StoreError> {
    let keys = store.attribute_keys(&filter).await?;
    let mut header_row = vec!["email".to_string(), "name".into(), "status".into(), "created_at".into()];
    header_row.extend(keys.iter().cloned());
    let first = Bytes::from(csv_line(&header_row));
    let pages = futures_util::stream::unfold(Some(0i64), move |after| {
        let (store, filter, keys) = (store.clone(), filter.clone(), keys.clone());
        async move {
            let after = after?;
            match store.export_page(&filter, after, PAGE).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = rows.last().map(|s| s.id);
                    let mut chunk = String::new();
                    for s in rows {
                        let mut fields = vec![s.email, s.name, s.status.as_str().into(), s.created_at.to_rfc3339()];
                        fields.extend(keys.iter().map(|k| match s.attributes.get(k) {
                            None | Some(serde_json::Value::Null) => String::new(),
                            Some(serde_json::Value::String(text)) => text.clone(),
                            Some(other) => other.to_string(),
                        }));
                        chunk.push_str(&csv_line(&fields));
                    }
                    Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), next))
                }
                Err(e) => {
                    tracing::error!(error = %e, "export failed part way");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        }
    });
    let body = Body::from_stream(futures_util::stream::iter([Ok(first)]).chain(pages));
    let disposition = format!("attachment; filename=\"{file_name}\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

/// One CSV record; fields are quoted when they need it, and a leading
/// `=`, `+`, `-`, `@`, tab or carriage return is defused so spreadsheets do
/// not run it as a formula.
pub(crate) fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            let f = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{f}") } else { f.clone() };
            if f.contains([',', '"', '\n', '\r']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn quoting_and_formula_injection() {
        let fields = ["a@example.com", "Yamada, Taro", "say \"hi\"", "=HYPERLINK(\"x\")", "-5"].map(String::from);
        assert_eq!(
            csv_line(&fields),
            "a@example.com,\"Yamada, Taro\",\"say \"\"hi\"\"\",\"'=HYPERLINK(\"\"x\"\")\",'-5\n"
        );
    }
}

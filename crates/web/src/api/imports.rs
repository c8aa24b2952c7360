//! `/api/v1/imports`: send a CSV file as the request body.
//!
//! ```sh
//! curl -X POST -H "Authorization: Bearer $TOKEN" --data-binary @people.csv \
//!   "http://127.0.0.1:8080/api/v1/imports?mode=add&lists=1,2&map.Mail=email&map.Notes=-"
//! ```

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use domain::ImportMode;
use serde::{Deserialize, Serialize};

use super::ApiErrorBody;
use crate::AppError;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::AppResult;
use crate::imports::{ImportStart, StartError};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StartParams {
    mode: Option<String>,
    /// Comma-separated list ids.
    lists: Option<String>,
    /// `auto` (default), `utf-8` or `shift_jis`.
    encoding: Option<String>,
    file_name: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ImportView {
    id: i64,
    mode: String,
    file_name: String,
    list_ids: Vec<i64>,
    state: String,
    encoding: String,
    rows_done: i64,
    rows_failed: i64,
    error: Option<String>,
    started_at: chrono::DateTime<chrono::Utc>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<store::Import> for ImportView {
    fn from(i: store::Import) -> Self {
        Self {
            id: i.id,
            mode: i.mode.as_str().into(),
            file_name: i.file_name,
            list_ids: i.list_ids,
            state: i.state.as_str().into(),
            encoding: i.encoding,
            rows_done: i.rows_done,
            rows_failed: i.rows_failed,
            error: i.error,
            started_at: i.started_at,
            finished_at: i.finished_at,
        }
    }
}

/// Import a CSV file sent as the body; runs in the background. `map.<column>=<target>` renames columns.
#[utoipa::path(post, path = "/imports", tag = "imports", params(StartParams), request_body(content = String, content_type = "text/csv"), responses((status = 202, body = ImportView), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn start(
    user: ApiUser,
    State(state): State<AppState>,
    Query(params): Query<StartParams>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    body: Body,
) -> AppResult<(StatusCode, Json<ImportView>)> {
    // `map.<column>=<target>` renames a column: to `email`, `name`, an
    // attribute name, or `-` to ignore it.
    let lang = crate::error::request_language();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or_default())
        .map_err(|e| AppError::field("query", e.to_string()))?;
    let mapping =
        pairs.into_iter().filter_map(|(k, v)| k.strip_prefix("map.").map(|column| (column.to_string(), v))).collect();
    let mode = match params.mode.as_deref() {
        None => ImportMode::Add,
        Some(m) => ImportMode::parse(m).ok_or_else(|| AppError::field("mode", lang.t("err-import-mode")))?,
    };
    let list_ids = params
        .lists
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| AppError::field("lists", lang.t1("err-not-a-list-id", "value", format!("{s:?}"))))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let encoding = match params.encoding.as_deref().map(str::trim) {
        None | Some("") | Some("auto") => None,
        Some(e) => Some(
            audience::Encoding::parse(e).ok_or_else(|| AppError::field("encoding", lang.t("err-import-encoding")))?,
        ),
    };
    let start = ImportStart {
        mode,
        list_ids,
        encoding,
        mapping,
        file_name: params.file_name.unwrap_or_else(|| "api.csv".into()),
        source: format!("import:api:{}", user.email),
    };
    let id = crate::imports::start(&state, body.into_data_stream(), start).await.map_err(|e| match e {
        StartError::UnknownList(_) => AppError::field("lists", e.sentence(lang)),
        StartError::Store(e) => AppError::from(e),
        other => AppError::field("body", other.sentence(lang)),
    })?;
    let import = state.store().import(id).await?.ok_or_else(|| AppError::not_found("import"))?;
    Ok((StatusCode::ACCEPTED, Json(import.into())))
}

/// Progress of an import.
#[utoipa::path(get, path = "/imports/{id}", tag = "imports", params(("id" = i64, Path, description = "id")), responses((status = 200, body = ImportView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn progress(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<ImportView>> {
    let import = state.store().import(id).await?.ok_or_else(|| AppError::not_found("import"))?;
    Ok(Json(import.into()))
}

/// The rejected rows as CSV (`line,reason,raw`).
/// The rejected rows as CSV: line, reason, raw.
#[utoipa::path(get, path = "/imports/{id}/errors", tag = "imports", params(("id" = i64, Path, description = "id")), responses((status = 200, body = String, content_type = "text/csv"), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn errors(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    state.store().import(id).await?.ok_or_else(|| AppError::not_found("import"))?;
    let csv = crate::imports::errors_csv(&state.store().import_errors(id, i64::MAX).await?);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv))
}

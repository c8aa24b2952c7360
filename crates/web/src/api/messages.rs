//! `/api/v1/messages`: the message log. Every message ninsho sends, found
//! by recipient, sender, subject, Message-ID, status, kind and time, with
//! each attempt; its signed bytes while they are kept; held messages
//! released or dropped.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use store::{LogId, LogQuery};

use super::ApiErrorBody;
use super::tx::{MessageView, message_view};
use crate::auth::ApiUser;
use crate::error::{AppResult, request_language};
use crate::{AppError, AppState};

/// What to look for; every field narrows.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchInput {
    /// The recipient's address (any case).
    #[serde(default)]
    pub(crate) recipient: Option<String>,
    /// A From address, or a domain for all of its addresses.
    #[serde(default)]
    pub(crate) sender: Option<String>,
    /// Words in the subject.
    #[serde(default)]
    pub(crate) subject: Option<String>,
    /// The Message-ID, with or without angle brackets.
    #[serde(default)]
    pub(crate) message_id: Option<String>,
    /// queued, sending, deferred, delivered, bounced, failed, suppressed,
    /// held, dropped or captured.
    #[serde(default)]
    pub(crate) status: Option<String>,
    /// campaign, sequence, transactional, submitted or system.
    #[serde(default)]
    pub(crate) kind: Option<String>,
    /// RFC 3339: made at or after.
    #[serde(default)]
    pub(crate) since: Option<String>,
    /// RFC 3339: made before.
    #[serde(default)]
    pub(crate) until: Option<String>,
    /// 1, 2, … (50 to a page).
    #[serde(default)]
    pub(crate) page: Option<i64>,
}

/// The statuses and kinds a search may name.
pub(crate) const STATUSES: [&str; 10] =
    ["queued", "sending", "deferred", "delivered", "bounced", "failed", "suppressed", "held", "dropped", "captured"];
pub(crate) const KINDS: [&str; 5] = ["campaign", "sequence", "transactional", "submitted", "system"];

/// Messages on one page of results.
pub(crate) const PAGE: i64 = 50;

impl SearchInput {
    /// The store's query, or the field at fault and why. `zone` reads
    /// times written without an offset (the dashboard's date fields).
    pub(crate) fn query(&self, zone: chrono_tz::Tz) -> Result<LogQuery, AppError> {
        let lang = request_language();
        let text =
            |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let one_of = |field: &str, value: Option<String>, allowed: &[&str]| match value {
            Some(v) if !allowed.contains(&v.as_str()) => {
                Err(AppError::field(field, lang.t1("err-log-one-of", "allowed", allowed.join(", "))))
            }
            other => Ok(other),
        };
        let time = |field: &str, value: Option<String>| -> Result<_, AppError> {
            let Some(value) = value else { return Ok(None) };
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&value) {
                return Ok(Some(t.to_utc()));
            }
            let local = chrono::NaiveDateTime::parse_from_str(&value, "%Y-%m-%dT%H:%M")
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(&value, "%Y-%m-%d").map(|d| d.and_time(Default::default()))
                })
                .map_err(|_| AppError::field(field, lang.t1("err-log-time", "value", format!("{value:?}"))))?;
            Ok(local.and_local_timezone(zone).earliest().map(|t| t.to_utc()))
        };
        Ok(LogQuery {
            recipient: text(&self.recipient),
            sender: text(&self.sender),
            subject: text(&self.subject),
            message_id: text(&self.message_id),
            status: one_of("status", text(&self.status), &STATUSES)?,
            kind: one_of("kind", text(&self.kind), &KINDS)?,
            since: time("since", text(&self.since))?,
            until: time("until", text(&self.until))?,
        })
    }

    pub(crate) fn page(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, 1000)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SearchView {
    messages: Vec<MessageView>,
    page: i64,
    /// Whether a next page may hold more.
    more: bool,
}

/// Messages of the log, newest first, 50 to a page.
#[utoipa::path(get, path = "/messages", tag = "messages", params(SearchInput), responses((status = 200, body = SearchView), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn search(
    user: ApiUser,
    State(state): State<AppState>,
    Query(input): Query<SearchInput>,
) -> AppResult<Json<SearchView>> {
    let query = input.query(chrono_tz::UTC)?;
    let page = input.page();
    let found = state.store().search_log(&query, PAGE + 1, (page - 1) * PAGE).await?;
    let more = found.len() as i64 > PAGE;
    let sees = user.role.sees_addresses();
    let messages = found.into_iter().take(PAGE as usize).map(|e| MessageView::new(e, Vec::new(), sees)).collect();
    Ok(Json(SearchView { messages, page, more }))
}

/// One message of the log with each attempt.
#[utoipa::path(get, path = "/messages/{id}", tag = "messages", params(("id" = String, Path, description = "m123 or d456")), responses((status = 200, body = MessageView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn read(
    user: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<MessageView>> {
    Ok(Json(message_view(&state, &id, user.role.sees_addresses()).await?))
}

/// A message's bytes as signed and sent, while the log keeps them
/// (`message/rfc822`, to save as `.eml`).
#[utoipa::path(get, path = "/messages/{id}/raw", tag = "messages", params(("id" = String, Path, description = "m123 or d456")), responses((status = 200, description = "the message", content_type = "message/rfc822"), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn raw(user: ApiUser, State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    raw_response(&state, &id, user.role.sees_addresses()).await
}

/// The bytes of a message as an `.eml` download. Only a role that sees
/// addresses gets them (they name the recipient throughout).
pub(crate) async fn raw_response(state: &AppState, id: &str, sees_addresses: bool) -> AppResult<Response> {
    if !sees_addresses {
        return Err(AppError::NotAllowed(request_language().t("err-log-raw-addresses")));
    }
    let log_id = LogId::parse(id).ok_or_else(|| AppError::not_found("message"))?;
    let raw = state.store().log_raw(log_id).await?.ok_or_else(|| AppError::not_found("message"))?;
    let disposition = format!("attachment; filename=\"{log_id}.eml\"");
    Ok(([(header::CONTENT_TYPE, "message/rfc822".to_owned()), (header::CONTENT_DISPOSITION, disposition)], raw)
        .into_response())
}

/// Let a held message go out.
#[utoipa::path(post, path = "/messages/{id}/release", tag = "messages", params(("id" = String, Path, description = "m123")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn release(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    settle(&state, &id, true).await
}

/// Drop a held message: it is never sent, and stays in the log as dropped.
#[utoipa::path(post, path = "/messages/{id}/drop", tag = "messages", params(("id" = String, Path, description = "m123")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn drop(_: ApiUser, State(state): State<AppState>, Path(id): Path<String>) -> AppResult<StatusCode> {
    settle(&state, &id, false).await
}

pub(crate) async fn settle(state: &AppState, id: &str, release: bool) -> AppResult<StatusCode> {
    let Some(LogId::Message(n)) = LogId::parse(id) else { return Err(AppError::not_found("message")) };
    if state.store().log_entry(LogId::Message(n)).await?.is_none() {
        return Err(AppError::not_found("message"));
    }
    if !state.store().settle_held(n, release).await? {
        return Err(AppError::Conflict(request_language().t("err-log-not-held")));
    }
    Ok(StatusCode::NO_CONTENT)
}

//! The message log (配信ログ): every message ninsho sent or will send,
//! found by recipient, sender, subject, Message-ID, status, kind and time;
//! one message with each attempt (MX, TLS, the reply), its bytes as signed
//! while they are kept, and held messages released or dropped. Also how
//! long the log keeps what.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use store::{LogAttempt, LogEntry, LogId};

use crate::api::messages::{KINDS, PAGE, STATUSES, SearchInput};
use crate::auth::AdminUser;
use crate::campaign_pages::urlencode;
use crate::csrf::CsrfForm;
use crate::pages::{EmptyForm, Frame, render};
use crate::settings_pages::NoticeQuery;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "message_log.html")]
struct LogPage {
    frame: Frame,
    /// The search as typed, to fill the form again.
    recipient: String,
    sender: String,
    subject: String,
    message_id: String,
    status: String,
    kind: String,
    since: String,
    until: String,
    /// A field of the folded part of the form is set: show it open.
    advanced: bool,
    statuses: &'static [&'static str],
    kinds: &'static [&'static str],
    rows: Vec<LogEntry>,
    sees_addresses: bool,
    previous: Option<String>,
    next: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    raw_days: i32,
    days: i32,
}

/// The search form's fields (all text, as a browser sends them), and a
/// notice after saving.
#[derive(Deserialize, Default)]
pub(crate) struct SearchInputForm {
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    sender: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    message_id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    notice: Option<String>,
}

impl SearchInputForm {
    fn input(&self) -> SearchInput {
        let some = |v: &String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        SearchInput {
            recipient: some(&self.recipient),
            sender: some(&self.sender),
            subject: some(&self.subject),
            message_id: some(&self.message_id),
            status: some(&self.status),
            kind: some(&self.kind),
            since: some(&self.since),
            until: some(&self.until),
            page: self.page.trim().parse().ok(),
        }
    }

    /// The query string of this search on `page`.
    fn link(&self, page: i64) -> String {
        let fields = [
            ("recipient", &self.recipient),
            ("sender", &self.sender),
            ("subject", &self.subject),
            ("message_id", &self.message_id),
            ("status", &self.status),
            ("kind", &self.kind),
            ("since", &self.since),
            ("until", &self.until),
        ];
        let mut query: Vec<String> =
            fields.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        query.push(format!("page={page}"));
        format!("/messages?{}", query.join("&"))
    }
}

pub(crate) async fn log(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Query(form): Query<SearchInputForm>,
) -> Result<Response, AppError> {
    let input = form.input();
    let zone = admin.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let page = input.page();
    let (rows, error, more) = match input.query(zone) {
        Ok(q) => {
            let mut rows = state.store().search_log(&q, PAGE + 1, (page - 1) * PAGE).await?;
            let more = rows.len() as i64 > PAGE;
            rows.truncate(PAGE as usize);
            (rows, None, more)
        }
        Err(AppError::Unprocessable { message, .. }) => (Vec::new(), Some(message), false),
        Err(e) => return Err(e),
    };
    let (raw_days, days) = state.store().log_retention().await?;
    let previous = (page > 1).then(|| form.link(page - 1));
    let next = more.then(|| form.link(page + 1));
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let advanced = [&form.sender, &form.message_id, &form.status, &form.kind, &form.since, &form.until]
        .iter()
        .any(|v| !v.trim().is_empty());
    let page = LogPage {
        frame,
        advanced,
        recipient: form.recipient,
        sender: form.sender,
        subject: form.subject,
        message_id: form.message_id,
        status: form.status,
        kind: form.kind,
        since: form.since,
        until: form.until,
        statuses: &STATUSES,
        kinds: &KINDS,
        rows,
        sees_addresses: admin.role.sees_addresses(),
        previous,
        next,
        error,
        notice: form.notice.map(|n| n.chars().take(200).collect()),
        raw_days,
        days,
    };
    render(StatusCode::OK, jar, page)
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    frame: Frame,
    entry: LogEntry,
    attempts: Vec<LogAttempt>,
    sees_addresses: bool,
    notice: Option<String>,
}

pub(crate) async fn message(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let log_id = LogId::parse(&id).ok_or(AppError::NotFound)?;
    let entry = state.store().log_entry(log_id).await?.ok_or(AppError::NotFound)?;
    let attempts = state.store().log_attempts(log_id).await?;
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page =
        MessagePage { frame, entry, attempts, sees_addresses: admin.role.sees_addresses(), notice: query.notice() };
    render(StatusCode::OK, jar, page)
}

/// The message's bytes as an `.eml` file.
pub(crate) async fn raw(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    crate::api::messages::raw_response(&state, &id, admin.role.sees_addresses()).await
}

pub(crate) async fn release(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    settle(&state, &admin, &id, true).await
}

pub(crate) async fn drop(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    settle(&state, &admin, &id, false).await
}

async fn settle(state: &AppState, admin: &AdminUser, id: &str, release: bool) -> Result<Response, AppError> {
    crate::api::messages::settle(state, id, release).await?;
    let notice = admin.language.t(if release { "log-released" } else { "log-dropped" });
    Ok(Redirect::to(&format!("/messages/{id}?notice={}", urlencode(&notice))).into_response())
}

#[derive(Deserialize)]
pub(crate) struct RetentionForm {
    #[serde(default)]
    raw_days: String,
    #[serde(default)]
    days: String,
}

/// Sets how long the log keeps messages' bytes and the rest.
pub(crate) async fn retention(
    State(state): State<AppState>,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<RetentionForm>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let raw_days = form.raw_days.trim().parse::<i32>().ok().filter(|d| (0..=365).contains(d));
    let days = form.days.trim().parse::<i32>().ok().filter(|d| (1..=3650).contains(d));
    let (Some(raw_days), Some(days)) = (raw_days, days) else {
        return Err(AppError::BadRequest(lang.t("log-retention-invalid")));
    };
    if raw_days > days {
        return Err(AppError::BadRequest(lang.t("log-retention-order")));
    }
    state.store().set_log_retention(raw_days, days).await?;
    let notice = lang.t("log-retention-saved");
    Ok(Redirect::to(&format!("/messages?notice={}", urlencode(&notice))).into_response())
}

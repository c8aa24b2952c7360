//! The suppression list: addresses and domains never mailed, whatever list
//! they are on (bounces and complaints add theirs; people add by hand).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::campaign_pages::urlencode;
use crate::csrf::CsrfForm;
use crate::pages::{EmptyForm, Frame, render};
use crate::{AppError, AppState};

const PAGE_SIZE: i64 = 100;

#[derive(Template)]
#[template(path = "suppressions.html")]
struct SuppressionsPage {
    frame: Frame,
    q: String,
    rows: Vec<store::Suppression>,
    next: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    /// What the add form held when it was refused.
    value: String,
    reason: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct Search {
    #[serde(default)]
    q: String,
    before: Option<i64>,
    notice: Option<String>,
}

pub(crate) async fn suppressions(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Query(search): Query<Search>,
) -> Result<Response, AppError> {
    page(&state, jar, &admin, StatusCode::OK, search, None, (String::new(), String::new())).await
}

async fn page(
    state: &AppState,
    jar: CookieJar,
    admin: &AdminUser,
    status: StatusCode,
    search: Search,
    error: Option<String>,
    (value, reason): (String, String),
) -> Result<Response, AppError> {
    let q = search.q.trim().to_owned();
    let (rows, next) =
        state.store().suppressions_page(Some(q.as_str()).filter(|q| !q.is_empty()), search.before, PAGE_SIZE).await?;
    let next = next.map(|before| format!("/suppressions?q={}&before={before}", urlencode(&q)));
    let notice = search.notice.map(|n| n.chars().take(200).collect());
    let (jar, frame) = Frame::issue(state, jar, admin);
    render(status, jar, SuppressionsPage { frame, q, rows, next, notice, error, value, reason })
}

#[derive(Deserialize)]
pub(crate) struct AddForm {
    #[serde(default)]
    value: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn add(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let reason = form.reason.trim();
    // Worded in the request's language: the admin's own.
    let checked = crate::api::privacy::target(&form.value);
    let checked = checked.and_then(|target| {
        domain::text::check_line(reason)
            .map_err(|e| lang.t1("suppression-fault-reason", "fault", crate::error::text_fault(lang, &e)))?;
        Ok(target)
    });
    match checked {
        Ok(target) => {
            let added = state
                .store()
                .add_suppression(&target, if reason.is_empty() { "added by hand" } else { reason })
                .await?;
            let notice = lang.t1("suppression-added", "value", &added.value);
            Ok(Redirect::to(&format!("/suppressions?notice={}", urlencode(&notice))).into_response())
        }
        Err(error) => {
            let error =
                Some(lang.t2("suppression-refused", "value", format!("{:?}", form.value.trim()), "error", error));
            let typed = (form.value, form.reason);
            page(&state, jar, &admin, StatusCode::UNPROCESSABLE_ENTITY, Search::default(), error, typed).await
        }
    }
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    state.store().delete_suppression(id).await?;
    let notice = admin.language.t("suppression-lifted");
    Ok(Redirect::to(&format!("/suppressions?notice={}", urlencode(&notice))).into_response())
}

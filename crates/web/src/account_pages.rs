//! An admin's own account: the time zone every time on the dashboard is
//! shown in, and a change of password (which ends their other sessions).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::auth::{self, AdminUser, ClientIp};
use crate::campaign_pages::urlencode;
use crate::csrf::CsrfForm;
use crate::pages::{Frame, render};
use crate::{AppError, AppState, password};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    frame: Frame,
    zones: Vec<&'static str>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct NoticeQuery {
    notice: Option<String>,
}

pub(crate) async fn account(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let notice = query.notice.map(|n| n.chars().take(200).collect());
    account_page(&state, jar, &admin, StatusCode::OK, notice, None)
}

fn account_page(
    state: &AppState,
    jar: CookieJar,
    admin: &AdminUser,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, admin);
    let zones = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    render(status, jar, AccountPage { frame, zones, notice, error })
}

#[derive(Deserialize)]
pub(crate) struct ZoneForm {
    zone: String,
}

pub(crate) async fn set_zone(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<ZoneForm>,
) -> Result<Response, AppError> {
    let zone = form.zone.trim();
    if zone.parse::<chrono_tz::Tz>().is_err() {
        let error = format!("{zone:?} is not a time zone; choose one such as Asia/Tokyo.");
        return account_page(&state, jar, &admin, StatusCode::UNPROCESSABLE_ENTITY, None, Some(error));
    }
    state.store().set_admin_time_zone(admin.id, zone, false).await?;
    let notice = format!("Times are now shown in {zone}.");
    Ok(Redirect::to(&format!("/account?notice={}", urlencode(&notice))).into_response())
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    current: String,
    password: String,
    confirm: String,
}

/// Changes the password after checking the current one; every session of
/// the account ends, and this browser gets a new one.
pub(crate) async fn set_password(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let refuse =
        |jar, error: String| account_page(&state, jar, &admin, StatusCode::UNPROCESSABLE_ENTITY, None, Some(error));
    let hash = state.store().admin_credentials(&admin.email).await?.map(|(_, hash)| hash);
    if !password::verify(form.current, hash).await? {
        return refuse(jar, "The current password is wrong.".into());
    }
    if form.password != form.confirm {
        return refuse(jar, "The two new passwords differ.".into());
    }
    if let Err(e) = password::check_policy(&form.password, &[&admin.email]) {
        return refuse(jar, crate::pages::sentence(&e));
    }
    let email = domain::EmailAddress::parse(&admin.email).map_err(AppError::internal)?;
    let new_hash = password::hash(form.password).await?;
    state.store().set_admin_password(&email, &new_hash).await?;
    tracing::info!(admin_id = admin.id, %ip, "password changed; other sessions ended");
    let agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    let jar = auth::start_session(&state, jar, admin.id, ip, agent).await?;
    let notice = "Password changed. Every other session of your account has ended.";
    Ok((jar, Redirect::to(&format!("/account?notice={}", urlencode(notice)))).into_response())
}

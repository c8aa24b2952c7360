//! An admin's own account: the time zone every time on the dashboard is
//! shown in, the language it speaks to them, and a change of password
//! (which ends their other sessions).

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
    /// The language the admin chose (`en`, `ja`), empty: the browser's.
    language: String,
    languages: [i18n::Language; 2],
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
    account_page(&state, jar, &admin, StatusCode::OK, notice, None).await
}

async fn account_page(
    state: &AppState,
    jar: CookieJar,
    admin: &AdminUser,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let language = state.store().admin_language(admin.id).await?;
    let (jar, frame) = Frame::issue(state, jar, admin);
    let zones = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    let languages = crate::i18n_choices();
    render(status, jar, AccountPage { frame, zones, language, languages, notice, error })
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
        let error = admin.language.t1("account-zone-invalid", "zone", format!("{zone:?}"));
        return account_page(&state, jar, &admin, StatusCode::UNPROCESSABLE_ENTITY, None, Some(error)).await;
    }
    state.store().set_admin_time_zone(admin.id, zone, false).await?;
    let notice = admin.language.t1("account-zone-saved", "zone", zone);
    Ok(Redirect::to(&format!("/account?notice={}", urlencode(&notice))).into_response())
}

#[derive(Deserialize)]
pub(crate) struct LanguageForm {
    /// `en`, `ja`, or empty to follow the browser.
    #[serde(default)]
    language: String,
}

/// Sets the language the dashboard speaks to the admin, or lets it follow
/// their browser's.
pub(crate) async fn set_language(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> Result<Response, AppError> {
    let code = form.language.trim();
    let chosen = crate::i18n_choices().into_iter().find(|l| l.code() == code);
    if !code.is_empty() && chosen.is_none() {
        let error = admin.language.t1("account-language-unknown", "language", format!("{code:?}"));
        return account_page(&state, jar, &admin, StatusCode::UNPROCESSABLE_ENTITY, None, Some(error)).await;
    }
    state.store().set_admin_language(admin.id, code).await?;
    // Said in the language the next page is in.
    let notice = match chosen {
        Some(lang) => lang.t1("account-language-saved", "language", lang.name()),
        None => {
            let lang = crate::error::browser_language(&headers);
            lang.t1("account-language-follows", "language", lang.name())
        }
    };
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
    let lang = admin.language;
    let hash = state.store().admin_credentials(&admin.email).await?.map(|(_, hash)| hash);
    let refused = if !password::verify(form.current, hash).await? {
        Some(lang.t("account-current-wrong"))
    } else if form.password != form.confirm {
        Some(lang.t("account-passwords-differ"))
    } else if let Err(e) = password::check_policy(&form.password, &[&admin.email]) {
        Some(crate::pages::password_sentence(lang, &e))
    } else {
        None
    };
    if let Some(error) = refused {
        return account_page(&state, jar, &admin, StatusCode::UNPROCESSABLE_ENTITY, None, Some(error)).await;
    }
    let email = domain::EmailAddress::parse(&admin.email).map_err(AppError::internal)?;
    let new_hash = password::hash(form.password).await?;
    state.store().set_admin_password(&email, &new_hash).await?;
    tracing::info!(admin_id = admin.id, %ip, "password changed; other sessions ended");
    let agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    let jar = auth::start_session(&state, jar, admin.id, ip, agent).await?;
    let notice = lang.t("account-password-changed");
    Ok((jar, Redirect::to(&format!("/account?notice={}", urlencode(&notice)))).into_response())
}

//! Dashboard pages: first-admin setup, login and logout, home, API tokens.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use domain::EmailAddress;
use serde::Deserialize;

use crate::auth::{self, AdminUser, ClientIp};
use crate::csrf::{self, CsrfForm};
use crate::password::{self, PasswordError};
use crate::secret::{api_token_hash, new_api_token};
use crate::{AppError, AppState};

/// Renders `page` with `status`; a render failure becomes a logged 500.
/// What every dashboard page shows around its content: the CSRF token its
/// forms carry (the log-out button too) and who is signed in.
pub(crate) struct Frame {
    pub csrf: String,
    pub email: String,
    /// Sandbox mode: the navigation offers the sandbox mailbox (in
    /// production nothing is kept there).
    pub sandbox: bool,
    /// The admin's time zone: every time on the page is shown in it.
    pub zone: chrono_tz::Tz,
    /// The admin's language: every word on the page is in it.
    pub lang: i18n::Language,
}

impl Frame {
    /// The frame of a page for `admin`, with a CSRF token bound to the
    /// session (set in the returned jar): the one place a page gets both.
    pub(crate) fn issue(state: &AppState, jar: CookieJar, admin: &crate::auth::AdminUser) -> (CookieJar, Self) {
        let (jar, csrf) = csrf::issue(state, jar);
        let sandbox = state.config().delivery_mode == domain::DeliveryMode::Sandbox;
        let zone = admin.time_zone.parse().unwrap_or(chrono_tz::UTC);
        (jar, Self { csrf, email: admin.email.clone(), sandbox, zone, lang: admin.language })
    }

    /// A moment as the admin reads it: date, time and the zone's name,
    /// e.g. `2026-12-04 09:30 JST` or `2026年12月4日(金) 09:30 JST`.
    pub(crate) fn at(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        self.lang.moment(&t.with_timezone(&self.zone))
    }

    /// The present moment in the admin's zone.
    pub(crate) fn now(&self) -> String {
        self.at(&chrono::Utc::now())
    }

    /// The date of a moment in the admin's zone.
    pub(crate) fn day(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        self.lang.date(&t.with_timezone(&self.zone))
    }

    /// The message `key` in the admin's language (see `i18n::Language`).
    pub(crate) fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The message `key` with one `{ $name }` argument.
    pub(crate) fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t1(key, name, value)
    }

    /// The message `key` with two arguments.
    pub(crate) fn t2(
        &self,
        key: &str,
        first: &str,
        first_value: impl std::fmt::Display,
        second: &str,
        second_value: impl std::fmt::Display,
    ) -> String {
        self.lang.t2(key, first, first_value, second, second_value)
    }

    /// The message `key` about `count` things (`$count` picks the plural
    /// form, `$n` is the grouped number).
    pub(crate) fn tn(&self, key: &str, count: impl i18n::Count) -> String {
        self.lang.tn(key, count)
    }

    /// The message for a stored value: `tk("state", "draft")` reads
    /// `state-draft`.
    pub(crate) fn tk(&self, prefix: &str, value: impl std::fmt::Display) -> String {
        self.lang.tk(prefix, value)
    }
}

pub(crate) fn render(status: StatusCode, jar: CookieJar, page: impl Template) -> Result<Response, AppError> {
    Ok((status, jar, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    /// Nobody is logged in: the browser's language.
    lang: i18n::Language,
    csrf: String,
    token: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SetupQuery {
    #[serde(default)]
    token: String,
}

pub(crate) async fn setup_form(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<SetupQuery>,
) -> Result<Response, AppError> {
    if state.store().admin_count().await? > 0 {
        return Ok(Redirect::to("/login").into_response());
    }
    let lang = crate::error::browser_language(&headers);
    let (jar, csrf) = csrf::issue(&state, jar);
    render(StatusCode::OK, jar, SetupPage { lang, csrf, token: query.token, email: String::new(), error: None })
}

#[derive(Deserialize)]
pub(crate) struct SetupForm {
    token: String,
    email: String,
    password: String,
    confirm: String,
    /// The browser's time zone (filled in by script).
    #[serde(default)]
    zone: String,
}

pub(crate) async fn setup(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<Response, AppError> {
    if state.store().admin_count().await? > 0 {
        return Ok(Redirect::to("/login").into_response());
    }
    let lang = crate::error::browser_language(&headers);
    let refuse = |jar: CookieJar, error: String| {
        let (jar, csrf) = csrf::issue(&state, jar);
        let page = SetupPage { lang, csrf, token: form.token.clone(), email: form.email.clone(), error: Some(error) };
        render(StatusCode::UNPROCESSABLE_ENTITY, jar, page)
    };
    if !state.key().verify("setup", b"first-admin", form.token.trim()) {
        return refuse(jar, lang.t("setup-wrong-code"));
    }
    let email = match EmailAddress::parse(&form.email) {
        Ok(email) => email,
        Err(e) => return refuse(jar, lang.t1("setup-bad-email", "reason", e)),
    };
    if form.password != form.confirm {
        return refuse(jar, lang.t("setup-passwords-differ"));
    }
    if let Err(e) = password::check_policy(&form.password, &[email.as_str()]) {
        return refuse(jar, password_sentence(lang, &e));
    }
    let hash = password::hash(form.password.clone()).await?;
    let Some(admin) = state.store().create_first_admin(&email, &hash).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    tracing::info!(admin_id = admin.id, "first admin created");
    adopt_zone(&state, admin.id, &form.zone).await?;
    crate::access::record_login(&state, admin.id, &admin.email, ip, false).await;
    let jar = auth::start_session(&state, jar, admin.id, ip, user_agent(&headers)).await?;
    Ok((jar, Redirect::to("/")).into_response())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    /// Nobody is logged in: the browser's language.
    lang: i18n::Language,
    csrf: String,
    email: String,
    error: Option<String>,
}

pub(crate) async fn login_form(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if state.store().admin_count().await? == 0 {
        return Ok(Redirect::to("/setup").into_response());
    }
    let lang = crate::error::browser_language(&headers);
    let (jar, csrf) = csrf::issue(&state, jar);
    render(StatusCode::OK, jar, LoginPage { lang, csrf, email: String::new(), error: None })
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    email: String,
    password: String,
    /// The browser's time zone (filled in by script).
    #[serde(default)]
    zone: String,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    // Longer input cannot be an account and is not worth storing whole.
    let email: String = form.email.trim().chars().take(254).collect();
    let throttled = auth::throttle(&state, &email, ip).await?;
    let account = state.store().admin_credentials(&email).await?;
    let matches = password::verify(form.password, account.as_ref().map(|(_, hash)| hash.clone())).await?;
    let waited = throttled.waited;
    drop(throttled);
    match account {
        Some((admin, _)) if matches && state.store().totp(admin.id).await?.enabled => {
            // The password was right; the session waits for the code.
            tracing::info!(admin_id = admin.id, %ip, "password accepted, asking for the second factor");
            crate::auth::start_challenge(&state, jar, admin.id, ip, user_agent(&headers)).await
        }
        Some((admin, _)) if matches => {
            state.store().clear_login_failures(&email).await?;
            crate::access::record_login(&state, admin.id, &admin.email, ip, false).await;
            state.metrics().login("success");
            tracing::info!(admin_id = admin.id, %ip, "admin logged in");
            adopt_zone(&state, admin.id, &form.zone).await?;
            let jar = auth::start_session(&state, jar, admin.id, ip, user_agent(&headers)).await?;
            Ok((jar, Redirect::to("/")).into_response())
        }
        _ => {
            state.metrics().login("failure");
            tracing::warn!(%ip, "failed admin login");
            let lang = crate::error::browser_language(&headers);
            let (jar, csrf) = csrf::issue(&state, jar);
            let error = Some(throttle_note(lang, lang.t("login-wrong"), waited));
            render(StatusCode::UNAUTHORIZED, jar, LoginPage { lang, csrf, email, error })
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct EmptyForm {}

pub(crate) async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    ClientIp(ip): ClientIp,
    CsrfForm(EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    crate::access::note(&state, &admin, ip, "logout", serde_json::json!({})).await;
    let jar = auth::end_session(&state, jar, &admin).await?;
    tracing::info!(admin_id = admin.id, "admin logged out");
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    delivery_mode: domain::DeliveryMode,
    database_label: String,
    admin_count: i64,
    token_count: usize,
    subscriber_count: i64,
    list_count: usize,
    campaigns: Vec<store::CampaignSummary>,
}

pub(crate) async fn home(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = HomePage {
        frame,
        delivery_mode: state.config().delivery_mode,
        database_label: state.config().database_label.clone(),
        admin_count: state.store().admin_count().await?,
        token_count: state.store().api_tokens(admin.id).await?.len(),
        subscriber_count: state.store().subscriber_count().await?,
        list_count: state.store().lists().await?.len(),
        campaigns: state.store().recent_campaigns(5).await?,
    };
    render(StatusCode::OK, jar, page)
}

struct TokenRow {
    id: i64,
    name: String,
    scopes: String,
    created: String,
    last_used: String,
    /// Transactional messages a minute and a day (0: no limit).
    per_minute: i32,
    per_day: i32,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    frame: Frame,
    role: String,
    /// What the admin's role allows; a token may be narrowed to some of it.
    permissions: Vec<String>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    error: Option<String>,
}

async fn tokens_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    new_token: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let tokens = state
        .store()
        .api_tokens(admin.id)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            scopes: t.scopes.map_or_else(
                || frame.t1("token-all-of-role", "role", frame.tk("team-role", admin.role)),
                |s| s.join(", "),
            ),
            created: frame.at(&t.created_at),
            last_used: t.last_used_at.map_or_else(|| frame.t("token-never"), |at| frame.at(&at)),
            per_minute: t.tx_per_minute,
            per_day: t.tx_per_day,
        })
        .collect();
    let permissions = admin.role.permissions().iter().map(ToString::to_string).collect();
    let page = TokensPage { frame, role: admin.role.to_string(), permissions, tokens, new_token, error };
    render(status, jar, page)
}

pub(crate) async fn tokens(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    tokens_page(&state, jar, admin, StatusCode::OK, None, None).await
}

/// The form's fields: `name`, and a `scope` per ticked permission (none:
/// all of the role's).
pub(crate) async fn create_token(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let name = pairs.iter().find(|(k, _)| k == "name").map_or("", |(_, v)| v.trim());
    if name.is_empty() || name.chars().count() > 100 {
        let error = Some(lang.t("token-name-invalid"));
        return tokens_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, None, error).await;
    }
    let mut scopes = Vec::new();
    for (_, raw) in pairs.iter().filter(|(k, _)| k == "scope") {
        let refused = match raw.parse::<domain::Permission>() {
            Ok(p) if admin.role.allows(p.area, p.write) => {
                scopes.push(p.to_string());
                continue;
            }
            Ok(p) => lang.t2("token-role-lacks", "role", lang.tk("team-role", admin.role), "permission", p),
            Err(_) => lang.t1("token-bad-permission", "value", format!("{raw:?}")),
        };
        return tokens_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, None, Some(refused)).await;
    }
    let email = EmailAddress::parse(&admin.email).map_err(AppError::internal)?;
    let token = new_api_token();
    let scopes = (!scopes.is_empty()).then_some(scopes);
    state.store().create_scoped_api_token(&email, name, &api_token_hash(&token), scopes.as_deref()).await?;
    tracing::info!(admin_id = admin.id, "API token created");
    tokens_page(&state, jar, admin, StatusCode::OK, Some(token), None).await
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CsrfForm(EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    if !state.store().revoke_api_token(admin.id, id).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(admin_id = admin.id, token_id = id, "API token revoked");
    Ok(Redirect::to("/tokens").into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct LimitsForm {
    #[serde(default)]
    per_minute: String,
    #[serde(default)]
    per_day: String,
}

/// Sets how many transactional messages one of the admin's tokens may send.
pub(crate) async fn token_limits(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    CsrfForm(form): CsrfForm<LimitsForm>,
) -> Result<Response, AppError> {
    if !state.store().api_tokens(admin.id).await?.iter().any(|t| t.id == id) {
        return Err(AppError::NotFound);
    }
    let limit = |text: &str| text.trim().parse::<i32>().ok().filter(|n| *n >= 0);
    let (Some(per_minute), Some(per_day)) = (limit(&form.per_minute), limit(&form.per_day)) else {
        let error = Some(admin.language.t("token-limits-invalid"));
        return tokens_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, None, error).await;
    };
    state.store().set_tx_limits(id, per_minute, per_day).await?;
    Ok(Redirect::to("/tokens").into_response())
}

pub(crate) async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../../../templates/app.css"))
}

/// The dashboard's scripts: files of their own, so the pages' policy can
/// forbid every inline script.
pub(crate) async fn script(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let body = match name.as_str() {
        "app.js" => include_str!("../../../templates/static/app.js"),
        "segment.js" => include_str!("../../../templates/static/segment.js"),
        "imports.js" => include_str!("../../../templates/static/imports.js"),
        _ => return AppError::NotFound.into_response(),
    };
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], body).into_response()
}

/// Nothing here: said in the signed-in admin's language, if one is.
pub(crate) async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> AppError {
    if let Ok(Some(actor)) = auth::session_actor(&state, &headers).await
        && let Some(language) = i18n::Language::parse(&actor.language)
    {
        crate::error::speak_in(language);
    }
    AppError::NotFound
}

fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok())
}

/// Takes the browser's time zone as the admin's while they have chosen none.
async fn adopt_zone(state: &AppState, admin_id: i64, zone: &str) -> Result<(), AppError> {
    if zone.parse::<chrono_tz::Tz>().is_ok() {
        state.store().set_admin_time_zone(admin_id, zone, true).await?;
    }
    Ok(())
}

/// Why a password is refused, in `lang`, as a clause: English reads
/// exactly as `PasswordError` prints ("the password must have at least 12
/// characters").
pub(crate) fn password_reason(lang: i18n::Language, error: &PasswordError) -> String {
    match error {
        PasswordError::TooShort => lang.t1("setup-password-too-short", "min", password::MIN_LENGTH),
        PasswordError::TooLong => lang.t1("setup-password-too-long", "max", password::MAX_LENGTH),
        PasswordError::Weak(hint) if hint == ": it contains the account's email address" => {
            lang.t("setup-password-has-email")
        }
        PasswordError::Weak(hint) => match hint.strip_prefix(": ") {
            Some(hint) => lang.t1("setup-password-weak", "hint", hint),
            None => error.to_string(),
        },
    }
}

/// A policy error as a sentence for the form, in `lang`: capitalised,
/// with a full stop.
pub(crate) fn password_sentence(lang: i18n::Language, error: &PasswordError) -> String {
    let mut text = password_reason(lang, error);
    if let Some(first) = text.get(..1) {
        text.replace_range(..1, &first.to_uppercase());
    }
    if !text.ends_with(['.', '。']) {
        text.push_str(&lang.t("setup-full-stop"));
    }
    text
}

/// A failed login's message, with what the throttle adds when the attempt
/// had to wait.
pub(crate) fn throttle_note(lang: i18n::Language, error: String, waited: Option<std::time::Duration>) -> String {
    match waited {
        Some(wait) => {
            let seconds = i64::try_from(wait.as_secs()).unwrap_or(i64::MAX);
            lang.t_with(
                "login-throttled",
                &[
                    ("error", i18n::Arg::Text(error)),
                    ("count", i18n::Arg::Number(seconds)),
                    ("n", i18n::Arg::Text(lang.number(seconds))),
                ],
            )
        }
        None => error,
    }
}

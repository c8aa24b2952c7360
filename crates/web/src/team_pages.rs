//! The team: owners add people with a role, change roles, remove people,
//! require a second factor for everyone and search the audit log. Every
//! admin enrols their own TOTP authenticator (QR code, recovery codes shown
//! once), and a login with a second factor asks for a code after the
//! password.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use domain::{EmailAddress, Role};
use serde::Deserialize;

use crate::access;
use crate::auth::{self, AdminUser, ClientIp, CookieName};
use crate::csrf::{self, CsrfForm};
use crate::error::Invalid;
use crate::pages::{EmptyForm, Frame, render};
use crate::secret::{random_bytes, token_hash};
use crate::{AppError, AppState, password};

/// The cookie of a login whose password was right and whose code is due.
const SEAL_PURPOSE: &str = "totp-secret";
const RECOVERY_CODES: usize = 10;

pub(crate) fn team_routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .route("/team", get(team).post(add_member))
        .route("/team/{id}/role", post(set_role))
        .route("/team/{id}/remove", post(remove_member))
        .route("/team/require-2fa", post(require_totp))
        .route("/audit", get(audit))
}

pub(crate) fn enrolment_routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .route("/account/2fa", get(enrolment).post(enrol))
        .route("/account/2fa/disable", post(disable))
        .route("/account/language", post(crate::account_pages::set_language))
}

struct MemberRow {
    id: i64,
    email: String,
    role: String,
    totp: bool,
    added: String,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    frame: Frame,
    members: Vec<MemberRow>,
    roles: Vec<&'static str>,
    require_totp: bool,
    error: Option<String>,
}

async fn team_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let members = state
        .store()
        .team()
        .await?
        .into_iter()
        .map(|m| MemberRow {
            id: m.id,
            email: m.email,
            role: m.role,
            totp: m.totp_enabled,
            added: frame.day(&m.created_at),
        })
        .collect();
    let page = TeamPage {
        frame,
        members,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        require_totp: state.store().require_totp().await?,
        error,
    };
    render(status, jar, page)
}

async fn team(State(state): State<AppState>, jar: CookieJar, admin: AdminUser) -> Result<Response, AppError> {
    team_page(&state, jar, admin, StatusCode::OK, None).await
}

#[derive(Deserialize)]
struct MemberForm {
    email: String,
    role: String,
    password: String,
}

async fn add_member(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<MemberForm>,
) -> Result<Response, AppError> {
    match add(&state, admin.language, form).await? {
        Ok(()) => Ok(Redirect::to("/team").into_response()),
        Err(error) => team_page(&state, jar, admin, bad(), Some(error.into())).await,
    }
}

/// Adds a member; the inner error says what is wrong with the form (in
/// `lang`).
async fn add(state: &AppState, lang: i18n::Language, form: MemberForm) -> Result<Result<(), Invalid>, AppError> {
    let email = match EmailAddress::parse(&form.email) {
        Ok(email) => email,
        Err(e) => return Ok(Err(lang.t1("team-bad-email", "reason", e).into())),
    };
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(_) => return Ok(Err(bad_role(lang, &form.role).into())),
    };
    if let Err(e) = password::check_policy(&form.password, &[email.as_str()]) {
        let reason = crate::pages::password_reason(lang, &e);
        return Ok(Err(lang.t1("team-first-password-weak", "reason", reason).into()));
    }
    let hash = password::hash(form.password).await?;
    match state.store().create_admin_with_role(&email, &hash, role.as_str()).await {
        Ok(_) => Ok(Ok(())),
        Err(store::StoreError::Conflict(_)) => Ok(Err(lang.t1("team-already-member", "email", &email).into())),
        Err(e) => Err(e.into()),
    }
}

/// What `Role::from_str` says of a word that is no role, in `lang`.
fn bad_role(lang: i18n::Language, raw: &str) -> String {
    lang.t1("team-bad-role", "role", format!("{raw:?}"))
}

fn bad() -> StatusCode {
    StatusCode::UNPROCESSABLE_ENTITY
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<Response, AppError> {
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(_) => {
            let error = bad_role(admin.language, &form.role);
            return team_page(&state, jar, admin, bad(), Some(error)).await;
        }
    };
    match state.store().set_admin_role(id, role.as_str()).await {
        Ok(()) => Ok(Redirect::to("/team").into_response()),
        Err(store::StoreError::Refused(why)) => {
            let error = sentence(admin.language, why);
            team_page(&state, jar, admin, bad(), Some(error)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove_member(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    CsrfForm(EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    match state.store().delete_admin(id).await {
        Ok(email) => {
            tracing::info!(admin_id = admin.id, removed = id, "admin removed");
            access::note(&state, &admin, ip, "team member removed", serde_json::json!({ "id": id, "email": email }))
                .await;
            Ok(Redirect::to("/team").into_response())
        }
        Err(store::StoreError::Refused(why)) => {
            let error = sentence(admin.language, why);
            team_page(&state, jar, admin, bad(), Some(error)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RequireForm {
    #[serde(default)]
    required: Option<String>,
}

async fn require_totp(
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<RequireForm>,
) -> Result<Response, AppError> {
    state.store().set_require_totp(form.required.is_some()).await?;
    Ok(Redirect::to("/team").into_response())
}

/// The store's refusal as a sentence, in `lang` when it is one the
/// catalogs know.
fn sentence(lang: i18n::Language, text: String) -> String {
    if text == "the team needs at least one owner" {
        return lang.t("team-needs-owner");
    }
    let mut chars = text.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

struct AuditRow {
    at: String,
    actor: String,
    via: String,
    ip: String,
    action: String,
    status: String,
    details: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    frame: Frame,
    q: String,
    /// Which entries: "changes", "logins" or "all".
    show: &'static str,
    rows: Vec<AuditRow>,
    /// The `before` of the next page, when there is one.
    next: Option<i64>,
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    q: String,
    /// "changes" (the default), "logins" or "all".
    #[serde(default)]
    show: String,
    before: Option<i64>,
}

const AUDIT_PAGE: i64 = 100;

async fn audit(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let q = query.q.trim().to_string();
    let search = (!q.is_empty()).then_some(q.as_str());
    let (show, logins) = match query.show.as_str() {
        "logins" => ("logins", Some(true)),
        "all" => ("all", None),
        _ => ("changes", Some(false)),
    };
    let (entries, next) = state.store().audit_page(search, logins, query.before, AUDIT_PAGE).await?;
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            at: frame.at(&e.at),
            actor: e.actor,
            via: via_label(&frame, &e.via),
            ip: e.ip.map(|ip| ip.addr().to_string()).unwrap_or_default(),
            action: e.action,
            status: e.status.map(|s| s.to_string()).unwrap_or_default(),
            details: if e.details == serde_json::json!({}) { String::new() } else { e.details.to_string() },
        })
        .collect();
    render(StatusCode::OK, jar, AuditPage { frame, q, show, rows, next })
}

/// How an entry came in ("session", "cli", "token <name>"), in the admin's
/// language.
fn via_label(frame: &Frame, via: &str) -> String {
    match via {
        "session" => frame.t("audit-via-session"),
        "cli" => frame.t("audit-via-cli"),
        _ => match via.strip_prefix("token ") {
            Some(name) => frame.t1("audit-via-token", "name", name),
            None => via.to_string(),
        },
    }
}

// ---- Second factor ----

/// The authenticator of `email` for a raw secret.
fn authenticator(secret: &[u8], email: &str) -> Result<totp_rs::Totp, AppError> {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::new(secret.into()))
        .with_issuer(Some("ninsho"))
        .with_account_name(email.replace(':', ""))
        .build()
        .map_err(AppError::internal)
}

/// The time step a good, unused code is for; None for a wrong code.
fn check_code(totp: &totp_rs::Totp, code: &str) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
    totp.check(&code, now).and_then(|step| i64::try_from(step).ok())
}

#[derive(Template)]
#[template(path = "account_2fa.html")]
struct EnrolmentPage {
    frame: Frame,
    enabled: bool,
    required: bool,
    /// While enrolling: the QR code (SVG) and the secret as text.
    qr_svg: String,
    secret: String,
    recovery_left: i64,
    /// Shown once, right after enrolling.
    recovery_codes: Vec<String>,
    error: Option<String>,
}

async fn enrolment_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let current = state.store().totp(admin.id).await?;
    let (mut qr_svg, mut secret) = (String::new(), String::new());
    if !current.enabled {
        // A new secret each time the page is shown; it counts once a code
        // from it is entered.
        let raw = random_bytes::<20>();
        state.store().start_totp(admin.id, &state.key().seal(SEAL_PURPOSE, &raw)).await?;
        let totp = authenticator(&raw, &admin.email)?;
        let url = totp.to_url().map_err(AppError::internal)?;
        qr_svg = qrcode::QrCode::new(url.as_bytes())
            .map_err(AppError::internal)?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build();
        secret = totp.secret().to_base32();
    }
    let page = EnrolmentPage {
        frame: Frame::issue(state, jar.clone(), &admin).1,
        enabled: current.enabled,
        required: state.store().require_totp().await?,
        qr_svg,
        secret,
        recovery_left: state.store().recovery_codes_left(admin.id).await?,
        recovery_codes: Vec::new(),
        error,
    };
    render(status, jar, page)
}

async fn enrolment(State(state): State<AppState>, jar: CookieJar, admin: AdminUser) -> Result<Response, AppError> {
    enrolment_page(&state, jar, admin, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    code: String,
    /// Turning the second factor on or off also asks for the password, so a
    /// borrowed session cannot swap the authenticator.
    #[serde(default)]
    password: String,
}

/// Whether `password` is the admin's.
async fn password_ok(state: &AppState, email: &str, password: &str) -> Result<bool, AppError> {
    let account = state.store().admin_credentials(email).await?;
    password::verify(password.to_string(), account.map(|(_, hash)| hash)).await
}

/// The admin's stored authenticator, opened.
async fn stored_authenticator(state: &AppState, admin_id: i64, email: &str) -> Result<Option<totp_rs::Totp>, AppError> {
    let current = state.store().totp(admin_id).await?;
    let Some(sealed) = current.secret else { return Ok(None) };
    let raw = state
        .key()
        .open(SEAL_PURPOSE, &sealed)
        .ok_or_else(|| AppError::internal("a TOTP secret does not open with this server's key"))?;
    authenticator(&raw, email).map(Some)
}

async fn enrol(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let current = state.store().totp(admin.id).await?;
    if current.enabled {
        return Ok(Redirect::to("/account/2fa").into_response());
    }
    if !password_ok(&state, &admin.email, &form.password).await? {
        let error = admin.language.t("account-2fa-wrong-password");
        return enrolment_page(&state, jar, admin, bad(), Some(error)).await;
    }
    let totp = stored_authenticator(&state, admin.id, &admin.email).await?;
    let Some(step) = totp.as_ref().and_then(|t| check_code(t, &form.code)) else {
        let error = admin.language.t("account-2fa-wrong-code");
        return enrolment_page(&state, jar, admin, bad(), Some(error)).await;
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| token_hash(&normal_recovery(c))).collect();
    state.store().enable_totp(admin.id, step, &hashes).await?;
    tracing::info!(admin_id = admin.id, "two-factor login enabled");
    let (jar, frame) = Frame::issue(&state, jar, &admin);
    let page = EnrolmentPage {
        frame,
        enabled: true,
        required: state.store().require_totp().await?,
        qr_svg: String::new(),
        secret: String::new(),
        recovery_left: RECOVERY_CODES as i64,
        recovery_codes: codes,
        error: None,
    };
    render(StatusCode::OK, jar, page)
}

async fn disable(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    if !password_ok(&state, &admin.email, &form.password).await?
        || !second_factor_ok(&state, admin.id, &admin.email, &form.code).await?
    {
        let error = admin.language.t("account-2fa-disable-refused");
        return enrolment_page(&state, jar, admin, bad(), Some(error)).await;
    }
    state.store().disable_totp(admin.id).await?;
    tracing::info!(admin_id = admin.id, "two-factor login disabled");
    Ok(Redirect::to("/account/2fa").into_response())
}

/// Whether `code` is a current, unused TOTP code or an unused recovery code
/// of the admin; either is used up.
async fn second_factor_ok(state: &AppState, admin_id: i64, email: &str, code: &str) -> Result<bool, AppError> {
    let Some(totp) = stored_authenticator(state, admin_id, email).await? else { return Ok(false) };
    if let Some(step) = check_code(&totp, code) {
        return Ok(state.store().use_totp_step(admin_id, step).await?);
    }
    let recovery = normal_recovery(code);
    if recovery.len() == 10 {
        return Ok(state.store().use_recovery_code(admin_id, &token_hash(&recovery)).await?);
    }
    Ok(false)
}

/// Ten characters from an alphabet without look-alikes, shown as xxxxx-xxxxx.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = random_bytes::<10>();
    let chars: String = bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn normal_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

// ---- Login, second step ----

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    /// Nobody is logged in yet: the browser's language.
    lang: i18n::Language,
    csrf: String,
    error: Option<String>,
}

pub(crate) async fn code_form(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if challenge(&state, &jar).await?.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    let lang = crate::error::browser_language(&headers);
    let (jar, csrf) = csrf::issue(&state, jar);
    render(StatusCode::OK, jar, CodePage { lang, csrf, error: None })
}

async fn challenge(state: &AppState, jar: &CookieJar) -> Result<Option<(i64, String)>, AppError> {
    let Some(cookie) = jar.get(CookieName::Challenge.of(state)) else { return Ok(None) };
    Ok(state.store().login_challenge(&token_hash(cookie.value())).await?)
}

pub(crate) async fn code(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let Some((admin_id, email)) = challenge(&state, &jar).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let lang = crate::error::browser_language(&headers);
    let refuse = |jar: CookieJar, status: StatusCode, error: String| {
        let (jar, csrf) = csrf::issue(&state, jar);
        render(status, jar, CodePage { lang, csrf, error: Some(error) })
    };
    let throttled = auth::throttle(&state, &email, ip).await?;
    let right = second_factor_ok(&state, admin_id, &email, &form.code).await?;
    let waited = throttled.waited;
    drop(throttled);
    if !right {
        state.metrics().login("failure");
        tracing::warn!(%ip, admin_id, "wrong or reused second-factor code");
        let error = crate::pages::throttle_note(lang, lang.t("login-code-wrong"), waited);
        return refuse(jar, StatusCode::UNAUTHORIZED, error);
    }
    let challenge_token = jar.get(CookieName::Challenge.of(&state)).map(|c| c.value().to_string()).unwrap_or_default();
    state.store().delete_login_challenge(&token_hash(&challenge_token)).await?;
    state.store().clear_login_failures(&email).await?;
    state.metrics().login("success");
    tracing::info!(admin_id, %ip, "admin logged in with a second factor");
    let user_agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    let jar = jar.remove(CookieName::Challenge.removal(&state));
    let jar = auth::start_session(&state, jar, admin_id, ip, user_agent).await?;
    access::record_login(&state, admin_id, &email, ip, true).await;
    Ok((jar, Redirect::to("/")).into_response())
}

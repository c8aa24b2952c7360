//! Who is asking: the client's address, the logged-in admin (session cookie)
//! and the API caller (bearer token).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use domain::{Permission, Role};

use crate::secret::{random_token, token_hash};
use crate::{AppError, AppState};

/// Who is asking, and through what.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub admin_id: i64,
    pub email: String,
    pub role: Role,
    pub via: Via,
    /// The team requires a second factor and this admin has none yet: only
    /// enrolment opens (and their tokens are refused).
    pub must_enrol: bool,
    /// The zone the dashboard shows them times in (sessions only).
    pub time_zone: String,
    /// The language they chose (`en`, `ja`), empty to follow the browser.
    pub language: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Via {
    Session { token: String },
    Token { id: i64, name: String, scopes: Option<Vec<Permission>> },
}

impl Actor {
    /// Whether the role, and the token's scopes if any, grant `wanted`.
    pub(crate) fn may(&self, wanted: Permission) -> bool {
        let scoped = match &self.via {
            Via::Token { scopes: Some(scopes), .. } => scopes.iter().any(|s| s.grants(wanted)),
            _ => true,
        };
        scoped && self.role.allows(wanted.area, wanted.write)
    }

    pub(crate) fn via_label(&self) -> String {
        match &self.via {
            Via::Session { .. } => "session".into(),
            Via::Token { name, .. } => format!("token {name}"),
        }
    }

    /// Why `wanted` is refused, in words (the request's language).
    pub(crate) fn refusal(&self, wanted: Permission) -> String {
        let lang = crate::error::request_language();
        let verb = if wanted.write { "change" } else { "see" };
        let area = lang.tk("err-area", wanted.area.as_str());
        match &self.via {
            Via::Token { scopes: Some(scopes), .. } if self.role.allows(wanted.area, wanted.write) => {
                // The scopes as a token is given them (`audience:write`).
                let granted = scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                lang.t2(&format!("err-token-may-not-{verb}"), "area", area, "granted", granted)
            }
            _ => {
                let role = lang.tk("team-role", self.role.as_str());
                lang.t2(&format!("err-role-may-not-{verb}"), "role", role, "area", area)
            }
        }
    }
}

/// The dashboard's cookies. Over https each is named with the `__Host-`
/// prefix: a browser then takes it only from this host, only over https and
/// only for the whole site, so neither a sibling subdomain nor a network
/// attacker can plant one (and log an admin into someone else's session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CookieName {
    /// The admin's session.
    Session,
    /// What forms are bound to before login (login CSRF).
    PreSession,
    /// The login's second step (a password that was right, a code to come).
    Challenge,
}

impl CookieName {
    pub(crate) fn of(self, state: &AppState) -> &'static str {
        match (self, state.https()) {
            (Self::Session, false) => "ninsho_session",
            (Self::Session, true) => "__Host-ninsho_session",
            (Self::PreSession, false) => "ninsho_csrf",
            (Self::PreSession, true) => "__Host-ninsho_csrf",
            (Self::Challenge, false) => "ninsho_login",
            (Self::Challenge, true) => "__Host-ninsho_login",
        }
    }

    /// The cookie holding `value`, as every one of ours is set.
    pub(crate) fn cookie(self, state: &AppState, value: String) -> Cookie<'static> {
        Cookie::build((self.of(state), value))
            .path("/")
            .http_only(true)
            .secure(state.secure_cookies())
            .same_site(SameSite::Strict)
            .build()
    }

    /// What removes it (a `__Host-` cookie is removed only by a secure one).
    pub(crate) fn removal(self, state: &AppState) -> Cookie<'static> {
        Cookie::build(self.of(state)).path("/").secure(state.secure_cookies()).build()
    }
}

/// The client's address: the TCP peer, or behind one of the configured
/// trusted proxies, the address it reports in `X-Forwarded-For`.
pub(crate) struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let ConnectInfo(addr) = ConnectInfo::<SocketAddr>::from_request_parts(parts, &state)
            .await
            .map_err(|_| AppError::internal("the server was started without connection info"))?;
        Ok(Self(client_ip(addr.ip(), &parts.headers, &state.config().trusted_proxies)))
    }
}

/// Walks `X-Forwarded-For` from the right (the entry our proxy added) past
/// trusted proxies; the first other address is the client. Without a
/// trusted peer the header is ignored: anyone can send it.
pub(crate) fn client_ip(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let peer = unmap(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let hops = forwarded.iter().flat_map(|v| v.split(',')).map(str::trim).collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&unmap(ip)) => continue,
            Ok(ip) => return unmap(ip),
            Err(_) => return peer,
        }
    }
    peer
}

/// IPv4 clients on an IPv6 socket (`::ffff:a.b.c.d`) are the IPv4 address they are.
pub(crate) fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A logged-in admin. Pages that take it send everyone else to the login
/// page (or to the setup page while no admin exists). Behind the access
/// gate it is the gate's [`Actor`]: the session is looked up once.
pub(crate) struct AdminUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub session_token: String,
    /// The zone times are shown to them in (theirs, else the sender's).
    pub time_zone: String,
    /// The language the dashboard speaks to them: theirs, else the browser's.
    pub language: i18n::Language,
}

pub(crate) enum LoginRequired {
    Redirect(&'static str),
    Error(AppError),
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        match self {
            Self::Redirect(to) => Redirect::to(to).into_response(),
            Self::Error(e) => e.into_response(),
        }
    }
}

/// Where someone who is not logged in goes: setup while no admin exists.
pub(crate) async fn login_redirect(state: &AppState) -> LoginRequired {
    match state.store().admin_count().await {
        Ok(0) => LoginRequired::Redirect("/setup"),
        Ok(_) => LoginRequired::Redirect("/login"),
        Err(e) => LoginRequired::Error(e.into()),
    }
}

/// The admin whose live session cookie the request carries.
pub(crate) async fn session_actor(state: &AppState, headers: &HeaderMap) -> Result<Option<Actor>, AppError> {
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(CookieName::Session.of(state)) else { return Ok(None) };
    let session = state.store().touch_session(&token_hash(cookie.value()), state.config().session_lifetime).await?;
    let Some(session) = session else { return Ok(None) };
    Ok(Some(Actor {
        admin_id: session.admin_id,
        email: session.email,
        role: session.role.parse().map_err(AppError::internal)?,
        via: Via::Session { token: cookie.value().into() },
        must_enrol: session.must_enrol,
        time_zone: session.time_zone,
        language: session.language,
    }))
}

/// The admin an `Authorization: Bearer nsh_…` token acts for.
pub(crate) async fn token_actor(state: &AppState, headers: &HeaderMap) -> Result<Option<Actor>, AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with("nsh_"));
    let Some(token) = token else { return Ok(None) };
    let Some(owner) = state.store().api_token_admin(&token_hash(token)).await? else { return Ok(None) };
    let scopes = match owner.scopes {
        None => None,
        Some(scopes) => Some(
            scopes
                .iter()
                .map(|s| s.parse::<Permission>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(AppError::internal)?,
        ),
    };
    Ok(Some(Actor {
        admin_id: owner.admin_id,
        email: owner.email,
        role: owner.role.parse().map_err(AppError::internal)?,
        via: Via::Token { id: owner.token_id, name: owner.token_name, scopes },
        must_enrol: owner.must_enrol,
        time_zone: String::new(),
        language: String::new(),
    }))
}

impl<S> FromRequestParts<S> for AdminUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = LoginRequired;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let actor = match parts.extensions.get::<Actor>() {
            Some(actor) => Some(actor.clone()),
            None => session_actor(&state, &parts.headers).await.map_err(LoginRequired::Error)?,
        };
        match actor {
            Some(Actor { admin_id, email, role, via: Via::Session { token }, time_zone, language, .. }) => {
                let language =
                    i18n::Language::parse(&language).unwrap_or_else(|| crate::error::browser_language(&parts.headers));
                crate::error::speak_in(language);
                Ok(Self { id: admin_id, email, role, session_token: token, time_zone, language })
            }
            _ => Err(login_redirect(&state).await),
        }
    }
}

/// The longest an attempt is made to wait.
const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// An account's failures from everywhere past this many times the limit
/// slow the whole account.
const ACCOUNT_LIMIT_TIMES: i64 = 4;

/// Holds a login attempt (password or second factor) back as its address
/// has earned, and returns what the page should say about it.
///
/// Every attempt is recorded as a failure before it is judged (success
/// clears the account's record), so parallel guesses count against each
/// other. An address that failed too often with this account, or with any
/// accounts, waits before its attempt is judged (1 s, doubling, at most
/// 30 s), one attempt at a time: it guesses slowly, while the right
/// password and code still let it in, and nobody else is kept out, not
/// even behind a shared address. The owner is told by mail when the
/// account's failures from anywhere pass the limit.
pub(crate) async fn throttle(state: &AppState, email: &str, ip: IpAddr) -> Result<Throttled, AppError> {
    let config = state.config();
    state.store().record_login_failure(email, ip).await?;
    let failures = state.store().recent_login_failures(email, ip, config.throttle_window).await?;
    let limit = config.max_failures_per_account;
    if failures.account > limit {
        warn_owner(state, email, ip, failures.account).await?;
    }
    // Guessing from many addresses at once: past four times the limit the
    // whole account takes one attempt at a time, its owner too (slowly,
    // never refused).
    let account_excess = failures.account - ACCOUNT_LIMIT_TIMES * limit;
    let excess = (failures.pair - limit).max(failures.address - config.max_failures_per_ip).max(account_excess);
    if excess <= 0 {
        return Ok(Throttled { _turn: None, waited: None });
    }
    state.metrics().login("throttled");
    let wait = std::time::Duration::from_secs(1u64 << excess.clamp(1, 6).saturating_sub(1)).min(MAX_WAIT);
    tracing::warn!(%ip, pair = failures.pair, address = failures.address, ?wait, "login slowed: too many failures");
    let from = (account_excess <= 0).then_some(ip);
    let turn = state.login_turn(email, from).lock_owned().await;
    tokio::time::sleep(wait).await;
    Ok(Throttled { _turn: Some(turn), waited: Some(wait) })
}

/// An attempt that may go on; held back first when `waited`. Keep it until
/// the attempt is judged (dropping it ends the turn): the next one from the
/// same address waits for it.
pub(crate) struct Throttled {
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    pub waited: Option<std::time::Duration>,
}

const WARNING_SUBJECT: &str = "ninsho: failed logins to your account";

/// Mails an account's owner that its password is being tried, at most
/// once per throttle window.
async fn warn_owner(state: &AppState, email: &str, ip: IpAddr, failures: i64) -> Result<(), AppError> {
    let Some((admin, _)) = state.store().admin_credentials(email).await? else { return Ok(()) };
    let window = state.config().throttle_window;
    if state.store().message_sent_since(&admin.email, WARNING_SUBJECT, window).await? {
        return Ok(());
    }
    let minutes = window.num_minutes();
    let text = format!(
        "Hello,\n\nthere were {failures} failed attempts to log in to ninsho as {email} in the last {minutes} \
         minutes, the last from {ip}.\n\nIf it was not you, someone is guessing your password. Addresses that \
         keep failing are slowed down; if you think the password is known, change it, and turn on two-factor \
         login (Account, then Two-factor login).\n"
    );
    let message = store::NewMessage {
        kind: "alert",
        subscriber_id: None,
        to: &admin.email,
        subject: WARNING_SUBJECT,
        text_body: &text,
    };
    state.store().enqueue_message(&message).await?;
    tracing::warn!(admin_id = admin.id, failures, "failed logins: the owner was told");
    Ok(())
}

/// Starts a session for `admin_id`; returns the jar with its cookie.
pub(crate) async fn start_session(
    state: &AppState,
    jar: CookieJar,
    admin_id: i64,
    ip: IpAddr,
    user_agent: Option<&str>,
) -> Result<CookieJar, AppError> {
    let token = random_token();
    let lifetime = state.config().session_lifetime;
    state.store().create_session(&token_hash(&token), admin_id, lifetime, ip, user_agent).await?;
    let cookie = CookieName::Session.cookie(state, token);
    // The pre-session cookie has done its job (login CSRF); forms are now
    // bound to the session.
    Ok(jar.remove(CookieName::PreSession.removal(state)).add(cookie))
}

pub(crate) async fn end_session(state: &AppState, jar: CookieJar, admin: &AdminUser) -> Result<CookieJar, AppError> {
    state.store().delete_session(&token_hash(&admin.session_token)).await?;
    Ok(jar.remove(CookieName::Session.removal(state)))
}

/// An API caller, authenticated by `Authorization: Bearer nsh_…`.
pub(crate) struct ApiUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The API token the request came with (None: a dashboard session).
    pub token_id: Option<i64>,
}

impl<S> FromRequestParts<S> for ApiUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let actor = match parts.extensions.get::<Actor>() {
            Some(actor) => Some(actor.clone()),
            None => token_actor(&state, &parts.headers).await?,
        };
        let actor = actor.ok_or(AppError::Unauthorized)?;
        let token_id = match actor.via {
            Via::Token { id, .. } => Some(id),
            Via::Session { .. } => None,
        };
        Ok(Self { id: actor.admin_id, email: actor.email, role: actor.role, token_id })
    }
}

/// After a right password of an admin with a second factor: a challenge
/// cookie and the code page instead of a session.
pub(crate) async fn start_challenge(
    state: &AppState,
    jar: CookieJar,
    admin_id: i64,
    ip: std::net::IpAddr,
    user_agent: Option<&str>,
) -> Result<Response, AppError> {
    let token = random_token();
    let lifetime = chrono::Duration::minutes(5);
    state.store().create_login_challenge(&token_hash(&token), admin_id, lifetime, ip, user_agent).await?;
    let cookie = CookieName::Challenge.cookie(state, token);
    Ok((jar.add(cookie), Redirect::to("/login/code")).into_response())
}

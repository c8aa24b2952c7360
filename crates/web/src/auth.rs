//! Who is asking: the client's address, the logged-in admin (session cookie)
//! and the API caller (bearer token).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use domain::{Permission, Role};

use crate::access::{Actor, Via};
use crate::secret::{random_token, token_hash};
use crate::{AppError, AppState};

pub(crate) const SESSION_COOKIE: &str = "ninsho_session";

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
    let Some(cookie) = jar.get(SESSION_COOKIE) else { return Ok(None) };
    let session = state.store().touch_session(&token_hash(cookie.value()), state.config().session_lifetime).await?;
    let Some(session) = session else { return Ok(None) };
    Ok(Some(Actor {
        admin_id: session.admin_id,
        email: session.email,
        role: session.role.parse().map_err(AppError::internal)?,
        via: Via::Session { token: cookie.value().into() },
        must_enrol: session.must_enrol,
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
        via: Via::Token { name: owner.token_name, scopes },
        must_enrol: owner.must_enrol,
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
            Some(Actor { admin_id, email, role, via: Via::Session { token }, .. }) => {
                Ok(Self { id: admin_id, email, role, session_token: token })
            }
            _ => Err(login_redirect(&state).await),
        }
    }
}

/// Records a login attempt (password or second factor) before it is
/// judged, so parallel guesses count against each other; returns the
/// refusal to show when the account or the address has failed too often.
pub(crate) async fn throttled(state: &AppState, email: &str, ip: IpAddr) -> Result<Option<String>, AppError> {
    let config = state.config();
    state.store().record_login_failure(email, ip).await?;
    let (by_account, by_ip) = state.store().recent_login_failures(email, ip, config.throttle_window).await?;
    if by_account <= config.max_failures_per_account && by_ip <= config.max_failures_per_ip {
        return Ok(None);
    }
    state.metrics().login("throttled");
    tracing::warn!(%ip, by_account, by_ip, "login refused: too many failures");
    Ok(Some(format!("Too many failed logins. Try again in {} minutes.", config.throttle_window.num_minutes())))
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
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(state.secure_cookies())
        .same_site(SameSite::Strict)
        .build();
    // The pre-session cookie has done its job (login CSRF); forms are now
    // bound to the session.
    Ok(jar.remove(Cookie::build(crate::csrf::PRE_SESSION_COOKIE).path("/")).add(cookie))
}

pub(crate) async fn end_session(state: &AppState, jar: CookieJar, admin: &AdminUser) -> Result<CookieJar, AppError> {
    state.store().delete_session(&token_hash(&admin.session_token)).await?;
    Ok(jar.remove(Cookie::build(SESSION_COOKIE).path("/")))
}

/// An API caller, authenticated by `Authorization: Bearer nsh_…`.
pub(crate) struct ApiUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

pub(crate) struct ApiUnauthorized;

impl IntoResponse for ApiUnauthorized {
    fn into_response(self) -> Response {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(serde_json::json!({"error": "a valid API token is required (Authorization: Bearer nsh_…)"})),
        )
            .into_response()
    }
}

impl<S> FromRequestParts<S> for ApiUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let actor = match parts.extensions.get::<Actor>() {
            Some(actor) => Some(actor.clone()),
            None => {
                token_actor(&state, &parts.headers).await.map_err(|e| crate::api::ApiError::from(e).into_response())?
            }
        };
        let actor = actor.ok_or_else(|| ApiUnauthorized.into_response())?;
        Ok(Self { id: actor.admin_id, email: actor.email, role: actor.role })
    }
}

//! The gate in front of every dashboard page and API route: it finds who is
//! asking (session cookie or bearer token), refuses what their role — or
//! their token's narrower scopes — does not grant, sends admins who still
//! need a second factor to enrol, and records every change in the audit log.
//!
//! Routes are grouped by [`Area`] in `app()`; a GET reads the area, any
//! other method changes it. Handlers find the [`Actor`](crate::auth::Actor) in the request's
//! extensions, so the session is looked up once.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, OriginalUri, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::{Area, Permission, Role};
use serde_json::{Map, Value, json};

use crate::auth::Via;
use crate::{AppError, AppState};

/// A body larger than this is described in the audit log, not copied.
const MAX_RECORDED_BODY: usize = 64 * 1024;
/// Longer field values are cut in the audit log.
const MAX_RECORDED_VALUE: usize = 300;

/// What a group of routes asks of its callers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Gate {
    /// Any logged-in admin (home, their own tokens).
    Anyone,
    /// Any logged-in admin, also before a required second factor is set
    /// up (the enrolment pages themselves).
    Enrolment,
    /// Reading (GET) or changing (other methods) an area.
    Area(Area),
    /// Reading an area, whatever the method (a POST that only asks, such
    /// as counting a segment); not a change, so not audited.
    Read(Area),
}

#[derive(Clone)]
pub(crate) struct Guard {
    state: AppState,
    gate: Gate,
    api: bool,
}

impl Guard {
    /// For a group of dashboard pages (`api` false) or API routes; used as
    /// `from_fn_with_state(Guard::new(…), access::guard)`.
    pub(crate) fn new(state: &AppState, gate: Gate, api: bool) -> Self {
        Self { state: state.clone(), gate, api }
    }
}

pub(crate) async fn guard(State(guard): State<Guard>, mut request: Request, next: Next) -> Response {
    let Guard { state, gate, api } = guard;
    let found = if api {
        crate::auth::token_actor(&state, request.headers()).await
    } else {
        crate::auth::session_actor(&state, request.headers()).await
    };
    let actor = match found {
        Ok(Some(actor)) => actor,
        Ok(None) if api => return AppError::Unauthorized.into_response(),
        Ok(None) => return crate::auth::login_redirect(&state).await.into_response(),
        Err(e) => return e.into_response(),
    };
    // A signed-in admin is answered in their own language, refusals too.
    if let (Via::Session { .. }, Some(language)) = (&actor.via, i18n::Language::parse(&actor.language)) {
        crate::error::speak_in(language);
    }
    if actor.must_enrol && !matches!(gate, Gate::Enrolment) {
        if api {
            return AppError::NotAllowed(crate::error::request_language().t("err-must-enrol")).into_response();
        }
        return Redirect::to("/account/2fa").into_response();
    }
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD) && !matches!(gate, Gate::Read(_));
    let refusal = match gate {
        Gate::Area(area) | Gate::Read(area) => {
            let wanted = Permission { area, write: changes };
            (!actor.may(wanted)).then(|| actor.refusal(wanted))
        }
        Gate::Anyone | Gate::Enrolment => None,
    };
    let ip = request_ip(&state, &request);
    // Under `nest` the URI lost its prefix; the original has it.
    let path = match request.extensions().get::<OriginalUri>() {
        Some(OriginalUri(uri)) => uri.path().to_string(),
        None => request.uri().path().to_string(),
    };
    let action = format!("{} {path}", request.method());
    // Subscribers' own data is not copied into a log nobody may erase.
    let personal = path.contains("/subscribers") || path.contains("/suppressions");
    let details = if changes {
        let (taken, details) = recorded_body(request, personal).await;
        request = taken;
        Some(details)
    } else {
        None
    };
    let response = match refusal {
        Some(why) => {
            tracing::warn!(admin_id = actor.admin_id, action, "refused: not allowed");
            AppError::NotAllowed(why).into_response()
        }
        None => {
            request.extensions_mut().insert(actor.clone());
            // Pages rendered for this request show only the role's links.
            VIEWER.scope(actor.role, next.run(request)).await
        }
    };
    if let Some(details) = details {
        let via = actor.via_label();
        let entry = store::NewAuditEntry {
            admin_id: Some(actor.admin_id),
            actor: &actor.email,
            via: &via,
            ip,
            action: &action,
            status: Some(i32::from(response.status().as_u16())),
            details,
        };
        record(&state, &entry).await;
    }
    response
}

tokio::task_local! {
    /// The role of the admin a page is being rendered for.
    static VIEWER: Role;
}

/// Whether the navigation shows links into `area` (by name) to whoever
/// the page is rendered for: those their role may at least read. Outside
/// a request (or for an unknown name) everything shows; the gate still
/// decides.
pub(crate) fn shows(area: &str) -> bool {
    let Some(area) = Area::ALL.into_iter().find(|a| a.as_str() == area) else { return true };
    VIEWER.try_with(|role| role.allows(area, false)).unwrap_or(true)
}

/// Records one entry; a failure to record is logged, never hidden.
async fn record(state: &AppState, entry: &store::NewAuditEntry<'_>) {
    if let Err(e) = state.store().record_audit(entry).await {
        tracing::error!(error = %e, action = entry.action, "could not write the audit log");
    }
}

/// Records what a handler did beyond what the gate saw (the fields of a
/// multipart upload, who was removed, a logout).
pub(crate) async fn note(state: &AppState, admin: &crate::auth::AdminUser, ip: IpAddr, action: &str, details: Value) {
    let entry = store::NewAuditEntry {
        admin_id: Some(admin.id),
        actor: &admin.email,
        via: "session",
        ip: Some(ip),
        action,
        status: None,
        details,
    };
    record(state, &entry).await;
}

/// Records a successful login (with or without a second factor).
pub(crate) async fn record_login(state: &AppState, admin_id: i64, email: &str, ip: IpAddr, second_factor: bool) {
    let entry = store::NewAuditEntry {
        admin_id: Some(admin_id),
        actor: email,
        via: "session",
        ip: Some(ip),
        action: "login",
        status: None,
        details: json!({ "second_factor": second_factor }),
    };
    record(state, &entry).await;
}

/// The client's address as `ClientIp` finds it.
pub(crate) fn request_ip(state: &AppState, request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| crate::auth::client_ip(addr.ip(), request.headers(), &state.config().trusted_proxies))
}

/// What a change sent, for the audit log: the fields of a form or JSON body
/// with secrets (passwords, codes, tokens, keys) masked and CSRF tokens
/// left out; uploads and large bodies are only described. The request is
/// handed back whole.
async fn recorded_body(request: Request, personal: bool) -> (Request, Value) {
    let kind = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let readable = kind.starts_with("application/x-www-form-urlencoded") || kind.starts_with("application/json");
    let Some(length) = length.filter(|&n| readable && n <= MAX_RECORDED_BODY) else {
        let size = length.map_or_else(|| "a streamed body".to_string(), |n| format!("{n} bytes"));
        let what = if kind.is_empty() { "no content type".to_string() } else { kind };
        return (request, json!({ "body": format!("{size} of {what}, not recorded") }));
    };
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, length.max(1)).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let request = Request::from_parts(parts, Body::empty());
            return (request, json!({ "body": "unreadable" }));
        }
    };
    let details = if kind.starts_with("application/json") {
        serde_json::from_slice::<Value>(&bytes)
            .map(|v| masked(v, personal))
            .unwrap_or_else(|_| json!({ "body": "not JSON" }))
    } else {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let mut fields = Map::new();
        for (key, value) in pairs {
            if key == "csrf" {
                continue;
            }
            let value = masked_value(&key, Value::String(value), personal);
            match fields.get_mut(&key) {
                Some(Value::Array(values)) => values.push(value),
                Some(first) => *first = Value::Array(vec![first.take(), value]),
                None => {
                    fields.insert(key, value);
                }
            }
        }
        Value::Object(fields)
    };
    (Request::from_parts(parts, Body::from(bytes)), details)
}

fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "confirm", "secret", "token", "code", "key", "pem", "p12", "pkcs12"].iter().any(|s| key.contains(s))
}

/// Subscribers' personal fields, left out where `personal` is set.
fn is_personal(key: &str) -> bool {
    matches!(key.to_ascii_lowercase().as_str(), "email" | "name" | "attributes" | "value" | "q")
}

fn masked(value: Value, personal: bool) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k.clone(), masked_value(&k, v, personal))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| masked(v, personal)).collect()),
        Value::String(text) => Value::String(cut(text)),
        other => other,
    }
}

fn masked_value(key: &str, value: Value, personal: bool) -> Value {
    if is_secret(key) {
        Value::String("(hidden)".into())
    } else if personal && is_personal(key) {
        Value::String("(personal data, not kept)".into())
    } else {
        masked(value, personal)
    }
}

fn cut(text: String) -> String {
    if text.chars().count() <= MAX_RECORDED_VALUE {
        return text;
    }
    let kept: String = text.chars().take(MAX_RECORDED_VALUE).collect();
    format!("{kept}… ({} characters)", text.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_long_values_cut() {
        let body = json!({
            "name": "Spring sale",
            "password": "orbit cactus",
            "nested": {"api_token": "nsh_x", "list": [1, 2]},
            "body": "x".repeat(400),
        });
        let out = masked(body.clone(), false);
        assert_eq!(out["name"], "Spring sale");
        assert_eq!(out["password"], "(hidden)");
        assert_eq!(out["nested"]["api_token"], "(hidden)");
        assert_eq!(out["nested"]["list"], json!([1, 2]));
        assert!(out["body"].as_str().is_some_and(|s| s.ends_with("(400 characters)")));
        // About subscribers, their own data is not kept.
        let out = masked(body, true);
        assert_eq!(out["name"], "(personal data, not kept)");
        assert_eq!(out["nested"]["list"], json!([1, 2]));
    }
}

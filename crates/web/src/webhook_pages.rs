//! Outgoing webhooks (owners): endpoints with the events they want and a
//! signing secret of their own, each endpoint's delivery history, a "send
//! test event" button and a retry for given-up deliveries. The delivery
//! nodes send them (the `webhooks` crate).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;

use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::error::Invalid;
use crate::pages::{EmptyForm, Frame, render};
use crate::secret::random_token;
use crate::{AppError, AppState};

/// Every event an endpoint can ask for.
pub(crate) const EVENTS: [&str; 9] =
    ["subscribed", "confirmed", "unsubscribed", "delivered", "bounced", "complained", "opened", "clicked", "alert"];

pub(crate) fn routes() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .route("/webhooks", get(endpoints).post(create))
        .route("/webhooks/{id}", get(endpoint))
        .route("/webhooks/{id}/test", post(test_event))
        .route("/webhooks/{id}/events", post(set_events))
        .route("/webhooks/{id}/delete", post(delete))
        .route("/webhooks/{id}/retry/{delivery}", post(retry))
}

struct EndpointRow {
    id: i64,
    url: String,
    events: String,
    description: String,
    from_config: bool,
    pending: i64,
    delivered: i64,
    failed: i64,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct EndpointsPage {
    frame: Frame,
    endpoints: Vec<EndpointRow>,
    events: [&'static str; 9],
    error: Option<String>,
}

async fn endpoints_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let endpoints = state
        .store()
        .webhook_endpoints()
        .await?
        .into_iter()
        .map(|e| EndpointRow {
            id: e.id,
            url: e.url,
            events: e.events.join(", "),
            description: e.description,
            from_config: e.secret.is_none(),
            pending: e.pending,
            delivered: e.delivered,
            failed: e.failed,
        })
        .collect();
    let (jar, frame) = Frame::issue(state, jar, &admin);
    render(status, jar, EndpointsPage { frame, endpoints, events: EVENTS, error })
}

async fn endpoints(State(state): State<AppState>, jar: CookieJar, admin: AdminUser) -> Result<Response, AppError> {
    endpoints_page(&state, jar, admin, StatusCode::OK, None).await
}

/// The ticked `event` fields; an unknown one is an error (said in `lang`).
fn chosen_events(lang: i18n::Language, pairs: &[(String, String)]) -> Result<Vec<String>, Invalid> {
    let mut events = Vec::new();
    for (_, event) in pairs.iter().filter(|(k, _)| k == "event") {
        if !EVENTS.contains(&event.as_str()) {
            return Err(lang.t1("webhook-unknown-event", "event", format!("{event:?}")).into());
        }
        events.push(event.clone());
    }
    if events.is_empty() {
        return Err(lang.t("webhook-tick-one").into());
    }
    Ok(events)
}

/// An http(s) URL with a host, without credentials (what is wrong said in
/// `lang`).
fn check_url(lang: i18n::Language, raw: &str) -> Result<String, Invalid> {
    let url = raw.trim();
    let uri: axum::http::Uri = url.parse().map_err(|_| lang.t1("webhook-not-url", "url", format!("{url:?}")))?;
    let scheme_ok = matches!(uri.scheme_str(), Some("https" | "http"));
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    if !scheme_ok || uri.host().is_none_or(str::is_empty) || authority.contains('@') || url.len() > 2000 {
        return Err(lang.t1("webhook-bad-url", "url", format!("{url:?}")).into());
    }
    Ok(url.to_string())
}

async fn create(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string());
    let checked =
        check_url(lang, &field("url").unwrap_or_default()).and_then(|url| Ok((url, chosen_events(lang, &pairs)?)));
    let (url, events) = match checked {
        Ok(found) => found,
        Err(error) => {
            return endpoints_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, Some(error.into())).await;
        }
    };
    let description: String = field("description").unwrap_or_default().chars().take(200).collect();
    let secret = format!("whsec_{}", random_token());
    let sealed = state.key().seal(webhooks::SEAL_PURPOSE, secret.as_bytes());
    match state.store().create_webhook_endpoint(&url, &events, &description, &sealed).await {
        Ok(id) => Ok(Redirect::to(&format!("/webhooks/{id}")).into_response()),
        Err(store::StoreError::Conflict(_)) => {
            let error = Some(lang.t1("webhook-exists", "url", &url));
            endpoints_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, error).await
        }
        Err(e) => Err(e.into()),
    }
}

struct DeliveryRow {
    id: i64,
    event: String,
    subscriber: String,
    status: domain::WebhookStatus,
    attempts: i32,
    answer: String,
    created: String,
    last_attempt: String,
    payload: String,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct EndpointPage {
    frame: Frame,
    id: i64,
    url: String,
    description: String,
    secret: Option<String>,
    /// Every event, and whether the endpoint wants it.
    options: Vec<(&'static str, bool)>,
    deliveries: Vec<DeliveryRow>,
    error: Option<String>,
}

async fn endpoint_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    id: i64,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let endpoint = state.store().webhook_endpoint(id).await?.ok_or(AppError::NotFound)?;
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let secret = endpoint.secret.as_ref().map(|sealed| {
        state
            .key()
            .open(webhooks::SEAL_PURPOSE, sealed)
            .map(|s| String::from_utf8_lossy(&s).into_owned())
            .unwrap_or_else(|| frame.t("webhook-secret-unopened"))
    });
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| frame.at(&t)).unwrap_or_default();
    let deliveries = state
        .store()
        .endpoint_deliveries(id, 100)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.id,
            event: d.event,
            subscriber: d.subscriber_id.map(|s| s.to_string()).unwrap_or_default(),
            status: d.status,
            attempts: d.attempts,
            answer: match (d.response_status, d.last_error) {
                (Some(code), None) => code.to_string(),
                (_, Some(error)) => error,
                (None, None) => String::new(),
            },
            created: time(Some(d.created_at)),
            last_attempt: time(d.last_attempt_at),
            payload: d.payload.to_string(),
        })
        .collect();
    let page = EndpointPage {
        frame,
        id,
        url: endpoint.url,
        description: endpoint.description,
        secret,
        options: EVENTS.iter().map(|e| (*e, endpoint.events.iter().any(|c| c == e))).collect(),
        deliveries,
        error,
    };
    render(status, jar, page)
}

async fn endpoint(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    endpoint_page(&state, jar, admin, id, StatusCode::OK, None).await
}

async fn test_event(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    state.store().webhook_endpoint(id).await?.ok_or(AppError::NotFound)?;
    state.store().queue_test_webhook(id).await?;
    Ok(Redirect::to(&format!("/webhooks/{id}")).into_response())
}

async fn set_events(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    match chosen_events(admin.language, &pairs) {
        Ok(events) => {
            state.store().set_webhook_events(id, &events).await?;
            Ok(Redirect::to(&format!("/webhooks/{id}")).into_response())
        }
        Err(error) => endpoint_page(&state, jar, admin, id, StatusCode::UNPROCESSABLE_ENTITY, Some(error.into())).await,
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    state.store().delete_webhook_endpoint(id).await?;
    Ok(Redirect::to("/webhooks").into_response())
}

async fn retry(
    State(state): State<AppState>,
    admin: AdminUser,
    Path((id, delivery)): Path<(i64, i64)>,
    CsrfForm(EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    if !state.store().retry_webhook_delivery(id, delivery).await? {
        return Err(AppError::BadRequest(admin.language.t("webhook-retry-refused")));
    }
    Ok(Redirect::to(&format!("/webhooks/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_must_be_http_with_a_host_and_no_credentials() {
        let en = i18n::Language::English;
        assert!(super::check_url(en, " https://hooks.example.com/ninsho ").is_ok());
        assert!(super::check_url(en, "http://127.0.0.1:9000/x").is_ok());
        for bad in
            ["ftp://x.example/", "https://", "hooks.example.com", "https://user:pw@x.example/", "javascript:alert(1)"]
        {
            assert!(super::check_url(en, bad).is_err(), "{bad}");
        }
    }
}

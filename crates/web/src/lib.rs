//! The HTTP side of ninsho: the dashboard (askama pages), the REST API under
//! `/api/v1/`, health and metrics. It reads and writes Postgres rows through
//! `store` and never sends mail itself.

mod allowlist;
mod api;
mod audience_pages;
mod auth;
mod csrf;
mod error;
mod export;
mod imports;
pub use message::links;
mod metrics;
mod pages;
pub mod password;
mod public;
pub use message::secret;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use store::Store;
use tower_http::trace::TraceLayer;

pub use error::AppError;
pub use metrics::Metrics;
pub use secret::{SecretKey, SecretKeyError, api_token_hash, new_api_token};

/// Everything the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    key: SecretKey,
    config: WebConfig,
    metrics: Metrics,
}

/// What the web side needs from the settings, already validated.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub public_url: String,
    pub admin_allowlist: Vec<ipnet::IpNet>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub session_lifetime: chrono::Duration,
    pub max_failures_per_account: i64,
    pub max_failures_per_ip: i64,
    pub throttle_window: chrono::Duration,
    /// Shown on the dashboard: "sandbox" or "production".
    pub delivery_mode: String,
    /// Shown on the dashboard: where the data lives.
    pub database_label: String,
    /// Where uploads wait while they are imported.
    pub spool_dir: std::path::PathBuf,
}

impl AppState {
    pub fn new(store: Store, key: SecretKey, config: WebConfig) -> Self {
        Self { inner: Arc::new(Inner { store, key, config, metrics: Metrics::new() }) }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn key(&self) -> &SecretKey {
        &self.inner.key
    }

    pub(crate) fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Cookies are `Secure` unless the public URL is plain http on a
    /// non-loopback host (where a browser would never send them back).
    pub(crate) fn secure_cookies(&self) -> bool {
        let url = &self.inner.config.public_url;
        match url.strip_prefix("http://") {
            None => true,
            Some(rest) => {
                let host = rest.split(['/', ':']).next().unwrap_or_default();
                host == "localhost" || host.starts_with("127.") || rest.starts_with("[::1]")
            }
        }
    }

    /// The one-click unsubscribe link of a subscriber on a list.
    pub fn unsubscribe_url(&self, subscriber_id: i64, list_id: i64) -> String {
        let claims = links::LinkClaims { subscriber_id, list_id, expires: 0 };
        format!(
            "{}/u/{}",
            self.inner.config.public_url,
            links::token(&self.inner.key, links::Purpose::Unsubscribe, claims)
        )
    }

    /// The profile page link of a subscriber.
    pub fn profile_url(&self, subscriber_id: i64) -> String {
        let claims = links::LinkClaims { subscriber_id, list_id: 0, expires: 0 };
        format!("{}/p/{}", self.inner.config.public_url, links::token(&self.inner.key, links::Purpose::Profile, claims))
    }

    /// The link that lets the first admin choose a password, while none exists.
    pub fn setup_url(&self) -> String {
        format!("{}/setup?token={}", self.inner.config.public_url.trim_end_matches('/'), self.inner.key.setup_token())
    }
}

/// The whole HTTP application. Tests call it without a socket, `serve` with one.
pub fn app(state: AppState) -> Router {
    let admin = Router::new()
        .route("/", get(pages::home))
        .route("/setup", get(pages::setup_form).post(pages::setup))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/tokens", get(pages::tokens).post(pages::create_token))
        .route("/lists", get(audience_pages::lists).post(audience_pages::create_list))
        .route("/sandbox", get(audience_pages::sandbox))
        .route("/subscribers", get(audience_pages::subscribers))
        .route("/subscribers/{id}", get(audience_pages::subscriber))
        .route("/subscribers/{id}/export.json", get(audience_pages::export_subscriber))
        .route("/subscribers/{id}/erase", post(audience_pages::erase_subscriber))
        .route("/lists/{id}/export.csv", get(audience_pages::export_list))
        .route("/lists/{id}", get(audience_pages::list).post(audience_pages::update_list))
        .route("/lists/{id}/delete", post(audience_pages::delete_list))
        .route("/segments", get(audience_pages::segments).post(audience_pages::create_segment))
        .route("/segments/new", get(audience_pages::new_segment))
        .route("/segments/count", post(audience_pages::count_segment))
        .route("/segments/{id}", get(audience_pages::edit_segment).post(audience_pages::update_segment))
        .route(
            "/imports",
            get(audience_pages::imports)
                .post(audience_pages::start_import)
                .layer(axum::extract::DefaultBodyLimit::max(imports::MAX_UPLOAD_BYTES as usize)),
        )
        .route("/imports/{id}", get(audience_pages::import))
        .route("/imports/{id}/errors.csv", get(audience_pages::import_errors))
        .route("/metrics", get(metrics::render))
        .nest("/api/v1", api::router())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), allowlist::enforce));
    Router::new()
        .merge(admin)
        // Subscribers' pages are open to everyone, allowlist or not.
        .merge(public::router())
        .route("/healthz", get(healthz))
        .route("/static/app.css", get(pages::stylesheet))
        .fallback(pages::not_found)
        // Spans name the path only, without query strings (setup tokens) or
        // the signed tokens of subscribers' links.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
            tracing::info_span!("http", method = %request.method(), path = %loggable_path(request.uri().path()))
        }))
        .with_state(state)
}

/// The path, cut after the prefix of a signed link (its token is a secret).
fn loggable_path(path: &str) -> &str {
    for prefix in ["/c/", "/u/", "/p/"] {
        if path.starts_with(prefix) {
            return &path[..prefix.len()];
        }
    }
    path
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, &'static str) {
    if state.store().ping().await {
        (axum::http::StatusCode::OK, "ok\n")
    } else {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests
/// in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

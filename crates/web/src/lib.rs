//! The HTTP side of ninsho: the dashboard (askama pages), the REST API under
//! `/api/v1/`, health and metrics. It reads and writes Postgres rows through
//! `store` and never sends mail itself.

mod access;
mod account_pages;
mod allowlist;
mod api;
mod audience_pages;
mod auth;
mod bounce_rules_pages;
mod campaign_pages;
mod campaigns;
mod chart;
mod credential_pages;
mod csrf;
mod domain_pages;
mod error;
mod export;
mod headers;
mod imports;
pub use message::links;
mod message_log_pages;
mod metrics;
mod pages;
pub mod password;
mod public;
mod report_pages;
mod routes;
mod sandbox_pages;
mod score_pages;
mod sequence_pages;
mod settings_pages;
mod subscriber_pages;
mod suppression_pages;
mod team_pages;
use message::secret;
mod tracking;
mod transactional;
mod webhook_pages;
#[cfg(test)]
mod words;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use store::Store;
use tower_http::trace::TraceLayer;

pub use error::AppError;
pub use metrics::Metrics;
pub use report_pages::GeoIp;
use routes::Routes;
use secret::SecretKey;

/// The languages a list or an admin may choose, for forms.
pub(crate) fn i18n_choices() -> [i18n::Language; 2] {
    i18n::Language::ALL
}

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
    events: tracking::EventSink,
    /// The resolver for DNS checks, made on first use.
    dns: std::sync::OnceLock<identity::dns::Dns>,
    /// Login attempts held back, one at a time per account and address.
    login_turns: std::sync::Mutex<LoginTurns>,
    /// What report pages learnt of addresses in DNS (PTR, forward check,
    /// blocklists), for an hour.
    lookups: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (std::time::Instant, LookedUp)>>,
}

/// An address's PTR name, whether it resolves back, and its listings.
pub(crate) type LookedUp = (Option<String>, bool, Vec<String>);

type LoginTurns = std::collections::HashMap<(String, Option<ipnet::IpNet>), Arc<tokio::sync::Mutex<()>>>;

/// How long report pages reuse a lookup of an address.
const LOOKUP_KEPT: std::time::Duration = std::time::Duration::from_secs(3600);

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
    pub delivery_mode: domain::DeliveryMode,
    /// Shown on the dashboard: where the data lives.
    pub database_label: String,
    /// Where uploads wait while they are imported.
    pub spool_dir: std::path::PathBuf,
    /// What the DNS checks of sending domains use: the delivery settings'
    /// nameservers (empty: the system's), bounce subdomain and source addresses.
    pub nameservers: Vec<SocketAddr>,
    pub setup: identity::Setup,
    pub source_ips: Vec<std::net::IpAddr>,
    /// What the deliverability score asks about addresses and domains.
    pub blocklists: identity::score::Blocklists,
    /// Countries of addresses (`reports.geoip_mmdb`), when configured.
    pub geoip: Option<std::sync::Arc<report_pages::GeoIp>>,
    /// SHA-256 of `http.metrics_token`: a collector with it may read
    /// `/metrics` from anywhere.
    pub metrics_token_hash: Option<[u8; 32]>,
}

impl AppState {
    /// Needs a tokio runtime: it starts the task that writes opens and clicks.
    pub fn new(store: Store, key: SecretKey, config: WebConfig) -> Self {
        Self::with_metrics(store, key, config, |_| {})
    }

    /// As `new`, with more metrics in `/metrics` (the delivery engine's,
    /// when it runs in the same process).
    pub fn with_metrics(
        store: Store,
        key: SecretKey,
        config: WebConfig,
        register: impl FnOnce(&mut prometheus_client::registry::Registry),
    ) -> Self {
        let events = tracking::EventSink::start(store.clone());
        let metrics = Metrics::new(register);
        let (dns, login_turns, lookups) =
            (std::sync::OnceLock::new(), std::sync::Mutex::default(), std::sync::Mutex::default());
        Self { inner: Arc::new(Inner { store, key, config, metrics, events, dns, login_turns, lookups }) }
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

    /// The resolver of the delivery settings' nameservers.
    pub(crate) fn dns(&self) -> Result<identity::dns::Dns, identity::dns::LookupError> {
        if let Some(dns) = self.inner.dns.get() {
            return Ok(dns.clone());
        }
        let dns = identity::dns::Dns::new(&self.inner.config.nameservers)?;
        Ok(self.inner.dns.get_or_init(|| dns).clone())
    }

    pub(crate) fn events(&self) -> &tracking::EventSink {
        &self.inner.events
    }

    /// The turn of login attempts for an account from an address block (as
    /// failures are counted: an IPv4 address, an IPv6 /64), or from
    /// anywhere (`None`); see `auth::throttle`. Turns nobody waits for are
    /// forgotten.
    pub(crate) fn login_turn(&self, email: &str, from: Option<std::net::IpAddr>) -> Arc<tokio::sync::Mutex<()>> {
        let key = (email.to_lowercase(), from.map(|ip| store::throttle_net(auth::unmap(ip))));
        let mut turns = self.inner.login_turns.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if turns.len() > 10_000 {
            turns.retain(|_, turn| Arc::strong_count(turn) > 1);
        }
        turns.entry(key).or_default().clone()
    }

    /// What was looked up of `ip` in the last hour.
    pub(crate) fn looked_up(&self, ip: std::net::IpAddr) -> Option<LookedUp> {
        let lookups = self.inner.lookups.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        lookups.get(&ip).filter(|(at, _)| at.elapsed() < LOOKUP_KEPT).map(|(_, known)| known.clone())
    }

    /// Keeps a lookup for an hour (at most 10,000 addresses: the oldest go).
    pub(crate) fn remember_lookup(&self, ip: std::net::IpAddr, known: LookedUp) {
        let mut lookups = self.inner.lookups.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if lookups.len() >= 10_000 {
            lookups.retain(|_, (at, _)| at.elapsed() < LOOKUP_KEPT);
            while lookups.len() >= 10_000 {
                let Some(oldest) = lookups.iter().min_by_key(|(_, (at, _))| *at).map(|(ip, _)| *ip) else { break };
                lookups.remove(&oldest);
            }
        }
        lookups.insert(ip, (std::time::Instant::now(), known));
    }

    /// Whether people reach ninsho over https (its public URL says so).
    pub(crate) fn https(&self) -> bool {
        self.inner.config.public_url.starts_with("https://")
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
        links::unsubscribe_url(&self.inner.key, &self.inner.config.public_url, subscriber_id, list_id)
    }

    /// The profile page link of a subscriber.
    pub fn profile_url(&self, subscriber_id: i64) -> String {
        links::profile_url(&self.inner.key, &self.inner.config.public_url, subscriber_id)
    }

    /// The link that lets the first admin choose a password, while none exists.
    pub fn setup_url(&self) -> String {
        format!("{}/setup?token={}", self.inner.config.public_url.trim_end_matches('/'), self.inner.key.setup_token())
    }
}

/// The whole HTTP application. Tests call it without a socket, `serve` with one.
pub fn app(state: AppState) -> Router {
    routes(&state).into_parts().0.with_state(state)
}

/// The path of every page and form target outside the API (`/api/v1` has
/// its OpenAPI document), with `{placeholders}`, in the order they are routed.
pub fn paths(state: &AppState) -> Vec<&'static str> {
    routes(state).into_parts().1
}

fn routes(state: &AppState) -> routes::Routes {
    use access::Gate;
    use domain::Area;
    let gate = |gate| axum::middleware::from_fn_with_state(access::Guard::new(state, gate, false), access::guard);
    let anyone = Routes::new()
        .route("/", get(pages::home))
        .route("/tokens", get(pages::tokens).post(pages::create_token))
        .route("/tokens/{id}/revoke", post(pages::revoke_token))
        .route("/tokens/{id}/limits", post(pages::token_limits))
        .map(|r| r.route_layer(gate(Gate::Anyone)));
    let enrolment = team_pages::enrolment_routes()
        .route("/account", get(account_pages::account))
        .route("/account/zone", post(account_pages::set_zone))
        .route("/account/password", post(account_pages::set_password))
        .map(|r| r.route_layer(gate(Gate::Enrolment)));
    let audience = Routes::new()
        .route("/lists", get(audience_pages::lists).post(audience_pages::create_list))
        .route("/subscribers", get(subscriber_pages::subscribers).post(subscriber_pages::create_subscriber))
        .route("/subscribers/new", get(subscriber_pages::new_subscriber))
        .route("/subscribers/bulk", post(subscriber_pages::bulk))
        .route("/subscribers/{id}", get(subscriber_pages::subscriber).post(subscriber_pages::update_subscriber))
        .route("/subscribers/{id}/lists", post(subscriber_pages::change_list))
        .route("/subscribers/{id}/export.json", get(subscriber_pages::export_subscriber))
        .route("/subscribers/{id}/erase", post(subscriber_pages::erase_subscriber))
        .route("/suppressions", get(suppression_pages::suppressions).post(suppression_pages::add))
        .route("/suppressions/{id}/remove", post(suppression_pages::remove))
        .route("/lists/{id}/export.csv", get(audience_pages::export_list))
        .route("/lists/{id}", get(audience_pages::list).post(audience_pages::update_list))
        .route("/lists/{id}/delete", post(audience_pages::delete_list))
        .route("/segments", get(audience_pages::segments).post(audience_pages::create_segment))
        .route("/segments/new", get(audience_pages::new_segment))
        .route("/segments/{id}", get(audience_pages::edit_segment).post(audience_pages::update_segment))
        .route(
            "/imports",
            get(audience_pages::imports)
                .post(audience_pages::start_import)
                .layer(axum::extract::DefaultBodyLimit::max(imports::MAX_UPLOAD_BYTES as usize)),
        )
        .route("/imports/{id}", get(audience_pages::import))
        .route("/imports/{id}/errors.csv", get(audience_pages::import_errors))
        .map(|r| r.route_layer(gate(Gate::Area(Area::Audience))));
    // Counting a draft segment is a POST that changes nothing.
    let audience_reads = Routes::new()
        .route("/segments/count", post(audience_pages::count_segment))
        .map(|r| r.route_layer(gate(Gate::Read(Area::Audience))));
    let campaigns = Routes::new()
        .route("/sandbox", get(sandbox_pages::sandbox))
        .route("/sandbox/{id}/raw", get(sandbox_pages::captured))
        .route("/layouts", get(campaign_pages::layouts).post(campaign_pages::create_layout))
        .route("/layouts/new", get(campaign_pages::new_layout))
        .route("/layouts/{id}", get(campaign_pages::layout).post(campaign_pages::update_layout))
        .route("/layouts/{id}/delete", post(campaign_pages::delete_layout))
        .route("/layouts/{id}/preview.html", get(campaign_pages::layout_preview))
        .route(
            "/campaigns",
            get(campaign_pages::campaigns).post(campaign_pages::create_campaign).layer(campaign_body_limit()),
        )
        .route("/campaigns/new", get(campaign_pages::new_campaign))
        .route(
            "/campaigns/{id}",
            get(campaign_pages::campaign).post(campaign_pages::update_campaign).layer(campaign_body_limit()),
        )
        .route("/campaigns/{id}/schedule", post(campaign_pages::schedule_campaign))
        .route("/campaigns/{id}/preview", get(campaign_pages::preview))
        .route("/campaigns/{id}/preview.html", get(campaign_pages::preview_html))
        .route("/campaigns/{id}/test", post(campaign_pages::test_send))
        .route("/campaigns/{id}/score", get(score_pages::page))
        .route("/campaigns/{id}/do/{action}", post(campaign_pages::transition))
        .route("/sequences", get(sequence_pages::sequences).post(sequence_pages::create_sequence))
        .route("/sequences/{id}", get(sequence_pages::sequence))
        .route("/sequences/{id}/steps", post(sequence_pages::add_step))
        .route("/sequences/{id}/activate", post(sequence_pages::activate))
        .route("/sequences/{id}/pause", post(sequence_pages::pause))
        .map(|r| r.route_layer(gate(Gate::Area(Area::Campaigns))));
    let reports = Routes::new()
        .route("/campaigns/{id}/report", get(campaign_pages::report))
        .route("/reports", get(report_pages::reports))
        .route("/reports/domains/{domain}", get(report_pages::domain))
        .route("/reports/domains/{domain}/sources/{ip}", get(report_pages::source))
        .map(|r| r.route_layer(gate(Gate::Area(Area::Reports))));
    let delivery = Routes::new()
        .route("/domains", get(domain_pages::domains).post(domain_pages::add_domain))
        .route("/domains/check", get(domain_pages::check_domains))
        .route("/domains/rotate", post(domain_pages::rotate))
        .route("/domains/ips", post(domain_pages::set_ips))
        .route("/domains/identity", post(domain_pages::set_identity))
        .route("/domains/smime", post(domain_pages::set_smime))
        .route("/bounce-rules", get(bounce_rules_pages::rules).post(bounce_rules_pages::save))
        .route("/credentials", get(credential_pages::credentials).post(credential_pages::create))
        .route("/credentials/{id}/revoke", post(credential_pages::revoke))
        .route("/credentials/{id}/hold", post(credential_pages::hold))
        .route("/messages", get(message_log_pages::log))
        .route("/messages/retention", post(message_log_pages::retention))
        .route("/messages/{id}", get(message_log_pages::message))
        .route("/messages/{id}/raw", get(message_log_pages::raw))
        .route("/messages/{id}/release", post(message_log_pages::release))
        .route("/messages/{id}/drop", post(message_log_pages::drop))
        .route(
            "/reports/upload",
            post(report_pages::upload).layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .map(|r| r.route_layer(gate(Gate::Area(Area::Delivery))));
    let team = team_pages::team_routes()
        .merge(webhook_pages::routes())
        .route("/settings", get(settings_pages::settings).post(settings_pages::save))
        .map(|r| r.route_layer(gate(Gate::Area(Area::Team))));
    let admin = Routes::new()
        .merge(anyone)
        .merge(enrolment)
        .merge(audience)
        .merge(audience_reads)
        .merge(campaigns)
        .merge(reports)
        .merge(delivery)
        .merge(team)
        .route("/setup", get(pages::setup_form).post(pages::setup))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/login/code", get(team_pages::code_form).post(team_pages::code))
        .route("/logout", post(pages::logout))
        .route("/metrics", get(metrics::render))
        .map(|r| {
            r.nest("/api/v1", api::router(state))
                .route_layer(axum::middleware::from_fn_with_state(state.clone(), headers::same_origin))
                .route_layer(axum::middleware::from_fn_with_state(state.clone(), allowlist::enforce))
        });
    Routes::new()
        .merge(admin)
        // Subscribers' pages are open to everyone, allowlist or not.
        .merge(public::router())
        .merge(tracking::router())
        .route("/healthz", get(healthz))
        .route("/static/app.css", get(pages::stylesheet))
        .route("/static/{name}", get(pages::script))
        .map(|r| {
            r.fallback(pages::not_found)
                .layer(axum::middleware::from_fn_with_state(state.clone(), headers::secure))
                .layer(axum::middleware::from_fn(error::speak))
                // Spans name the path only, without query strings (setup
                // tokens) or the signed tokens of subscribers' links.
                .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
                    tracing::info_span!("http", method = %request.method(), path = %loggable_path(request.uri().path()))
                }))
        })
}

fn campaign_body_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(campaign_pages::MAX_FORM_BYTES)
}

/// The path, cut after the prefix of a signed link (its token is a secret).
fn loggable_path(path: &str) -> &str {
    for prefix in ["/c/", "/u/", "/p/", "/t/c/", "/t/o/", "/t/v/"] {
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
/// Serves only `/metrics` from `registry`: a delivery node without the web
/// role still reports its metrics.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    registry: prometheus_client::registry::Registry,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry = Arc::new(registry);
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let registry = registry.clone();
            async move { metrics::encode(&registry) }
        }),
    );
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

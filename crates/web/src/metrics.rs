//! Prometheus metrics in the text exposition format, at `/metrics`.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::{AppError, AppState};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Outcome {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Tracked {
    pub kind: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Waiting {
    pub queue: &'static str,
    pub status: String,
}

pub struct Metrics {
    registry: Registry,
    pub(crate) logins: Family<Outcome, Counter>,
    tracked: Family<Tracked, Counter>,
    db_connections: Gauge,
    db_idle: Gauge,
    up: Gauge,
    queue: Family<Waiting, Gauge>,
}

impl Metrics {
    pub(crate) fn new(register: impl FnOnce(&mut Registry)) -> Self {
        let mut registry = Registry::with_prefix("ninsho");
        register(&mut registry);
        let logins = Family::<Outcome, Counter>::default();
        registry.register("admin_logins", "Admin login attempts by outcome", logins.clone());
        let tracked = Family::<Tracked, Counter>::default();
        registry.register(
            "tracking_events",
            "Opens and clicks received, and dropped when the writer lagged",
            tracked.clone(),
        );
        let db_connections = Gauge::default();
        registry.register("db_pool_connections", "Open database connections", db_connections.clone());
        let db_idle = Gauge::default();
        registry.register("db_pool_idle_connections", "Idle database connections", db_idle.clone());
        let up = Gauge::default();
        registry.register("database_up", "1 when the database answered the last scrape", up.clone());
        let queue = Family::<Waiting, Gauge>::default();
        registry.register(
            "delivery_queue",
            "Messages waiting to be sent (campaign deliveries and the outbox), by status",
            queue.clone(),
        );
        Self { registry, logins, tracked, db_connections, db_idle, up, queue }
    }

    pub(crate) fn tracked(&self, kind: &'static str, queued: bool) {
        self.tracked.get_or_create(&Tracked { kind, outcome: if queued { "queued" } else { "dropped" } }).inc();
    }

    pub(crate) fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&Outcome { outcome }).inc();
    }
}

/// `/metrics` tells login outcomes and queue sizes: by default only a
/// collector on this machine may read it. An admin allowlist (checked
/// before this) or `http.metrics_token` opens it further.
pub(crate) async fn render(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token_ok = match (&state.config().metrics_token_hash, bearer) {
        (Some(expected), Some(given)) => {
            use subtle::ConstantTimeEq;
            bool::from(crate::secret::token_hash(given).as_slice().ct_eq(expected))
        }
        _ => false,
    };
    // Behind a trusted proxy the client is who it names; a proxy on this
    // machine that is not trusted forwards everyone from loopback, and its
    // requests say so in their headers.
    let trusted = &state.config().trusted_proxies;
    let peer = crate::auth::unmap(peer.ip());
    let local = if trusted.iter().any(|net| net.contains(&peer)) {
        crate::auth::client_ip(peer, &headers, trusted).is_loopback()
    } else {
        let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"].iter().any(|h| headers.contains_key(*h));
        peer.is_loopback() && !forwarded
    };
    let open = token_ok || !state.config().admin_allowlist.is_empty() || local;
    if !open {
        return Err(AppError::Forbidden("err-metrics-local"));
    }
    let metrics = state.metrics();
    let (size, idle) = state.store().pool_stats();
    metrics.db_connections.set(i64::from(size));
    metrics.db_idle.set(i64::try_from(idle).unwrap_or(i64::MAX));
    let up = state.store().ping().await;
    metrics.up.set(i64::from(up));
    if up {
        for (queue, status, count) in state.store().queue_depth().await? {
            metrics.queue.get_or_create(&Waiting { queue, status }).set(count);
        }
    }
    Ok(encode(&metrics.registry))
}

/// A registry in the OpenMetrics text format.
pub(crate) fn encode(registry: &Registry) -> axum::response::Response {
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, registry) {
        return AppError::internal(e).into_response();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}

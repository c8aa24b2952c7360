//! The links inside campaigns: clicks (signed redirects to the URLs the
//! campaign contains, never anywhere else), the open pixel, and "view in a
//! browser". Opens and clicks are queued in memory and written in batches,
//! so a burst of opens costs the site one insert per batch, not one per hit.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use domain::EventKind;
use message::links::{self, Track};
use store::{Store, TrackEvent};
use tokio::sync::mpsc;

use crate::{AppError, AppState};

/// Events waiting to be written; beyond this, new ones are dropped (and
/// counted) rather than slowing requests down.
const QUEUE: usize = 50_000;
const BATCH: usize = 2_000;
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

pub(crate) fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .route("/t/c/{token}", get(click))
        .route("/t/o/{token}", get(open))
        .route("/t/v/{token}", get(view))
}

/// The sending side of the event writer.
pub(crate) struct EventSink {
    queue: mpsc::Sender<TrackEvent>,
}

impl EventSink {
    /// Starts the writer task; it ends, after writing what is queued, when
    /// the sink is dropped.
    pub(crate) fn start(store: Store) -> Self {
        let (queue, mut receiver) = mpsc::channel::<TrackEvent>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                let open = receiver.recv_many(&mut batch, BATCH).await > 0;
                if !open {
                    return;
                }
                // Let a burst gather before writing.
                if batch.len() < BATCH {
                    tokio::time::sleep(FLUSH_EVERY).await;
                    while batch.len() < BATCH {
                        match receiver.try_recv() {
                            Ok(event) => batch.push(event),
                            Err(_) => break,
                        }
                    }
                }
                if let Err(e) = store.record_events(&batch).await {
                    tracing::warn!(error = %e, events = batch.len(), "writing opens and clicks failed; they are lost");
                }
                batch.clear();
            }
        });
        Self { queue }
    }

    fn record(&self, event: TrackEvent) -> bool {
        self.queue.try_send(event).is_ok()
    }
}

/// User agents of link scanners and security gateways that fetch every link
/// of a message, and of mail privacy proxies that fetch every image.
fn machine_agent(headers: &HeaderMap, kind: EventKind) -> bool {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    // Apple Mail Privacy Protection prefetches images with this bare agent.
    if kind == EventKind::Open && (agent.is_empty() || agent == "Mozilla/5.0") {
        return true;
    }
    let lower = agent.to_ascii_lowercase();
    [
        "bot",
        "crawler",
        "spider",
        "python-",
        "curl/",
        "wget/",
        "go-http-client",
        "java/",
        "headlesschrome",
        "barracuda",
        "mimecast",
        "proofpoint",
        "urldefense",
        "safelinks",
        "symantec",
        "trendmicro",
        "fortiguard",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

fn event(state: &AppState, claims: links::TrackClaims, kind: EventKind, machine: bool) {
    let recorded = state.events().record(TrackEvent {
        campaign_id: claims.campaign_id,
        subscriber_id: Some(claims.subscriber_id).filter(|id| *id > 0),
        kind,
        link: (kind == EventKind::Click).then(|| i32::try_from(claims.link).unwrap_or(-1)),
        machine,
        at: Utc::now(),
    });
    state.metrics().tracked(kind.as_str(), recorded);
}

async fn click(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let claims = links::verify_track(state.key(), Track::Click, &token).ok_or(AppError::NotFound)?;
    let url = match claims.link {
        0.. => state.store().campaign_link(claims.campaign_id, claims.link).await?,
        _ => None,
    };
    let url = url.ok_or(AppError::NotFound)?;
    event(&state, claims, EventKind::Click, method == Method::HEAD || machine_agent(&headers, EventKind::Click));
    Ok(Redirect::to(&url).into_response())
}

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

async fn open(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let Some(claims) = links::verify_track(state.key(), Track::Open, &token) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    event(&state, claims, EventKind::Open, machine_agent(&headers, EventKind::Open));
    ([(header::CONTENT_TYPE, "image/gif"), (header::CACHE_CONTROL, "no-store, private")], PIXEL).into_response()
}

/// The subscriber's copy, as a page (links tracked as in the message).
async fn view(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    let claims = links::verify_track(state.key(), Track::View, &token).ok_or(AppError::NotFound)?;
    let campaign = state.store().campaign(claims.campaign_id).await?.ok_or(AppError::NotFound)?;
    let subscriber = state.store().subscriber(claims.subscriber_id).await?.ok_or(AppError::NotFound)?;
    crate::campaigns::sandboxed_copy(&state, &campaign, &subscriber.email).await
}

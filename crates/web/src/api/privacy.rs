//! Suppression, exports, and a subscriber's data export and erasure.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::EmailAddress;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Filter, ListCondition, SuppressionTarget};

use super::{ApiError, ApiJson, ApiResult};
use crate::AppState;
use crate::auth::ApiUser;

#[derive(Serialize)]
pub(crate) struct SuppressionView {
    id: i64,
    kind: String,
    value: String,
    reason: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

pub(crate) async fn suppressions(_: ApiUser, State(state): State<AppState>) -> ApiResult<Json<Vec<SuppressionView>>> {
    let rows = state.store().suppressions().await?;
    Ok(Json(
        rows.into_iter()
            .map(|s| SuppressionView {
                id: s.id,
                kind: s.kind,
                value: s.value,
                reason: s.reason,
                created_at: s.created_at,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuppressionInput {
    /// An address, or a domain (`example.com`) to suppress all of its addresses.
    value: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn suppress(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SuppressionInput>,
) -> ApiResult<(StatusCode, Json<SuppressionView>)> {
    let value = input.value.trim();
    let target = if value.contains('@') {
        SuppressionTarget::Address(EmailAddress::parse(value).map_err(|e| ApiError::field("value", e.to_string()))?)
    } else {
        // A domain is checked the way an address's domain is.
        let probe = EmailAddress::parse(&format!("x@{value}")).map_err(|e| ApiError::field("value", e.to_string()))?;
        SuppressionTarget::Domain(probe.domain().to_string())
    };
    let s = state.store().add_suppression(&target, input.reason.trim()).await?;
    let view = SuppressionView { id: s.id, kind: s.kind, value: s.value, reason: s.reason, created_at: s.created_at };
    Ok((StatusCode::CREATED, Json(view)))
}

pub(crate) async fn unsuppress(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.store().delete_suppression(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything ninsho holds about one subscriber (a data-subject request).
pub(crate) async fn export_subscriber(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(subscriber_data(&state, id).await?))
}

pub(crate) async fn subscriber_data(state: &AppState, id: i64) -> ApiResult<Value> {
    let s = state.store().subscriber(id).await?.ok_or_else(|| ApiError::not_found("subscriber"))?;
    let subscriptions: Vec<Value> = state
        .store()
        .subscriptions(id)
        .await?
        .into_iter()
        .map(|x| json!({"list": x.list_name, "status": x.status, "since": x.created_at, "changed": x.updated_at}))
        .collect();
    let messages: Vec<Value> = state
        .store()
        .subscriber_messages(id)
        .await?
        .into_iter()
        .map(|m| json!({"subject": m.subject, "kind": m.kind, "status": m.status, "at": m.created_at}))
        .collect();
    Ok(json!({
        "email": s.email, "name": s.name, "status": s.status, "attributes": s.attributes,
        "consent": {"source": s.consent_source, "at": s.consent_at, "ip": s.consent_ip.map(|ip| ip.addr().to_string()),
                    "user_agent": s.consent_user_agent, "confirmed_at": s.confirmed_at},
        "created_at": s.created_at, "updated_at": s.updated_at,
        "subscriptions": subscriptions, "messages": messages,
    }))
}

/// Wipes the subscriber's personal data; only a hash of the address stays,
/// in the suppression list, so it is never mailed or imported again.
pub(crate) async fn erase_subscriber(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.store().erase_subscriber(id).await?;
    tracing::info!(subscriber_id = id, "subscriber erased");
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn export_list(_: ApiUser, State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Response> {
    state.store().list(id).await?.ok_or_else(|| ApiError::not_found("list"))?;
    let filter = Filter::List(ListCondition { list_id: id, status: Vec::new() });
    Ok(crate::export::csv_response(state.store().clone(), filter, &format!("list-{id}.csv")).await?)
}

pub(crate) async fn export_segment(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let segment = state.store().segment(id).await?.ok_or_else(|| ApiError::not_found("segment"))?;
    Ok(crate::export::csv_response(state.store().clone(), segment.definition.0, &format!("segment-{id}.csv")).await?)
}

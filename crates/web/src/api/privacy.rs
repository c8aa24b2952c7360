//! Suppression, exports, and a subscriber's data export and erasure.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::EmailAddress;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Filter, ListCondition, SuppressionTarget};

use super::{ApiErrorBody, ApiJson};
use crate::AppError;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::AppResult;

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SuppressionView {
    id: i64,
    kind: String,
    value: String,
    reason: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// Suppressed addresses and domains.
#[utoipa::path(get, path = "/suppressions", tag = "privacy", responses((status = 200, body = [SuppressionView]), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn suppressions(_: ApiUser, State(state): State<AppState>) -> AppResult<Json<Vec<SuppressionView>>> {
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuppressionInput {
    /// An address, or a domain (`example.com`) to suppress all of its addresses.
    value: String,
    #[serde(default)]
    reason: String,
}

/// Suppress an address, or a whole domain.
#[utoipa::path(post, path = "/suppressions", tag = "privacy", request_body = SuppressionInput, responses((status = 201, body = SuppressionView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn suppress(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SuppressionInput>,
) -> AppResult<(StatusCode, Json<SuppressionView>)> {
    let target = target(&input.value).map_err(|e| AppError::field("value", e))?;
    let s = state.store().add_suppression(&target, input.reason.trim()).await?;
    let view = SuppressionView { id: s.id, kind: s.kind, value: s.value, reason: s.reason, created_at: s.created_at };
    Ok((StatusCode::CREATED, Json(view)))
}

/// An address, or a domain (checked the way an address's domain is); Err:
/// why not, in the request's language.
pub(crate) fn target(value: &str) -> Result<SuppressionTarget, String> {
    let value = value.trim();
    let fault = |e: domain::EmailError| crate::error::email_fault(crate::error::request_language(), &e);
    if value.contains('@') {
        EmailAddress::parse(value).map(SuppressionTarget::Address).map_err(fault)
    } else {
        let probe = EmailAddress::parse(&format!("x@{value}")).map_err(fault)?;
        Ok(SuppressionTarget::Domain(probe.domain().to_string()))
    }
}

/// Lift a suppression.
#[utoipa::path(delete, path = "/suppressions/{id}", tag = "privacy", params(("id" = i64, Path, description = "id")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn unsuppress(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    state.store().delete_suppression(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything ninsho holds about one subscriber (a data-subject request).
/// Everything held about a subscriber (data-subject request).
#[utoipa::path(get, path = "/subscribers/{id}/export", tag = "privacy", params(("id" = i64, Path, description = "id")), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn export_subscriber(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    Ok(Json(subscriber_data(&state, id).await?))
}

pub(crate) async fn subscriber_data(state: &AppState, id: i64) -> AppResult<Value> {
    let s = state.store().subscriber(id).await?.ok_or_else(|| AppError::not_found("subscriber"))?;
    let subscriptions: Vec<Value> = state
        .store()
        .subscriptions(id)
        .await?
        .into_iter()
        .map(|x| json!({"list": x.list_name, "status": x.status.as_str(), "since": x.created_at, "changed": x.updated_at}))
        .collect();
    let messages: Vec<Value> = state
        .store()
        .subscriber_messages(id)
        .await?
        .into_iter()
        .map(|m| json!({"subject": m.subject, "kind": m.kind, "status": m.status.as_str(), "at": m.created_at}))
        .collect();
    Ok(json!({
        "email": s.email, "name": s.name, "status": s.status.as_str(), "attributes": s.attributes,
        "consent": {"source": s.consent_source, "at": s.consent_at, "ip": s.consent_ip.map(|ip| ip.addr().to_string()),
                    "user_agent": s.consent_user_agent, "confirmed_at": s.confirmed_at},
        "created_at": s.created_at, "updated_at": s.updated_at,
        "subscriptions": subscriptions, "messages": messages,
    }))
}

/// Wipes the subscriber's personal data; only a hash of the address stays,
/// in the suppression list, so it is never mailed or imported again.
/// Erase a subscriber; only a hash of the address is kept.
#[utoipa::path(post, path = "/subscribers/{id}/erase", tag = "privacy", params(("id" = i64, Path, description = "id")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn erase_subscriber(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    state.store().erase_subscriber(id).await?;
    tracing::info!(subscriber_id = id, "subscriber erased");
    Ok(StatusCode::NO_CONTENT)
}

/// The confirmed subscribers of a list as CSV.
#[utoipa::path(get, path = "/lists/{id}/export", tag = "lists", params(("id" = i64, Path, description = "id")), responses((status = 200, body = String, content_type = "text/csv"), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn export_list(_: ApiUser, State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<Response> {
    state.store().list(id).await?.ok_or_else(|| AppError::not_found("list"))?;
    let filter = Filter::List(ListCondition { list_id: id, status: Vec::new() });
    Ok(crate::export::csv_response(state.store().clone(), filter, &format!("list-{id}.csv")).await?)
}

/// The subscribers of a segment as CSV.
#[utoipa::path(get, path = "/segments/{id}/export", tag = "segments", params(("id" = i64, Path, description = "id")), responses((status = 200, body = String, content_type = "text/csv"), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn export_segment(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let segment = state.store().segment(id).await?.ok_or_else(|| AppError::not_found("segment"))?;
    Ok(crate::export::csv_response(state.store().clone(), segment.definition.0, &format!("segment-{id}.csv")).await?)
}

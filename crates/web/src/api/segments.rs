//! `/api/v1/segments`: saved filters and live counts.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Filter, Segment};

use super::{ApiErrorBody, ApiJson};
use crate::AppError;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::AppResult;

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SegmentView {
    id: i64,
    name: String,
    #[schema(value_type = Object)]
    filter: Filter,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<Segment> for SegmentView {
    fn from(s: Segment) -> Self {
        Self { id: s.id, name: s.name, filter: s.definition.0, created_at: s.created_at, updated_at: s.updated_at }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SegmentInput {
    name: String,
    /// The filter tree: see the README, "Segment filters".
    #[schema(value_type = Object)]
    filter: Value,
}

/// The filter from JSON, with serde's complaint as the message.
pub(crate) fn parse_filter(value: Value) -> AppResult<Filter> {
    let filter: Filter = serde_json::from_value(value).map_err(|e| AppError::field("filter", e.to_string()))?;
    filter.validate().map_err(|e| AppError::field(&e.path, e.message))?;
    Ok(filter)
}

fn segment_name(name: &str) -> AppResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::field("name", crate::error::request_language().t("err-segment-name-length")));
    }
    Ok(name)
}

/// All saved segments.
#[utoipa::path(get, path = "/segments", tag = "segments", responses((status = 200, body = [SegmentView]), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn all(_: ApiUser, State(state): State<AppState>) -> AppResult<Json<Vec<SegmentView>>> {
    Ok(Json(state.store().segments().await?.into_iter().map(SegmentView::from).collect()))
}

/// Save a segment.
#[utoipa::path(post, path = "/segments", tag = "segments", request_body = SegmentInput, responses((status = 201, body = SegmentView), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn create(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SegmentInput>,
) -> AppResult<(StatusCode, Json<SegmentView>)> {
    let filter = parse_filter(input.filter)?;
    let segment = state.store().create_segment(segment_name(&input.name)?, &filter).await?;
    Ok((StatusCode::CREATED, Json(segment.into())))
}

/// One segment.
#[utoipa::path(get, path = "/segments/{id}", tag = "segments", params(("id" = i64, Path, description = "id")), responses((status = 200, body = SegmentView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn read(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<SegmentView>> {
    let segment = state.store().segment(id).await?.ok_or_else(|| AppError::not_found("segment"))?;
    Ok(Json(segment.into()))
}

/// Replace a segment.
#[utoipa::path(put, path = "/segments/{id}", tag = "segments", params(("id" = i64, Path, description = "id")), request_body = SegmentInput, responses((status = 200, body = SegmentView), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn update(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<SegmentInput>,
) -> AppResult<Json<SegmentView>> {
    let filter = parse_filter(input.filter)?;
    Ok(Json(state.store().update_segment(id, segment_name(&input.name)?, &filter).await?.into()))
}

/// Delete a segment.
#[utoipa::path(delete, path = "/segments/{id}", tag = "segments", params(("id" = i64, Path, description = "id")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn delete(_: ApiUser, State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    state.store().delete_segment(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountInput {
    #[schema(value_type = Object)]
    filter: Value,
}

/// The live count of an unsaved filter (what the segment editor shows).
/// Count the subscribers an unsaved filter matches.
#[utoipa::path(post, path = "/segments/count", tag = "segments", request_body = CountInput, responses((status = 200, body = Object, description = "{\"count\": n}"), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn count_filter(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CountInput>,
) -> AppResult<Json<Value>> {
    let filter = parse_filter(input.filter)?;
    Ok(Json(json!({ "count": state.store().segment_count(&filter).await? })))
}

/// Count the subscribers a saved segment matches.
#[utoipa::path(get, path = "/segments/{id}/count", tag = "segments", params(("id" = i64, Path, description = "id")), responses((status = 200, body = Object, description = "{\"count\": n}"), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn count_saved(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let segment = state.store().segment(id).await?.ok_or_else(|| AppError::not_found("segment"))?;
    Ok(Json(json!({ "count": state.store().segment_count(&segment.definition.0).await? })))
}

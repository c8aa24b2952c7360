//! `/api/v1/lists`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::{ListVisibility, OptIn};
use serde::{Deserialize, Serialize};
use store::{List, NewList};

use super::{ApiError, ApiJson, ApiResult};
use crate::AppState;
use crate::auth::ApiUser;

#[derive(Serialize)]
pub(crate) struct ListView {
    id: i64,
    name: String,
    description: String,
    visibility: String,
    optin: String,
    subscriber_count: i64,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<List> for ListView {
    fn from(l: List) -> Self {
        Self {
            id: l.id,
            name: l.name,
            description: l.description,
            visibility: l.visibility,
            optin: l.optin,
            subscriber_count: l.subscriber_count,
            created_at: l.created_at,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListInput {
    name: Option<String>,
    description: Option<String>,
    visibility: Option<String>,
    optin: Option<String>,
}

/// A list's fields from input over `current` (or defaults), checked.
pub(crate) fn list_fields(
    input: &ListInput,
    current: Option<&List>,
) -> ApiResult<(String, String, ListVisibility, OptIn)> {
    let name = input.name.clone().or_else(|| current.map(|l| l.name.clone())).unwrap_or_default();
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::field("name", "a list needs a name of 1 to 200 characters"));
    }
    let description = input.description.clone().or_else(|| current.map(|l| l.description.clone())).unwrap_or_default();
    let visibility = match input.visibility.as_deref().or(current.map(|l| l.visibility.as_str())) {
        None => ListVisibility::Private,
        Some(v) => ListVisibility::parse(v).ok_or_else(|| ApiError::field("visibility", "public or private"))?,
    };
    let optin = match input.optin.as_deref().or(current.map(|l| l.optin.as_str())) {
        None => OptIn::Double,
        Some(v) => OptIn::parse(v).ok_or_else(|| ApiError::field("optin", "single or double"))?,
    };
    Ok((name, description, visibility, optin))
}

pub(crate) async fn all(_: ApiUser, State(state): State<AppState>) -> ApiResult<Json<Vec<ListView>>> {
    Ok(Json(state.store().lists().await?.into_iter().map(ListView::from).collect()))
}

pub(crate) async fn create(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ListInput>,
) -> ApiResult<(StatusCode, Json<ListView>)> {
    let (name, description, visibility, optin) = list_fields(&input, None)?;
    let list =
        state.store().create_list(&NewList { name: &name, description: &description, visibility, optin }).await?;
    Ok((StatusCode::CREATED, Json(list.into())))
}

pub(crate) async fn read(_: ApiUser, State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<ListView>> {
    let list = state.store().list(id).await?.ok_or_else(|| ApiError::not_found("list"))?;
    Ok(Json(list.into()))
}

pub(crate) async fn update(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ListInput>,
) -> ApiResult<Json<ListView>> {
    let current = state.store().list(id).await?.ok_or_else(|| ApiError::not_found("list"))?;
    let (name, description, visibility, optin) = list_fields(&input, Some(&current))?;
    let list =
        state.store().update_list(id, &NewList { name: &name, description: &description, visibility, optin }).await?;
    Ok(Json(list.into()))
}

pub(crate) async fn delete(_: ApiUser, State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    state.store().delete_list(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! `/api/v1/subscribers`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::{EmailAddress, SubscriberStatus, SubscriptionStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{BulkAction, Chosen, NewSubscriber, Subscriber, SubscriberQuery};

use super::{ApiErrorBody, ApiJson};
use crate::AppError;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{AppResult, request_language};

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SubscriberView {
    id: i64,
    email: String,
    name: String,
    status: String,
    #[schema(value_type = Object)]
    attributes: Value,
    consent: Consent,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lists: Option<Vec<SubscriptionView>>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Consent {
    source: String,
    at: chrono::DateTime<chrono::Utc>,
    ip: Option<String>,
    user_agent: Option<String>,
    confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct SubscriptionView {
    list_id: i64,
    name: String,
    status: String,
}

impl From<Subscriber> for SubscriberView {
    fn from(s: Subscriber) -> Self {
        Self {
            id: s.id,
            email: s.email,
            name: s.name,
            status: s.status.as_str().into(),
            attributes: s.attributes,
            consent: Consent {
                source: s.consent_source,
                at: s.consent_at,
                ip: s.consent_ip.map(|ip| ip.addr().to_string()),
                user_agent: s.consent_user_agent,
                confirmed_at: s.confirmed_at,
            },
            created_at: s.created_at,
            updated_at: s.updated_at,
            lists: None,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// Part of the email or the name, in any case.
    q: Option<String>,
    email: Option<String>,
    list_id: Option<i64>,
    status: Option<String>,
    /// A JSON object the attributes must contain, e.g. `{"plan":"pro"}`.
    attributes: Option<String>,
    /// The `next_before` of the previous page.
    before: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Page {
    data: Vec<SubscriberView>,
    /// Pass as `before` for the next page; null on the last page.
    next_before: Option<i64>,
}

/// Search subscribers, newest first; page with `before`.
#[utoipa::path(get, path = "/subscribers", tag = "subscribers", params(SearchParams), responses((status = 200, body = Page), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn search(
    _: ApiUser,
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> AppResult<Json<Page>> {
    let query = query_of(params)?;
    let (rows, next_before) = state.store().subscribers(&query).await?;
    Ok(Json(Page { data: rows.into_iter().map(SubscriberView::from).collect(), next_before }))
}

/// The search `params` describe, checked.
fn query_of(params: SearchParams) -> AppResult<SubscriberQuery> {
    let lang = request_language();
    let status = params
        .status
        .as_deref()
        .map(|s| SubscriberStatus::parse(s).ok_or_else(|| AppError::field("status", lang.t("err-unknown-status"))))
        .transpose()?;
    let attributes = params
        .attributes
        .as_deref()
        .map(|a| match serde_json::from_str::<Value>(a) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(AppError::field("attributes", lang.t("err-attributes-json"))),
        })
        .transpose()?;
    Ok(SubscriberQuery {
        email_contains: params.email.filter(|e| !e.trim().is_empty()),
        text_contains: params.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        attributes,
        list_id: params.list_id,
        status,
        before_id: params.before,
        limit: params.limit.unwrap_or(50).clamp(1, 1000),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BulkInput {
    /// `add_to_list`, `remove_from_list`, `blocklist` or `delete`.
    action: String,
    /// The list of `add_to_list` and `remove_from_list`.
    list_id: Option<i64>,
    /// These subscribers (at most 10,000)…
    ids: Option<Vec<i64>>,
    /// …or everyone a search matches (as `GET /subscribers` takes it; `before`
    /// and `limit` do not apply).
    matching: Option<SearchParams>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct BulkResult {
    /// How many subscribers the action changed.
    changed: u64,
}

/// Act on many subscribers at once: add to a list (confirmed; those who
/// unsubscribed from it stay unsubscribed), remove from a list, blocklist, delete.
#[utoipa::path(post, path = "/subscribers/bulk", tag = "subscribers", request_body = BulkInput, responses((status = 200, body = BulkResult), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn bulk(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<BulkInput>,
) -> AppResult<Json<BulkResult>> {
    let lang = request_language();
    let action = bulk_action(&state, &input.action, input.list_id).await?;
    let changed = match (input.ids, input.matching) {
        (Some(ids), None) if ids.len() <= 10_000 => state.store().bulk_subscribers(&Chosen::Ids(&ids), action).await?,
        (Some(_), None) => return Err(AppError::field("ids", lang.t("err-bulk-too-many"))),
        (None, Some(search)) => {
            let query = query_of(search)?;
            state.store().bulk_subscribers(&Chosen::Matching(&query), action).await?
        }
        _ => return Err(AppError::field("ids", lang.t("err-bulk-ids-or-matching"))),
    };
    Ok(Json(BulkResult { changed }))
}

/// The bulk action a word names, with its list checked.
async fn bulk_action(state: &AppState, word: &str, list_id: Option<i64>) -> AppResult<BulkAction> {
    let lang = request_language();
    let list = || async {
        let id = list_id.ok_or_else(|| AppError::field("list_id", lang.t("err-choose-list")))?;
        match state.store().list(id).await? {
            Some(_) => Ok(id),
            None => Err(AppError::field("list_id", lang.t1("err-no-list", "id", id))),
        }
    };
    Ok(match word {
        "add_to_list" => BulkAction::AddToList(list().await?),
        "remove_from_list" => BulkAction::RemoveFromList(list().await?),
        "blocklist" => BulkAction::Blocklist,
        "delete" => BulkAction::Delete,
        _ => return Err(AppError::field("action", lang.t("err-bulk-action"))),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateInput {
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    attributes: Option<Value>,
    status: Option<String>,
    /// Lists to put the subscriber on, confirmed (the caller vouches for consent).
    #[serde(default)]
    lists: Vec<i64>,
}

fn attributes_object(value: Option<Value>) -> AppResult<Value> {
    let lang = request_language();
    match value {
        None => Ok(Value::Object(Default::default())),
        Some(v @ Value::Object(_)) => {
            audience::check_attributes(&v).map_err(|e| {
                let key = if e.in_name { "err-attribute-name-fault" } else { "err-attribute-value-fault" };
                let fault = crate::error::text_fault(lang, &e.fault);
                AppError::field("attributes", lang.t2(key, "path", format!("{:?}", e.path), "fault", fault))
            })?;
            Ok(v)
        }
        Some(_) => Err(AppError::field("attributes", lang.t("err-attributes-object"))),
    }
}

/// A subscriber's name as given: one line, trimmed.
fn checked_name(name: &str) -> AppResult<&str> {
    let lang = request_language();
    let name = name.trim();
    domain::text::check_line(name)
        .map_err(|e| AppError::field("name", lang.t1("err-name-fault", "fault", crate::error::text_fault(lang, &e))))?;
    if name.chars().count() > 200 {
        return Err(AppError::field("name", lang.t("err-name-too-long")));
    }
    Ok(name)
}

fn parse_status(status: Option<&str>) -> AppResult<Option<SubscriberStatus>> {
    status
        .map(|s| {
            SubscriberStatus::parse(s)
                .ok_or_else(|| AppError::field("status", request_language().t("err-subscriber-status")))
        })
        .transpose()
}

/// Add a subscriber, optionally on lists (confirmed).
#[utoipa::path(post, path = "/subscribers", tag = "subscribers", request_body = CreateInput, responses((status = 201, body = SubscriberView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn create(
    user: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CreateInput>,
) -> AppResult<(StatusCode, Json<SubscriberView>)> {
    let lang = request_language();
    let email =
        EmailAddress::parse(&input.email).map_err(|e| AppError::field("email", crate::error::email_fault(lang, &e)))?;
    if state.store().is_suppressed(&email).await? {
        return Err(AppError::field("email", lang.t("err-suppressed")));
    }
    let name = checked_name(&input.name)?;
    let attributes = attributes_object(input.attributes)?;
    let status = parse_status(input.status.as_deref())?.unwrap_or(SubscriberStatus::Active);
    for list_id in &input.lists {
        state
            .store()
            .list(*list_id)
            .await?
            .ok_or_else(|| AppError::field("lists", lang.t1("err-no-list", "id", list_id)))?;
    }
    let source = format!("api:{}", user.email);
    let subscriber = state
        .store()
        .create_subscriber(&NewSubscriber {
            email: &email,
            name,
            attributes: &attributes,
            status,
            consent_source: &source,
            consent_ip: None,
            consent_user_agent: None,
        })
        .await?;
    for list_id in &input.lists {
        state.store().set_subscription(subscriber.id, *list_id, SubscriptionStatus::Confirmed).await?;
    }
    Ok((StatusCode::CREATED, Json(with_lists(&state, subscriber).await?)))
}

async fn with_lists(state: &AppState, subscriber: Subscriber) -> AppResult<SubscriberView> {
    let lists = state.store().subscriptions(subscriber.id).await?;
    let mut view = SubscriberView::from(subscriber);
    view.lists = Some(
        lists
            .into_iter()
            .map(|s| SubscriptionView { list_id: s.list_id, name: s.list_name, status: s.status.as_str().into() })
            .collect(),
    );
    Ok(view)
}

/// One subscriber with their lists.
#[utoipa::path(get, path = "/subscribers/{id}", tag = "subscribers", params(("id" = i64, Path, description = "id")), responses((status = 200, body = SubscriberView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn read(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<SubscriberView>> {
    let subscriber = state.store().subscriber(id).await?.ok_or_else(|| AppError::not_found("subscriber"))?;
    Ok(Json(with_lists(&state, subscriber).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateInput {
    name: Option<String>,
    /// Replaces all attributes.
    #[schema(value_type = Option<Object>)]
    attributes: Option<Value>,
    status: Option<String>,
}

/// Change name, attributes (replaced whole) or status.
#[utoipa::path(patch, path = "/subscribers/{id}", tag = "subscribers", params(("id" = i64, Path, description = "id")), request_body = UpdateInput, responses((status = 200, body = SubscriberView), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn update(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<UpdateInput>,
) -> AppResult<Json<SubscriberView>> {
    let attributes = input.attributes.map(|a| attributes_object(Some(a))).transpose()?;
    let status = parse_status(input.status.as_deref())?;
    let name = input.name.as_deref().map(checked_name).transpose()?;
    let subscriber = state.store().update_subscriber(id, name, attributes.as_ref(), status).await?;
    Ok(Json(with_lists(&state, subscriber).await?))
}

/// Delete a subscriber (see erase for personal-data erasure).
#[utoipa::path(delete, path = "/subscribers/{id}", tag = "subscribers", params(("id" = i64, Path, description = "id")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn delete(_: ApiUser, State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    state.store().delete_subscriber(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubscribeInput {
    #[serde(default)]
    status: Option<String>,
}

/// Put a subscriber on a list (confirmed unless a status is given).
#[utoipa::path(put, path = "/subscribers/{id}/lists/{list_id}", tag = "subscribers", params(("id" = i64, Path, description = "id"), ("list_id" = i64, Path, description = "list id")), request_body = Option<SubscribeInput>, responses((status = 204), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn subscribe(
    _: ApiUser,
    State(state): State<AppState>,
    Path((id, list_id)): Path<(i64, i64)>,
    body: axum::body::Bytes,
) -> AppResult<StatusCode> {
    // The body is optional: no body means confirmed.
    let input: SubscribeInput = if body.iter().all(u8::is_ascii_whitespace) {
        SubscribeInput { status: None }
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::field("status", e.to_string()))?
    };
    let status = match input.status {
        None => SubscriptionStatus::Confirmed,
        Some(s) => SubscriptionStatus::parse(&s)
            .ok_or_else(|| AppError::field("status", request_language().t("err-subscription-status")))?,
    };
    state.store().set_subscription(id, list_id, status).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unsubscribe from a list.
#[utoipa::path(delete, path = "/subscribers/{id}/lists/{list_id}", tag = "subscribers", params(("id" = i64, Path, description = "id"), ("list_id" = i64, Path, description = "list id")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn unsubscribe(
    _: ApiUser,
    State(state): State<AppState>,
    Path((id, list_id)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    state.store().set_subscription(id, list_id, SubscriptionStatus::Unsubscribed).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! `/api/v1/lists`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::{ListVisibility, OptIn};
use serde::{Deserialize, Serialize};
use store::{List, NewList, SignupField};

use super::{ApiErrorBody, ApiJson};
use crate::AppError;
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::AppResult;
use crate::error::Invalid;

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ListView {
    id: i64,
    name: String,
    description: String,
    visibility: String,
    optin: String,
    #[schema(value_type = Vec<Object>)]
    signup_fields: Vec<SignupField>,
    /// The language of its public pages and mail: `en` or `ja`.
    language: String,
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
            signup_fields: l.signup_fields.0,
            language: l.language,
            subscriber_count: l.subscriber_count,
            created_at: l.created_at,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListInput {
    name: Option<String>,
    description: Option<String>,
    visibility: Option<String>,
    optin: Option<String>,
    /// Extra fields of the signup form, each kept as an attribute: `{"key", "label", "required"}`.
    #[schema(value_type = Option<Vec<Object>>)]
    signup_fields: Option<Vec<SignupField>>,
    /// The language of its public pages and mail: `en` (default) or `ja`.
    language: Option<String>,
}

/// Checks the extra fields of a signup form; the message (in the
/// request's language) says what is wrong.
pub(crate) fn check_signup_fields(fields: &[SignupField]) -> Result<(), Invalid> {
    let lang = crate::error::request_language();
    if fields.len() > 20 {
        return Err(lang.t("err-signup-too-many").into());
    }
    for (i, field) in fields.iter().enumerate() {
        let n = i + 1;
        let key = field.key.trim();
        if key.is_empty() || key.chars().count() > 100 || key.chars().any(char::is_control) {
            return Err(lang.t1("err-signup-key", "n", n).into());
        }
        if ["email", "name", "website"].contains(&key.to_lowercase().as_str()) {
            return Err(lang.t2("err-signup-built-in", "n", n, "key", format!("{key:?}")).into());
        }
        if field.label.trim().is_empty() || field.label.chars().count() > 200 {
            return Err(lang.t1("err-signup-label-length", "n", n).into());
        }
        if let Err(e) = domain::text::check_line(&field.label) {
            let fault = crate::error::text_fault(lang, &e);
            return Err(lang.t2("err-signup-label-fault", "n", n, "fault", fault).into());
        }
        if fields[..i].iter().any(|f| f.key.trim() == key) {
            return Err(lang.t2("err-signup-twice", "n", n, "key", format!("{key:?}")).into());
        }
    }
    Ok(())
}

/// A list's checked fields, ready for the store.
pub(crate) struct ListFields {
    pub name: String,
    pub description: String,
    pub visibility: ListVisibility,
    pub optin: OptIn,
    pub signup_fields: Vec<SignupField>,
    pub language: i18n::Language,
}

impl ListFields {
    pub(crate) fn as_new(&self) -> NewList<'_> {
        NewList {
            name: &self.name,
            description: &self.description,
            visibility: self.visibility,
            optin: self.optin,
            signup_fields: &self.signup_fields,
        }
    }
}

/// A list's fields from input over `current` (or defaults), checked.
pub(crate) fn list_fields(input: &ListInput, current: Option<&List>) -> AppResult<ListFields> {
    let lang = crate::error::request_language();
    let fault = |e: domain::text::TextError| crate::error::text_fault(lang, &e);
    let name = input.name.clone().or_else(|| current.map(|l| l.name.clone())).unwrap_or_default();
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::field("name", lang.t("err-list-name-length")));
    }
    domain::text::check_line(&name)
        .map_err(|e| AppError::field("name", lang.t1("err-name-fault", "fault", fault(e))))?;
    let description = input.description.clone().or_else(|| current.map(|l| l.description.clone())).unwrap_or_default();
    domain::text::check_text(&description)
        .map_err(|e| AppError::field("description", lang.t1("err-description-fault", "fault", fault(e))))?;
    let visibility = match input.visibility.as_deref().or(current.map(|l| l.visibility.as_str())) {
        None => ListVisibility::Private,
        Some(v) => {
            ListVisibility::parse(v).ok_or_else(|| AppError::field("visibility", lang.t("err-public-or-private")))?
        }
    };
    let optin = match input.optin.as_deref().or(current.map(|l| l.optin.as_str())) {
        None => OptIn::Double,
        Some(v) => OptIn::parse(v).ok_or_else(|| AppError::field("optin", lang.t("err-single-or-double")))?,
    };
    let signup_fields = input
        .signup_fields
        .clone()
        .or_else(|| current.map(|l| l.signup_fields.0.clone()))
        .unwrap_or_default()
        .into_iter()
        .map(|f| SignupField { key: f.key.trim().to_string(), label: f.label.trim().to_string(), required: f.required })
        .collect::<Vec<_>>();
    check_signup_fields(&signup_fields).map_err(|e| AppError::field("signup_fields", e))?;
    let language = match input.language.as_deref().or(current.map(|l| l.language.as_str())) {
        None => i18n::Language::default(),
        Some(tag) => i18n::Language::parse(tag).ok_or_else(|| AppError::field("language", lang.t("err-en-or-ja")))?,
    };
    Ok(ListFields { name, description, visibility, optin, signup_fields, language })
}

/// Creates (`id` None) or changes a list with `fields`, its language too.
pub(crate) async fn save(state: &AppState, id: Option<i64>, fields: &ListFields) -> Result<List, store::StoreError> {
    let mut list = match id {
        Some(id) => state.store().update_list(id, &fields.as_new()).await?,
        None => state.store().create_list(&fields.as_new()).await?,
    };
    state.store().set_list_language(list.id, fields.language.code()).await?;
    list.language = fields.language.code().to_owned();
    Ok(list)
}

/// All lists with their confirmed subscriber counts.
#[utoipa::path(get, path = "/lists", tag = "lists", responses((status = 200, body = [ListView]), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn all(_: ApiUser, State(state): State<AppState>) -> AppResult<Json<Vec<ListView>>> {
    Ok(Json(state.store().lists().await?.into_iter().map(ListView::from).collect()))
}

/// Create a list.
#[utoipa::path(post, path = "/lists", tag = "lists", request_body = ListInput, responses((status = 201, body = ListView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn create(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ListInput>,
) -> AppResult<(StatusCode, Json<ListView>)> {
    let fields = list_fields(&input, None)?;
    let list = save(&state, None, &fields).await?;
    Ok((StatusCode::CREATED, Json(list.into())))
}

/// One list.
#[utoipa::path(get, path = "/lists/{id}", tag = "lists", params(("id" = i64, Path, description = "id")), responses((status = 200, body = ListView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn read(_: ApiUser, State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<Json<ListView>> {
    let list = state.store().list(id).await?.ok_or_else(|| AppError::not_found("list"))?;
    Ok(Json(list.into()))
}

/// Change a list; absent fields are kept.
#[utoipa::path(patch, path = "/lists/{id}", tag = "lists", params(("id" = i64, Path, description = "id")), request_body = ListInput, responses((status = 200, body = ListView), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn update(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ListInput>,
) -> AppResult<Json<ListView>> {
    let current = state.store().list(id).await?.ok_or_else(|| AppError::not_found("list"))?;
    let fields = list_fields(&input, Some(&current))?;
    let list = save(&state, Some(id), &fields).await?;
    Ok(Json(list.into()))
}

/// Delete a list and its subscriptions.
#[utoipa::path(delete, path = "/lists/{id}", tag = "lists", params(("id" = i64, Path, description = "id")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn delete(_: ApiUser, State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    state.store().delete_list(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

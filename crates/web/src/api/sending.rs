//! `/api/v1/layouts`, `/api/v1/credentials` and `/api/v1/tokens`: layouts
//! (with the same template checks as the layouts page), SMTP submission
//! credentials (a password answered once), and one's own API tokens with
//! their sending limits.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{ApiErrorBody, ApiJson};
use crate::auth::ApiUser;
use crate::error::{AppResult, request_language};
use crate::{AppError, AppState};

/// A layout: HTML with one `{{ content }}` where a campaign's body goes.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct LayoutView {
    #[serde(default)]
    id: i64,
    name: String,
    body: String,
}

impl From<store::Template> for LayoutView {
    fn from(t: store::Template) -> Self {
        Self { id: t.id, name: t.name, body: t.body }
    }
}

/// Every layout.
#[utoipa::path(get, path = "/layouts", tag = "layouts", responses((status = 200, body = Vec<LayoutView>), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn layouts(_: ApiUser, State(state): State<AppState>) -> AppResult<Json<Vec<LayoutView>>> {
    Ok(Json(state.store().templates().await?.into_iter().map(Into::into).collect()))
}

/// One layout.
#[utoipa::path(get, path = "/layouts/{id}", tag = "layouts", params(("id" = i64, Path, description = "id")), responses((status = 200, body = LayoutView), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn layout(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<LayoutView>> {
    Ok(Json(state.store().template(id).await?.ok_or_else(|| AppError::not_found("layout"))?.into()))
}

/// Checks a layout as the page does: every template fault with its line and column.
fn checked_layout(state: &AppState, input: &LayoutView) -> AppResult<String> {
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::field("name", request_language().t("layout-name-needed")));
    }
    if let Some(fault) = crate::campaign_pages::layout_errors(state, &input.body).into_iter().next() {
        return Err(AppError::field("body", fault.text));
    }
    Ok(name)
}

/// A new layout, checked as a campaign would use it.
#[utoipa::path(post, path = "/layouts", tag = "layouts", request_body = LayoutView, responses((status = 201, body = LayoutView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn create_layout(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LayoutView>,
) -> AppResult<(StatusCode, Json<LayoutView>)> {
    let name = checked_layout(&state, &input)?;
    Ok((StatusCode::CREATED, Json(state.store().save_template(None, &name, &input.body).await?.into())))
}

/// Replace a layout (campaigns already sending keep the one they started with).
#[utoipa::path(put, path = "/layouts/{id}", tag = "layouts", params(("id" = i64, Path, description = "id")), request_body = LayoutView, responses((status = 200, body = LayoutView), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn update_layout(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<LayoutView>,
) -> AppResult<Json<LayoutView>> {
    state.store().template(id).await?.ok_or_else(|| AppError::not_found("layout"))?;
    let name = checked_layout(&state, &input)?;
    Ok(Json(state.store().save_template(Some(id), &name, &input.body).await?.into()))
}

/// Delete a layout no campaign uses.
#[utoipa::path(delete, path = "/layouts/{id}", tag = "layouts", params(("id" = i64, Path, description = "id")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn delete_layout(
    _: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    state.store().template(id).await?.ok_or_else(|| AppError::not_found("layout"))?;
    state.store().delete_template(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An SMTP submission credential.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CredentialView {
    id: i64,
    username: String,
    description: String,
    domains: Vec<String>,
    /// CIDR; empty: anywhere.
    networks: Vec<String>,
    /// No password: its networks send without logging in.
    network_only: bool,
    per_minute: i32,
    per_day: i32,
    hold: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Answered once, when it is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

impl From<store::Credential> for CredentialView {
    fn from(c: store::Credential) -> Self {
        Self {
            id: c.id,
            username: c.username,
            description: c.description,
            domains: c.domains,
            networks: c.networks.iter().map(ToString::to_string).collect(),
            network_only: c.network_only,
            per_minute: c.per_minute,
            per_day: c.per_day,
            hold: c.hold,
            created_at: c.created_at,
            last_used_at: c.last_used_at,
            password: None,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialInput {
    username: String,
    domains: Vec<String>,
    #[serde(default)]
    networks: Vec<String>,
    #[serde(default = "per_minute")]
    per_minute: i32,
    #[serde(default = "per_day")]
    per_day: i32,
    #[serde(default)]
    hold: bool,
    /// No password: `networks` send without logging in.
    #[serde(default)]
    no_password: bool,
    #[serde(default)]
    description: String,
}

fn per_minute() -> i32 {
    600
}

fn per_day() -> i32 {
    100_000
}

/// Every credential.
#[utoipa::path(get, path = "/credentials", tag = "credentials", responses((status = 200, body = Vec<CredentialView>), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn credentials(_: ApiUser, State(state): State<AppState>) -> AppResult<Json<Vec<CredentialView>>> {
    Ok(Json(state.store().credentials().await?.into_iter().map(Into::into).collect()))
}

/// A new credential; its password is in this answer only.
#[utoipa::path(post, path = "/credentials", tag = "credentials", request_body = CredentialInput, responses((status = 201, body = CredentialView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn create_credential(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<CredentialInput>,
) -> AppResult<(StatusCode, Json<CredentialView>)> {
    let lang = request_language();
    let mut networks = Vec::new();
    for (i, n) in input.networks.iter().enumerate() {
        let net =
            n.trim().parse::<ipnet::IpNet>().or_else(|_| n.trim().parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
        match net {
            Ok(net) => networks.push(net.trunc()),
            Err(_) => {
                return Err(AppError::field(
                    &format!("networks[{i}]"),
                    lang.t1("credential-fault-network", "value", format!("{n:?}")),
                ));
            }
        }
    }
    let (username, domains) = domain::credential::check(
        &input.username,
        &input.domains,
        networks.len(),
        !input.no_password,
        [input.per_minute, input.per_day],
        &input.description,
    )
    .map_err(|e| {
        let field = match e {
            domain::credential::CredentialFault::Username => "username",
            domain::credential::CredentialFault::NoDomain | domain::credential::CredentialFault::Domain(_) => "domains",
            domain::credential::CredentialFault::NoNetwork => "networks",
            domain::credential::CredentialFault::Limit => "per_minute",
            domain::credential::CredentialFault::Description => "description",
        };
        AppError::field(field, crate::credential_pages::fault(lang, &e))
    })?;
    let password = (!input.no_password).then(message::secret::random_token);
    let password_hash = match &password {
        Some(p) => Some(crate::password::hash(p.clone()).await?),
        None => None,
    };
    let new = store::NewCredential {
        username,
        password_hash,
        description: input.description.trim().to_owned(),
        domains,
        networks,
        per_minute: input.per_minute,
        per_day: input.per_day,
        hold: input.hold,
    };
    let created = match state.store().create_credential(&new).await {
        Ok(created) => created,
        Err(store::StoreError::Conflict(_)) => return Err(AppError::Conflict(lang.t("credential-fault-taken"))),
        Err(e) => return Err(e.into()),
    };
    Ok((StatusCode::CREATED, Json(CredentialView { password, ..created.into() })))
}

/// Revoke a credential: its logins and networks stop at once.
#[utoipa::path(delete, path = "/credentials/{username}", tag = "credentials", params(("username" = String, Path, description = "user name")), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn revoke_credential(
    _: ApiUser,
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> AppResult<StatusCode> {
    if !state.store().revoke_credential(&username).await? {
        return Err(AppError::not_found("credential"));
    }
    Ok(StatusCode::NO_CONTENT)
}

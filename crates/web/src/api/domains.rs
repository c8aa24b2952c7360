//! A sending domain's identity block: who sends, where, and whom to ask —
//! what Japan's 特定電子メール法 wants in advertising mail (CAN-SPAM: the
//! postal address). Production scheduling needs it complete.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use store::SenderIdentity;

use super::{ApiErrorBody, ApiJson};
use crate::auth::ApiUser;
use crate::error::AppResult;
use crate::{AppError, AppState};

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdentityView {
    /// The sender's name (a company or a person), e.g. `株式会社ショップ`.
    name: String,
    /// The sender's postal address, on one line.
    postal_address: String,
    /// An email address or an http(s) URL for opting out and questions.
    contact: String,
    /// The parts still missing (read only; ignored when sent).
    #[serde(default, skip_deserializing)]
    missing: Vec<String>,
}

impl From<SenderIdentity> for IdentityView {
    fn from(identity: SenderIdentity) -> Self {
        let missing = identity.missing().into_iter().map(str::to_owned).collect();
        let SenderIdentity { name, postal_address, contact } = identity;
        Self { name, postal_address, contact, missing }
    }
}

/// The longest each part may be, in characters.
const LIMITS: [(&str, usize); 3] = [("name", 200), ("postal_address", 500), ("contact", 320)];

/// What is wrong with an identity block, by field; parts may be empty (the
/// block is then incomplete, which only production scheduling refuses).
pub(crate) fn check(identity: &SenderIdentity, lang: i18n::Language) -> Result<(), (&'static str, String)> {
    let values = [&identity.name, &identity.postal_address, &identity.contact];
    for ((field, limit), value) in LIMITS.into_iter().zip(values) {
        if value.chars().any(char::is_control) {
            return Err((field, lang.t("identity-control")));
        }
        if value.chars().count() > limit {
            return Err((field, lang.tn("identity-too-long", limit)));
        }
    }
    let contact = identity.contact.as_str();
    let is_url = contact.starts_with("https://") || contact.starts_with("http://");
    if !contact.is_empty() && !is_url && domain::EmailAddress::parse(contact).is_err() {
        return Err(("contact", lang.t("identity-contact")));
    }
    Ok(())
}

/// The trimmed block from what was sent.
pub(crate) fn trimmed(name: &str, postal_address: &str, contact: &str) -> SenderIdentity {
    SenderIdentity {
        name: name.trim().to_owned(),
        postal_address: postal_address.trim().to_owned(),
        contact: contact.trim().to_owned(),
    }
}

/// A sending domain's identity block.
#[utoipa::path(get, path = "/domains/{domain}/identity", tag = "domains", params(("domain" = String, Path, description = "the sending domain")), responses((status = 200, body = IdentityView), (status = 404, description = "no such sending domain", body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn identity(
    _: ApiUser,
    State(state): State<AppState>,
    Path(domain): Path<String>,
) -> AppResult<Json<IdentityView>> {
    if state.store().domain_checks(&domain).await?.is_none() {
        return Err(AppError::not_found("sending domain"));
    }
    Ok(Json(state.store().sender_identity(&domain).await?.into()))
}

/// Replace a sending domain's identity block (every field).
#[utoipa::path(put, path = "/domains/{domain}/identity", tag = "domains", params(("domain" = String, Path, description = "the sending domain")), request_body = IdentityView, responses((status = 200, body = IdentityView), (status = 404, description = "no such sending domain", body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn set_identity(
    _: ApiUser,
    State(state): State<AppState>,
    Path(domain): Path<String>,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<IdentityView>,
) -> AppResult<Json<IdentityView>> {
    let identity = trimmed(&input.name, &input.postal_address, &input.contact);
    check(&identity, crate::error::browser_language(&headers)).map_err(|(field, why)| AppError::field(field, why))?;
    if !state.store().set_sender_identity(&domain, &identity).await? {
        return Err(AppError::not_found("sending domain"));
    }
    Ok(Json(identity.into()))
}

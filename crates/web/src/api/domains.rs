//! `/api/v1/domains`: sending domains (add one, the records to publish,
//! its DNS checked now, a key rotation) and each one's identity block: who
//! sends, where, and whom to ask —
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

/// One DNS record a sending domain should publish.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RecordView {
    purpose: String,
    name: String,
    /// TXT, MX or PTR.
    #[serde(rename = "type")]
    kind: String,
    value: String,
    /// Worth having, not needed to send.
    optional: bool,
    /// The record of a new key that signs once it is seen (a rotation).
    pending: bool,
}

impl From<identity::Record> for RecordView {
    fn from(r: identity::Record) -> Self {
        Self {
            purpose: r.purpose,
            name: r.name,
            kind: r.kind.to_owned(),
            value: r.value,
            optional: r.optional,
            pending: r.pending,
        }
    }
}

/// A sending domain and what its DNS should hold.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct DomainView {
    domain: String,
    /// When its DKIM record was first seen; until then it cannot send in production.
    verified_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The source addresses its mail may leave from; empty: any node's.
    source_ips: Vec<String>,
    identity_complete: bool,
    records: Vec<RecordView>,
}

async fn domain_view(state: &AppState, d: store::SendingDomain) -> AppResult<DomainView> {
    let lang = crate::error::request_language();
    let setup = &state.config().setup;
    let ips = d.sends_from(&state.config().source_ips);
    let keys = state.store().published_dkim_keys(&d.domain).await?;
    let ptrs: Vec<_> = ips.iter().map(|ip| (*ip, format!("mail.{}", d.domain))).collect();
    let records = identity::records(&d.domain, &keys, setup, &ptrs, None, lang).into_iter().map(Into::into).collect();
    Ok(DomainView {
        verified_at: state.store().domain_verified_at(&d.domain).await?,
        source_ips: d.source_ips.iter().map(|n| n.addr().to_string()).collect(),
        identity_complete: state.store().sender_identity(&d.domain).await?.missing().is_empty(),
        records,
        domain: d.domain,
    })
}

async fn sending_domain(state: &AppState, domain: &str) -> AppResult<store::SendingDomain> {
    let wanted = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let found = state.store().sending_domains().await?.into_iter().find(|d| d.domain.eq_ignore_ascii_case(&wanted));
    found.ok_or_else(|| AppError::not_found("sending domain"))
}

/// Every sending domain with the records to publish.
#[utoipa::path(get, path = "/domains", tag = "domains", responses((status = 200, body = Vec<DomainView>), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn all(_: ApiUser, State(state): State<AppState>) -> AppResult<Json<Vec<DomainView>>> {
    let mut out = Vec::new();
    for d in state.store().sending_domains().await? {
        out.push(domain_view(&state, d).await?);
    }
    Ok(Json(out))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDomain {
    domain: String,
    /// A second, Ed25519, signature besides RSA-2048.
    #[serde(default)]
    ed25519: bool,
}

/// Add a sending domain: its DKIM keys are made; the answer lists the records to publish.
#[utoipa::path(post, path = "/domains", tag = "domains", request_body = NewDomain, responses((status = 201, body = DomainView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn add(
    _: ApiUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewDomain>,
) -> AppResult<(axum::http::StatusCode, Json<DomainView>)> {
    use identity::IdentityError;
    match identity::add_domain(state.store(), state.key(), &input.domain, input.ed25519).await {
        Ok(_) => {}
        Err(IdentityError::Store(e)) => return Err(e.into()),
        Err(e @ IdentityError::BadDomain(_)) => return Err(AppError::field("domain", e.to_string())),
        Err(e) => return Err(AppError::internal(e)),
    }
    let d = sending_domain(&state, &input.domain).await?;
    Ok((axum::http::StatusCode::CREATED, Json(domain_view(&state, d).await?)))
}

/// One check of a domain's DNS.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CheckView {
    what: String,
    /// pass, warn, fail or unknown (the lookup failed).
    status: String,
    detail: String,
}

/// A domain's DNS checked now, as receivers see it (DKIM, SPF, bounce MX,
/// DMARC, PTR; behind a relay, SPF for the relay).
#[utoipa::path(get, path = "/domains/{domain}/checks", tag = "domains", params(("domain" = String, Path, description = "the domain")), responses((status = 200, body = Vec<CheckView>), (status = 404, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn checks(
    _: ApiUser,
    State(state): State<AppState>,
    Path(domain): Path<String>,
) -> AppResult<Json<Vec<CheckView>>> {
    let d = sending_domain(&state, &domain).await?;
    let dns = state.dns().map_err(AppError::internal)?;
    let ips = d.sends_from(&state.config().source_ips);
    let lang = crate::error::request_language();
    let checks =
        identity::doctor::check_domain(state.store(), &dns, &d.domain, &state.config().setup, &ips, lang).await?;
    Ok(Json(
        checks
            .into_iter()
            .map(|c| CheckView { what: c.what, status: format!("{:?}", c.status).to_lowercase(), detail: c.detail })
            .collect(),
    ))
}

/// Rotate a domain's DKIM keys: new keys under new selectors sign once
/// their records are seen; the old ones stay published 7 days.
#[utoipa::path(post, path = "/domains/{domain}/rotate", tag = "domains", params(("domain" = String, Path, description = "the domain")), responses((status = 200, body = DomainView), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 401, description = "no valid API token", body = ApiErrorBody)), security(("token" = [])))]
pub(crate) async fn rotate(
    _: ApiUser,
    State(state): State<AppState>,
    Path(domain): Path<String>,
) -> AppResult<Json<DomainView>> {
    use identity::IdentityError;
    let d = sending_domain(&state, &domain).await?;
    match identity::rotate(state.store(), state.key(), &d.domain).await {
        Ok(_) => {}
        Err(IdentityError::Store(e)) => return Err(e.into()),
        Err(e @ (IdentityError::NotSending(_) | IdentityError::Pending(..) | IdentityError::BadDomain(_))) => {
            return Err(AppError::unprocessable(e.to_string()));
        }
        Err(e) => return Err(AppError::internal(e)),
    }
    Ok(Json(domain_view(&state, d).await?))
}

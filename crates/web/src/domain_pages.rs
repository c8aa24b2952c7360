//! Sending domains: add one (its DKIM keys are generated and sealed), see
//! the DNS records to publish, and check them as receivers see them.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use identity::doctor::{Check, Status};
use identity::{self, IdentityError, Record};
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::csrf::{self, CsrfForm};
use crate::error::Invalid;
use crate::pages::{Frame, render};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "domains.html")]
struct DomainsPage {
    frame: Frame,
    domains: Vec<DomainView>,
    /// The newest alerts: (domain, check, detail, when).
    alerts: Vec<(String, String, String, String)>,
    checked: bool,
    error: Option<String>,
}

struct DomainView {
    domain: String,
    /// Where it sends from, in words.
    from: String,
    /// Its own source addresses, for the form.
    ips: String,
    records: Vec<Record>,
    /// When its DKIM records were last seen right; None: not verified.
    verified: Option<String>,
    /// A key rotation waits for its record.
    rotating: bool,
    /// The DNS checks, when asked for.
    checks: Vec<Check>,
    /// "subject, valid until …" when the domain S/MIME-signs.
    smime: Option<String>,
    /// Who sends, as advertising mail must say (特定電子メール法).
    identity: store::SenderIdentity,
    identity_complete: bool,
}

impl DomainsPage {
    fn mark(status: &Status) -> &'static str {
        status.as_str()
    }
}

async fn domains_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    error: Option<String>,
    check: bool,
) -> Result<Response, AppError> {
    let (jar, frame) = Frame::issue(state, jar, &admin);
    let lang = admin.language;
    let dns = if check { Some(state.dns().map_err(AppError::internal)?) } else { None };
    let mut domains = Vec::new();
    let setup = &state.config().setup;
    for d in state.store().sending_domains().await? {
        let from = if d.source_ips.is_empty() {
            lang.t("domain-any-node")
        } else {
            d.source_ips.iter().map(|n| n.addr().to_string()).collect::<Vec<_>>().join(", ")
        };
        let ips = d.sends_from(&state.config().source_ips);
        let (checks, records) = match &dns {
            Some(dns) => {
                // Kept in English (the watch knows a check by its name);
                // shown in the admin's language, checked again from the
                // resolver's cache.
                let english = i18n::Language::English;
                let checks =
                    identity::doctor::check_domain(state.store(), dns, &d.domain, setup, &ips, english).await?;
                identity::watch::record(state.store(), &d, &checks, Utc::now(), identity::watch::GRACE).await?;
                let checks = match lang {
                    i18n::Language::English => checks,
                    lang => identity::doctor::check_domain(state.store(), dns, &d.domain, setup, &ips, lang).await?,
                };
                let keys = state.store().published_dkim_keys(&d.domain).await?;
                let (ptrs, spf) = identity::doctor::published(dns, &d.domain, setup, &ips).await;
                (checks, identity::records(&d.domain, &keys, setup, &ptrs, spf.as_deref(), lang))
            }
            None => {
                let keys = state.store().published_dkim_keys(&d.domain).await?;
                let ptrs: Vec<_> = ips.iter().map(|ip| (*ip, format!("mail.{}", d.domain))).collect();
                (Vec::new(), identity::records(&d.domain, &keys, setup, &ptrs, None, lang))
            }
        };
        let verified = state.store().domain_verified_at(&d.domain).await?.map(|at| frame.at(&at));
        let rotating = records.iter().any(|r| r.pending);
        let own = d.source_ips.iter().map(|n| n.addr().to_string()).collect::<Vec<_>>().join(" ");
        let smime = d.smime_subject.map(|subject| {
            lang.t2("domain-smime-until", "subject", subject, "until", d.smime_not_after.unwrap_or_default())
        });
        let identity = state.store().sender_identity(&d.domain).await?;
        let identity_complete = identity.missing().is_empty();
        domains.push(DomainView {
            domain: d.domain,
            from,
            ips: own,
            records,
            verified,
            rotating,
            checks,
            smime,
            identity,
            identity_complete,
        });
    }
    let alerts = state
        .store()
        .domain_alerts(10)
        .await?
        .into_iter()
        .map(|(domain, what, detail, at)| (domain, what, detail, frame.at(&at)))
        .collect();
    render(status, jar, DomainsPage { frame, domains, alerts, checked: check, error })
}

/// The domains page with each domain's DNS checked live.
pub(crate) async fn check_domains(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    domains_page(&state, jar, admin, StatusCode::OK, None, true).await
}

pub(crate) async fn domains(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    domains_page(&state, jar, admin, StatusCode::OK, None, false).await
}

#[derive(Deserialize)]
pub(crate) struct DomainForm {
    domain: String,
    #[serde(default)]
    ed25519: Option<String>,
}

pub(crate) async fn add_domain(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<DomainForm>,
) -> Result<Response, AppError> {
    match identity::add_domain(state.store(), state.key(), &form.domain, form.ed25519.is_some()).await {
        Ok(_) => Ok(Redirect::to("/domains").into_response()),
        Err(IdentityError::Store(store::StoreError::Conflict(_))) => {
            let error = Some(admin.language.t1("domain-exists", "domain", form.domain.trim()));
            domains_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, error, false).await
        }
        Err(e @ IdentityError::BadDomain(_)) => {
            domains_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, Some(e.to_string()), false).await
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

#[derive(Deserialize)]
pub(crate) struct RotateForm {
    domain: String,
}

/// Starts a key rotation: new keys wait for their records (the next check
/// that sees them makes them sign).
pub(crate) async fn rotate(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<RotateForm>,
) -> Result<Response, AppError> {
    match identity::rotate(state.store(), state.key(), &form.domain).await {
        Ok(_) => Ok(Redirect::to("/domains").into_response()),
        Err(e @ (IdentityError::NotSending(_) | IdentityError::Pending(..) | IdentityError::BadDomain(_))) => {
            domains_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, Some(e.to_string()), false).await
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

#[derive(Deserialize)]
pub(crate) struct IdentityForm {
    domain: String,
    name: String,
    postal_address: String,
    contact: String,
}

/// Sets a domain's sender identity block; a fault names its field.
pub(crate) async fn set_identity(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<IdentityForm>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let identity = crate::api::domains::trimmed(&form.name, &form.postal_address, &form.contact);
    let error = match crate::api::domains::check(&identity, lang) {
        Err((field, why)) => Some(format!("{}: {why}", lang.tk("domain-identity-field", field))),
        Ok(()) if !state.store().set_sender_identity(&form.domain, &identity).await? => {
            Some(lang.t1("domain-not-sending", "domain", form.domain.as_str()))
        }
        Ok(()) => return Ok(Redirect::to("/domains").into_response()),
    };
    domains_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, error, false).await
}

#[derive(Deserialize)]
pub(crate) struct IpsForm {
    domain: String,
    /// Addresses separated by spaces, commas or lines; empty: any.
    ips: String,
}

/// Sets the addresses a domain's mail leaves from; each bad address is named.
pub(crate) async fn set_ips(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<IpsForm>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let mut ips = Vec::new();
    let mut bad = Vec::new();
    for raw in form.ips.split([',', ' ', '\n', '\r']).map(str::trim).filter(|s| !s.is_empty()) {
        match raw.parse::<std::net::IpAddr>() {
            Ok(ip) => ips.push(ip),
            Err(_) => bad.push(lang.t1("domain-bad-ip", "address", format!("{raw:?}"))),
        }
    }
    let error = if !bad.is_empty() {
        Some(lang.t1("domain-bad-ips", "faults", bad.join("; ")))
    } else if !state.store().set_domain_source_ips(&form.domain, &ips).await? {
        Some(lang.t1("domain-not-sending", "domain", form.domain.as_str()))
    } else {
        return Ok(Redirect::to("/domains").into_response());
    };
    domains_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, error, false).await
}

/// `POST /domains/smime` (multipart): `csrf` first, `domain`, and either a
/// `file` (a PEM bundle of certificate and key, or a PKCS#12 file with its
/// `password`) to sign with, or `remove` to stop signing.
pub(crate) async fn set_smime(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    crate::auth::ClientIp(ip): crate::auth::ClientIp,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let bad = csrf::upload_failed;
    let mut form = csrf::CsrfMultipart::new(&state, &jar, multipart);
    let (mut domain, mut password, mut file, mut remove) = (String::new(), String::new(), Vec::new(), false);
    while let Some(field) = form.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "domain" => domain = field.text().await.map_err(bad)?.trim().to_string(),
            "password" => password = field.text().await.map_err(bad)?,
            "remove" => remove = true,
            "file" => file = field.bytes().await.map_err(bad)?.to_vec(),
            _ => {}
        }
    }
    let outcome = if remove {
        match state.store().clear_domain_smime(&domain).await? {
            true => Ok(()),
            false => Err(lang.t1("domain-not-sending", "domain", domain.as_str()).into()),
        }
    } else {
        smime_upload(&state, lang, &domain, &file, &password).await
    };
    let details = serde_json::json!({
        "domain": domain,
        "smime": if remove { "off" } else { "certificate uploaded" },
        "error": outcome.as_ref().err().map(ToString::to_string),
    });
    crate::access::note(&state, &admin, ip, "S/MIME signing", details).await;
    match outcome {
        Ok(()) => Ok(Redirect::to("/domains").into_response()),
        Err(error) => {
            domains_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, Some(error.into()), false).await
        }
    }
}

/// Reads an uploaded signing identity and makes the domain sign with it.
async fn smime_upload(
    state: &AppState,
    lang: i18n::Language,
    domain: &str,
    file: &[u8],
    password: &str,
) -> Result<(), Invalid> {
    if file.is_empty() {
        return Err(lang.t("domain-smime-choose").into());
    }
    let is_pem = file.windows(11).any(|w| w == b"-----BEGIN ");
    let (file, password) = (file.to_vec(), password.to_string());
    // Key derivation of a PKCS#12 file is slow on purpose: off the reactor.
    let signer = tokio::task::spawn_blocking(move || {
        if is_pem {
            message::smime::Signer::from_pem(&file, &password)
        } else {
            message::smime::Signer::from_pkcs12(&file, &password)
        }
    })
    .await
    .map_err(|e| lang.t1("domain-smime-error", "error", e))?
    .map_err(|e| lang.t2("domain-smime-failed", "domain", domain, "error", e))?;
    identity::set_smime(state.store(), state.key(), domain, &signer)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e}.").into())
}

//! Sending domains: add one (its DKIM keys are generated and sealed), see
//! the DNS records to publish, and check them as receivers see them.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use delivery::doctor::{Check, Status};
use delivery::identity::{self, IdentityError};
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::csrf::{self, CsrfForm};
use crate::pages::render;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "domains.html")]
struct DomainsPage {
    csrf: String,
    email: String,
    /// (domain, where it sends from, DNS record lines, the DNS checks when asked)
    domains: Vec<(String, String, Vec<String>, Vec<Check>)>,
    checked: bool,
    error: Option<String>,
}

impl DomainsPage {
    fn mark(status: &Status) -> &'static str {
        match status {
            Status::Pass => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
        }
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
    let dns = if check { Some(state.dns().map_err(AppError::internal)?) } else { None };
    let mut domains = Vec::new();
    for d in state.store().sending_domains().await? {
        let keys = state.store().active_dkim_keys(&d.domain).await?;
        let lines = keys
            .iter()
            .map(|k| identity::zone_line(&format!("{}._domainkey.{}", k.selector, d.domain), &k.dns_record))
            .collect();
        let from = if d.source_ips.is_empty() {
            "any of the delivery nodes' addresses".to_owned()
        } else {
            d.source_ips.iter().map(|n| n.addr().to_string()).collect::<Vec<_>>().join(", ")
        };
        let checks = match &dns {
            Some(dns) => {
                let ips = d.sends_from(&state.config().source_ips);
                let bounce = &state.config().bounce_subdomain;
                delivery::doctor::check_domain(state.store(), dns, &d.domain, bounce, &ips).await?
            }
            None => Vec::new(),
        };
        domains.push((d.domain, from, lines, checks));
    }
    let (jar, csrf) = csrf::issue(state, jar);
    render(status, jar, DomainsPage { csrf, email: admin.email, domains, checked: check, error })
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
            let error = Some(format!("{} is a sending domain already.", form.domain.trim()));
            domains_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, error, false).await
        }
        Err(e @ IdentityError::BadDomain(_)) => {
            domains_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, Some(e.to_string()), false).await
        }
        Err(e) => Err(AppError::internal(e)),
    }
}

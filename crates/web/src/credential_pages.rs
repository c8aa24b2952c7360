//! SMTP credentials (SMTP認証情報): who may send through the submission
//! role. Made here or with `ninsho credential create`, checked the same
//! way (`domain::credential`); a password is shown once, right after it is
//! made. Hold mode, and revoking, take effect at once.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use domain::credential::CredentialFault;
use serde::Deserialize;
use store::Credential;

use crate::auth::AdminUser;
use crate::campaign_pages::urlencode;
use crate::csrf::CsrfForm;
use crate::pages::{EmptyForm, Frame, render};
use crate::settings_pages::NoticeQuery;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "credentials.html")]
struct CredentialsPage {
    frame: Frame,
    credentials: Vec<Credential>,
    /// The sending domains, offered as the new credential's.
    domains: Vec<String>,
    /// A new credential's password, shown this once.
    password: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
    form: CredentialForm,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct CredentialForm {
    #[serde(default)]
    username: String,
    /// Domains, separated by commas or spaces.
    #[serde(default)]
    domains: String,
    /// Networks (CIDR), separated by commas or spaces.
    #[serde(default)]
    networks: String,
    #[serde(default = "per_minute")]
    per_minute: String,
    #[serde(default = "per_day")]
    per_day: String,
    #[serde(default)]
    hold: Option<String>,
    #[serde(default)]
    no_password: Option<String>,
    #[serde(default)]
    description: String,
}

fn per_minute() -> String {
    "600".into()
}

fn per_day() -> String {
    "100000".into()
}

pub(crate) async fn credentials(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let form = CredentialForm { per_minute: per_minute(), per_day: per_day(), ..CredentialForm::default() };
    page(&state, jar, &admin, StatusCode::OK, (None, query.notice(), None), form).await
}

async fn page(
    state: &AppState,
    jar: CookieJar,
    admin: &AdminUser,
    status: StatusCode,
    (password, notice, error): (Option<(String, String)>, Option<String>, Option<String>),
    form: CredentialForm,
) -> Result<Response, AppError> {
    let credentials = state.store().credentials().await?;
    let domains = state.store().sending_domain_names().await?;
    let (jar, frame) = Frame::issue(state, jar, admin);
    render(status, jar, CredentialsPage { frame, credentials, domains, password, notice, error, form })
}

/// The words of a fault, in `lang`.
pub(crate) fn fault(lang: i18n::Language, fault: &CredentialFault) -> String {
    match fault {
        CredentialFault::Username => lang.t("credential-fault-username"),
        CredentialFault::NoDomain => lang.t("credential-fault-no-domain"),
        CredentialFault::Domain(d) => lang.t1("credential-fault-domain", "value", format!("{d:?}")),
        CredentialFault::NoNetwork => lang.t("credential-fault-no-network"),
        CredentialFault::Limit => lang.t("credential-fault-limit"),
        CredentialFault::Description => lang.t("credential-fault-description"),
    }
}

/// The credential a form asks for (its password not yet made), or why not
/// in `lang`.
fn from_form(lang: i18n::Language, form: &CredentialForm) -> Result<(store::NewCredential, bool), String> {
    let words = |text: &str| -> Vec<String> {
        text.split([',', ' ', '\n', '\r', '\t']).map(str::trim).filter(|w| !w.is_empty()).map(str::to_owned).collect()
    };
    let mut networks = Vec::new();
    for word in words(&form.networks) {
        match word.parse::<ipnet::IpNet>().or_else(|_| word.parse::<std::net::IpAddr>().map(ipnet::IpNet::from)) {
            Ok(net) => networks.push(net.trunc()),
            Err(_) => return Err(lang.t1("credential-fault-network", "value", format!("{word:?}"))),
        }
    }
    let limit = |text: &str| text.trim().parse::<i32>().ok();
    let (Some(per_minute), Some(per_day)) = (limit(&form.per_minute), limit(&form.per_day)) else {
        return Err(lang.t("credential-fault-limit"));
    };
    let with_password = form.no_password.is_none();
    let (username, domains) = domain::credential::check(
        &form.username,
        &words(&form.domains),
        networks.len(),
        with_password,
        [per_minute, per_day],
        &form.description,
    )
    .map_err(|e| fault(lang, &e))?;
    let new = store::NewCredential {
        username,
        password_hash: None,
        description: form.description.trim().to_owned(),
        domains,
        networks,
        per_minute,
        per_day,
        hold: form.hold.is_some(),
    };
    Ok((new, with_password))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<CredentialForm>,
) -> Result<Response, AppError> {
    let lang = admin.language;
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    let (mut new, with_password) = match from_form(lang, &form) {
        Ok(checked) => checked,
        Err(error) => return page(&state, jar, &admin, refused, (None, None, Some(error)), form).await,
    };
    let password = with_password.then(message::secret::random_token);
    if let Some(p) = &password {
        new.password_hash = Some(crate::password::hash(p.clone()).await?);
    }
    let created = match state.store().create_credential(&new).await {
        Ok(created) => created,
        Err(store::StoreError::Conflict(_)) => {
            let error = Some(lang.t("credential-fault-taken"));
            return page(&state, jar, &admin, refused, (None, None, error), form).await;
        }
        Err(e) => return Err(e.into()),
    };
    match password {
        // Shown once, on this answer; never stored in clear or logged.
        Some(password) => {
            let notice = Some(lang.t1("credential-created", "username", &created.username));
            let shown = Some((created.username, password));
            page(&state, jar, &admin, StatusCode::OK, (shown, notice, None), CredentialForm::default()).await
        }
        None => {
            let notice = lang.t1("credential-created-network", "username", &created.username);
            Ok(Redirect::to(&format!("/credentials?notice={}", urlencode(&notice))).into_response())
        }
    }
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    let credential = state.store().credential(id).await?.ok_or(AppError::NotFound)?;
    state.store().revoke_credential(&credential.username).await?;
    let notice = admin.language.t1("credential-revoked", "username", &credential.username);
    Ok(Redirect::to(&format!("/credentials?notice={}", urlencode(&notice))).into_response())
}

pub(crate) async fn hold(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, AppError> {
    let credential = state.store().credential(id).await?.ok_or(AppError::NotFound)?;
    state.store().set_credential_hold(id, !credential.hold).await?;
    let key = if credential.hold { "credential-hold-off" } else { "credential-hold-on" };
    let notice = admin.language.t1(key, "username", &credential.username);
    Ok(Redirect::to(&format!("/credentials?notice={}", urlencode(&notice))).into_response())
}

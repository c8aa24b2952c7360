//! Dashboard pages of the audience: lists and the sandbox mailbox.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use domain::{ListVisibility, OptIn};
use serde::Deserialize;
use store::{List, NewList, OutboundMessage};

use crate::auth::AdminUser;
use crate::csrf::{self, CsrfForm};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "lists.html")]
struct ListsPage {
    csrf: String,
    email: String,
    public_url: String,
    lists: Vec<List>,
    error: Option<String>,
}

async fn lists_page(
    state: &AppState,
    jar: CookieJar,
    admin: AdminUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (jar, csrf) = csrf::issue(state, jar);
    let page = ListsPage {
        csrf,
        email: admin.email,
        public_url: state.config().public_url.clone(),
        lists: state.store().lists().await?,
        error,
    };
    Ok((status, jar, Html(page.render()?)).into_response())
}

pub(crate) async fn lists(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    lists_page(&state, jar, admin, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub(crate) struct ListForm {
    name: String,
    #[serde(default)]
    description: String,
    optin: String,
    visibility: String,
}

pub(crate) async fn create_list(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
    CsrfForm(form): CsrfForm<ListForm>,
) -> Result<Response, AppError> {
    let name = form.name.trim();
    let (Some(optin), Some(visibility)) = (OptIn::parse(&form.optin), ListVisibility::parse(&form.visibility)) else {
        return Err(AppError::BadRequest("Choose an opt-in and a visibility.".into()));
    };
    if name.is_empty() || name.chars().count() > 200 {
        let error = Some("A list needs a name of 1 to 200 characters.".to_string());
        return lists_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, error).await;
    }
    let new = NewList { name, description: form.description.trim(), visibility, optin };
    match state.store().create_list(&new).await {
        Ok(_) => lists_page(&state, jar, admin, StatusCode::OK, None).await,
        Err(store::StoreError::Conflict(_)) => {
            let error = Some(format!("A list named {name:?} exists already."));
            lists_page(&state, jar, admin, StatusCode::UNPROCESSABLE_ENTITY, error).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "sandbox.html")]
struct SandboxPage {
    csrf: String,
    email: String,
    messages: Vec<OutboundMessage>,
}

pub(crate) async fn sandbox(
    State(state): State<AppState>,
    jar: CookieJar,
    admin: AdminUser,
) -> Result<Response, AppError> {
    let (jar, csrf) = csrf::issue(&state, jar);
    let page = SandboxPage { csrf, email: admin.email, messages: state.store().outbound_messages(200).await? };
    Ok((jar, Html(page.render()?)).into_response())
}

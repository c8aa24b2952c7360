//! One error type for every handler, page or API. What the person sent
//! becomes a 4xx with its message (and, for the API, the field at fault);
//! anything internal becomes a 500 with a generic text, its cause logged
//! once here. A page gets the error as HTML; the API router turns the same
//! error into JSON (`as_json`), so handlers never choose.

use std::borrow::Cow;

use askama::Template;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use i18n::Language;

#[derive(Debug)]
pub enum AppError {
    /// The request is wrong in a way the user can fix; the text says how.
    BadRequest(String),
    /// Well formed but cannot be carried out; `field` names the part of
    /// the request at fault (`email`, `filter.and[1]`) when there is one.
    Unprocessable {
        message: String,
        field: Option<String>,
    },
    /// It would duplicate what exists ("a list with this name already exists").
    Conflict(String),
    /// A request body the API cannot read (its status from the extractor).
    Unreadable {
        status: StatusCode,
        message: String,
        field: String,
    },
    /// Login required (pages redirect, the API answers 401).
    Unauthorized,
    Forbidden(&'static str),
    /// The caller's role (or token) does not grant this; the text says which.
    NotAllowed(String),
    NotFound,
    /// A named thing that does not exist ("campaign not found").
    Missing(String),
    TooManyRequests(String),
    /// A failure of the server; the cause is logged, never shown.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

pub(crate) type AppResult<T> = Result<T, AppError>;

/// What is wrong with what a person sent (a form, an upload, an API body),
/// in a sentence they can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(String);

impl From<String> for Invalid {
    fn from(sentence: String) -> Self {
        Self(sentence)
    }
}

impl From<&str> for Invalid {
    fn from(sentence: &str) -> Self {
        Self(sentence.to_owned())
    }
}

impl From<Invalid> for String {
    fn from(invalid: Invalid) -> Self {
        invalid.0
    }
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        Self::BadRequest(invalid.0)
    }
}

impl AppError {
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// A request field at fault, with what is wrong with it.
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Unprocessable { message: message.into(), field: Some(field.into()) }
    }

    /// A request that is well formed but cannot be carried out.
    pub(crate) fn unprocessable(message: impl Into<String>) -> Self {
        Self::Unprocessable { message: message.into(), field: None }
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::Missing(format!("{what} not found"))
    }

    /// The status, a title for a page (in `lang`), the message, and the
    /// field at fault.
    fn parts(&self, lang: Language) -> (StatusCode, String, Cow<'_, str>, Option<&str>) {
        let title = |key: &str| lang.t(key);
        let said = |key: &str| Cow::Owned(lang.t(key));
        match self {
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, title("error-bad-request"), m.into(), None),
            Self::Unprocessable { message, field } => {
                (StatusCode::UNPROCESSABLE_ENTITY, title("error-cannot-be-done"), message.into(), field.as_deref())
            }
            Self::Conflict(m) => (StatusCode::CONFLICT, title("error-already-there"), m.into(), None),
            Self::Unreadable { status, message, field } => {
                (*status, title("error-bad-request"), message.into(), Some(field))
            }
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, title("error-login-required"), said("error-log-in"), None),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, title("error-forbidden"), (*m).into(), None),
            Self::NotAllowed(m) => (StatusCode::FORBIDDEN, title("error-not-allowed"), m.into(), None),
            Self::NotFound => (StatusCode::NOT_FOUND, title("error-not-found"), said("error-nothing-here"), None),
            Self::Missing(m) => (StatusCode::NOT_FOUND, title("error-not-found"), m.into(), None),
            Self::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, title("error-too-many"), m.into(), None),
            Self::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, title("error-went-wrong"), said("error-logged"), None)
            }
        }
    }
}

tokio::task_local! {
    /// The language of the request being answered, for its error page or
    /// JSON error and the sentences made for it (set by `speak`, and by
    /// `AdminUser` to the admin's own).
    static LANGUAGE: std::cell::Cell<Language>;
}

/// Answers the request in the language its browser or client asks for
/// (`Accept-Language`), or a signed-in admin's own: an error or sentence
/// made anywhere below is worded in it.
pub(crate) async fn speak(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let language = crate::auth::browser_language(request.headers());
    LANGUAGE.scope(std::cell::Cell::new(language), next.run(request)).await
}

/// The request is a signed-in admin's: it speaks their language.
pub(crate) fn speak_in(language: Language) {
    let _ = LANGUAGE.try_with(|l| l.set(language));
}

/// The language the request being answered asks for (`Accept-Language`):
/// errors, and what the API says, are worded in it.
pub(crate) fn request_language() -> Language {
    LANGUAGE.try_with(std::cell::Cell::get).unwrap_or_default()
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            store::StoreError::NotFound(what) => Self::not_found(what),
            store::StoreError::Filter(e) => Self::field(&e.path, e.message),
            store::StoreError::Refused(why) => Self::unprocessable(why),
            other => Self::internal(other),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::internal(format!("rendering a page failed: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    lang: Language,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            let mut chain = cause.to_string();
            let mut source = cause.source();
            while let Some(inner) = source {
                chain.push_str(": ");
                chain.push_str(&inner.to_string());
                source = inner.source();
            }
            tracing::error!(cause = chain, "request failed");
        }
        let lang = request_language();
        let (status, title, message, field) = self.parts(lang);
        let json = match (&self, field) {
            (Self::Internal(_), _) => serde_json::json!({ "error": lang.t("error-internal") }),
            (Self::Unauthorized, _) => {
                serde_json::json!({ "error": lang.t("error-token-required") })
            }
            (_, Some(field)) => serde_json::json!({ "error": &*message, "field": field }),
            (_, None) => serde_json::json!({ "error": &*message }),
        };
        let mut response = match (ErrorPage { title: &title, message: &message, lang }).render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message.to_string()).into_response(),
        };
        response.extensions_mut().insert(JsonBody(json));
        response
    }
}

/// The JSON answer of an error, kept beside its page until the router
/// decides which one goes out.
#[derive(Clone)]
struct JsonBody(serde_json::Value);

/// For the API: an error's JSON answer instead of its page (a layer on
/// the API router, `axum::middleware::map_response`).
pub(crate) async fn as_json(mut response: Response) -> Response {
    let Some(JsonBody(json)) = response.extensions_mut().remove::<JsonBody>() else { return response };
    let (mut parts, _) = response.into_parts();
    let (json_parts, body) = Json(json).into_response().into_parts();
    if let Some(kind) = json_parts.headers.get(header::CONTENT_TYPE) {
        parts.headers.insert(header::CONTENT_TYPE, kind.clone());
    }
    if parts.status == StatusCode::UNAUTHORIZED {
        parts.headers.insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    }
    Response::from_parts(parts, body)
}

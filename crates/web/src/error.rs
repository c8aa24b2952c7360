//! One error type for every handler. Bad input becomes a 4xx page with its
//! message; anything internal becomes a 500 with a generic text, its cause
//! logged once here.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug)]
pub enum AppError {
    /// The request is wrong in a way the user can fix; the text says how.
    BadRequest(String),
    /// Login required (pages redirect, the API answers 401).
    Unauthorized,
    Forbidden(&'static str),
    /// The caller's role (or token) does not grant this; the text says which.
    NotAllowed(String),
    NotFound,
    TooManyRequests(String),
    /// A failure of the server; the cause is logged, never shown.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

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
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Conflict(what) => Self::BadRequest(format!("{what} already exists")),
            store::StoreError::NotFound(_) => Self::NotFound,
            store::StoreError::Refused(why) => Self::BadRequest(why),
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
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m.as_str()),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "Login required", "Log in to continue."),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, "Forbidden", *m),
            Self::NotAllowed(m) => (StatusCode::FORBIDDEN, "Not allowed", m.as_str()),
            Self::NotFound => (StatusCode::NOT_FOUND, "Not found", "There is nothing at this address."),
            Self::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts", m.as_str()),
            Self::Internal(cause) => {
                let mut chain = cause.to_string();
                let mut source = cause.source();
                while let Some(inner) = source {
                    chain.push_str(": ");
                    chain.push_str(&inner.to_string());
                    source = inner.source();
                }
                tracing::error!(cause = chain, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The error has been logged. Please try again.",
                )
            }
        };
        match (ErrorPage { title, message }).render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message.to_string()).into_response(),
        }
    }
}

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
    Internal(String),
}

impl AppError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
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
                tracing::error!(%cause, "request failed");
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

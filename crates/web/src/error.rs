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
    /// Refused whoever asks; the catalog key of the reason (`err-…`).
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

    /// `what` ("list", "sending domain") was not found, said in the
    /// request's language.
    pub(crate) fn not_found(what: &str) -> Self {
        let lang = request_language();
        let thing = thing_key(what).map_or_else(|| what.to_owned(), |key| lang.t(key));
        Self::Missing(lang.t1("err-not-found", "what", thing))
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
            Self::Forbidden(key) => (StatusCode::FORBIDDEN, title("error-forbidden"), said(key), None),
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

/// The language a browser asks for (`Accept-Language`), English when it
/// asks for none of ours.
pub(crate) fn browser_language(headers: &axum::http::HeaderMap) -> i18n::Language {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(i18n::Language::from_accept_language)
        .unwrap_or_default()
}

/// What is wrong with typed text, in `lang`: `contains a line break
/// (U+000A) at character 3` (the words of `TextError`'s own message).
pub(crate) fn text_fault(lang: i18n::Language, e: &domain::text::TextError) -> String {
    let c = e.what.0;
    let name = match c {
        '\r' => "subscriber-char-carriage-return",
        '\n' => "subscriber-char-line-break",
        '\t' => "subscriber-char-tab",
        '\0' => "subscriber-char-nul",
        '\u{2028}' | '\u{2029}' => "subscriber-char-line-separator",
        _ => "subscriber-char-control",
    };
    let what = format!("{} (U+{:04X})", lang.t(name), u32::from(c));
    lang.t2("subscriber-text-fault", "what", what, "position", e.position)
}

/// Why an address is not valid, in `lang` (the words of `EmailError`'s
/// own message).
pub(crate) fn email_fault(lang: i18n::Language, e: &domain::EmailError) -> String {
    use domain::EmailError;
    match e {
        EmailError::Empty => lang.t("subscriber-email-empty"),
        EmailError::TooLong => lang.t("subscriber-email-too-long"),
        EmailError::MissingAt => lang.t("subscriber-email-no-at"),
        EmailError::BadLocalPart => lang.t("subscriber-email-bad-local-part"),
        EmailError::BadLocalChar(c) => lang.t1("subscriber-email-bad-local-char", "char", format!("{c:?}")),
        EmailError::BadDomain(d) => lang.t1("subscriber-email-bad-domain", "domain", format!("{d:?}")),
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
    let language = browser_language(request.headers());
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
        let lang = request_language();
        match e {
            store::StoreError::Conflict(what) => Self::Conflict(match key_of(&CONFLICTS, what) {
                Some(key) => lang.t(key),
                None => lang.t1("err-conflict", "what", what),
            }),
            store::StoreError::NotFound(what) => Self::not_found(what),
            // The filter's own words come from the store (English).
            store::StoreError::Filter(e) => Self::field(&e.path, e.message),
            store::StoreError::Refused(why) => Self::unprocessable(match key_of(&REFUSALS, &why) {
                Some(key) => lang.t(key),
                None => why,
            }),
            other => Self::internal(other),
        }
    }
}

/// The things the store or a handler says were not found
/// (`StoreError::NotFound`, `AppError::not_found`), each with the catalog's
/// name for it; one not here is said in English.
const THINGS: [(&str, &str); 19] = [
    ("admin", "err-thing-admin"),
    ("list", "err-thing-list"),
    ("subscriber", "err-thing-subscriber"),
    ("list or subscriber", "err-thing-list-or-subscriber"),
    ("campaign", "err-thing-campaign"),
    ("campaign that is not sending", "err-thing-campaign-not-sending"),
    ("layout", "err-thing-layout"),
    ("list or segment", "err-thing-list-or-segment"),
    ("sequence", "err-thing-sequence"),
    ("step", "err-thing-step"),
    ("endpoint", "err-thing-endpoint"),
    ("segment", "err-thing-segment"),
    ("subscription", "err-thing-subscription"),
    ("suppression", "err-thing-suppression"),
    ("import", "err-thing-import"),
    ("sending domain", "err-thing-sending-domain"),
    ("message", "err-thing-message"),
    ("transactional template", "err-thing-tx-template"),
    ("credential", "err-thing-credential"),
];

/// What a `StoreError::Conflict` names, each with the catalog's whole
/// sentence for it ("`what` already exists" in English).
const CONFLICTS: [(&str, &str); 14] = [
    ("an admin with this email", "err-exists-admin-email"),
    ("a list with this name", "err-exists-list-name"),
    ("a subscriber with this email", "err-exists-subscriber-email"),
    ("a campaign that is no longer a draft: it", "err-exists-not-draft"),
    ("an active sequence: it", "err-exists-active-sequence"),
    ("an endpoint with this URL", "err-exists-endpoint-url"),
    ("a segment with this name", "err-exists-segment-name"),
    ("this suppression", "err-exists-suppression"),
    ("this domain", "err-exists-domain"),
    ("this selector", "err-exists-selector"),
    ("a layout or segment that no longer exists", "err-exists-gone-layout-or-segment"),
    ("a layout with this name", "err-exists-layout-name"),
    ("a campaign using this layout", "err-exists-layout-in-use"),
    ("a transactional template of that name", "err-exists-tx-template-name"),
];

/// The store's refusals (`StoreError::Refused`) the catalogs word.
const REFUSALS: [(&str, &str); 2] = [
    ("the team needs at least one owner", "err-refused-owner"),
    ("the text contains a NUL character, which cannot be stored", "err-refused-nul"),
];

fn key_of(table: &[(&str, &'static str)], english: &str) -> Option<&'static str> {
    table.iter().find(|(phrase, _)| *phrase == english).map(|(_, key)| *key)
}

fn thing_key(what: &str) -> Option<&'static str> {
    key_of(&THINGS, what)
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

#[cfg(test)]
mod tests {
    use super::*;
    use i18n::Language::{English, Japanese};

    #[test]
    fn the_stores_words_stay_the_same_in_english_and_are_translated() {
        for (what, key) in THINGS {
            assert_eq!(English.t1("err-not-found", "what", English.t(key)), format!("{what} not found"));
            assert!(!Japanese.t(key).is_ascii(), "{key}");
        }
        for (what, key) in CONFLICTS {
            assert_eq!(English.t(key), format!("{what} already exists"));
            assert!(!Japanese.t(key).is_ascii(), "{key}");
        }
        for (why, key) in REFUSALS {
            assert_eq!(English.t(key), why);
        }
        // Outside a request, English; an unknown thing is named as it is.
        let AppError::Missing(said) = AppError::not_found("widget") else { panic!("not Missing") };
        assert_eq!(said, "widget not found");
        let AppError::Conflict(said) = AppError::from(store::StoreError::Conflict("a list with this name")) else {
            panic!("not Conflict")
        };
        assert_eq!(said, "a list with this name already exists");
    }
}

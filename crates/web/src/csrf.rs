//! CSRF protection for every state-changing dashboard form.
//!
//! A form carries a hidden `csrf` field: an HMAC, under the server key, of a
//! cookie the attacker's page cannot read — the session cookie when logged
//! in, otherwise a random pre-session cookie. Handlers that change state take
//! [`CsrfForm`], which refuses (403) a request whose field does not match.
//! The RFC 8058 one-click unsubscribe is the single exception, by design: it
//! is authenticated by its signed token instead.

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::CookieName;
use crate::secret::random_token;

/// What a refused form is told (the catalog key, for `AppError::Forbidden`).
pub(crate) const EXPIRED: &str = "err-form-expired";
const PURPOSE: &str = "csrf";

/// The token to put in a form, and the cookie jar to send back with the page
/// (it gains a pre-session cookie when the browser had neither cookie).
pub(crate) fn issue(state: &AppState, jar: CookieJar) -> (CookieJar, String) {
    let bound = bound_cookie(state, &jar).map(|c| c.value().to_string());
    match bound {
        Some(value) => {
            let token = state.key().sign(PURPOSE, value.as_bytes());
            (jar, token)
        }
        None => {
            let value = random_token();
            let token = state.key().sign(PURPOSE, value.as_bytes());
            (jar.add(CookieName::PreSession.cookie(state, value)), token)
        }
    }
}

/// Whether `token` was issued for this request's session cookie or, when it
/// has none, for its pre-session cookie. A pre-session token never passes
/// next to a session cookie: a cookie planted by a sibling site cannot act
/// for the logged-in admin.
pub(crate) fn is_valid(state: &AppState, jar: &CookieJar, token: &str) -> bool {
    bound_cookie(state, jar).is_some_and(|cookie| state.key().verify(PURPOSE, cookie.value().as_bytes(), token))
}

/// The cookie forms are bound to: the session's, else the pre-session one.
fn bound_cookie<'j>(state: &AppState, jar: &'j CookieJar) -> Option<&'j Cookie<'static>> {
    jar.get(CookieName::Session.of(state)).or_else(|| jar.get(CookieName::PreSession.of(state)))
}

/// A multipart form (a file upload), read field by field. Its CSRF token
/// must come first, as the hidden field forms start with: a form without a
/// valid one is refused before any other field is read.
pub(crate) struct CsrfMultipart<'s> {
    state: &'s AppState,
    jar: &'s CookieJar,
    form: axum::extract::Multipart,
    checked: bool,
}

impl<'s> CsrfMultipart<'s> {
    pub(crate) fn new(state: &'s AppState, jar: &'s CookieJar, form: axum::extract::Multipart) -> Self {
        Self { state, jar, form, checked: false }
    }

    /// The next field after the token.
    pub(crate) async fn next_field(&mut self) -> Result<Option<axum::extract::multipart::Field<'_>>, crate::AppError> {
        if !self.checked {
            let token = match self.form.next_field().await.map_err(upload_failed)? {
                Some(field) if field.name() == Some("csrf") => field.text().await.map_err(upload_failed)?,
                _ => String::new(),
            };
            if !is_valid(self.state, self.jar, &token) {
                return Err(crate::AppError::Forbidden(EXPIRED));
            }
            self.checked = true;
        }
        self.form.next_field().await.map_err(upload_failed)
    }
}

/// An upload that broke off or is not a multipart form.
pub(crate) fn upload_failed(e: axum::extract::multipart::MultipartError) -> crate::AppError {
    crate::AppError::BadRequest(crate::error::request_language().t1("err-upload-failed", "error", e))
}

/// A urlencoded form whose `csrf` field was checked.
pub(crate) struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

pub(crate) enum CsrfRejection {
    Forbidden,
    Incomplete(String),
    Body(axum::extract::rejection::BytesRejection),
}

impl IntoResponse for CsrfRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Forbidden => crate::AppError::Forbidden(EXPIRED).into_response(),
            Self::Incomplete(e) => {
                let said = crate::error::request_language().t1("err-form-incomplete", "error", e);
                (StatusCode::UNPROCESSABLE_ENTITY, said).into_response()
            }
            Self::Body(e) => e.into_response(),
        }
    }
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = CsrfRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let jar = CookieJar::from_headers(req.headers());
        let bytes = axum::body::Bytes::from_request(req, &state).await.map_err(CsrfRejection::Body)?;
        let field: CsrfField = serde_urlencoded_form(&bytes)?;
        if !is_valid(&state, &jar, &field.csrf) {
            tracing::warn!("refused a form without a valid CSRF token");
            return Err(CsrfRejection::Forbidden);
        }
        Ok(Self(serde_urlencoded_form(&bytes)?))
    }
}

fn serde_urlencoded_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CsrfRejection> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| CsrfRejection::Incomplete(e.to_string()))
}

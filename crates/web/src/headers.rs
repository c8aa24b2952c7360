//! Security headers on every answer.
//!
//! - The dashboard and the subscribers' pages may load only their own
//!   scripts, styles and images, may not be framed by other sites, and may
//!   post forms only to themselves (`Content-Security-Policy`,
//!   `X-Frame-Options`). The hosted signup form may be framed anywhere: it
//!   is meant to be embedded. An answer that brings its own policy (a
//!   campaign preview, which is sandboxed) keeps it.
//! - Nothing is guessed from content (`nosniff`); the dashboard sends its
//!   address only to itself, subscribers' pages to nobody (their links carry
//!   tokens).
//! - Nothing but the stylesheet and scripts is kept in a cache: pages show
//!   tokens, secrets and exports once.
//! - Served over https, browsers are told to stay on it (HSTS).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// The policy of every page that does not bring its own.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                      object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The same for the embeddable signup form: any site may frame it.
const EMBEDDABLE: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                          object-src 'none'; base-uri 'none'; form-action 'self'";

/// Paths of pages a subscriber reaches by a signed link or a form.
fn for_subscribers(path: &str) -> bool {
    ["/s/", "/c/", "/u/", "/p/", "/t/"].iter().any(|p| path.starts_with(p))
}

pub(crate) async fn secure(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let referrer = if for_subscribers(&path) { "no-referrer" } else { "same-origin" };
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if path.starts_with("/s/") {
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(EMBEDDABLE));
        } else {
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
    }
    let cache = if path.starts_with("/static/") { "public, max-age=3600" } else { "no-store" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if state.https() {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// A request that changes something and carries cookies must come from a
/// page of this site: browsers send `Origin` with every such request, and
/// another site's page cannot make it name ours. This is a second layer
/// behind the forms' CSRF tokens. Requests without cookies (the API with
/// its bearer tokens) or without `Origin` are left to those.
pub(crate) async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    use axum::http::Method;
    use axum::response::IntoResponse;
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes
        && request.headers().contains_key(header::COOKIE)
        && let Some(origin) = request.headers().get(header::ORIGIN)
    {
        let origin = origin.to_str().unwrap_or("null");
        let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
        let ours = origin_of(&state.config().public_url);
        let this_host = origin.split_once("://").map(|(_, authority)| authority);
        if origin != ours && (host.is_none() || this_host != host) {
            tracing::warn!(origin, "refused a request from another site");
            return crate::AppError::Forbidden("err-other-site").into_response();
        }
    }
    next.run(request).await
}

/// `https://news.example.com` of `https://news.example.com/path`.
fn origin_of(url: &str) -> &str {
    match url.split_once("://") {
        Some((scheme, rest)) => &url[..scheme.len() + 3 + rest.find('/').unwrap_or(rest.len())],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_origin_is_scheme_host_and_port() {
        assert_eq!(super::origin_of("https://news.example.com/x/y"), "https://news.example.com");
        assert_eq!(super::origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}

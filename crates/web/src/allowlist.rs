//! The optional admin IP allowlist: when configured, the dashboard, the API
//! and the metrics answer 403 to every client outside it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{AppError, AppState};

pub(crate) async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let allowlist = &state.config().admin_allowlist;
    if allowlist.is_empty() {
        return next.run(request).await;
    }
    let trusted = &state.config().trusted_proxies;
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| crate::auth::client_ip(addr.ip(), request.headers(), trusted));
    match peer {
        Some(ip) if is_allowed(allowlist, ip) => next.run(request).await,
        _ => {
            tracing::warn!(peer = ?peer, path = %request.uri().path(), "refused a client outside the admin allowlist");
            AppError::Forbidden("err-not-on-allowlist").into_response()
        }
    }
}

fn is_allowed(allowlist: &[ipnet::IpNet], ip: IpAddr) -> bool {
    let ip = crate::auth::unmap(ip);
    allowlist.iter().any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter().filter_map(|n| n.parse().ok()).collect()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        use axum::http::HeaderMap;
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let proxies = nets(&["10.0.0.0/8"]);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "198.51.100.7, 203.0.113.9, 10.0.0.2".parse().unwrap_or_else(|_| unreachable!()),
        );
        // From the proxy: the rightmost address that is not a proxy.
        assert_eq!(crate::auth::client_ip(ip("10.0.0.1"), &headers, &proxies), ip("203.0.113.9"));
        // From anyone else: the header is ignored.
        assert_eq!(crate::auth::client_ip(ip("192.0.2.1"), &headers, &proxies), ip("192.0.2.1"));
        assert_eq!(crate::auth::client_ip(ip("10.0.0.1"), &HeaderMap::new(), &proxies), ip("10.0.0.1"));
    }

    #[test]
    fn matches_networks_and_mapped_addresses() {
        let list = nets(&["10.0.0.0/8", "2001:db8::/32"]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert!(is_allowed(&list, ip("10.1.2.3")));
        assert!(is_allowed(&list, ip("::ffff:10.1.2.3")));
        assert!(is_allowed(&list, ip("2001:db8::1")));
        assert!(!is_allowed(&list, ip("127.0.0.1")));
        assert!(!is_allowed(&list, ip("192.0.2.1")));
    }
}

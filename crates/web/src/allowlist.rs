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
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
    match peer {
        Some(ip) if is_allowed(allowlist, ip) => next.run(request).await,
        _ => {
            tracing::warn!(peer = ?peer, path = %request.uri().path(), "refused a client outside the admin allowlist");
            AppError::Forbidden("Your address is not allowed to use the ninsho dashboard.").into_response()
        }
    }
}

/// IPv4 clients arriving on an IPv6 socket (`::ffff:a.b.c.d`) are matched as
/// the IPv4 address they are.
fn is_allowed(allowlist: &[ipnet::IpNet], ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    allowlist.iter().any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter().filter_map(|n| n.parse().ok()).collect()
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

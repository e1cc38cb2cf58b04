//! Which address a request came from: the connection's peer, or, when the
//! peer is one of the configured reverse proxies (`--trusted-proxy`), the
//! address that proxy says it forwarded for (`X-Forwarded-For`). Only a
//! trusted peer is believed, and only as far as the chain of trusted
//! proxies goes: the rightmost address that is not one of them is the
//! client, so a client cannot pick its own address by sending the header.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// The client of a request from `peer` with `headers`, given the
/// `trusted` proxies.
pub fn client_addr(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|hop| hop.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|hop| !trusted.contains(hop))
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_only_past_itself() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        let headers = forwarded("6.6.6.6, 203.0.113.7, 10.0.0.3");
        // From the proxy: the rightmost address that is not a proxy.
        assert_eq!(
            client_addr(Some(proxy), &headers, &trusted),
            Some(ip("203.0.113.7"))
        );
        // From anyone else the header is ignored.
        let stranger = ip("198.51.100.1");
        assert_eq!(
            client_addr(Some(stranger), &headers, &trusted),
            Some(stranger)
        );
        assert_eq!(
            client_addr(Some(proxy), &HeaderMap::new(), &trusted),
            Some(proxy)
        );
        assert_eq!(
            client_addr(Some(proxy), &forwarded("nonsense"), &trusted),
            Some(proxy)
        );
        assert_eq!(client_addr(Some(stranger), &headers, &[]), Some(stranger));
        assert_eq!(client_addr(None, &headers, &trusted), None);
    }
}

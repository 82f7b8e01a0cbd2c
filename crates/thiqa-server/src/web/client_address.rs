//! The client's address, as rate limits and journaled events record it.
//!
//! The TCP peer is the client unless it is one of the configured
//! `trusted_proxies`: only then does the `Forwarded` (RFC 7239) or
//! `X-Forwarded-For` header speak, read from the right (the nearest hop)
//! and skipping trusted proxies, so a client cannot name itself someone else
//! by sending the header.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

use crate::config::TrustedProxies;

/// Hops read from a forwarding header at most; more is an attack.
const MAX_HOPS: usize = 32;

/// The client address of a request, as text for events and rate-limit keys.
pub fn client_address(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<String> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(resolve(peer, headers, trusted).to_string())
}

fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    if trusted.is_empty() || !trusted.trusts(peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            // An obfuscated or unknown hop: the last address we could
            // check is the best we know.
            None => return client,
            Some(ip) if trusted.trusts(*ip) => client = *ip,
            Some(ip) => return *ip,
        }
    }
    client
}

/// The `for` addresses of `Forwarded`, or else of `X-Forwarded-For`, left
/// (the original client) to right (the nearest proxy); `None` for a hop
/// that is not an address.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .take(MAX_HOPS)
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_node(v))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .take(MAX_HOPS)
        .map(parse_node)
        .collect()
}

/// `192.0.2.43`, `"192.0.2.43:47011"`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = v.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    v.strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProxyNet;

    fn trusted(nets: &[&str]) -> TrustedProxies {
        TrustedProxies(nets.iter().map(|n| ProxyNet::parse(n).unwrap()).collect())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_headers_are_ignored() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            resolve(ip("198.51.100.4"), &h, &TrustedProxies::default()),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_name_another_client() {
        let h = headers(&[("forwarded", "for=203.0.113.9")]);
        let t = trusted(&["10.0.0.0/8"]);
        assert_eq!(resolve(ip("198.51.100.4"), &h, &t), ip("198.51.100.4"));
    }

    #[test]
    fn a_trusted_proxy_names_the_first_untrusted_hop_from_the_right() {
        let t = trusted(&["10.0.0.0/8"]);
        // The client forged the leftmost entry; the proxy appended the real one.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &t), ip("203.0.113.9"));
        let h = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &t), ip("2001:db8::7"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_unknown_hops_stop_the_walk() {
        let t = trusted(&["10.0.0.0/8"]);
        let h = headers(&[
            ("forwarded", "for=unknown, for=10.0.0.3"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &t), ip("10.0.0.3"));
        let h = headers(&[]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &t), ip("10.0.0.1"));
    }
}

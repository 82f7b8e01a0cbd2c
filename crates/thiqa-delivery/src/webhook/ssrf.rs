//! The SSRF guard. A webhook URL is typed by a customer; without a guard,
//! Thiqa would post to its own database, a cloud metadata service
//! (169.254.169.254) or an admin page on the provider's network, and tell
//! the customer what answered. Two checks: the URL when it is saved and
//! again before each send ([`check_url`]), and every address that a name
//! resolves to at connection time ([`is_public_ip`], used by the client's
//! resolver), since a name can point anywhere and change between the two.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Longest URL accepted, as most browsers and proxies do.
pub const MAX_URL_LEN: usize = 2048;

/// Why a webhook URL is refused; each names one problem, for a clear 4xx
/// message to the customer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error("the URL cannot be read: {0}")]
    Invalid(String),
    #[error("the URL must start with https://")]
    NotHttps,
    #[error("the URL must not hold a user name or password")]
    UserInfo,
    #[error("the URL has no host name")]
    NoHost,
    #[error("the URL points to a private, local or reserved address")]
    PrivateAddress,
}

/// Checks a webhook URL and returns it parsed. `allow_private` (tests, or a
/// deployment whose receivers are on its own network) admits `http://` and
/// private addresses; it never admits other schemes or credentials.
pub fn check_url(text: &str, allow_private: bool) -> Result<Url, UrlProblem> {
    let text = text.trim();
    if text.len() > MAX_URL_LEN {
        return Err(UrlProblem::TooLong);
    }
    let url = Url::parse(text).map_err(|e| UrlProblem::Invalid(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(UrlProblem::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::UserInfo);
    }
    let public = match url.host() {
        None => return Err(UrlProblem::NoHost),
        Some(Host::Ipv4(ip)) => is_public_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_public_ip(IpAddr::V6(ip)),
        // Names are checked again once resolved; `localhost` is refused
        // now, for a clear message (RFC 6761: always the loopback).
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name != "localhost" && !name.ends_with(".localhost")
        }
    };
    if !public && !allow_private {
        return Err(UrlProblem::PrivateAddress);
    }
    Ok(url)
}

/// Whether an address is on the public internet: not loopback, private,
/// shared (CGNAT), link-local, unique-local, unspecified, multicast,
/// broadcast, documentation, benchmarking or reserved; IPv6 forms that carry
/// an IPv4 address (mapped, NAT64, 6to4) are judged by it, except the
/// local-use NAT64 prefix `64:ff9b:1::/48`, whose translator is the
/// operator's own and may lead anywhere inside: refused whole.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0                                // "this network", 0.0.0.0
        || a == 10                                      // private
        || a == 127                                     // loopback
        || (a == 100 && (64..128).contains(&b))         // shared address space (CGNAT)
        || (a == 169 && b == 254)                       // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))          // private
        || (a == 192 && b == 0 && c == 0)               // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)               // documentation
        || (a == 192 && b == 88 && c == 99)             // 6to4 relay anycast
        || (a == 192 && b == 168)                       // private
        || (a == 198 && (18..20).contains(&b))          // benchmarking
        || (a == 198 && b == 51 && c == 100)            // documentation
        || (a == 203 && b == 0 && c == 113)             // documentation
        || a >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let refused = ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xff00) == 0xff00                    // multicast
        || (s[0] & 0xffc0) == 0xfe80                    // link-local
        || (s[0] & 0xffc0) == 0xfec0                    // site-local (deprecated)
        || (s[0] & 0xfe00) == 0xfc00                    // unique local
        || (s[0] == 0x2001 && s[1] == 0x0db8)           // documentation
        || (s[0] == 0x2001 && s[1] == 0)                // Teredo tunnels
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 (RFC 8215)
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])     // discard-only
        || s[0] == 0; // other ::/16 forms: reserved
    !refused
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`) address: where the
/// packet really goes. (IPv4-compatible `::a.b.c.d` is deprecated and
/// refused whole, with the rest of `::/16`.)
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_addresses_and_credentials_are_refused() {
        for (url, problem) in [
            ("http://127.0.0.1/hook", UrlProblem::NotHttps),
            ("http://[::1]/hook", UrlProblem::NotHttps),
            ("http://10.0.0.1/hook", UrlProblem::NotHttps),
            ("https://127.0.0.1/hook", UrlProblem::PrivateAddress),
            ("https://[::1]/hook", UrlProblem::PrivateAddress),
            ("https://10.0.0.1/hook", UrlProblem::PrivateAddress),
            (
                "https://169.254.169.254/latest/meta-data/",
                UrlProblem::PrivateAddress,
            ),
            ("https://[::ffff:127.0.0.1]/", UrlProblem::PrivateAddress),
            ("https://[::ffff:a9fe:a9fe]/", UrlProblem::PrivateAddress),
            ("https://[fd00::1]/", UrlProblem::PrivateAddress),
            ("https://[fe80::1]/", UrlProblem::PrivateAddress),
            ("https://[64:ff9b::10.0.0.1]/", UrlProblem::PrivateAddress),
            ("https://[2002:c0a8:0101::1]/", UrlProblem::PrivateAddress),
            ("https://0.0.0.0/", UrlProblem::PrivateAddress),
            ("https://2130706433/", UrlProblem::PrivateAddress), // 127.0.0.1 in decimal
            ("https://0x7f.1/", UrlProblem::PrivateAddress),
            ("https://localhost/", UrlProblem::PrivateAddress),
            ("https://api.localhost./", UrlProblem::PrivateAddress),
            ("https://224.0.0.1/", UrlProblem::PrivateAddress),
            ("https://user:pw@x.ma/hook", UrlProblem::UserInfo),
            ("https://user@x.ma/hook", UrlProblem::UserInfo),
            ("ftp://x.ma/hook", UrlProblem::NotHttps),
            ("file:///etc/passwd", UrlProblem::NotHttps),
        ] {
            assert_eq!(check_url(url, false).err(), Some(problem), "{url}");
        }
        assert!(matches!(
            check_url("hooks.example.ma", false),
            Err(UrlProblem::Invalid(_))
        ));
        let long = format!("https://hooks.example.ma/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(check_url(&long, false).err(), Some(UrlProblem::TooLong));
    }

    #[test]
    fn public_https_urls_are_accepted() {
        let url = check_url("https://hooks.example.ma/thiqa?t=1", false).expect("accepted");
        assert_eq!(url.host_str(), Some("hooks.example.ma"));
        assert!(check_url("https://8.8.8.8/", false).is_ok());
        assert!(check_url("https://[2a00:1450:4007::1]/", false).is_ok());
        assert!(check_url("https://[::ffff:8.8.8.8]/", false).is_ok());
    }

    #[test]
    fn allow_private_admits_http_and_inside_addresses_but_not_credentials() {
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(check_url("http://[::1]/hook", true).is_ok());
        assert!(check_url("https://10.0.0.1/", true).is_ok());
        assert_eq!(
            check_url("http://u:p@127.0.0.1/", true).err(),
            Some(UrlProblem::UserInfo)
        );
        assert_eq!(
            check_url("ftp://127.0.0.1/", true).err(),
            Some(UrlProblem::NotHttps)
        );
    }

    #[test]
    fn address_classes() {
        let public = [
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.0.1",
            "172.32.0.1",
            "2a01:e0a::1",
        ];
        for ip in public {
            assert!(is_public_ip(ip.parse().expect("ip")), "{ip}");
        }
        let refused = [
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "127.8.8.8",
            "169.254.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.1",
            "203.0.113.1",
            "239.1.1.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "ff02::1",
            "fe80::1",
            "fec0::1",
            "fc00::1",
            "fdff::1",
            "2001:db8::1",
            "2001::1",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::a00:1",
            "64:ff9b:1::808:808",
            "2002:7f00:1::",
            "100::1",
        ];
        for ip in refused {
            assert!(!is_public_ip(ip.parse().expect("ip")), "{ip}");
        }
    }
}

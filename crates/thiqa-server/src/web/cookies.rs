//! Reading and writing cookies. Every cookie Thiqa sets is HttpOnly and
//! SameSite=Strict, and Secure when the listener serves TLS.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A session-lifetime cookie (no Max-Age: gone when the browser closes).
pub fn set(headers: &mut HeaderMap, name: &str, value: &str, secure: bool) {
    push(
        headers,
        format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Strict{}",
            secure_attr(secure)
        ),
    );
}

/// A cookie kept for `max_age_s` seconds (language preference).
pub fn set_persistent(
    headers: &mut HeaderMap,
    name: &str,
    value: &str,
    secure: bool,
    max_age_s: i64,
) {
    push(
        headers,
        format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{}",
            secure_attr(secure)
        ),
    );
}

pub fn clear(headers: &mut HeaderMap, name: &str, secure: bool) {
    push(
        headers,
        format!(
            "{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            secure_attr(secure)
        ),
    );
}

fn secure_attr(secure: bool) -> &'static str {
    if secure {
        "; Secure"
    } else {
        ""
    }
}

fn push(headers: &mut HeaderMap, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.append(SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_several() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; thiqa_console=abc; b=2"),
        );
        assert_eq!(get(&h, "thiqa_console").as_deref(), Some("abc"));
        assert_eq!(get(&h, "thiqa_portal"), None);
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_under_tls() {
        let mut h = HeaderMap::new();
        set(&mut h, "__Host-x", "v", true);
        let v = h.get(SET_COOKIE).unwrap().to_str().unwrap();
        assert!(v.contains("HttpOnly") && v.contains("SameSite=Strict") && v.contains("Secure"));
    }
}

//! Browser-facing protections applied to every route: security headers, the
//! CSRF guard on state-changing requests, request metrics.

use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, ORIGIN, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use thiqa_crypto::token::ct_eq;

use crate::metrics::{Listener, Metrics};
use crate::state::AppState;
use crate::web::error::PageError;
use crate::web::visit::Visit;

/// No inline script or style anywhere: the CSP says so, and the templates
/// keep to it (scripts and styles are files served by the binary).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; object-src 'none'";

/// The most a urlencoded form may weigh; larger bodies are refused (413).
pub const FORM_LIMIT: usize = 64 * 1024;

pub async fn headers(tls: bool, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    // A handler may set a stricter policy of its own (evidence downloads:
    // `sandbox`); every other response gets the site's.
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(CACHE_CONTROL) {
        // Pages hold personal and security data: no shared caches.
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if tls {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

pub async fn count(
    State(app): State<AppState>,
    listener: Listener,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let response = next.run(req).await;
    app.metrics.observe(
        listener,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// CSRF guard of the page routes. Every state-changing request must (1) come
/// from this origin when the browser says where it comes from, and (2) carry
/// the session's token (or, before login, the pre-login cookie's token) in a
/// `csrf` form field or an `X-CSRF-Token` header. Pages authenticate by the
/// session cookie only, so no header exempts a request: an `Authorization`
/// header, valid or not, changes nothing here. Bearer tokens authenticate the
/// API alone (`/api/v1`, outside this guard), which never reads cookies.
pub async fn csrf(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if is_safe(req.method()) {
        return next.run(req).await;
    }
    let refuse = |app: &AppState| {
        Metrics::inc(&app.metrics.csrf_refused);
        PageError::BadRequest("csrf".into()).into_response_with(axum::http::StatusCode::FORBIDDEN)
    };
    if !same_origin(&req) {
        return refuse(&app);
    }
    let expected = req
        .extensions()
        .get::<Visit>()
        .map(Visit::csrf)
        .unwrap_or_default();
    if expected.is_empty() {
        return refuse(&app);
    }
    if let Some(v) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if ct_eq(v.as_bytes(), expected.as_bytes()) {
            next.run(req).await
        } else {
            refuse(&app)
        };
    }
    // Multipart uploads stream to disk: their token rides in the query
    // string (`?csrf=`), so the body is never buffered here.
    let is_multipart = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if is_multipart {
        let presented = req
            .uri()
            .query()
            .and_then(|q| form_urlencoded_field(q.as_bytes(), "csrf"));
        return if presented.is_some_and(|p| ct_eq(p.as_bytes(), expected.as_bytes())) {
            next.run(req).await
        } else {
            refuse(&app)
        };
    }
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refuse(&app);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return PageError::BadRequest("form-too-large".into())
            .into_response_with(axum::http::StatusCode::PAYLOAD_TOO_LARGE);
    };
    let presented = form_urlencoded_field(&bytes, "csrf");
    if !presented.is_some_and(|p| ct_eq(p.as_bytes(), expected.as_bytes())) {
        return refuse(&app);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// `Sec-Fetch-Site` (modern browsers) or `Origin` must not point elsewhere.
fn same_origin(req: &Request) -> bool {
    if let Some(site) = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    match req.headers().get(ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some("null") => false,
        Some(origin) => {
            let host = req
                .headers()
                .get(HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            origin
                .split_once("://")
                .map(|(_, rest)| rest == host)
                .unwrap_or(false)
        }
    }
}

impl PageError {
    /// The same page error with another status (403 for CSRF, 413 for size).
    pub fn into_response_with(self, status: axum::http::StatusCode) -> Response {
        let mut r = self.into_response();
        *r.status_mut() = status;
        r
    }
}

//! The base URL of links Thiqa hands out (set-up and reset links).
//!
//! Never built from the request's `Host` header: an attacker who makes an
//! administrator's browser send a forged `Host` would otherwise receive the
//! one-time token on its own site. The base is the configured `public_url` /
//! `admin_url`; without one, only a loopback listener (a test or a demo on
//! this machine) names itself from its configured address. Anything else
//! refuses, before anything is created, with a message saying which key to set.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::metrics::Listener;
use crate::state::AppState;
use crate::web::error::{ApiError, PageError, NO_BASE_URL_CODE};
use crate::web::visit::Visit;

pub struct BaseUrl(pub String);

/// The listener has no configured base URL to build links on.
pub struct NoBaseUrl {
    key: &'static str,
    /// Pages render a translated error page; the API answers JSON.
    page: bool,
}

impl IntoResponse for NoBaseUrl {
    fn into_response(self) -> Response {
        if self.page {
            PageError::Conflict(NO_BASE_URL_CODE.into()).into_response()
        } else {
            ApiError::new(
                StatusCode::CONFLICT,
                "no_base_url",
                format!(
                    "links are built only on the configured address: set `{}` in the configuration",
                    self.key
                ),
            )
            .into_response()
        }
    }
}

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = NoBaseUrl;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, NoBaseUrl> {
        let admin = parts
            .extensions
            .get::<Listener>()
            .is_some_and(|l| matches!(l, Listener::Admin));
        let base = if admin {
            admin_base(app)
        } else {
            portal_base(app)
        };
        base.map(BaseUrl).ok_or(NoBaseUrl {
            key: if admin { "admin_url" } else { "public_url" },
            page: parts.extensions.get::<Visit>().is_some(),
        })
    }
}

/// The customer portal's base URL, for links an operator hands to a
/// commanditaire (the first administrator's set-up link).
pub fn portal_base(app: &AppState) -> Option<String> {
    link_base(
        app.config.public_url.as_deref(),
        *app.bound.public.get().unwrap_or(&app.config.listen),
        app.config.tls.enabled(),
    )
}

/// The operator console's base URL.
pub fn admin_base(app: &AppState) -> Option<String> {
    link_base(
        app.config.admin_url.as_deref(),
        *app.bound.admin.get().unwrap_or(&app.config.admin_listen),
        app.config.admin_tls.enabled(),
    )
}

/// The configured URL, or a loopback listener's own address; `None` when
/// neither can say where users reach Thiqa.
pub fn link_base(
    configured: Option<&str>,
    listen: std::net::SocketAddr,
    tls: bool,
) -> Option<String> {
    match configured {
        Some(url) => Some(url.trim_end_matches('/').to_string()),
        None if listen.ip().is_loopback() => {
            Some(format!("{}://{listen}", if tls { "https" } else { "http" }))
        }
        None => None,
    }
}

/// How the one-time links issued from a page reach their holder: e-mailed
/// (to the account's address) when a mail relay is configured, shown once
/// on the page otherwise.
pub fn link_delivery(app: &AppState, base: &str) -> thiqa_app::accounts::LinkDelivery {
    if app.config.smtp.enabled() {
        thiqa_app::accounts::LinkDelivery::Mailed {
            base: base.to_string(),
        }
    } else {
        thiqa_app::accounts::LinkDelivery::Shown
    }
}

#[cfg(test)]
mod tests {
    use super::link_base as base;

    #[test]
    fn links_use_the_configured_address_or_a_loopback_listener_only() {
        let public: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let local: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            base(Some("https://cloud.example.ma/"), public, true).as_deref(),
            Some("https://cloud.example.ma")
        );
        assert_eq!(
            base(None, local, false).as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(base(None, public, true), None);
    }
}

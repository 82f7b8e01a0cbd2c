//! The base URL of links Thiqa shows (set-up links): the configured one, or
//! the address the visitor used to reach this listener.

use axum::extract::FromRequestParts;
use axum::http::header::HOST;
use axum::http::request::Parts;

use crate::state::AppState;

pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let admin = parts
            .extensions
            .get::<crate::metrics::Listener>()
            .is_some_and(|l| matches!(l, crate::metrics::Listener::Admin));
        let configured = if admin {
            &app.config.admin_url
        } else {
            &app.config.public_url
        };
        if let Some(url) = configured {
            return Ok(BaseUrl(url.trim_end_matches('/').to_string()));
        }
        let tls = if admin {
            app.config.admin_tls.enabled()
        } else {
            app.config.tls.enabled()
        };
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
            })
            .map(str::to_string)
            .unwrap_or_else(|| {
                if admin {
                    app.config.admin_listen.to_string()
                } else {
                    app.config.listen.to_string()
                }
            });
        Ok(BaseUrl(format!(
            "{}://{host}",
            if tls { "https" } else { "http" }
        )))
    }
}

/// The customer portal's base URL, for links an operator hands to a
/// commanditaire (the first administrator's set-up link).
pub fn portal_base(app: &AppState) -> String {
    match &app.config.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!(
            "{}://{}",
            if app.config.tls.enabled() {
                "https"
            } else {
                "http"
            },
            app.config.listen
        ),
    }
}

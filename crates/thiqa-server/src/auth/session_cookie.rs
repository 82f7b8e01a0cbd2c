//! The session cookies: set for a session the sign-in opened or renewed,
//! cleared when it ends, and the pre-login CSRF token.

use axum::http::HeaderMap;
use thiqa_app::signin::NewSession;
use thiqa_crypto::token::Token;

use crate::realm::{cookie_name, Realm};
use crate::state::AppState;
use crate::web::cookies;
use crate::web::error::PageError;
use crate::web::visit::Visit;

/// Sets the cookie of a session just opened or renewed; the pre-login
/// token has served its purpose.
pub fn set<R: Realm>(app: &AppState, session: &NewSession, headers: &mut HeaderMap) {
    let tls = app.tls_for(R::DIR);
    cookies::set(
        headers,
        &cookie_name::<R>(R::COOKIE, tls),
        session.token.expose(),
        tls,
    );
    cookies::clear(headers, &cookie_name::<R>(R::PRE_COOKIE, tls), tls);
}

pub fn clear<R: Realm>(app: &AppState, headers: &mut HeaderMap) {
    let tls = app.tls_for(R::DIR);
    cookies::clear(headers, &cookie_name::<R>(R::COOKIE, tls), tls);
}

/// The pre-login CSRF token: reuses the visitor's cookie or makes one.
pub fn ensure_pre_token<R: Realm>(
    app: &AppState,
    visit: &mut Visit,
    headers: &mut HeaderMap,
) -> Result<(), PageError> {
    if visit.session.is_none() && visit.pre_token.is_none() {
        let token = Token::generate().map_err(|e| PageError::Internal(e.to_string()))?;
        let tls = app.tls_for(R::DIR);
        cookies::set(
            headers,
            &cookie_name::<R>(R::PRE_COOKIE, tls),
            token.expose(),
            tls,
        );
        visit.pre_token = Some(token.expose().to_string());
    }
    Ok(())
}

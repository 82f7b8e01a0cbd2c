//! Creating and ending sessions: the cookie side.

use axum::http::HeaderMap;
use thiqa_crypto::token::Token;
use thiqa_store::Account;

use crate::realm::{cookie_name, Realm};
use crate::state::AppState;
use crate::web::cookies;
use crate::web::error::PageError;
use crate::web::visit::Visit;

/// Opens a session for `account` and sets its cookie. `mfa_passed` is false
/// while the second factor is still to come.
pub async fn open<R: Realm>(
    app: &AppState,
    visit: &Visit,
    account: &Account,
    mfa_passed: bool,
    headers: &mut HeaderMap,
) -> Result<(), PageError> {
    let token = Token::generate().map_err(|e| PageError::Internal(e.to_string()))?;
    let csrf = Token::generate().map_err(|e| PageError::Internal(e.to_string()))?;
    app.store
        .create_session(
            R::DIR,
            account.id,
            token.hash().as_str(),
            csrf.expose(),
            mfa_passed,
            app.sessions,
            visit.source_ip.as_deref(),
            visit.user_agent.as_deref(),
        )
        .await?;
    let tls = app.tls_for(R::DIR);
    cookies::set(
        headers,
        &cookie_name::<R>(R::COOKIE, tls),
        token.expose(),
        tls,
    );
    cookies::clear(headers, &cookie_name::<R>(R::PRE_COOKIE, tls), tls);
    Ok(())
}

/// After the second factor: a fresh token replaces the pending one, so a
/// token seen before authentication is worth nothing after it.
pub async fn complete<R: Realm>(
    app: &AppState,
    old_hash: &str,
    headers: &mut HeaderMap,
) -> Result<(), PageError> {
    let token = Token::generate().map_err(|e| PageError::Internal(e.to_string()))?;
    let csrf = Token::generate().map_err(|e| PageError::Internal(e.to_string()))?;
    app.store
        .complete_session(
            R::DIR,
            old_hash,
            token.hash().as_str(),
            csrf.expose(),
            app.sessions,
        )
        .await?;
    let tls = app.tls_for(R::DIR);
    cookies::set(
        headers,
        &cookie_name::<R>(R::COOKIE, tls),
        token.expose(),
        tls,
    );
    Ok(())
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

//! The second factor (TOTP, RFC 6238): mandatory for operators before any
//! console page (3.5.6), for customers when their organisation requires it.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use thiqa_crypto::recovery;
use thiqa_crypto::totp::{Totp, TotpSecret};

use crate::auth::realm::Realm;
use crate::auth::session_cookie;
use crate::auth::visit::Pending;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::{ok, render};

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaPage<'a> {
    chrome: Chrome<'a>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "mfa_setup.html")]
struct SetupPage<'a> {
    chrome: Chrome<'a>,
    secret: String,
    uri: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryPage<'a> {
    chrome: Chrome<'a>,
    codes: Vec<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    secret: String,
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
) -> Result<Response, PageError> {
    if !pending.account.totp_enabled {
        return Ok(Redirect::to("/mfa/setup").into_response());
    }
    ok(&MfaPage {
        chrome: Chrome::new::<R>(&app, &pending.visit, "/login/mfa"),
        error: None,
    })
}

pub async fn submit<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let account = &pending.account;
    let actor = pending.visit.actor();
    let code = form.code.trim();
    let accepted = if code.len() > 8 {
        // Recovery codes are longer than any TOTP code.
        let presented = SecretString::from(code.to_string());
        let hashes = app.store.recovery_code_hashes(account).await?;
        match recovery::verify(&account.username, &presented, &hashes) {
            Some(i) => {
                app.store
                    .consume_recovery_code(account, &hashes[i], &actor)
                    .await?
            }
            None => false,
        }
    } else {
        match account.totp_secret.as_deref().map(TotpSecret::from_base32) {
            Some(Ok(secret)) => {
                let now = app.store.clock().now_s().max(0) as u64;
                let last = account.totp_last_step.map(|s| s.max(0) as u64);
                match Totp::default().verify(&secret, code, now, last) {
                    Some(step) => app.store.accept_totp_step(account, step as i64).await?,
                    None => false,
                }
            }
            _ => false,
        }
    };
    if accepted {
        app.store
            .record_login_success(account, &actor, "login.mfa")
            .await?;
        let mut headers = HeaderMap::new();
        session_cookie::complete::<R>(&app, &pending.session.token_hash, &mut headers).await?;
        return Ok((headers, Redirect::to("/")).into_response());
    }
    Metrics::inc(&app.metrics.logins_failed);
    let failure = app
        .store
        .record_login_failure(
            account,
            app.lockout.threshold,
            &actor,
            "wrong second factor",
        )
        .await?;
    let chrome = Chrome::new::<R>(&app, &pending.visit, "/login/mfa");
    if failure.now_locked {
        Metrics::inc(&app.metrics.accounts_locked);
        app.store
            .delete_session(R::DIR, &pending.session.token_hash)
            .await?;
        let mut headers = HeaderMap::new();
        session_cookie::clear::<R>(&app, &mut headers);
        let msg = chrome.tr.t("login-locked");
        return Ok((
            headers,
            render(
                StatusCode::FORBIDDEN,
                &MfaPage {
                    chrome,
                    error: Some(msg),
                },
            )?,
        )
            .into_response());
    }
    let msg = chrome.tr.t("mfa-failed");
    render(
        StatusCode::UNAUTHORIZED,
        &MfaPage {
            chrome,
            error: Some(msg),
        },
    )
}

pub async fn setup_page<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
) -> Result<Response, PageError> {
    if pending.account.totp_enabled {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    let secret = TotpSecret::generate().map_err(|e| PageError::Internal(e.to_string()))?;
    setup_form::<R>(&app, &pending, &secret, None, StatusCode::OK)
}

fn setup_form<R: Realm>(
    app: &AppState,
    pending: &Pending<R>,
    secret: &TotpSecret,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let uri = Totp::default().provisioning_uri(
        secret,
        &app.config.totp_issuer,
        &pending.account.username,
    );
    render(
        status,
        &SetupPage {
            chrome: Chrome::new::<R>(app, &pending.visit, "/mfa/setup"),
            secret: secret.to_base32().expose_secret().to_string(),
            uri: uri.expose_secret().to_string(),
            error,
        },
    )
}

/// Enrolment: the secret shown on the page comes back with a code computed
/// from it; only a matching code turns the second factor on.
pub async fn setup_submit<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    if pending.account.totp_enabled {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    let Ok(secret) = TotpSecret::from_base32(form.secret.trim()) else {
        return Err(PageError::BadRequest("secret".into()));
    };
    let now = app.store.clock().now_s().max(0) as u64;
    let Some(step) = Totp::default().verify(&secret, form.code.trim(), now, None) else {
        let tr = Chrome::new::<R>(&app, &pending.visit, "/mfa/setup").tr;
        return setup_form::<R>(
            &app,
            &pending,
            &secret,
            Some(tr.t("mfa-failed")),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let codes = recovery::generate(&pending.account.username, recovery::DEFAULT_COUNT)
        .map_err(|e| PageError::Internal(e.to_string()))?;
    app.store
        .enable_totp(
            &pending.account,
            secret.to_base32().expose_secret(),
            step as i64,
            &codes.hashes,
            &pending.visit.actor(),
        )
        .await?;
    let mut headers = HeaderMap::new();
    session_cookie::complete::<R>(&app, &pending.session.token_hash, &mut headers).await?;
    let mut visit = pending.visit.clone();
    // The page is rendered after the session was renewed: its new CSRF
    // token is not known here, and the page has no form that needs it.
    visit.session = None;
    let page = RecoveryPage {
        chrome: Chrome::new::<R>(&app, &visit, "/mfa/setup"),
        codes: codes
            .codes
            .iter()
            .map(|c| c.expose_secret().to_string())
            .collect(),
    };
    Ok((headers, ok(&page)?).into_response())
}

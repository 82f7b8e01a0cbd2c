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
use thiqa_store::NewEvent;

use crate::auth::login::{lock_refusal, refusal_after_lock, within_rate_limits, Refusal};
use crate::auth::session_cookie;
use crate::auth::visit::Pending;
use crate::metrics::Metrics;
use crate::realm::Realm;
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
    /// The otpauth URI as a QR code: SVG markup made by the `qrcode` crate
    /// from the URI's bits (rectangles only, no text), the one value the
    /// template writes unescaped.
    qr_svg: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryPage<'a> {
    chrome: Chrome<'a>,
    codes: Vec<String>,
}

/// The code typed in. Enrolment never reads a secret from the form: the one
/// offered is kept on the pending session (any `secret` field is ignored).
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// A locked account completes no step of signing in: its pending session
/// ends and the visitor is told as at the password step (journaled).
async fn refuse_if_locked<R: Realm>(
    app: &AppState,
    pending: &Pending<R>,
) -> Result<Option<Response>, PageError> {
    let Some(refusal) = lock_refusal(app, &pending.account) else {
        return Ok(None);
    };
    app.store
        .record_event(
            &pending.visit.actor(),
            NewEvent::failure("login")
                .about(&pending.account)
                .details("account locked"),
        )
        .await?;
    ended::<R>(app, pending, refusal).await.map(Some)
}

/// Ends the pending session and shows why on the second-factor page.
async fn ended<R: Realm>(
    app: &AppState,
    pending: &Pending<R>,
    refusal: Refusal,
) -> Result<Response, PageError> {
    app.store
        .delete_session(R::DIR, &pending.session.token_hash)
        .await?;
    let mut headers = HeaderMap::new();
    session_cookie::clear::<R>(app, &mut headers);
    Ok((headers, refused::<R>(app, pending, refusal)?).into_response())
}

/// The second-factor page with the refusal's status and words.
fn refused<R: Realm>(
    app: &AppState,
    pending: &Pending<R>,
    refusal: Refusal,
) -> Result<Response, PageError> {
    let chrome = Chrome::new::<R>(app, &pending.visit, "/login/mfa");
    let (status, msg) = refusal.reply(&chrome.tr);
    render(
        status,
        &MfaPage {
            chrome,
            error: Some(msg),
        },
    )
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
) -> Result<Response, PageError> {
    if let Some(refusal) = refuse_if_locked(&app, &pending).await? {
        return Ok(refusal);
    }
    if !pending.account.totp_enabled {
        return Ok(Redirect::to("/mfa/setup").into_response());
    }
    ok(&MfaPage {
        chrome: Chrome::new::<R>(&app, &pending.visit, "/login/mfa"),
        error: None,
    })
}

/// Checks a TOTP or recovery code. Every try counts toward the sign-in rate
/// limits and a wrong one toward the lockout, exactly as a wrong password.
pub async fn submit<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let account = &pending.account;
    let actor = pending.visit.actor();
    if let Some(refusal) = refuse_if_locked(&app, &pending).await? {
        return Ok(refusal);
    }
    if !within_rate_limits::<R>(&app, &pending.visit, &actor, &account.username).await? {
        Metrics::inc(&app.metrics.logins_failed);
        return refused(&app, &pending, Refusal::TooManyAttempts);
    }
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
        if !app
            .store
            .record_login_success(account, &actor, "login.mfa")
            .await?
        {
            // Locked by a concurrent failure: the lock stands.
            let refusal = refusal_after_lock::<R>(&app, account).await?;
            return ended::<R>(&app, &pending, refusal).await;
        }
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
    if failure.now_locked {
        // The store ended every pending session of the account with the lock.
        Metrics::inc(&app.metrics.accounts_locked);
        let refusal = refusal_after_lock::<R>(&app, account).await?;
        return ended::<R>(&app, &pending, refusal).await;
    }
    refused(&app, &pending, Refusal::SecondFactor)
}

pub async fn setup_page<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
) -> Result<Response, PageError> {
    if let Some(refusal) = refuse_if_locked(&app, &pending).await? {
        return Ok(refusal);
    }
    if pending.account.totp_enabled {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    let candidate = TotpSecret::generate().map_err(|e| PageError::Internal(e.to_string()))?;
    let Some(offered) = app
        .store
        .offer_totp_secret(
            R::DIR,
            &pending.session.token_hash,
            candidate.to_base32().expose_secret(),
        )
        .await?
    else {
        return Ok(Redirect::to("/login").into_response());
    };
    let secret = TotpSecret::from_base32(&offered)
        .map_err(|_| PageError::Internal("stored enrolment secret".into()))?;
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
            qr_svg: qr_svg(uri.expose_secret())?,
            uri: uri.expose_secret().to_string(),
            error,
        },
    )
}

/// The otpauth URI as an inline SVG QR code, for authenticator apps to scan.
fn qr_svg(uri: &str) -> Result<String, PageError> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| PageError::Internal(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    // The XML declaration has no place inside an HTML page.
    Ok(match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    })
}

/// Enrolment: the person enters a code computed from the secret offered to
/// this pending session (kept on the server); only a matching code turns
/// the second factor on. Tries count toward the sign-in rate limits.
pub async fn setup_submit<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    if let Some(refusal) = refuse_if_locked(&app, &pending).await? {
        return Ok(refusal);
    }
    if pending.account.totp_enabled {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    let actor = pending.visit.actor();
    if !within_rate_limits::<R>(&app, &pending.visit, &actor, &pending.account.username).await? {
        return refused(&app, &pending, Refusal::TooManyAttempts);
    }
    let offered = app
        .store
        .offered_totp_secret(R::DIR, &pending.session.token_hash)
        .await?;
    let Some(Ok(secret)) = offered.as_deref().map(TotpSecret::from_base32) else {
        // No secret was offered to this session: show one first.
        return Ok(Redirect::to("/mfa/setup").into_response());
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
            &actor,
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

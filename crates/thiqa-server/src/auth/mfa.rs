//! The second factor's pages (TOTP, RFC 6238): the code at each sign-in
//! and the enrolment at the first (the checks are `thiqa_app::signin`).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use thiqa_app::signin::{self, Enrolled, Refusal, Step};
use thiqa_crypto::totp::{Totp, TotpSecret};

use crate::auth::login::{count_refusal, reply};
use crate::auth::session_cookie;
use crate::auth::visit::Pending;
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

/// The pending session ended (a locked account): its cookie goes and the
/// second-factor page says why.
fn ended<R: Realm>(
    app: &AppState,
    pending: &Pending<R>,
    refusal: Refusal,
) -> Result<Response, PageError> {
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
    let (status, msg) = reply(&chrome.tr, refusal);
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
    if let Some(refusal) = signin::refuse_if_locked(&app, &pending.signin()).await? {
        return ended::<R>(&app, &pending, refusal);
    }
    if !pending.account.totp_enabled {
        return Ok(Redirect::to("/mfa/setup").into_response());
    }
    ok(&MfaPage {
        chrome: Chrome::new::<R>(&app, &pending.visit, "/login/mfa"),
        error: None,
    })
}

/// Checks a TOTP or recovery code.
pub async fn submit<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    match signin::second_factor(&app, &pending.signin(), &form.code).await? {
        Step::Done(session) => {
            let mut headers = HeaderMap::new();
            session_cookie::set::<R>(&app, &session, &mut headers);
            Ok((headers, Redirect::to("/")).into_response())
        }
        Step::Refused(refusal) => {
            count_refusal(&app, refusal);
            refused(&app, &pending, refusal)
        }
        Step::Ended(refusal) => {
            count_refusal(&app, refusal);
            ended(&app, &pending, refusal)
        }
    }
}

pub async fn setup_page<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
) -> Result<Response, PageError> {
    let signin = pending.signin();
    if let Some(refusal) = signin::refuse_if_locked(&app, &signin).await? {
        return ended::<R>(&app, &pending, refusal);
    }
    if pending.account.totp_enabled {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    let Some(secret) = signin::offer_enrolment(&app, &signin).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
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

/// Enrolment: a code computed from the secret offered to this pending
/// session turns the second factor on and shows the recovery codes once.
pub async fn setup_submit<R: Realm>(
    State(app): State<AppState>,
    pending: Pending<R>,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    if pending.account.totp_enabled {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    match signin::enrol(&app, &pending.signin(), &form.code).await? {
        Enrolled::Refused {
            refusal,
            ended: true,
        } => ended(&app, &pending, refusal),
        Enrolled::Refused { refusal, .. } => refused(&app, &pending, refusal),
        // No secret was offered to this session: show one first.
        Enrolled::NotOffered => Ok(Redirect::to("/mfa/setup").into_response()),
        Enrolled::WrongCode(secret) => {
            let tr = Chrome::new::<R>(&app, &pending.visit, "/mfa/setup").tr;
            setup_form::<R>(
                &app,
                &pending,
                &secret,
                Some(tr.t("mfa-failed")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Enrolled::Done {
            session,
            recovery_codes,
        } => {
            let mut headers = HeaderMap::new();
            session_cookie::set::<R>(&app, &session, &mut headers);
            let mut visit = pending.visit.clone();
            // The page is rendered after the session was renewed: its new
            // CSRF token is not known here, and the page has no form that
            // needs it.
            visit.session = None;
            let page = RecoveryPage {
                chrome: Chrome::new::<R>(&app, &visit, "/mfa/setup"),
                codes: recovery_codes
                    .iter()
                    .map(|c| c.expose_secret().to_string())
                    .collect(),
            };
            Ok((headers, ok(&page)?).into_response())
        }
    }
}

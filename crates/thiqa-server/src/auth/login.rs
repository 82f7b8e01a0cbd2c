//! The first step of signing in: the page and the form of username and
//! password (the checks are `thiqa_app::signin::with_password`).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::SecretString;
use serde::Deserialize;
use thiqa_app::signin::{self, Refusal, Verified};
use thiqa_app::time::format_utc;
use thiqa_domain::Directory;

use crate::auth::session_cookie;
use crate::i18n::Tr;
use crate::metrics::Metrics;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::render;
use crate::web::visit::Visit;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    chrome: Chrome<'a>,
    intro_key: &'static str,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn intro_key<R: Realm>() -> &'static str {
    match R::DIR {
        Directory::Operators => "login-intro-console",
        Directory::Customers => "login-intro-portal",
    }
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    mut visit: Visit,
) -> Result<Response, PageError> {
    if visit.session.as_ref().is_some_and(|s| s.mfa_passed) {
        return Ok(Redirect::to("/").into_response());
    }
    let mut headers = HeaderMap::new();
    session_cookie::ensure_pre_token::<R>(&app, &mut visit, &mut headers)?;
    let chrome = Chrome::new::<R>(&app, &visit, "/login");
    let page = LoginPage {
        chrome,
        intro_key: intro_key::<R>(),
        username: String::new(),
        error: None,
    };
    Ok((headers, render(StatusCode::OK, &page)?).into_response())
}

pub async fn submit<R: Realm>(
    State(app): State<AppState>,
    visit: Visit,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let visitor = visit.visitor::<R>();
    let password = SecretString::from(form.password);
    match signin::with_password(&app, &visitor, &form.username, password).await? {
        Ok(Verified {
            account,
            needs_mfa,
            session,
        }) => {
            Metrics::inc(&app.metrics.logins_succeeded);
            let mut headers = HeaderMap::new();
            session_cookie::set::<R>(&app, &session, &mut headers);
            let next = if !needs_mfa {
                "/"
            } else if account.totp_enabled {
                "/login/mfa"
            } else {
                "/mfa/setup"
            };
            Ok((headers, Redirect::to(next)).into_response())
        }
        Err(refusal) => {
            count_refusal(&app, refusal);
            let chrome = Chrome::new::<R>(&app, &visit, "/login");
            let (status, message) = reply(&chrome.tr, refusal);
            let page = LoginPage {
                chrome,
                intro_key: intro_key::<R>(),
                username: form.username.chars().take(64).collect(),
                error: Some(message),
            };
            render(status, &page)
        }
    }
}

/// Counts a refused step in the metrics.
pub(crate) fn count_refusal(app: &AppState, refusal: Refusal) {
    Metrics::inc(&app.metrics.logins_failed);
    if let Refusal::Locked {
        by_this_attempt: true,
        ..
    } = refusal
    {
        Metrics::inc(&app.metrics.accounts_locked);
    }
}

/// The status and the words the visitor gets, the same at every step of
/// signing in (password, second factor, enrolment).
pub(crate) fn reply(tr: &Tr, refusal: Refusal) -> (StatusCode, String) {
    match refusal {
        Refusal::Credentials => (StatusCode::UNAUTHORIZED, tr.t("login-failed")),
        Refusal::Locked { until: Some(t), .. } => (
            StatusCode::FORBIDDEN,
            tr.t1("login-locked-until", "until", &format_utc(t)),
        ),
        Refusal::Locked { until: None, .. } => (StatusCode::FORBIDDEN, tr.t("login-locked")),
        Refusal::TooManyAttempts => (StatusCode::TOO_MANY_REQUESTS, tr.t("login-rate-limited")),
        Refusal::SecondFactor => (StatusCode::UNAUTHORIZED, tr.t("mfa-failed")),
    }
}

//! The first step of signing in: username and password, with rate limits,
//! lockout (3.5.5) and equal cost for unknown accounts.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::SecretString;
use serde::Deserialize;
use thiqa_app::time::format_utc;
use thiqa_domain::{Directory, LockState, Tenant, Username};
use thiqa_store::{Account, Actor, NewEvent};

use crate::auth::passwords;
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

/// Why a login attempt failed, as the visitor is told it.
pub(crate) enum Refusal {
    /// Unknown user or wrong password: the same words, so nobody learns
    /// which usernames exist.
    Credentials,
    Locked {
        until: Option<i64>,
    },
    TooManyAttempts,
    /// A wrong or already used second-factor or recovery code.
    SecondFactor,
}

pub async fn submit<R: Realm>(
    State(app): State<AppState>,
    visit: Visit,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let claimed = form.username.chars().take(64).collect::<String>();
    let actor = Actor::anonymous(&claimed, visit.source_ip.clone());
    let outcome = attempt::<R>(&app, &visit, &actor, &form).await?;
    match outcome {
        Ok((account, needs_mfa)) => {
            Metrics::inc(&app.metrics.logins_succeeded);
            let mut headers = HeaderMap::new();
            session_cookie::open::<R>(&app, &visit, &account, !needs_mfa, &mut headers).await?;
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
            Metrics::inc(&app.metrics.logins_failed);
            let chrome = Chrome::new::<R>(&app, &visit, "/login");
            let (status, message) = refusal.reply(&chrome.tr);
            let page = LoginPage {
                chrome,
                intro_key: intro_key::<R>(),
                username: claimed,
                error: Some(message),
            };
            render(status, &page)
        }
    }
}

impl Refusal {
    /// The status and the words the visitor gets, the same at every step of
    /// signing in (password, second factor, enrolment).
    pub(crate) fn reply(&self, tr: &Tr) -> (StatusCode, String) {
        match self {
            Refusal::Credentials => (StatusCode::UNAUTHORIZED, tr.t("login-failed")),
            Refusal::Locked { until: Some(t) } => (
                StatusCode::FORBIDDEN,
                tr.t1("login-locked-until", "until", &format_utc(*t)),
            ),
            Refusal::Locked { until: None } => (StatusCode::FORBIDDEN, tr.t("login-locked")),
            Refusal::TooManyAttempts => (StatusCode::TOO_MANY_REQUESTS, tr.t("login-rate-limited")),
            Refusal::SecondFactor => (StatusCode::UNAUTHORIZED, tr.t("mfa-failed")),
        }
    }
}

/// Counts one attempt at any step of signing in against the per-address and
/// per-account limits (the same counters for passwords, second-factor and
/// recovery codes); false, journaled, once either is exceeded.
pub(crate) async fn within_rate_limits<R: Realm>(
    app: &AppState,
    visit: &Visit,
    actor: &Actor,
    name_key: &str,
) -> Result<bool, PageError> {
    let limits = &app.config.rate_limit;
    let ip = visit.source_ip.as_deref().unwrap_or("unknown");
    let by_address = app
        .store
        .rate_limit_hit(
            &format!("login:{}:ip:{ip}", R::DIR.as_str()),
            limits.login_per_address,
            limits.window_seconds,
        )
        .await?;
    let by_account = app
        .store
        .rate_limit_hit(
            &format!("login:{}:user:{name_key}", R::DIR.as_str()),
            limits.login_per_account,
            limits.window_seconds,
        )
        .await?;
    if by_address && by_account {
        return Ok(true);
    }
    app.store
        .record_event(
            actor,
            NewEvent::failure("login")
                .target(name_key)
                .details("rate limited"),
        )
        .await?;
    Ok(false)
}

/// Runs the checks in an order that keeps the cost equal: the password hash
/// is always computed, whether the account exists, is locked or not. An
/// unknown username counts failures and locks as an account would, so after
/// `lockout.threshold` failures it answers exactly like a locked account.
async fn attempt<R: Realm>(
    app: &AppState,
    visit: &Visit,
    actor: &Actor,
    form: &LoginForm,
) -> Result<Result<(Account, bool), Refusal>, PageError> {
    let username = Username::parse(&form.username).ok();
    let name_key = username.as_ref().map(|u| u.as_str()).unwrap_or("-");
    if !within_rate_limits::<R>(app, visit, actor, name_key).await? {
        return Ok(Err(Refusal::TooManyAttempts));
    }
    let account = match &username {
        Some(u) => app.store.account_by_username(R::DIR, u.as_str()).await?,
        None => None,
    }
    .filter(Account::is_active);
    let password = SecretString::from(form.password.clone());
    let matches = passwords::verify(
        app,
        account.as_ref().and_then(|a| a.password_hash.clone()),
        password,
    )
    .await?;
    let Some(mut account) = account else {
        let state = app
            .store
            .record_unknown_login_failure(R::DIR, name_key, &app.lockout, actor)
            .await?;
        return Ok(Err(match state {
            LockState::Locked { until } => Refusal::Locked { until },
            _ => Refusal::Credentials,
        }));
    };
    match app
        .lockout
        .state(account.locked_at, app.store.clock().now_s())
    {
        LockState::Locked { until } => {
            app.store
                .record_event(
                    actor,
                    NewEvent::failure("login")
                        .about(&account)
                        .details("account locked"),
                )
                .await?;
            return Ok(Err(Refusal::Locked { until }));
        }
        LockState::Expired => {
            app.store.unlock_account(&account, &Actor::system()).await?;
            account = app.store.account(R::DIR, account.id).await?;
        }
        LockState::Open => {}
    }
    if !matches {
        let failure = app
            .store
            .record_login_failure(&account, app.lockout.threshold, actor, "wrong password")
            .await?;
        if failure.now_locked {
            Metrics::inc(&app.metrics.accounts_locked);
            let until = (app.lockout.release_after_s > 0)
                .then(|| app.store.clock().now_s() + app.lockout.release_after_s);
            return Ok(Err(Refusal::Locked { until }));
        }
        return Ok(Err(Refusal::Credentials));
    }
    if !app
        .store
        .record_login_success(&account, actor, "login.password")
        .await?
    {
        // Locked by a concurrent failure since the check above.
        return Ok(Err(refusal_after_lock::<R>(app, &account).await?));
    }
    let needs_mfa = R::MFA_ALWAYS
        || account.totp_enabled
        || organisation_requires_mfa(app, account.tenant).await?;
    Ok(Ok((account, needs_mfa)))
}

/// The refusal a locked account gets, if it is locked now.
pub(crate) fn lock_refusal(app: &AppState, account: &Account) -> Option<Refusal> {
    match app
        .lockout
        .state(account.locked_at, app.store.clock().now_s())
    {
        LockState::Locked { until } => Some(Refusal::Locked { until }),
        LockState::Open | LockState::Expired => None,
    }
}

/// The refusal for an account that locked during a step, read afresh.
pub(crate) async fn refusal_after_lock<R: Realm>(
    app: &AppState,
    account: &Account,
) -> Result<Refusal, PageError> {
    let fresh = app.store.account(R::DIR, account.id).await?;
    Ok(lock_refusal(app, &fresh).unwrap_or(Refusal::Locked { until: None }))
}

async fn organisation_requires_mfa(app: &AppState, tenant: Tenant) -> Result<bool, PageError> {
    Ok(match tenant {
        Tenant::Organisation(id) => app.store.organisation(id).await?.require_mfa,
        Tenant::Provider(_) => true,
    })
}

//! Signing in and out, in either directory: the password step with rate
//! limits and lockout (3.5.5), the second factor (3.5.6) and its
//! enrolment, the one-time links that set a password, and the end of
//! sessions. The web edge only sets and clears cookies and renders; every
//! check, count and journal entry is here.
//!
//! Every step of signing in answers an unknown account, a wrong password
//! and a wrong code alike, costs the same whether the account exists, and
//! counts toward the same rate limits and lockout.

mod api_tokens;
mod enrolment;
mod links;
mod password;
mod second_factor;
mod sessions;

pub use api_tokens::{token_holder, TokenHolder};
pub use enrolment::{enrol, offer_enrolment, Enrolled};
pub use links::{link_account, set_password, LinkOutcome, PasswordProblem};
pub use password::{with_password, Verified};
pub use second_factor::{refuse_if_locked, second_factor, Step};
pub use sessions::{renew, set_language, sign_out, sign_out_everywhere};

use secrecy::SecretString;
use thiqa_crypto::password::PasswordHasher;
use thiqa_crypto::strength::PasswordPolicy;
use thiqa_crypto::token::Token;
use thiqa_domain::{Directory, LockState};
use thiqa_store::{Account, Actor, NewEvent, SessionPolicy};

use crate::{App, AppError};

/// How signing in is configured: password hashing and strength, session
/// lifetimes and the limits on attempts.
#[derive(Clone)]
pub struct SignInRules {
    /// Argon2id at the configured cost.
    pub hasher: PasswordHasher,
    /// What a new password must be.
    pub passwords: PasswordPolicy,
    pub sessions: SessionPolicy,
    pub attempts: AttemptLimits,
}

/// Attempts at any step of signing in (password, second factor, recovery
/// code) allowed per window, per source address and per account name.
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimits {
    pub per_address: i64,
    pub per_account: i64,
    pub window_s: i64,
}

/// Who is trying to sign in, as far as is known before they have: the
/// directory they sign in to and where the request came from.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub directory: Directory,
    /// The client's address (behind trusted proxies, the forwarded one).
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

/// Why a step of signing in failed, as the visitor is told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown user or wrong password: the same words, so nobody learns
    /// which usernames exist.
    Credentials,
    /// Locked until `until` (None: until an administrator unlocks it).
    Locked {
        until: Option<i64>,
        /// This very attempt locked it (counted in the metrics).
        by_this_attempt: bool,
    },
    TooManyAttempts,
    /// A wrong or already used second-factor or recovery code.
    SecondFactor,
}

/// An account between its password and its second factor: the pending
/// session (by its token's hash) and the account as read with it.
pub struct Pending<'a> {
    pub visitor: Visitor,
    pub token_hash: &'a str,
    pub account: &'a Account,
    /// Who acts: the account, from the visitor's address.
    pub actor: Actor,
}

/// A new session: the token for the cookie (only its hash is stored).
pub struct NewSession {
    pub token: Token,
}

/// Counts one attempt against the per-address and per-account limits;
/// false, journaled, once either is exceeded.
async fn within_limits(
    app: &App,
    visitor: &Visitor,
    actor: &Actor,
    name_key: &str,
) -> Result<bool, AppError> {
    let limits = app.sign_in.attempts;
    let dir = visitor.directory.as_str();
    let ip = visitor.address.as_deref().unwrap_or("unknown");
    let by_address = app
        .store
        .rate_limit_hit(
            &format!("login:{dir}:ip:{ip}"),
            limits.per_address,
            limits.window_s,
        )
        .await?;
    let by_account = app
        .store
        .rate_limit_hit(
            &format!("login:{dir}:user:{name_key}"),
            limits.per_account,
            limits.window_s,
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

/// The refusal a locked account gets, if it is locked now.
fn lock_refusal(app: &App, account: &Account) -> Option<Refusal> {
    match app
        .lockout
        .state(account.locked_at, app.store.clock().now_s())
    {
        LockState::Locked { until } => Some(Refusal::Locked {
            until,
            by_this_attempt: false,
        }),
        LockState::Open | LockState::Expired => None,
    }
}

/// The refusal when this very attempt locked the account: locked from now
/// until the lockout releases it (if it ever does by itself).
fn locked_by_this_attempt(app: &App) -> Refusal {
    Refusal::Locked {
        until: (app.lockout.release_after_s > 0)
            .then(|| app.store.clock().now_s() + app.lockout.release_after_s),
        by_this_attempt: true,
    }
}

/// The refusal for an account that locked during a step, read afresh.
async fn refusal_after_lock(app: &App, account: &Account) -> Result<Refusal, AppError> {
    let fresh = app.store.tenant(account.tenant).account(account.id).await?;
    Ok(lock_refusal(app, &fresh).unwrap_or(Refusal::Locked {
        until: None,
        by_this_attempt: false,
    }))
}

/// Opens a session for `account`; `mfa_passed` is false while the second
/// factor is still to come.
async fn open_session(
    app: &App,
    visitor: &Visitor,
    account: &Account,
    mfa_passed: bool,
) -> Result<NewSession, AppError> {
    let token = Token::generate().map_err(|e| AppError::Internal(e.to_string()))?;
    let csrf = Token::generate().map_err(|e| AppError::Internal(e.to_string()))?;
    app.store
        .create_session(
            visitor.directory,
            account.id,
            token.hash().as_str(),
            csrf.expose(),
            mfa_passed,
            app.sign_in.sessions,
            visitor.address.as_deref(),
            visitor.user_agent.as_deref(),
        )
        .await?;
    Ok(NewSession { token })
}

/// Hashes a new password off the async workers (Argon2id takes tens of
/// milliseconds of CPU on purpose).
pub(crate) async fn hash_password(app: &App, password: SecretString) -> Result<String, AppError> {
    let hasher = app.sign_in.hasher.clone();
    tokio::task::spawn_blocking(move || hasher.hash(&password))
        .await
        .map_err(|e| AppError::Internal(format!("hashing task: {e}")))?
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Checks a candidate against a stored hash, or against a dummy one when
/// the account is unknown, so both cost the same time.
async fn verify_password(
    app: &App,
    stored: Option<String>,
    candidate: SecretString,
) -> Result<bool, AppError> {
    let hasher = app.sign_in.hasher.clone();
    tokio::task::spawn_blocking(move || hasher.verify_or_dummy(stored.as_deref(), &candidate))
        .await
        .map_err(|e| AppError::Internal(format!("hashing task: {e}")))
}

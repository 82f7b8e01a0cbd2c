//! The first step: username and password.

use secrecy::SecretString;
use thiqa_domain::{LockState, Tenant, Username};
use thiqa_store::{Account, Actor, NewEvent};

use super::{
    locked_by_this_attempt, open_session, refusal_after_lock, verify_password, within_limits,
    NewSession, Refusal, Visitor,
};
use crate::{App, AppError};

/// A password accepted: the session opened for the account, and whether
/// a second factor (or its enrolment) must follow before any page.
pub struct Verified {
    pub account: Account,
    pub needs_mfa: bool,
    pub session: NewSession,
}

/// Checks `username` and `password` in the visitor's directory and opens a
/// session on success. Runs the checks in an order that keeps the cost
/// equal: the password hash is always computed, whether the account
/// exists, is locked or not. An unknown username counts failures and locks
/// as an account would, so after the lockout threshold it answers exactly
/// like a locked account. Every refusal is journaled.
pub async fn with_password(
    app: &App,
    visitor: &Visitor,
    username: &str,
    password: SecretString,
) -> Result<Result<Verified, Refusal>, AppError> {
    let claimed: String = username.chars().take(64).collect();
    let actor = Actor::anonymous(&claimed, visitor.address.clone());
    let parsed = Username::parse(username).ok();
    let name_key = parsed.as_ref().map(|u| u.as_str()).unwrap_or("-");
    if !within_limits(app, visitor, &actor, name_key).await? {
        return Ok(Err(Refusal::TooManyAttempts));
    }
    let dir = visitor.directory;
    let account = match &parsed {
        Some(u) => app.store.account_by_username(dir, u.as_str()).await?,
        None => None,
    }
    .filter(Account::is_active);
    let matches = verify_password(
        app,
        account.as_ref().and_then(|a| a.password_hash.clone()),
        password,
    )
    .await?;
    let Some(mut account) = account else {
        let state = app
            .store
            .record_unknown_login_failure(dir, name_key, &app.lockout, &actor)
            .await?;
        return Ok(Err(match state {
            LockState::Locked { until } => Refusal::Locked {
                until,
                by_this_attempt: false,
            },
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
                    &actor,
                    NewEvent::failure("login")
                        .about(&account)
                        .details("account locked"),
                )
                .await?;
            return Ok(Err(Refusal::Locked {
                until,
                by_this_attempt: false,
            }));
        }
        LockState::Expired => {
            app.store.unlock_account(&account, &Actor::system()).await?;
            account = app.store.tenant(account.tenant).account(account.id).await?;
        }
        LockState::Open => {}
    }
    if !matches {
        let failure = app
            .store
            .record_login_failure(&account, app.lockout.threshold, &actor, "wrong password")
            .await?;
        if failure.now_locked {
            return Ok(Err(locked_by_this_attempt(app)));
        }
        return Ok(Err(Refusal::Credentials));
    }
    if !app
        .store
        .record_login_success(&account, &actor, "login.password")
        .await?
    {
        // Locked by a concurrent failure since the check above.
        return Ok(Err(refusal_after_lock(app, &account).await?));
    }
    let needs_mfa = account.totp_enabled || tenant_requires_mfa(app, account.tenant).await?;
    let session = open_session(app, visitor, &account, !needs_mfa).await?;
    Ok(Ok(Verified {
        account,
        needs_mfa,
        session,
    }))
}

/// Whether every account of `tenant` must pass a second factor: the
/// provider's staff always (3.5.6), an organisation's members when it
/// requires it (otherwise those who enrolled).
async fn tenant_requires_mfa(app: &App, tenant: Tenant) -> Result<bool, AppError> {
    Ok(match tenant {
        Tenant::Organisation(_) => app.store.tenant(tenant).organisation().await?.require_mfa,
        Tenant::Provider(_) => true,
    })
}

//! The second step: a TOTP code (RFC 6238) or a recovery code, mandatory
//! for operators (3.5.6) and for customers whose organisation requires it.

use secrecy::SecretString;
use thiqa_crypto::recovery;
use thiqa_crypto::totp::{Totp, TotpSecret};
use thiqa_store::NewEvent;

use super::{
    lock_refusal, locked_by_this_attempt, refusal_after_lock, renew, within_limits, NewSession,
    Pending, Refusal,
};
use crate::{App, AppError};

/// What a second-factor step came to.
pub enum Step {
    /// Accepted: the pending session was replaced by a signed-in one.
    Done(NewSession),
    /// Refused; the pending session stays for another try.
    Refused(Refusal),
    /// Refused and the pending session ended (the account is locked): the
    /// visitor starts again from the password.
    Ended(Refusal),
}

/// A locked account completes no step of signing in: when the pending
/// account is locked now, its pending session ends (journaled) and the
/// refusal comes back; None when it may go on.
pub async fn refuse_if_locked(
    app: &App,
    pending: &Pending<'_>,
) -> Result<Option<Refusal>, AppError> {
    let Some(refusal) = lock_refusal(app, pending.account) else {
        return Ok(None);
    };
    app.store
        .record_event(
            &pending.actor,
            NewEvent::failure("login")
                .about(pending.account)
                .details("account locked"),
        )
        .await?;
    end(app, pending).await?;
    Ok(Some(refusal))
}

async fn end(app: &App, pending: &Pending<'_>) -> Result<(), AppError> {
    app.store
        .delete_session(pending.visitor.directory, pending.token_hash)
        .await?;
    Ok(())
}

/// Checks a TOTP or recovery code. Every try counts toward the sign-in
/// rate limits and a wrong one toward the lockout, exactly as a wrong
/// password; a code is accepted once.
pub async fn second_factor(app: &App, pending: &Pending<'_>, code: &str) -> Result<Step, AppError> {
    if let Some(refusal) = refuse_if_locked(app, pending).await? {
        return Ok(Step::Ended(refusal));
    }
    let account = pending.account;
    let actor = &pending.actor;
    if !within_limits(app, &pending.visitor, actor, &account.username).await? {
        return Ok(Step::Refused(Refusal::TooManyAttempts));
    }
    let code = code.trim();
    let accepted = if code.len() > 8 {
        // Recovery codes are longer than any TOTP code.
        let presented = SecretString::from(code.to_string());
        let hashes = app.store.recovery_code_hashes(account).await?;
        match recovery::verify(&account.username, &presented, &hashes) {
            Some(i) => {
                app.store
                    .consume_recovery_code(account, &hashes[i], actor)
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
            .record_login_success(account, actor, "login.mfa")
            .await?
        {
            // Locked by a concurrent failure: the lock stands.
            let refusal = refusal_after_lock(app, account).await?;
            end(app, pending).await?;
            return Ok(Step::Ended(refusal));
        }
        let session = renew(app, pending.visitor.directory, pending.token_hash).await?;
        return Ok(Step::Done(session));
    }
    let failure = app
        .store
        .record_login_failure(account, app.lockout.threshold, actor, "wrong second factor")
        .await?;
    if failure.now_locked {
        end(app, pending).await?;
        return Ok(Step::Ended(locked_by_this_attempt(app)));
    }
    Ok(Step::Refused(Refusal::SecondFactor))
}

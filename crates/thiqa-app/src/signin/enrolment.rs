//! Turning the second factor on, at the first sign-in: a secret is offered
//! to the pending session (kept on the server, never read back from a
//! form) and only a code computed from it turns it on, with fresh recovery
//! codes shown once.

use secrecy::{ExposeSecret, SecretString};
use thiqa_crypto::recovery;
use thiqa_crypto::totp::{Totp, TotpSecret};

use super::second_factor::refuse_if_locked;
use super::{renew, within_limits, NewSession, Pending, Refusal};
use crate::{App, AppError};

/// The secret offered to this pending session (the same one on every
/// visit until enrolment); None when the session is gone.
pub async fn offer_enrolment(
    app: &App,
    pending: &Pending<'_>,
) -> Result<Option<TotpSecret>, AppError> {
    let candidate = TotpSecret::generate().map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(offered) = app
        .store
        .offer_totp_secret(
            pending.visitor.directory,
            pending.token_hash,
            candidate.to_base32().expose_secret(),
        )
        .await?
    else {
        return Ok(None);
    };
    TotpSecret::from_base32(&offered)
        .map(Some)
        .map_err(|_| AppError::Internal("stored enrolment secret".into()))
}

/// What an enrolment attempt came to.
pub enum Enrolled {
    /// On: the session is signed in, and these recovery codes are shown
    /// once (only their hashes are kept).
    Done {
        session: NewSession,
        recovery_codes: Vec<SecretString>,
    },
    /// The code does not match the offered secret (shown again).
    WrongCode(TotpSecret),
    /// No secret was offered to this session yet: offer one first.
    NotOffered,
    /// Refused before the code was checked; `ended`: the pending session
    /// ended with it (a locked account).
    Refused { refusal: Refusal, ended: bool },
}

/// Turns the second factor on when `code` matches the secret offered to
/// this pending session. Tries count toward the sign-in rate limits.
pub async fn enrol(app: &App, pending: &Pending<'_>, code: &str) -> Result<Enrolled, AppError> {
    if let Some(refusal) = refuse_if_locked(app, pending).await? {
        return Ok(Enrolled::Refused {
            refusal,
            ended: true,
        });
    }
    let account = pending.account;
    if !within_limits(app, &pending.visitor, &pending.actor, &account.username).await? {
        return Ok(Enrolled::Refused {
            refusal: Refusal::TooManyAttempts,
            ended: false,
        });
    }
    let dir = pending.visitor.directory;
    let offered = app
        .store
        .offered_totp_secret(dir, pending.token_hash)
        .await?;
    let Some(Ok(secret)) = offered.as_deref().map(TotpSecret::from_base32) else {
        return Ok(Enrolled::NotOffered);
    };
    let now = app.store.clock().now_s().max(0) as u64;
    let Some(step) = Totp::default().verify(&secret, code.trim(), now, None) else {
        return Ok(Enrolled::WrongCode(secret));
    };
    let codes = recovery::generate(&account.username, recovery::DEFAULT_COUNT)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    app.store
        .enable_totp(
            account,
            secret.to_base32().expose_secret(),
            step as i64,
            &codes.hashes,
            &pending.actor,
        )
        .await?;
    let session = renew(app, dir, pending.token_hash).await?;
    Ok(Enrolled::Done {
        session,
        recovery_codes: codes.codes,
    })
}

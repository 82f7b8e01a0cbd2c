//! One-time, expiring links to set a password. Thiqa never shows or sends
//! a password in clear: an administrator issues a link, the person sets
//! their own password through it.

use secrecy::{ExposeSecret, SecretString};
use thiqa_crypto::strength::Problem;
use thiqa_crypto::token::token_hash;
use thiqa_store::Account;

use super::{hash_password, Visitor};
use crate::{App, AppError};

/// Link tokens are URL-safe base64 of 32 bytes; anything else is refused
/// before the database is asked.
fn plausible(token: &str) -> bool {
    (20..=100).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The account a live link `token` sets the password of; NotFound for a
/// malformed, unknown, used or expired link.
pub async fn link_account(app: &App, visitor: &Visitor, token: &str) -> Result<Account, AppError> {
    if !plausible(token) {
        return Err(AppError::NotFound);
    }
    app.store
        .password_reset_account(visitor.directory, token_hash(token).as_str())
        .await?
        .ok_or(AppError::NotFound)
}

/// Why a new password was refused.
#[derive(Debug)]
pub enum PasswordProblem {
    /// The policy's reason (length, guessability, likeness to the name).
    Weak(Problem),
    /// The confirmation differs.
    Mismatch,
}

/// What setting a password through a link came to.
pub enum LinkOutcome {
    /// Set; the link is used up (journaled).
    Set,
    /// Refused, nothing changed: whose password it was to be (for the form)
    /// and every reason.
    Refused {
        username: String,
        problems: Vec<PasswordProblem>,
    },
}

/// Sets the password of the link's account when it meets the policy and
/// the confirmation matches; the link then works no more.
pub async fn set_password(
    app: &App,
    visitor: &Visitor,
    token: &str,
    password: SecretString,
    confirm: &str,
) -> Result<LinkOutcome, AppError> {
    let account = link_account(app, visitor, token).await?;
    let mut problems: Vec<PasswordProblem> = match app.sign_in.passwords.check(
        &password,
        &[
            &account.username,
            &account.display_name,
            account.email.as_deref().unwrap_or(""),
        ],
    ) {
        Ok(()) => Vec::new(),
        Err(rejection) => rejection
            .problems()
            .iter()
            .cloned()
            .map(PasswordProblem::Weak)
            .collect(),
    };
    if confirm != password.expose_secret() {
        problems.push(PasswordProblem::Mismatch);
    }
    if !problems.is_empty() {
        return Ok(LinkOutcome::Refused {
            username: account.username,
            problems,
        });
    }
    let new_hash = hash_password(app, password).await?;
    // Whoever holds the link acts as the person it was issued to.
    let actor = thiqa_store::Actor::anonymous(&account.username, visitor.address.clone());
    app.store
        .use_password_reset(
            visitor.directory,
            token_hash(token).as_str(),
            &new_hash,
            &actor,
        )
        .await?;
    Ok(LinkOutcome::Set)
}

//! Sessions once open: renewed after the second factor, ended one or all
//! at once, and the language the account reads in.

use thiqa_crypto::token::Token;
use thiqa_domain::Directory;
use thiqa_store::{Account, Actor, NewEvent};

use super::NewSession;
use crate::{App, AppError};

/// After the second factor: a fresh token replaces the pending one, so a
/// token seen before authentication is worth nothing after it.
pub async fn renew(app: &App, dir: Directory, old_hash: &str) -> Result<NewSession, AppError> {
    let token = Token::generate().map_err(|e| AppError::Internal(e.to_string()))?;
    let csrf = Token::generate().map_err(|e| AppError::Internal(e.to_string()))?;
    app.store
        .complete_session(
            dir,
            old_hash,
            token.hash().as_str(),
            csrf.expose(),
            app.sign_in.sessions,
        )
        .await?;
    Ok(NewSession { token })
}

/// Ends the session `token_hash` of `account` (journaled).
pub async fn sign_out(
    app: &App,
    account: &Account,
    token_hash: &str,
    actor: &Actor,
) -> Result<(), AppError> {
    app.store
        .delete_session(account.directory, token_hash)
        .await?;
    app.store
        .record_event(actor, NewEvent::success("logout").about(account))
        .await?;
    Ok(())
}

/// "Log out everywhere": every session of the account ends and every API
/// token of the account is revoked (journaled).
pub async fn sign_out_everywhere(
    app: &App,
    account: &Account,
    actor: &Actor,
) -> Result<(), AppError> {
    app.store.delete_all_sessions(account, actor).await?;
    Ok(())
}

/// The language `account` reads pages in from now on (`fr`, `en`).
pub async fn set_language(app: &App, account: &Account, code: &str) -> Result<(), AppError> {
    app.store.set_language(account, code).await?;
    Ok(())
}

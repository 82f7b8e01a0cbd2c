//! A request signed by a personal API token: whose token it is and what it
//! may do now. The token is looked up by its hash; its owner must be active
//! and not locked; its rights are the owner's current ones narrowed to the
//! token's scopes, so a right taken from the owner is gone from the token
//! at once.

use thiqa_crypto::token::token_hash;
use thiqa_domain::{Directory, LockState, PermissionSet};
use thiqa_store::Account;

use crate::{App, AppError};

/// The owner of a valid token and the permissions the token carries.
pub struct TokenHolder {
    pub account: Account,
    pub permissions: PermissionSet,
}

/// The holder of `presented` in directory `dir`; None for an unknown,
/// expired or revoked token, or one whose owner cannot sign in now.
pub async fn token_holder(
    app: &App,
    dir: Directory,
    presented: &str,
) -> Result<Option<TokenHolder>, AppError> {
    let Some(owner) = app
        .store
        .api_token_by_hash(dir, token_hash(presented).as_str())
        .await?
    else {
        return Ok(None);
    };
    let account = owner.account;
    let locked = matches!(
        app.lockout
            .state(account.locked_at, app.store.clock().now_s()),
        LockState::Locked { .. }
    );
    if !account.is_active() || locked {
        return Ok(None);
    }
    let held = app
        .store
        .tenant(account.tenant)
        .permissions_of(account.id)
        .await?;
    let permissions = owner
        .token
        .scopes
        .iter()
        .copied()
        .filter(|p| held.contains(*p))
        .collect();
    Ok(Some(TokenHolder {
        account,
        permissions,
    }))
}

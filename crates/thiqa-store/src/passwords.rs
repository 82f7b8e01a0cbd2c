//! Passwords set, changed or reset through a one-time link. A new password
//! ends every session and revokes every API token of the account: nothing
//! made with the old credentials outlives them. Only SHA-256 hashes of
//! reset links are stored.

use crate::outbox::LinkMail;
use thiqa_domain::Directory;

use crate::accounts::Account;
use crate::connect::{Store, WriteTx};
use crate::directory_tables::tables;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::tokens::revoke_all_api_tokens;

/// Sets a new password hash, releases any lock, ends every session and
/// revokes every API token of the account, inside the caller's transaction
/// (a password change and a reset link both end here).
pub(crate) async fn write_password(
    w: &mut WriteTx,
    account: &Account,
    password_hash: &str,
    now_s: i64,
    actor: &Actor,
) -> Result<(), StoreError> {
    let t = tables(account.directory);
    let sql = format!(
        "UPDATE {} SET password_hash = $1, password_changed_at = $2, failed_attempts = 0, \
         locked_at = NULL WHERE id = $3",
        t.users
    );
    sqlx::query(&sql)
        .bind(password_hash)
        .bind(now_s)
        .bind(account.id)
        .execute(&mut *w.tx)
        .await?;
    let sql = format!("DELETE FROM {} WHERE user_id = $1", t.sessions);
    sqlx::query(&sql)
        .bind(account.id)
        .execute(&mut *w.tx)
        .await?;
    revoke_all_api_tokens(w, account, actor, now_s).await?;
    Ok(())
}

impl Store {
    /// Sets a new password hash, releases any lock and ends every session of
    /// the account ("log out everywhere" after a password change).
    pub async fn set_password(
        &self,
        account: &Account,
        password_hash: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let now = self.clock.now_s();
        let mut w = self.write().await?;
        write_password(&mut w, account, password_hash, now, actor).await?;
        w.event(actor, &NewEvent::success("password.change").about(account))
            .await?;
        w.commit().await
    }

    /// Issues a one-time reset link; earlier unused links of the account stop working.
    pub async fn create_password_reset(
        &self,
        account: &Account,
        token_hash: &str,
        ttl_s: i64,
        mail: Option<&LinkMail>,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let t = tables(account.directory);
        let now = self.clock.now_s();
        let mut w = self.write().await?;
        let sql = format!(
            "DELETE FROM {} WHERE user_id = $1 AND used_at IS NULL",
            t.resets
        );
        sqlx::query(&sql)
            .bind(account.id)
            .execute(&mut *w.tx)
            .await?;
        let sql = format!(
            "INSERT INTO {} (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            t.resets
        );
        sqlx::query(&sql)
            .bind(token_hash)
            .bind(account.id)
            .bind(now)
            .bind(now + ttl_s)
            .execute(&mut *w.tx)
            .await?;
        w.event(
            actor,
            &NewEvent::success("password.reset_issued").about(account),
        )
        .await?;
        if let Some(mail) = mail {
            crate::outbox::queue_link_mail(&mut w, account, mail, now + ttl_s).await?;
        }
        w.commit().await?;
        Ok(now + ttl_s)
    }

    /// The account a valid (unused, unexpired) reset link is for.
    pub async fn password_reset_account(
        &self,
        dir: Directory,
        token_hash: &str,
    ) -> Result<Option<Account>, StoreError> {
        let t = tables(dir);
        let sql = format!(
            "SELECT user_id FROM {} WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            t.resets
        );
        let user_id: Option<i64> = sqlx::query_scalar(&sql)
            .bind(token_hash)
            .bind(self.clock.now_s())
            .fetch_optional(&self.pool)
            .await?;
        match user_id {
            Some(id) => {
                let account = self.account(dir, id).await?;
                Ok(account.is_active().then_some(account))
            }
            None => Ok(None),
        }
    }

    /// Uses the link: marks it used and sets the new password in one
    /// transaction, so a link works exactly once.
    pub async fn use_password_reset(
        &self,
        dir: Directory,
        token_hash: &str,
        new_password_hash: &str,
        actor: &Actor,
    ) -> Result<Account, StoreError> {
        let account = self
            .password_reset_account(dir, token_hash)
            .await?
            .ok_or(StoreError::NotFound)?;
        let t = tables(dir);
        let now = self.clock.now_s();
        let mut w = self.write().await?;
        let sql = format!(
            "UPDATE {} SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
            t.resets
        );
        let done = sqlx::query(&sql)
            .bind(now)
            .bind(token_hash)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        write_password(&mut w, &account, new_password_hash, now, actor).await?;
        w.event(
            actor,
            &NewEvent::success("password.reset")
                .target(format!("{}:{}", dir.as_str(), account.username))
                .tenant(account.tenant),
        )
        .await?;
        w.commit().await?;
        Ok(account)
    }
}

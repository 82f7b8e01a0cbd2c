//! Personal API tokens. Only SHA-256 hashes of the secrets are stored.

use serde::Serialize;
use thiqa_domain::{ApiTokenId, Directory, Permission};

use crate::accounts::Account;
use crate::connect::{Store, WriteTx};
use crate::directory_tables::tables;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::reads::ReadRow;

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub name: String,
    /// The permissions the token may use: a subset of its owner's at use time.
    pub scopes: Vec<Permission>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// Who a presented token belongs to.
#[derive(Debug, Clone)]
pub struct ApiTokenOwner {
    pub account: Account,
    pub token: ApiToken,
}

fn token_from(row: &ReadRow) -> Result<ApiToken, StoreError> {
    let scopes: String = row.get("scopes")?;
    Ok(ApiToken {
        id: ApiTokenId(row.get("id")?),
        name: row.get("name")?,
        scopes: scopes
            .split_whitespace()
            .filter_map(Permission::parse)
            .collect(),
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
        revoked_at: row.get("revoked_at")?,
        last_used_at: row.get("last_used_at")?,
    })
}

const TOKEN_COLUMNS: &str =
    "id, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at";

/// Revokes every live API token of the account inside the caller's
/// transaction, journaled when there was any: "log out everywhere" and a new
/// password end them, as they end the sessions (tokens never outlive the
/// credentials that made them).
pub(crate) async fn revoke_all_api_tokens(
    w: &mut WriteTx,
    account: &Account,
    actor: &Actor,
    now_s: i64,
) -> Result<u64, StoreError> {
    let t = tables(account.directory);
    let sql = format!(
        "UPDATE {} SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        t.tokens
    );
    let done = sqlx::query(&sql)
        .bind(now_s)
        .bind(account.id)
        .execute(&mut *w.tx)
        .await?;
    let n = done.rows_affected();
    if n > 0 {
        w.event(
            actor,
            &NewEvent::success("api_token.revoke_all")
                .about(account)
                .details(format!("{n} tokens revoked")),
        )
        .await?;
    }
    Ok(n)
}

impl Store {
    pub async fn create_api_token(
        &self,
        account: &Account,
        name: &str,
        token_hash: &str,
        scopes: &[Permission],
        expires_at: i64,
        actor: &Actor,
    ) -> Result<ApiTokenId, StoreError> {
        let t = tables(account.directory);
        let scopes_text = scopes
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut w = self.write().await?;
        let sql = format!(
            "INSERT INTO {} (user_id, name, token_hash, scopes, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            t.tokens
        );
        let id: i64 = sqlx::query_scalar(&sql)
            .bind(account.id)
            .bind(name)
            .bind(token_hash)
            .bind(&scopes_text)
            .bind(self.clock.now_s())
            .bind(expires_at)
            .fetch_one(&mut *w.tx)
            .await?;
        w.event(
            actor,
            &NewEvent::success("api_token.create")
                .about(account)
                .details(format!("token {id} \"{name}\" scopes: {scopes_text}")),
        )
        .await?;
        w.commit().await?;
        Ok(ApiTokenId(id))
    }

    /// The live token with this hash (not revoked, not expired), if any.
    pub async fn api_token_by_hash(
        &self,
        dir: Directory,
        token_hash: &str,
    ) -> Result<Option<ApiTokenOwner>, StoreError> {
        let t = tables(dir);
        let now = self.clock.now_s();
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM {} WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
            t.tokens
        );
        let rows = self.read(&sql, &[token_hash.into(), now.into()]).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let token = token_from(row)?;
        if token.last_used_at.is_none_or(|at| now - at >= 60) {
            let sql = format!("UPDATE {} SET last_used_at = $1 WHERE id = $2", t.tokens);
            sqlx::query(&sql)
                .bind(now)
                .bind(token.id.0)
                .execute(&self.pool)
                .await?;
        }
        let account = self.account(dir, row.get("user_id")?).await?;
        Ok(Some(ApiTokenOwner { account, token }))
    }

    pub async fn api_tokens(&self, account: &Account) -> Result<Vec<ApiToken>, StoreError> {
        let t = tables(account.directory);
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM {} WHERE user_id = $1 ORDER BY id",
            t.tokens
        );
        let rows = self.read(&sql, &[account.id.into()]).await?;
        rows.iter().map(token_from).collect()
    }

    /// Revokes one of the account's own tokens.
    pub async fn revoke_api_token(
        &self,
        account: &Account,
        token_id: ApiTokenId,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let token_id = token_id.0;
        let t = tables(account.directory);
        let mut w = self.write().await?;
        let sql = format!(
            "UPDATE {} SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            t.tokens
        );
        let done = sqlx::query(&sql)
            .bind(self.clock.now_s())
            .bind(token_id)
            .bind(account.id)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        w.event(
            actor,
            &NewEvent::success("api_token.revoke")
                .about(account)
                .details(format!("token {token_id}")),
        )
        .await?;
        w.commit().await
    }
}

//! Accounts of both directories: creation, login bookkeeping (failures,
//! lockout), second factor and deregistration (3.5.2); passwords in
//! passwords.rs.

use std::fmt;

use sqlx::any::AnyRow;
use thiqa_domain::{Directory, Tenant};

use crate::connect::{Store, WriteTx};
use crate::directory_tables::tables;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::reads::ReadRow;
use crate::scope::TenantScope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    /// Access removed and personal data erased; the row stays so events keep
    /// pointing at something.
    Deregistered,
}

/// One account. Its Debug output never shows the hash or the TOTP secret.
#[derive(Clone)]
pub struct Account {
    pub directory: Directory,
    pub id: i64,
    pub tenant: Tenant,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    pub failed_attempts: i64,
    pub locked_at: Option<i64>,
    pub language: String,
    pub status: AccountStatus,
    pub created_at: i64,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("directory", &self.directory)
            .field("id", &self.id)
            .field("username", &self.username)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Account {
    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active
    }

    /// How security events name this account: `operator:amal`.
    pub fn event_target(&self) -> String {
        format!("{}:{}", self.directory.as_str(), self.username)
    }
}

impl NewEvent {
    /// The event concerns this account: its name and its tenant.
    pub fn about(self, account: &Account) -> NewEvent {
        self.target(account.event_target()).tenant(account.tenant)
    }
}

/// What a new account starts with. Holds no permission: roles come after.
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// None until the person sets it through a one-time link.
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub language: String,
}

/// The state after a failed attempt was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailure {
    pub attempts: i64,
    /// True when this failure locked the account.
    pub now_locked: bool,
}

pub(crate) const ACCOUNT_COLUMNS: &str =
    "id, username, display_name, email, password_hash, totp_secret, \
    totp_enabled, totp_last_step, failed_attempts, locked_at, language, status, created_at";

pub(crate) fn account_from_row(dir: Directory, row: &AnyRow) -> Result<Account, StoreError> {
    account_from(dir, &ReadRow::from_any(row)?)
}

/// The account of a row holding [`ACCOUNT_COLUMNS`] and the directory's
/// tenant column.
pub(crate) fn account_from(dir: Directory, row: &ReadRow) -> Result<Account, StoreError> {
    let t = tables(dir);
    let tenant_id: i64 = row.get(t.tenant_col)?;
    let tenant = Tenant::from_parts(t.tenant_kind, tenant_id)
        .ok_or_else(|| StoreError::Corrupt("tenant kind".into()))?;
    let status: String = row.get("status")?;
    Ok(Account {
        directory: dir,
        id: row.get("id")?,
        tenant,
        username: row.get("username")?,
        display_name: row.get("display_name")?,
        email: row.get("email")?,
        password_hash: row.get("password_hash")?,
        totp_secret: row.get("totp_secret")?,
        totp_enabled: row.get::<i64>("totp_enabled")? != 0,
        totp_last_step: row.get("totp_last_step")?,
        failed_attempts: row.get("failed_attempts")?,
        locked_at: row.get("locked_at")?,
        language: row.get("language")?,
        status: match status.as_str() {
            "active" => AccountStatus::Active,
            "deregistered" => AccountStatus::Deregistered,
            other => return Err(StoreError::Corrupt(format!("account status {other}"))),
        },
        created_at: row.get("created_at")?,
    })
}

/// Deregistered accounts are renamed `deregistered-<id>`: a new account may
/// not take such a name (its owner's deregistration would then collide).
const DEREGISTERED_PREFIX: &str = "deregistered-";

/// Why a username cannot be given, the same words for every reason (taken in
/// this tenant, in another one, reserved), so an administrator learns
/// nothing about other organisations' accounts.
fn username_unavailable() -> StoreError {
    StoreError::Conflict(username_unavailable_refusal())
}

impl Store {
    /// Whether a new account may take this name: not reserved and not held
    /// by any account of the directory, whatever its tenant.
    pub async fn username_available(
        &self,
        dir: Directory,
        username: &str,
    ) -> Result<bool, StoreError> {
        Ok(!username.starts_with(DEREGISTERED_PREFIX)
            && self.account_by_username(dir, username).await?.is_none())
    }

    pub async fn account_by_username(
        &self,
        dir: Directory,
        username: &str,
    ) -> Result<Option<Account>, StoreError> {
        let t = tables(dir);
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, {} FROM {} WHERE username = $1",
            t.tenant_col, t.users
        );
        let row = sqlx::query(&sql)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| account_from_row(dir, &r)).transpose()
    }

    pub(crate) async fn account(&self, dir: Directory, id: i64) -> Result<Account, StoreError> {
        let t = tables(dir);
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, {} FROM {} WHERE id = $1",
            t.tenant_col, t.users
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        account_from_row(dir, &row)
    }

    /// Counts one failed attempt and locks the account when `threshold` is
    /// reached, with its events, in one transaction.
    pub async fn record_login_failure(
        &self,
        account: &Account,
        threshold: u32,
        actor: &Actor,
        reason: &str,
    ) -> Result<LoginFailure, StoreError> {
        let t = tables(account.directory);
        let now = self.clock.now_s();
        let mut w = self.write().await?;
        let sql = format!(
            "UPDATE {} SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING failed_attempts",
            t.users
        );
        let attempts: i64 = sqlx::query_scalar(&sql)
            .bind(account.id)
            .fetch_one(&mut *w.tx)
            .await?;
        let target = format!("{}:{}", account.directory.as_str(), account.username);
        w.event(
            actor,
            &NewEvent::failure("login")
                .target(&target)
                .tenant(account.tenant)
                .details(reason.to_string()),
        )
        .await?;
        // Locked once: of failures racing past the threshold (each read the
        // account unlocked), only the one whose UPDATE finds it unlocked
        // locks it and journals the lock; a later one neither moves the
        // lock's time (delaying its release) nor journals it again.
        let now_locked = attempts >= i64::from(threshold)
            && account.locked_at.is_none()
            && sqlx::query(&format!(
                "UPDATE {} SET locked_at = $1 WHERE id = $2 AND locked_at IS NULL",
                t.users
            ))
            .bind(now)
            .bind(account.id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected()
                == 1;
        if now_locked {
            // A sign-in waiting for its second factor dies with the lock: a
            // password-only session opened before it can finish nothing.
            let sql = format!(
                "DELETE FROM {} WHERE user_id = $1 AND mfa_passed = 0",
                t.sessions
            );
            sqlx::query(&sql)
                .bind(account.id)
                .execute(&mut *w.tx)
                .await?;
            w.event(
                &Actor::system(),
                &NewEvent::success("account.lock")
                    .target(&target)
                    .tenant(account.tenant)
                    .details(format!("{attempts} consecutive failed attempts")),
            )
            .await?;
        }
        w.commit().await?;
        Ok(LoginFailure {
            attempts,
            now_locked,
        })
    }

    /// A successful step of signing in (password, second factor): the
    /// failure counter starts again. Never releases a lock: false, with
    /// nothing written, when the account is locked (a lock that came while
    /// the step was being checked); only [`Store::unlock_account`] does.
    pub async fn record_login_success(
        &self,
        account: &Account,
        actor: &Actor,
        step: &'static str,
    ) -> Result<bool, StoreError> {
        self.clear_failures(account, actor, step, "AND locked_at IS NULL")
            .await
    }

    /// Releases a lock (an operator's action, or an expired delay).
    pub async fn unlock_account(&self, account: &Account, actor: &Actor) -> Result<(), StoreError> {
        self.clear_failures(account, actor, "account.unlock", "")
            .await?;
        Ok(())
    }

    /// Zeroes the failure counter and any lock where `condition` (a fixed
    /// SQL fragment) holds, recording `action`; false when it did not hold.
    async fn clear_failures(
        &self,
        account: &Account,
        actor: &Actor,
        action: &'static str,
        condition: &'static str,
    ) -> Result<bool, StoreError> {
        let t = tables(account.directory);
        let mut w = self.write().await?;
        let sql = format!(
            "UPDATE {} SET failed_attempts = 0, locked_at = NULL WHERE id = $1 {condition}",
            t.users
        );
        let done = sqlx::query(&sql)
            .bind(account.id)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        w.event(actor, &NewEvent::success(action).about(account))
            .await?;
        w.commit().await?;
        Ok(true)
    }

    /// Accepts a TOTP time step only if it is newer than the last one used:
    /// the conditional update makes a replayed code fail even when two
    /// requests race.
    pub async fn accept_totp_step(&self, account: &Account, step: i64) -> Result<bool, StoreError> {
        let t = tables(account.directory);
        let mut w = self.write().await?;
        let sql = format!(
            "UPDATE {} SET totp_last_step = $1 WHERE id = $2 \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
            t.users
        );
        let done = sqlx::query(&sql)
            .bind(step)
            .bind(account.id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Turns the second factor on with its secret and recovery code hashes
    /// (replacing any previous ones).
    pub async fn enable_totp(
        &self,
        account: &Account,
        secret: &str,
        last_step: i64,
        recovery_hashes: &[String],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        let totp = SecondFactor {
            secret,
            last_step,
            recovery_hashes,
        };
        turn_on_totp(&mut w, account.directory, account.id, &totp).await?;
        w.event(actor, &NewEvent::success("mfa.enable").about(account))
            .await?;
        w.commit().await
    }

    pub async fn recovery_code_hashes(&self, account: &Account) -> Result<Vec<String>, StoreError> {
        let t = tables(account.directory);
        let sql = format!("SELECT code_hash FROM {} WHERE user_id = $1", t.recovery);
        Ok(sqlx::query_scalar(&sql)
            .bind(account.id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Uses up one recovery code; false when it was already used.
    pub async fn consume_recovery_code(
        &self,
        account: &Account,
        code_hash: &str,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let t = tables(account.directory);
        let mut w = self.write().await?;
        let sql = format!(
            "DELETE FROM {} WHERE user_id = $1 AND code_hash = $2",
            t.recovery
        );
        let done = sqlx::query(&sql)
            .bind(account.id)
            .bind(code_hash)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() == 1 {
            w.event(
                actor,
                &NewEvent::success("mfa.recovery_code_used").about(account),
            )
            .await?;
        }
        w.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_language(&self, account: &Account, language: &str) -> Result<(), StoreError> {
        let t = tables(account.directory);
        let sql = format!("UPDATE {} SET language = $1 WHERE id = $2", t.users);
        let updated = sqlx::query(&sql)
            .bind(language)
            .bind(account.id)
            .execute(&self.pool)
            .await;
        self.auth_cache.drop_all();
        updated?;
        Ok(())
    }

    /// Deregistration (3.5.2): every access goes at once (sessions, tokens,
    /// roles, reset links, recovery codes) and the personal data is erased.
    /// The security events stay: they are the record of what happened.
    pub async fn deregister_account(
        &self,
        account: &Account,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let t = tables(account.directory);
        let mut w = self.write().await?;
        for table in [t.sessions, t.tokens, t.roles, t.resets, t.recovery] {
            let sql = format!("DELETE FROM {table} WHERE user_id = $1");
            sqlx::query(&sql)
                .bind(account.id)
                .execute(&mut *w.tx)
                .await?;
        }
        let sql = format!(
            "UPDATE {} SET username = $1, display_name = '', email = NULL, password_hash = NULL, \
             totp_secret = NULL, totp_enabled = 0, status = 'deregistered' WHERE id = $2",
            t.users
        );
        sqlx::query(&sql)
            .bind(format!("{DEREGISTERED_PREFIX}{}", account.id))
            .bind(account.id)
            .execute(&mut *w.tx)
            .await?;
        w.event(
            actor,
            &NewEvent::success("account.deregister")
                .target(format!("{}:{}", account.directory.as_str(), account.id))
                .tenant(account.tenant),
        )
        .await?;
        w.commit().await
    }
}

impl TenantScope<'_> {
    /// Creates account `new` in this tenant's directory; returns its id.
    pub async fn create_account(self, new: NewAccount, actor: &Actor) -> Result<i64, StoreError> {
        let mut w = self.store.write().await?;
        let id = insert_account(&mut w, self.tenant, &new, actor, self.store.clock.now_s()).await?;
        w.commit().await?;
        Ok(id)
    }

    /// The account if it belongs to `tenant`: how handlers reach another
    /// user's account, so a tenant can never touch another's.
    pub async fn account(self, id: i64) -> Result<Account, StoreError> {
        let tenant = self.tenant;
        let account = self.store.account(tenant.directory(), id).await?;
        if account.tenant != tenant {
            return Err(StoreError::NotFound);
        }
        Ok(account)
    }

    pub async fn accounts(self) -> Result<Vec<Account>, StoreError> {
        let tenant = self.tenant;
        let dir = tenant.directory();
        let t = tables(dir);
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS}, {} FROM {} WHERE {} = $1 ORDER BY username",
            t.tenant_col, t.users, t.tenant_col
        );
        let rows = sqlx::query(&sql)
            .bind(tenant.parts().1)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(|r| account_from_row(dir, r)).collect()
    }
}

/// The refusal when a username cannot be had: the same words whatever the
/// reason (taken in this tenant or another, reserved), so nothing about
/// other tenants leaks.
pub fn username_unavailable_refusal() -> crate::Refusal {
    crate::Refusal::new("refusal-username-unavailable", "username not available")
}

/// A second factor as it is turned on: the secret, the last step used (0:
/// none) and the hashes of the recovery codes.
pub struct SecondFactor<'a> {
    pub secret: &'a str,
    pub last_step: i64,
    pub recovery_hashes: &'a [String],
}

/// Inserts a new account inside `w` and journals its creation.
pub(crate) async fn insert_account(
    w: &mut WriteTx,
    tenant: Tenant,
    new: &NewAccount,
    actor: &Actor,
    now: i64,
) -> Result<i64, StoreError> {
    let dir = tenant.directory();
    let t = tables(dir);
    let tenant_id = tenant.parts().1;
    if new.username.starts_with(DEREGISTERED_PREFIX) {
        return Err(username_unavailable());
    }
    let sql = format!(
        "INSERT INTO {} ({}, username, display_name, email, password_hash, totp_secret, \
         totp_enabled, language, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $8) RETURNING id",
        t.users, t.tenant_col
    );
    let id: i64 = sqlx::query_scalar(&sql)
        .bind(tenant_id)
        .bind(&new.username)
        .bind(&new.display_name)
        .bind(&new.email)
        .bind(&new.password_hash)
        .bind(&new.totp_secret)
        .bind(&new.language)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(
            |e| match StoreError::conflict_on(e, username_unavailable_refusal()) {
                StoreError::Conflict(_) => username_unavailable(),
                other => other,
            },
        )?;
    w.event(
        actor,
        &NewEvent::success("account.create")
            .target(format!("{}:{}", dir.as_str(), new.username))
            .tenant(tenant),
    )
    .await?;
    Ok(id)
}

/// Turns the second factor of account `id` on inside `w`, replacing any
/// recovery codes; the caller journals it.
pub(crate) async fn turn_on_totp(
    w: &mut WriteTx,
    dir: Directory,
    id: i64,
    totp: &SecondFactor<'_>,
) -> Result<(), StoreError> {
    let t = tables(dir);
    let sql = format!(
        "UPDATE {} SET totp_secret = $1, totp_enabled = 1, totp_last_step = $2 WHERE id = $3",
        t.users
    );
    sqlx::query(&sql)
        .bind(totp.secret)
        .bind(totp.last_step)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
    let sql = format!("DELETE FROM {} WHERE user_id = $1", t.recovery);
    sqlx::query(&sql).bind(id).execute(&mut *w.tx).await?;
    let sql = format!(
        "INSERT INTO {} (user_id, code_hash) VALUES ($1, $2)",
        t.recovery
    );
    for h in totp.recovery_hashes {
        sqlx::query(&sql)
            .bind(id)
            .bind(h)
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(())
}

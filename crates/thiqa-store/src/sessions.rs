//! Server-side sessions, one table per directory. The cookie holds a random
//! token; only its SHA-256 is stored, so a database read does not yield
//! usable sessions.

use thiqa_domain::{Directory, Permission, PermissionSet};

use crate::accounts::{account_from, Account, ACCOUNT_COLUMNS};
use crate::auth_cache::{CacheKey, CHANNEL};
use crate::tokens::revoke_all_api_tokens;

use crate::connect::Store;
use crate::directory_tables::tables;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Seconds of inactivity after which the session ends.
    pub idle_s: i64,
    /// Seconds after login after which the session ends whatever happens.
    pub absolute_s: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_s: 30 * 60,
            absolute_s: 12 * 3600,
        }
    }
}

#[derive(Clone)]
pub struct Session {
    pub directory: Directory,
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    /// False between the password and the second factor.
    pub mfa_passed: bool,
    pub created_at: i64,
    pub last_seen_at: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("directory", &self.directory)
            .field("user_id", &self.user_id)
            .field("mfa_passed", &self.mfa_passed)
            .finish_non_exhaustive()
    }
}

/// A password-only (pending) session lives this long at most: the second
/// factor, or its enrolment, follows within minutes or the password is asked
/// again. A stolen password thus buys no lasting foothold for code guessing.
pub const PENDING_SESSION_S: i64 = 5 * 60;

/// Refreshing `last_seen_at` on every request would turn each page view into
/// a write; once a minute is precise enough for a 30-minute idle timeout.
const TOUCH_EVERY_S: i64 = 60;

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        dir: Directory,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        mfa_passed: bool,
        policy: SessionPolicy,
        source_ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<(), StoreError> {
        let t = tables(dir);
        let now = self.clock.now_s();
        let sql = format!(
            "INSERT INTO {} (token_hash, user_id, csrf_token, mfa_passed, created_at, last_seen_at, \
             expires_at, source_ip, user_agent) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
            t.sessions
        );
        let ua: Option<String> = user_agent.map(|s| s.chars().take(256).collect());
        let lifetime = if mfa_passed {
            policy.absolute_s
        } else {
            policy.absolute_s.min(PENDING_SESSION_S)
        };
        sqlx::query(&sql)
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(i64::from(mfa_passed))
            .bind(now)
            .bind(now + lifetime)
            .bind(source_ip)
            .bind(ua)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The live session for this token hash, or None when unknown, idle for
    /// too long, past its absolute lifetime or of an inactive account.
    pub async fn session(
        &self,
        dir: Directory,
        token_hash: &str,
        policy: SessionPolicy,
    ) -> Result<Option<Session>, StoreError> {
        Ok(self
            .session_with_account(dir, token_hash, policy)
            .await?
            .map(|(session, _, _)| session))
    }

    /// The live session with its account and the account's permissions, in
    /// one query: this runs on every request, so one round trip instead of
    /// three. None when the session is unknown or expired, or the account is
    /// no longer active.
    pub async fn session_with_account(
        &self,
        dir: Directory,
        token_hash: &str,
        policy: SessionPolicy,
    ) -> Result<Option<(Session, Account, PermissionSet)>, StoreError> {
        let now = self.clock.now_s();
        // No key (an allocation per request) where nothing is cached.
        let key = self
            .auth_cache
            .listening()
            .then(|| CacheKey::Session(dir, token_hash.to_string()));
        if let Some(hit) = key
            .as_ref()
            .and_then(|k| self.auth_cache.get::<Resolved>(k))
        {
            let idle = now - hit.session.last_seen_at;
            // A copy that looks expired is checked against the row: another
            // instance may have seen the session since.
            if now < hit.expires_at && idle < policy.idle_s {
                if idle >= TOUCH_EVERY_S {
                    self.touch_session(dir, token_hash, now).await?;
                    if let Some(k) = &key {
                        self.auth_cache
                            .update::<Resolved>(k, |r| r.session.last_seen_at = now);
                    }
                }
                let hit = Resolved::clone(&hit);
                return Ok(Some((hit.session, hit.account, hit.permissions)));
            }
        }
        let epoch = self.auth_cache.epoch();
        let t = tables(dir);
        let columns = ACCOUNT_COLUMNS
            .split(',')
            .map(|c| format!("u.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        // One row: the permissions come folded into one space-separated
        // column (the aggregate's name differs between the two backends).
        let fold = match self.backend() {
            crate::Backend::Sqlite => "group_concat(p.permission, ' ')",
            crate::Backend::Postgres => "string_agg(p.permission, ' ')",
        };
        let sql = format!(
            "SELECT s.csrf_token, s.mfa_passed, s.created_at AS s_created_at, s.last_seen_at, \
             s.expires_at, {columns}, u.{tenant_col}, \
             (SELECT {fold} FROM {roles} a JOIN role_permissions p ON p.role_id = a.role_id \
              WHERE a.user_id = u.id) AS permissions \
             FROM {sessions} s JOIN {users} u ON u.id = s.user_id \
             WHERE s.token_hash = $1",
            tenant_col = t.tenant_col,
            sessions = t.sessions,
            users = t.users,
            roles = t.roles,
        );
        let rows = self.read(&sql, &[token_hash.into()]).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let expires_at: i64 = first.get("expires_at")?;
        let last_seen_at: i64 = first.get("last_seen_at")?;
        if now >= expires_at || now - last_seen_at >= policy.idle_s {
            self.delete_session(dir, token_hash).await?;
            return Ok(None);
        }
        let account = account_from(dir, first)?;
        if !account.is_active() {
            return Ok(None);
        }
        let mut seen = last_seen_at;
        if now - last_seen_at >= TOUCH_EVERY_S {
            self.touch_session(dir, token_hash, now).await?;
            seen = now;
        }
        let session = Session {
            directory: dir,
            token_hash: token_hash.to_string(),
            user_id: account.id,
            csrf_token: first.get("csrf_token")?,
            mfa_passed: first.get::<i64>("mfa_passed")? != 0,
            created_at: first.get("s_created_at")?,
            last_seen_at,
        };
        // Rights count only once the second factor is passed.
        let mut permissions = PermissionSet::new();
        if session.mfa_passed {
            let names: Option<String> = first.get("permissions")?;
            for p in names
                .iter()
                .flat_map(|n| n.split(' '))
                .filter_map(Permission::parse)
            {
                permissions.insert(p);
            }
        }
        if let (Some(epoch), Some(key)) = (epoch, key) {
            let resolved = Resolved {
                session: Session {
                    last_seen_at: seen,
                    ..session.clone()
                },
                account: account.clone(),
                permissions: permissions.clone(),
                expires_at,
            };
            self.auth_cache.keep(epoch, key, resolved);
        }
        Ok(Some((session, account, permissions)))
    }

    /// Records that the session was used now (the idle timeout counts from
    /// here). Changes only `last_seen_at`, which the session cache's
    /// triggers ignore: a touch does not empty every instance's cache.
    async fn touch_session(
        &self,
        dir: Directory,
        token_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE {} SET last_seen_at = $1 WHERE token_hash = $2",
            tables(dir).sessions
        );
        sqlx::query(&sql)
            .bind(now)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// After the second factor, the session gets a new token (no fixation),
    /// is marked complete and gets the full lifetime counted from the login;
    /// the enrolment secret it held is no longer needed.
    pub async fn complete_session(
        &self,
        dir: Directory,
        old_hash: &str,
        new_hash: &str,
        new_csrf: &str,
        policy: SessionPolicy,
    ) -> Result<(), StoreError> {
        let t = tables(dir);
        let sql = format!(
            "UPDATE {} SET token_hash = $1, csrf_token = $2, mfa_passed = 1, last_seen_at = $3, \
             expires_at = created_at + $4, totp_pending_secret = NULL \
             WHERE token_hash = $5 AND mfa_passed = 0",
            t.sessions
        );
        let done = sqlx::query(&sql)
            .bind(new_hash)
            .bind(new_csrf)
            .bind(self.clock.now_s())
            .bind(policy.absolute_s)
            .bind(old_hash)
            .execute(&self.pool)
            .await;
        self.auth_cache.drop_all();
        if done?.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The TOTP secret offered to this pending session for enrolment:
    /// `candidate` the first time, the same secret on every later call, so a
    /// reloaded page shows what the person may already have scanned. None
    /// when the session is not pending.
    pub async fn offer_totp_secret(
        &self,
        dir: Directory,
        token_hash: &str,
        candidate: &str,
    ) -> Result<Option<String>, StoreError> {
        let t = tables(dir);
        let sql = format!(
            "UPDATE {} SET totp_pending_secret = COALESCE(totp_pending_secret, $1) \
             WHERE token_hash = $2 AND mfa_passed = 0 RETURNING totp_pending_secret",
            t.sessions
        );
        Ok(sqlx::query_scalar(&sql)
            .bind(candidate)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The secret [`Store::offer_totp_secret`] kept for this pending session.
    pub async fn offered_totp_secret(
        &self,
        dir: Directory,
        token_hash: &str,
    ) -> Result<Option<String>, StoreError> {
        let t = tables(dir);
        let sql = format!(
            "SELECT totp_pending_secret FROM {} WHERE token_hash = $1 AND mfa_passed = 0",
            t.sessions
        );
        Ok(sqlx::query_scalar::<_, Option<String>>(&sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
            .flatten())
    }

    pub async fn delete_session(&self, dir: Directory, token_hash: &str) -> Result<(), StoreError> {
        let t = tables(dir);
        let sql = format!("DELETE FROM {} WHERE token_hash = $1", t.sessions);
        let deleted = sqlx::query(&sql).bind(token_hash).execute(&self.pool).await;
        self.auth_cache.drop_all();
        deleted?;
        Ok(())
    }

    /// "Log out everywhere": ends every session of the account and revokes
    /// its API tokens, which would otherwise outlive the sessions.
    pub async fn delete_all_sessions(
        &self,
        account: &Account,
        actor: &Actor,
    ) -> Result<u64, StoreError> {
        let t = tables(account.directory);
        let mut w = self.write().await?;
        let sql = format!("DELETE FROM {} WHERE user_id = $1", t.sessions);
        let done = sqlx::query(&sql)
            .bind(account.id)
            .execute(&mut *w.tx)
            .await?;
        w.event(
            actor,
            &NewEvent::success("session.logout_everywhere")
                .about(account)
                .details(format!("{} sessions ended", done.rows_affected())),
        )
        .await?;
        revoke_all_api_tokens(&mut w, account, actor, self.clock.now_s()).await?;
        w.commit().await?;
        Ok(done.rows_affected())
    }
}

/// A session lookup as the session cache keeps it (auth_cache.rs).
#[derive(Clone)]
struct Resolved {
    session: Session,
    account: Account,
    permissions: PermissionSet,
    expires_at: i64,
}

impl Store {
    /// Whether sessions and rights are being cached now: on PostgreSQL,
    /// while [`Store::follow_auth_changes`] hears every change.
    pub fn caching_sessions(&self) -> bool {
        self.auth_cache.listening()
    }

    /// Listens for changes to sessions, accounts and rights made by any
    /// instance or command and keeps this instance's cache of them in step
    /// (see auth_cache.rs). Runs until the process ends: `thiqa serve`
    /// spawns it. Returns at once on SQLite, where sessions are read
    /// in-process and never cached.
    pub async fn follow_auth_changes(&self) {
        let Some(pool) = self.pg_reads.clone() else {
            return;
        };
        let mut retry = std::time::Duration::from_millis(250);
        loop {
            match self.listen_once(&pool).await {
                Ok(()) => retry = std::time::Duration::from_millis(250),
                Err(e) => {
                    tracing::warn!(error = %e, "session cache off: cannot listen for changes to sessions and rights");
                }
            }
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(std::time::Duration::from_secs(10));
        }
    }

    /// One connection of the listener: caching is on while it lasts.
    async fn listen_once(&self, pool: &sqlx::PgPool) -> Result<(), StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        self.auth_cache.set_listening(true);
        let ended = loop {
            match listener.try_recv().await {
                Ok(Some(_)) => self.auth_cache.drop_all(),
                // The connection was lost: what was said meanwhile is lost
                // too. Start again on a new one.
                Ok(None) => break Ok(()),
                Err(e) => break Err(e.into()),
            }
        };
        self.auth_cache.set_listening(false);
        ended
    }
}

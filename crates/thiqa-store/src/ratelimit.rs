//! Fixed-window counters kept in the database, so every `thiqa` instance
//! sharing one PostgreSQL sees the same counts; and the failure counts of
//! usernames that match no account, kept like an account's lockout.

use thiqa_domain::{Directory, LockState, LockoutPolicy};

use crate::connect::Store;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};

/// Failure counts of unknown usernames are kept this long after their last
/// failure: an account's count never decays, so a short retention would let
/// slow guessing tell the two apart.
const UNKNOWN_LOGIN_KEEP_S: i64 = 30 * 86_400;

impl Store {
    /// Counts one hit on `bucket` and says whether it stays within `limit`
    /// hits per `window_s` seconds.
    pub async fn rate_limit_hit(
        &self,
        bucket: &str,
        limit: i64,
        window_s: i64,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now_s();
        let window_start = now - now.rem_euclid(window_s.max(1));
        let mut w = self.write().await?;
        let hits: i64 = sqlx::query_scalar(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start = excluded.window_start \
                           THEN rate_limits.hits + 1 ELSE 1 END, \
               window_start = excluded.window_start \
             RETURNING hits",
        )
        .bind(bucket)
        .bind(window_start)
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(hits <= limit)
    }

    /// A failed sign-in with a username that matches no active account,
    /// counted as [`Store::record_login_failure`] counts an account's and
    /// journaled in the same transaction. Returns what a real account would
    /// be in: `Locked` from the `threshold`-th consecutive failure until the
    /// policy releases it (then the count starts again), `Open` before.
    pub async fn record_unknown_login_failure(
        &self,
        dir: Directory,
        username: &str,
        policy: &LockoutPolicy,
        actor: &Actor,
    ) -> Result<LockState, StoreError> {
        let now = self.clock.now_s();
        let mut w = self.write().await?;
        // The row is written first, which locks it (PostgreSQL; SQLite has
        // one writer): concurrent failures then count one after the other,
        // as an account's do, instead of both writing the same count.
        let (attempts, locked_at): (i64, Option<i64>) = sqlx::query_as(
            "INSERT INTO unknown_login_failures \
             (directory, username, failed_attempts, locked_at, last_failure_at) \
             VALUES ($1, $2, 0, NULL, $3) ON CONFLICT (directory, username) DO UPDATE SET \
               last_failure_at = excluded.last_failure_at \
             RETURNING failed_attempts, locked_at",
        )
        .bind(dir.as_str())
        .bind(username)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?;
        let (attempts, locked_at) = match policy.state(locked_at, now) {
            LockState::Locked { .. } => (attempts, locked_at),
            LockState::Expired => (1, None),
            LockState::Open if attempts + 1 >= i64::from(policy.threshold) => {
                (attempts + 1, Some(now))
            }
            LockState::Open => (attempts + 1, None),
        };
        sqlx::query(
            "UPDATE unknown_login_failures SET failed_attempts = $1, locked_at = $2 \
             WHERE directory = $3 AND username = $4",
        )
        .bind(attempts)
        .bind(locked_at)
        .bind(dir.as_str())
        .bind(username)
        .execute(&mut *w.tx)
        .await?;
        w.event(
            actor,
            &NewEvent::failure("login")
                .target(username)
                .details("unknown account"),
        )
        .await?;
        w.commit().await?;
        Ok(match policy.state(locked_at, now) {
            LockState::Expired => LockState::Open,
            state => state,
        })
    }

    /// Drops counters of windows long gone, and unknown usernames' failure
    /// counts idle for 30 days (called from the housekeeping task).
    pub async fn purge_rate_limits(&self, older_than_s: i64) -> Result<u64, StoreError> {
        let now = self.clock.now_s();
        let done = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(now - older_than_s)
            .execute(&self.pool)
            .await?;
        let unknown = sqlx::query("DELETE FROM unknown_login_failures WHERE last_failure_at < $1")
            .bind(now - UNKNOWN_LOGIN_KEEP_S)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() + unknown.rows_affected())
    }
}

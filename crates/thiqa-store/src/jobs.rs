//! Background work run once per interval across instances (issue 13,
//! item 7). Several `thiqa serve` on one PostgreSQL each tick their loops;
//! before running a job, an instance claims the job's current interval with
//! one conditional UPDATE. The database's row lock lets exactly one claimant
//! win, and the others skip this tick. SQLite (one process) goes the same
//! way, so there is one code path.

use crate::connect::Store;
use crate::error::StoreError;

/// A claim within this share of the period after the last one is refused:
/// timers tick a little early or late, and an interval must not run twice.
const SLACK_PERCENT: i64 = 2;

impl Store {
    /// Claims job `name` for the interval starting now, unless another
    /// claim (by any instance) was made less than `period_ms` ago. True when
    /// the caller should run the job.
    pub async fn claim_job(
        &self,
        name: &str,
        period_ms: i64,
        instance: &str,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        let latest_allowed = now - period_ms + period_ms * SLACK_PERCENT / 100;
        let mut w = self.write().await?;
        w.leaves_sessions();
        sqlx::query(
            "INSERT INTO background_jobs (name, last_run_ms, run_by) VALUES ($1, 0, '') \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .execute(&mut *w.tx)
        .await?;
        let claimed = sqlx::query(
            "UPDATE background_jobs SET last_run_ms = $1, run_by = $2 \
             WHERE name = $3 AND last_run_ms <= $4",
        )
        .bind(now)
        .bind(instance)
        .bind(name)
        .bind(latest_allowed)
        .execute(&mut *w.tx)
        .await?
        .rows_affected()
            == 1;
        w.commit().await?;
        Ok(claimed)
    }
}

//! Fixed-window counters kept in the database, so every `thiqa` instance
//! sharing one PostgreSQL sees the same counts.

use crate::connect::Store;
use crate::error::StoreError;

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

    /// Drops counters of windows long gone (called from the housekeeping task).
    pub async fn purge_rate_limits(&self, older_than_s: i64) -> Result<u64, StoreError> {
        let cutoff = self.clock.now_s() - older_than_s;
        let done = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

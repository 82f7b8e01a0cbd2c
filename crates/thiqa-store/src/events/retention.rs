//! Retention (3.8.6: at least twelve months). Past it, an event's payload
//! may go, but its leaf hash stays: the tree, the checkpoints, the proofs
//! of other events and the full verification all still hold. The purge is
//! itself a journaled event.

use super::{Actor, NewEvent};
use crate::connect::Store;
use crate::error::StoreError;

impl Store {
    /// Empties the payload of every journal leaf whose event time is before
    /// `before_ms` and deletes the readable copies of those security
    /// events; journals `journal.purge` when anything went. Returns the
    /// number of leaves purged.
    pub async fn journal_purge_before(
        &self,
        before_ms: i64,
        actor: &Actor,
    ) -> Result<u64, StoreError> {
        let mut w = self.write().await?;
        let purged = sqlx::query(
            "UPDATE journal_leaves SET leaf = $1 WHERE event_time_ms < $2 AND length(leaf) > 0",
        )
        .bind(Vec::<u8>::new())
        .bind(before_ms)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        let deleted = sqlx::query("DELETE FROM security_events WHERE occurred_at_ms < $1")
            .bind(before_ms)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if purged == 0 && deleted == 0 {
            return Ok(0);
        }
        w.event(
            actor,
            &NewEvent::success("journal.purge").details(format!(
                "payloads of {purged} journal events and {deleted} readable events older than {} ms (retention)",
                before_ms
            )),
        )
        .await?;
        w.commit().await?;
        Ok(purged)
    }
}

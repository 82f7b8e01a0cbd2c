//! The baseline of `thiqa-bench intake`: the same rows as a batch of journal
//! leaves, inserted the plain way (same transaction handling, same
//! multi-row chunks), with no hashing, chain, subtree rows, head or index.

use thiqa_journal::Event;

use crate::connect::Store;
use crate::error::StoreError;
use crate::journal::{multi_row_insert, LEAF_CHUNK};

/// The plain table the baseline fills; created on first use.
pub const BASELINE_TABLE: &str = "bench_intake_baseline";

impl Store {
    /// For `thiqa-bench intake` only: inserts `events` (encoded as leaves,
    /// like the journal does) into the plain table [`BASELINE_TABLE`] in one
    /// transaction, in chunks of the journal's size. Never used by the
    /// product; run it on a scratch database.
    #[doc(hidden)]
    pub async fn bench_baseline_insert(&self, events: &[Event]) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(&format!(
            "CREATE TABLE IF NOT EXISTS {BASELINE_TABLE} (id INTEGER PRIMARY KEY, \
             payload BLOB NOT NULL, event_time_ms BIGINT NOT NULL, received_time_ms BIGINT NOT NULL, \
             tenant_kind TEXT, tenant_id BIGINT, source TEXT NOT NULL)"
        ))
        .execute(&mut *w.tx)
        .await?;
        let head = format!(
            "INSERT INTO {BASELINE_TABLE} (payload, event_time_ms, received_time_ms, \
             tenant_kind, tenant_id, source)"
        );
        let rows = events
            .iter()
            .map(|e| {
                let leaf = e
                    .to_leaf()
                    .map_err(|err| StoreError::Corrupt(format!("event: {err}")))?;
                let tenant = e
                    .tenant
                    .as_deref()
                    .and_then(thiqa_domain::Tenant::from_text);
                Ok((leaf, tenant.map(|t| t.parts())))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        for (chunk, chunk_events) in rows.chunks(LEAF_CHUNK).zip(events.chunks(LEAF_CHUNK)) {
            let sql = multi_row_insert(&w.tx, &head, chunk.len(), 6);
            let mut query = sqlx::query(&sql);
            for ((leaf, tenant), e) in chunk.iter().zip(chunk_events) {
                query = query
                    .bind(&leaf[..])
                    .bind(e.event_time.unix_millis())
                    .bind(e.received_time.unix_millis())
                    .bind(tenant.map(|t| t.0))
                    .bind(tenant.map(|t| t.1))
                    .bind(&e.source);
            }
            query.execute(&mut *w.tx).await?;
        }
        w.commit().await
    }

    /// For `thiqa-bench intake` only: copies the WAL into the database file
    /// now (SQLite), so that each measured batch pays for its own pages
    /// rather than for whichever batch happened to fill the WAL first.
    #[doc(hidden)]
    pub async fn bench_checkpoint(&self) -> Result<(), StoreError> {
        if self.backend() == crate::connect::Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}

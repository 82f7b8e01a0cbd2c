//! Reading the journal the way its readers may: a commanditaire's users
//! only see leaves tagged with their organisation (3.8.6), over a time
//! range, page by page (exports stream through this).

use thiqa_domain::Tenant;

use super::append::{leaf_from_row, LEAF_COLUMNS};
use super::{to_i64, JournalLeaf};
use crate::connect::Store;
use crate::error::StoreError;

/// Which leaves to read (purged payloads, past retention, are skipped). `tenant: None` reads every leaf (the provider's
/// own view, behind `journal.read`).
#[derive(Debug, Clone)]
pub struct LeafQuery {
    pub tenant: Option<Tenant>,
    /// Event time range, epoch milliseconds, `[from_ms, to_ms)`.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Only leaves after this index (the previous page's last), for paging.
    pub after: Option<u64>,
    pub limit: u64,
}

/// Largest page one query returns.
pub const LEAF_PAGE_MAX: u64 = 10_000;

impl Store {
    /// One page of leaves matching `q`, in index order.
    pub async fn journal_leaves_matching(
        &self,
        q: &LeafQuery,
    ) -> Result<Vec<JournalLeaf>, StoreError> {
        // SQLite numbers `$n` parameters in order of appearance: they are
        // written, and bound, left to right.
        let (tenant_clause, limit) = if q.tenant.is_some() {
            ("AND tenant_kind = $4 AND tenant_id = $5 ", "$6")
        } else {
            ("", "$4")
        };
        let sql = format!(
            "SELECT {LEAF_COLUMNS} FROM journal_leaves WHERE event_time_ms >= $1 \
             AND event_time_ms < $2 AND idx > $3 AND length(leaf) > 0 {tenant_clause}ORDER BY idx LIMIT {limit}"
        );
        let after = match q.after {
            Some(i) => to_i64(i)?,
            None => -1,
        };
        let mut query = sqlx::query(&sql).bind(q.from_ms).bind(q.to_ms).bind(after);
        if let Some(t) = q.tenant {
            let (kind, id) = t.parts();
            query = query.bind(kind).bind(id);
        }
        let query = query.bind(to_i64(q.limit.clamp(1, LEAF_PAGE_MAX))?);
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(leaf_from_row).collect()
    }
}

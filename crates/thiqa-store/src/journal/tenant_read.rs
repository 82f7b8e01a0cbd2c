//! Reading the journal the way its readers may: a commanditaire's users
//! only see leaves tagged with their organisation (3.8.6), over a time
//! range, page by page (exports stream through this).

use thiqa_domain::Tenant;

use super::append::{leaf_from_row, LEAF_COLUMNS};
use super::columns::check_leaf;
use super::{to_i64, JournalLeaf};
use crate::connect::Store;
use crate::error::StoreError;
use crate::reads::{file_params, pool_query, Param};

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

/// The SQL of a page of `q`.
fn matching_sql(q: &LeafQuery) -> String {
    // SQLite numbers `$n` parameters in order of appearance: they are
    // written, and bound, left to right.
    let (tenant_clause, limit) = match q.tenant {
        Some(t) => (format!("AND {}$4 ", super::tenant_condition(t)), "$5"),
        None => (String::new(), "$4"),
    };
    format!(
        "SELECT {LEAF_COLUMNS} FROM journal_leaves WHERE event_time_ms >= $1 \
         AND event_time_ms < $2 AND idx > $3 AND length(leaf) > 0 {tenant_clause}ORDER BY idx LIMIT {limit}"
    )
}

/// The parameters of [`matching_sql`] for the page after index `after`
/// (-1: the first).
fn matching_params(q: &LeafQuery, after: i64) -> Result<Vec<Param>, StoreError> {
    let mut params = vec![q.from_ms.into(), q.to_ms.into(), after.into()];
    if let Some(t) = q.tenant {
        params.push(t.parts().1.into());
    }
    params.push(to_i64(q.limit.clamp(1, LEAF_PAGE_MAX))?.into());
    Ok(params)
}

impl Store {
    /// One page of leaves matching `q`, in index order. Refused when a
    /// row's columns (by which it was selected) differ from its leaf: the
    /// page would otherwise hand out an event under a tenant or a time its
    /// signed bytes do not say.
    pub async fn journal_leaves_matching(
        &self,
        q: &LeafQuery,
    ) -> Result<Vec<JournalLeaf>, StoreError> {
        let after = match q.after {
            Some(i) => to_i64(i)?,
            None => -1,
        };
        let sql = matching_sql(q);
        let checked = |leaves: Vec<JournalLeaf>| -> Result<Vec<JournalLeaf>, StoreError> {
            leaves.iter().try_for_each(check_leaf)?;
            Ok(leaves)
        };
        if let Some(reads) = &self.file_reads {
            let params = matching_params(q, after)?;
            return reads
                .run(move |conn| checked(super::file::leaves_where(conn, &sql, &params)?))
                .await;
        }
        let rows = pool_query(&sql, &matching_params(q, after)?)
            .fetch_all(&self.pool)
            .await?;
        checked(rows.iter().map(leaf_from_row).collect::<Result<_, _>>()?)
    }

    /// For `thiqa-bench journal` only, the baseline of an export: the rows
    /// [`Store::journal_leaves_matching`] pages through for `q` from its
    /// start (same query, same pages of `q.limit`), their columns read as
    /// they come, without building leaves (on SQLite, in place from the
    /// file). Returns (rows, bytes).
    #[doc(hidden)]
    pub async fn bench_select_matching(&self, q: &LeafQuery) -> Result<(u64, u64), StoreError> {
        use sqlx::Row;
        let sql = matching_sql(q);
        let (mut after, mut count, mut bytes) = (-1i64, 0u64, 0u64);
        if let Some(reads) = &self.file_reads {
            let q = q.clone();
            return reads
                .run(move |file| {
                    let mut stmt = file.prepare(&sql)?;
                    loop {
                        let params = matching_params(&q, after)?;
                        let mut found = stmt.query(file_params(&params))?;
                        let mut page = 0;
                        while let Some(row) = found.next()? {
                            after = row.get(0)?;
                            let leaf = crate::file_reads::column_bytes(row, 1);
                            let source = crate::file_reads::column_bytes(row, 8);
                            bytes += (leaf.map_or(0, |b| b.len()) + source.map_or(0, |b| b.len()))
                                as u64;
                            page += 1;
                        }
                        if page == 0 {
                            return Ok::<_, StoreError>((count, bytes));
                        }
                        count += page;
                    }
                })
                .await;
        }
        loop {
            let rows = pool_query(&sql, &matching_params(q, after)?)
                .fetch_all(&self.pool)
                .await?;
            let Some(last) = rows.last() else {
                return Ok((count, bytes));
            };
            after = last.try_get("idx")?;
            for row in &rows {
                let leaf: &[u8] = row.try_get("leaf")?;
                let source: &str = row.try_get("source")?;
                bytes += (leaf.len() + source.len()) as u64;
            }
            count += rows.len() as u64;
        }
    }
}

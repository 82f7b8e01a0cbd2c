//! Appending leaves inside the caller's transaction.
//!
//! Cost per append, whatever the size of the log: one read and one update of
//! the head row, one leaf row, and a stored subtree row once every 16 leaves
//! (stride 4). A batch ([`append_leaves`]) pays the head read and update
//! once and writes its rows with multi-row inserts. The head row's compact range is all the tree an append needs,
//! so nothing else is read.
//!
//! Order between appenders: on PostgreSQL the head row is read `FOR UPDATE`,
//! so concurrent transactions (from any number of processes) append one
//! after the other, each seeing the head its predecessor committed; the lock
//! is held until the caller's transaction ends, which is why events are best
//! recorded last in a transaction. SQLite has a single writer (and Thiqa's
//! in-process write lock), and SQLite's syntax has no `FOR UPDATE`. The
//! final update also requires the size read, as a second line of defence.

use sqlx::{AnyConnection, Row};
use thiqa_domain::Tenant;
use thiqa_journal::merkle::{leaf_hash, CompactRange, StoredLevels};
use thiqa_journal::{chain_hash, Hash};

use super::{to_hash, to_i64, to_u64, JournalLeaf};
use crate::error::StoreError;

/// The head row, decoded.
pub(crate) struct Head {
    pub range: CompactRange,
    pub chain: Hash,
    pub levels: StoredLevels,
}

/// What the leaf's columns say besides its bytes.
#[derive(Clone)]
pub(crate) struct LeafMeta<'a> {
    pub event_time_ms: i64,
    pub received_time_ms: i64,
    pub tenant: Option<Tenant>,
    pub source: &'a str,
    pub event_id: Option<i64>,
}

fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("postgresql")
}

/// For a transaction that has not written yet: takes the writer's place
/// before the head is read. On SQLite a transaction that reads, then writes,
/// fails if another process (say `thiqa journal checkpoint` beside the
/// server) committed in between; writing first makes it wait its turn
/// instead. On PostgreSQL `read_head(…, true)` locks the row.
pub(crate) async fn lock_for_writing(conn: &mut AnyConnection) -> Result<(), StoreError> {
    if !is_postgres(conn) {
        sqlx::query("UPDATE journal_head SET size = size WHERE id = 1")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Reads the head row; `lock` takes its row lock on PostgreSQL.
pub(crate) async fn read_head(conn: &mut AnyConnection, lock: bool) -> Result<Head, StoreError> {
    let sql = if lock && is_postgres(conn) {
        "SELECT size, chain, range_nodes, stride FROM journal_head WHERE id = 1 FOR UPDATE"
    } else {
        HEAD_SELECT
    };
    let row = sqlx::query(sql).fetch_one(&mut *conn).await?;
    head_from_columns(
        row.try_get("size")?,
        &row.try_get::<Vec<u8>, _>("chain")?,
        &row.try_get::<Vec<u8>, _>("range_nodes")?,
        row.try_get("stride")?,
    )
}

/// The head row's query, without locking.
pub(crate) const HEAD_SELECT: &str =
    "SELECT size, chain, range_nodes, stride FROM journal_head WHERE id = 1";

/// The head from its row's columns, checked.
pub(crate) fn head_from_columns(
    size: i64,
    chain: &[u8],
    raw: &[u8],
    stride: i64,
) -> Result<Head, StoreError> {
    let size = to_u64(size, "journal size")?;
    let chain = to_hash(chain, "journal head chain")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("journal head: {what}"));
    let levels = u8::try_from(stride)
        .ok()
        .and_then(StoredLevels::every)
        .ok_or_else(|| corrupt("bad stride"))?;
    if !raw.len().is_multiple_of(32) {
        return Err(corrupt("compact range is not a list of hashes"));
    }
    let nodes = raw
        .chunks_exact(32)
        .map(|c| to_hash(c, "journal head node"))
        .collect::<Result<Vec<_>, _>>()?;
    let range = CompactRange::from_parts(size, nodes)
        .ok_or_else(|| corrupt("compact range does not match the size"))?;
    Ok(Head {
        range,
        chain,
        levels,
    })
}

/// Appends `leaf` in the caller's transaction; returns its index.
pub(crate) async fn append_leaf(
    conn: &mut AnyConnection,
    leaf: &[u8],
    meta: &LeafMeta<'_>,
) -> Result<u64, StoreError> {
    let range = append_leaves(
        conn,
        &[NewLeaf {
            leaf,
            meta: meta.clone(),
        }],
    )
    .await?;
    Ok(range.start)
}

/// One leaf to append: its canonical bytes and its columns.
pub(crate) struct NewLeaf<'a> {
    pub leaf: &'a [u8],
    pub meta: LeafMeta<'a>,
}

/// Leaf rows per INSERT statement. Ten parameters a row keeps a full chunk
/// far below SQLite's 32 766 bound parameters (and PostgreSQL's 65 535);
/// full chunks share one SQL text, so the driver's statement cache prepares
/// it once per connection. Measured with `thiqa-bench intake`.
pub(crate) const LEAF_CHUNK: usize = 1000;
/// Node rows (three parameters each) per INSERT statement.
const NODE_CHUNK: usize = 2000;
const LEAF_PARAMS: usize = 10;

/// `INSERT INTO table (columns) VALUES ($1, …), ($k+1, …), …` for `rows`
/// rows of `params` placeholders.
///
/// On SQLite the placeholders are anonymous `?`: sqlx looks up the name of
/// every parameter it binds, and SQLite finds a parameter's name by walking
/// the list of all named ones, so `$n` placeholders make binding quadratic
/// in the parameters of a statement (90 % of the time of a 10 000-event
/// batch). Anonymous ones have no name to look up.
pub(crate) fn multi_row_insert(
    conn: &AnyConnection,
    head: &str,
    rows: usize,
    params: usize,
) -> String {
    let numbered = is_postgres(conn);
    let mut sql = String::with_capacity(head.len() + rows * params * 7);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for p in 0..params {
            if p > 0 {
                sql.push_str(", ");
            }
            n += 1;
            if numbered {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

const LEAF_INSERT: &str =
    "INSERT INTO journal_leaves (idx, leaf, leaf_hash, chain, event_time_ms, \
     received_time_ms, tenant_kind, tenant_id, source, event_id)";
const NODE_INSERT: &str = "INSERT INTO journal_nodes (level, idx, hash)";

/// Appends `leaves` in order in the caller's transaction; returns their
/// index range (empty for no leaves, and then nothing is written).
///
/// Computes what [`thiqa_journal::Appender::append`] does (leaf hash, chain,
/// completed subtrees at stored levels) from the head row's compact range,
/// which `Appender` cannot be built from or give back. Whatever the number
/// of leaves: one head read, multi-row inserts of [`LEAF_CHUNK`] leaf rows,
/// the node rows likewise, and one head update.
///
/// The rows are prepared (hashed, bound) one chunk ahead: while the
/// database runs the insert of chunk `i` (on SQLite, on the driver's worker
/// thread), this thread hashes and binds chunk `i + 1`, so the two halves of
/// the work overlap.
pub(crate) async fn append_leaves(
    conn: &mut AnyConnection,
    leaves: &[NewLeaf<'_>],
) -> Result<std::ops::Range<u64>, StoreError> {
    let Head {
        range,
        chain: previous,
        levels,
    } = read_head(conn, true).await?;
    let first = range.size();
    if leaves.is_empty() {
        return Ok(first..first);
    }
    let cache = BatchCache::enlarge(conn, leaves).await?;
    let tree = Tree {
        range,
        previous,
        levels,
        nodes: Vec::new(),
    };
    let appended = write_rows(conn, tree, first, leaves).await;
    // Set back whether the rows went in or not: the connection returns to
    // the pool either way.
    let restored = cache.restore(conn).await;
    let end = appended?;
    restored?;
    Ok(first..end)
}

/// Inserts the rows of `leaves` (then their subtree rows) and moves the
/// head from `first` on; returns the new size.
async fn write_rows(
    conn: &mut AnyConnection,
    mut tree: Tree,
    first: u64,
    leaves: &[NewLeaf<'_>],
) -> Result<u64, StoreError> {
    let chunks: Vec<&[NewLeaf<'_>]> = leaves.chunks(LEAF_CHUNK).collect();
    let full_sql = multi_row_insert(conn, LEAF_INSERT, LEAF_CHUNK, LEAF_PARAMS);
    let last_len = chunks.last().map_or(0, |c| c.len());
    let last_sql = multi_row_insert(conn, LEAF_INSERT, last_len, LEAF_PARAMS);
    let sql_for = |i: usize| -> &str {
        if i + 1 == chunks.len() {
            &last_sql
        } else {
            &full_sql
        }
    };
    let mut next = Some(tree.rows(sql_for(0), chunks[0])?);
    for i in 0..chunks.len() {
        let Some(query) = next.take() else {
            break;
        };
        let (done, prepared) = overlap(query.execute(&mut *conn), || {
            chunks
                .get(i + 1)
                .map(|chunk| tree.rows(sql_for(i + 1), chunk))
                .transpose()
        })
        .await;
        done?;
        next = prepared?;
    }
    for chunk in tree.nodes.chunks(NODE_CHUNK) {
        let sql = multi_row_insert(conn, NODE_INSERT, chunk.len(), 3);
        let mut query = sqlx::query(&sql);
        for (level, idx, h) in chunk {
            query = query
                .bind(i64::from(*level))
                .bind(to_i64(*idx)?)
                .bind(&h[..]);
        }
        query.execute(&mut *conn).await?;
    }
    let updated = sqlx::query(
        "UPDATE journal_head SET size = $1, chain = $2, range_nodes = $3 \
         WHERE id = 1 AND size = $4",
    )
    .bind(to_i64(tree.range.size())?)
    .bind(&tree.previous[..])
    .bind(tree.range.nodes().concat())
    .bind(to_i64(first)?)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Conflict(crate::Refusal::new(
            "refusal-journal-moved",
            "the journal head moved during an append",
        )));
    }
    Ok(tree.range.size())
}

/// SQLite's page cache for the transaction of a large batch.
///
/// A connection caches 2 MB of pages by default. A batch of 10 000 events
/// dirties more than that (rows and index entries), so SQLite would write
/// dirty index pages out mid-transaction and read them back for the next
/// entries. The cache is raised to what the batch needs for its
/// transaction and set back after the inserts, which lets SQLite release
/// the extra pages once they are committed.
struct BatchCache {
    previous: Option<i64>,
}

impl BatchCache {
    /// Below this many row bytes the default cache is enough.
    const FROM_BYTES: usize = 1 << 20;
    /// The most a batch may have (KiB).
    const MAX_KIB: usize = 64 << 10;

    async fn enlarge(conn: &mut AnyConnection, leaves: &[NewLeaf<'_>]) -> Result<Self, StoreError> {
        let bytes: usize = leaves.iter().map(|l| l.leaf.len() + 160).sum();
        if is_postgres(conn) || bytes < Self::FROM_BYTES {
            return Ok(BatchCache { previous: None });
        }
        let previous: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&mut *conn)
            .await?;
        // Twice the rows' bytes: rows, index entries and interior pages.
        let kib = (bytes / 512).min(Self::MAX_KIB);
        // Negative values are KiB; positive ones pages (4 KiB by default).
        let current_kib = if previous < 0 {
            -previous
        } else {
            previous.saturating_mul(4)
        };
        if current_kib >= kib as i64 {
            return Ok(BatchCache { previous: None });
        }
        sqlx::query(&format!("PRAGMA cache_size = -{kib}"))
            .execute(&mut *conn)
            .await?;
        Ok(BatchCache {
            previous: Some(previous),
        })
    }

    async fn restore(self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        if let Some(previous) = self.previous {
            sqlx::query(&format!("PRAGMA cache_size = {previous}"))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// The tree as leaves are appended: compact range, last chain value, and
/// the subtree rows to store.
struct Tree {
    range: CompactRange,
    previous: Hash,
    levels: StoredLevels,
    nodes: Vec<(u8, u64, Hash)>,
}

type Insert<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

impl Tree {
    /// Hashes `chunk` into the tree and binds its rows to `sql`.
    fn rows<'q>(
        &mut self,
        sql: &'q str,
        chunk: &'q [NewLeaf<'q>],
    ) -> Result<Insert<'q>, StoreError> {
        let mut query = sqlx::query(sql);
        for leaf in chunk {
            let index = self.range.size();
            let hash = leaf_hash(leaf.leaf);
            let chain = chain_hash(&self.previous, &hash);
            let (levels, nodes) = (&self.levels, &mut self.nodes);
            self.range.append_with(hash, |level, idx, h| {
                // Level 0 is the leaf row's own leaf_hash column.
                if level > 0 && levels.contains(level) {
                    nodes.push((level, idx, *h));
                }
            });
            self.previous = chain;
            let (kind, tenant_id) = match leaf.meta.tenant {
                Some(t) => {
                    let (k, id) = t.parts();
                    (Some(k), Some(id))
                }
                None => (None, None),
            };
            query = query
                .bind(to_i64(index)?)
                .bind(leaf.leaf)
                .bind(hash.to_vec())
                .bind(chain.to_vec())
                .bind(leaf.meta.event_time_ms)
                .bind(leaf.meta.received_time_ms)
                .bind(kind)
                .bind(tenant_id)
                .bind(leaf.meta.source)
                .bind(leaf.meta.event_id);
        }
        Ok(query)
    }
}

/// Runs `work` on this thread while `fut` makes progress elsewhere: `fut`
/// is polled once first (which hands a statement to the database driver),
/// then `work` runs, then `fut` is awaited.
async fn overlap<F: std::future::Future, T>(fut: F, work: impl FnOnce() -> T) -> (F::Output, T) {
    use std::task::Poll;
    let mut fut = std::pin::pin!(fut);
    let first = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
    let out = work();
    let done = match first {
        Poll::Ready(done) => done,
        Poll::Pending => fut.await,
    };
    (done, out)
}

pub(crate) const LEAF_COLUMNS: &str = "idx, leaf, leaf_hash, chain, event_time_ms, \
     received_time_ms, tenant_kind, tenant_id, source, event_id";

pub(crate) fn leaf_from_row(row: &sqlx::any::AnyRow) -> Result<JournalLeaf, StoreError> {
    leaf_from_columns(LeafColumns {
        idx: row.try_get("idx")?,
        leaf: row.try_get("leaf")?,
        leaf_hash: &row.try_get::<Vec<u8>, _>("leaf_hash")?,
        chain: &row.try_get::<Vec<u8>, _>("chain")?,
        event_time_ms: row.try_get("event_time_ms")?,
        received_time_ms: row.try_get("received_time_ms")?,
        tenant_kind: row.try_get("tenant_kind")?,
        tenant_id: row.try_get("tenant_id")?,
        source: row.try_get("source")?,
        event_id: row.try_get("event_id")?,
    })
}

/// The [`LEAF_COLUMNS`] of one row, as read by either driver.
pub(crate) struct LeafColumns<'a> {
    pub idx: i64,
    pub leaf: Vec<u8>,
    pub leaf_hash: &'a [u8],
    pub chain: &'a [u8],
    pub event_time_ms: i64,
    pub received_time_ms: i64,
    pub tenant_kind: Option<&'a str>,
    pub tenant_id: Option<i64>,
    pub source: String,
    pub event_id: Option<i64>,
}

pub(crate) fn leaf_from_columns(c: LeafColumns<'_>) -> Result<JournalLeaf, StoreError> {
    Ok(JournalLeaf {
        index: to_u64(c.idx, "leaf index")?,
        leaf: c.leaf,
        leaf_hash: to_hash(c.leaf_hash, "leaf hash")?,
        chain: to_hash(c.chain, "chain")?,
        event_time_ms: c.event_time_ms,
        received_time_ms: c.received_time_ms,
        tenant: c
            .tenant_kind
            .zip(c.tenant_id)
            .and_then(|(k, id)| Tenant::from_parts(k, id)),
        source: c.source,
        event_id: c.event_id,
    })
}

/// Rows with index `from..from + limit`, in order.
pub(crate) async fn read_leaves(
    conn: &mut AnyConnection,
    from: u64,
    limit: u64,
) -> Result<Vec<JournalLeaf>, StoreError> {
    let sql = format!(
        "SELECT {LEAF_COLUMNS} FROM journal_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx"
    );
    let rows = sqlx::query(&sql)
        .bind(to_i64(from)?)
        .bind(to_i64(from.saturating_add(limit).min(i64::MAX as u64))?)
        .fetch_all(conn)
        .await?;
    rows.iter().map(leaf_from_row).collect()
}

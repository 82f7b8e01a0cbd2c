//! Appending one leaf inside the caller's transaction.
//!
//! Cost per append, whatever the size of the log: one read and one update of
//! the head row, one leaf row, and a stored subtree row once every 16 leaves
//! (stride 4). The head row's compact range is all the tree an append needs,
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
        "SELECT size, chain, range_nodes, stride FROM journal_head WHERE id = 1"
    };
    let row = sqlx::query(sql).fetch_one(&mut *conn).await?;
    let size = to_u64(row.try_get("size")?, "journal size")?;
    let chain = to_hash(&row.try_get::<Vec<u8>, _>("chain")?, "journal head chain")?;
    let raw: Vec<u8> = row.try_get("range_nodes")?;
    let stride: i64 = row.try_get("stride")?;
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
///
/// Computes what [`thiqa_journal::Appender::append`] does (leaf hash, chain,
/// completed subtrees at stored levels) from the head row's compact range,
/// which `Appender` cannot be built from or give back.
pub(crate) async fn append_leaf(
    conn: &mut AnyConnection,
    leaf: &[u8],
    meta: &LeafMeta<'_>,
) -> Result<u64, StoreError> {
    let Head {
        mut range,
        chain: previous,
        levels,
    } = read_head(conn, true).await?;
    let index = range.size();
    let hash = leaf_hash(leaf);
    let chain = chain_hash(&previous, &hash);
    let mut nodes = Vec::new();
    range.append_with(hash, |level, idx, h| {
        // Level 0 is the leaf row's own leaf_hash column.
        if level > 0 && levels.contains(level) {
            nodes.push((level, idx, *h));
        }
    });
    let (kind, tenant_id) = match meta.tenant {
        Some(t) => {
            let (k, id) = t.parts();
            (Some(k), Some(id))
        }
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO journal_leaves (idx, leaf, leaf_hash, chain, event_time_ms, \
         received_time_ms, tenant_kind, tenant_id, source, event_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(to_i64(index)?)
    .bind(leaf)
    .bind(&hash[..])
    .bind(&chain[..])
    .bind(meta.event_time_ms)
    .bind(meta.received_time_ms)
    .bind(kind)
    .bind(tenant_id)
    .bind(meta.source)
    .bind(meta.event_id)
    .execute(&mut *conn)
    .await?;
    for (level, idx, h) in nodes {
        sqlx::query("INSERT INTO journal_nodes (level, idx, hash) VALUES ($1, $2, $3)")
            .bind(i64::from(level))
            .bind(to_i64(idx)?)
            .bind(&h[..])
            .execute(&mut *conn)
            .await?;
    }
    let updated = sqlx::query(
        "UPDATE journal_head SET size = $1, chain = $2, range_nodes = $3 \
         WHERE id = 1 AND size = $4",
    )
    .bind(to_i64(range.size())?)
    .bind(&chain[..])
    .bind(range.nodes().concat())
    .bind(to_i64(index)?)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Conflict(
            "the journal head moved during an append".into(),
        ));
    }
    Ok(index)
}

pub(crate) const LEAF_COLUMNS: &str = "idx, leaf, leaf_hash, chain, event_time_ms, \
     received_time_ms, tenant_kind, tenant_id, source, event_id";

pub(crate) fn leaf_from_row(row: &sqlx::any::AnyRow) -> Result<JournalLeaf, StoreError> {
    let kind: Option<String> = row.try_get("tenant_kind")?;
    let tenant_id: Option<i64> = row.try_get("tenant_id")?;
    Ok(JournalLeaf {
        index: to_u64(row.try_get("idx")?, "leaf index")?,
        leaf: row.try_get("leaf")?,
        leaf_hash: to_hash(&row.try_get::<Vec<u8>, _>("leaf_hash")?, "leaf hash")?,
        chain: to_hash(&row.try_get::<Vec<u8>, _>("chain")?, "chain")?,
        event_time_ms: row.try_get("event_time_ms")?,
        received_time_ms: row.try_get("received_time_ms")?,
        tenant: kind
            .zip(tenant_id)
            .and_then(|(k, id)| Tenant::from_parts(&k, id)),
        source: row.try_get("source")?,
        event_id: row.try_get("event_id")?,
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

//! The journal's reads on the SQLite file ([`crate::file_reads`]): the same
//! statements as through the pool, run in place on a blocking thread. Used
//! where rows are many (verification, exports) or time is short (proofs).

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use thiqa_journal::merkle::{NodeReader, StoredLevels, TreeError};
use thiqa_journal::Hash;

use super::append::{head_from_columns, leaf_from_columns, Head, LeafColumns};
use super::append::{HEAD_SELECT, LEAF_COLUMNS};
use super::nodes::{insert_node, ranges_read_by, ranges_statement, Fetched, RANGES_PER_QUERY};
use super::CHECKPOINT_COLUMNS;
use super::{checkpoint_from_columns, to_i64, JournalError, JournalLeaf, StoredCheckpoint};
use crate::error::StoreError;
use crate::file_reads::column_bytes;
use crate::reads::{file_params, Param};

pub(crate) fn head(conn: &Connection) -> Result<Head, StoreError> {
    let mut stmt = conn.prepare_cached(HEAD_SELECT)?;
    let mut rows = stmt.query([])?;
    let row = rows
        .next()?
        .ok_or_else(|| StoreError::Corrupt("journal head row is missing".into()))?;
    head_from_columns(
        row.get(0)?,
        &row.get::<_, Vec<u8>>(1)?,
        &row.get::<_, Vec<u8>>(2)?,
        row.get(3)?,
    )
}

/// One row of [`LEAF_COLUMNS`].
pub(crate) fn leaf(row: &rusqlite::Row<'_>) -> Result<JournalLeaf, StoreError> {
    let tenant_kind: Option<String> = row.get(6)?;
    leaf_from_columns(LeafColumns {
        idx: row.get(0)?,
        leaf: row.get(1)?,
        leaf_hash: column_bytes(row, 2).unwrap_or_default(),
        chain: column_bytes(row, 3).unwrap_or_default(),
        event_time_ms: row.get(4)?,
        received_time_ms: row.get(5)?,
        tenant_kind: tenant_kind.as_deref(),
        tenant_id: row.get(7)?,
        source: row.get(8)?,
        event_id: row.get(9)?,
    })
}

/// The leaves `sql` (selecting [`LEAF_COLUMNS`]) returns for `params`.
pub(crate) fn leaves_where(
    conn: &Connection,
    sql: &str,
    params: &[Param],
) -> Result<Vec<JournalLeaf>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(file_params(params))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(leaf(row)?);
    }
    Ok(out)
}

/// Rows with index `from..from + limit`, in order.
pub(crate) fn leaves(
    conn: &Connection,
    from: u64,
    limit: u64,
) -> Result<Vec<JournalLeaf>, StoreError> {
    let sql = format!(
        "SELECT {LEAF_COLUMNS} FROM journal_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx"
    );
    let end = from.saturating_add(limit).min(i64::MAX as u64);
    leaves_where(conn, &sql, &[to_i64(from)?.into(), to_i64(end)?.into()])
}

/// Stored hashes of every `(level, start, count)` of `asked`, added to `into`.
pub(crate) fn fetch_ranges(
    conn: &Connection,
    asked: &[(u8, u64, u64)],
    into: &mut HashMap<(u8, u64), Hash>,
) -> Result<(), StoreError> {
    for group in asked.chunks(RANGES_PER_QUERY) {
        let Some((sql, binds)) = ranges_statement(group, false)? else {
            continue;
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(binds))?;
        while let Some(row) = rows.next()? {
            let hash = column_bytes(row, 2).unwrap_or_default();
            insert_node(into, row.get(0)?, row.get(1)?, hash)?;
        }
    }
    Ok(())
}

/// Runs `f` over the stored tree (see `nodes::compute`).
pub(crate) fn compute<T>(
    conn: &Connection,
    levels: StoredLevels,
    f: impl Fn(&dyn NodeReader) -> Result<T, TreeError>,
) -> Result<T, JournalError> {
    let asked = ranges_read_by(levels, &f)?;
    let mut nodes = HashMap::new();
    fetch_ranges(conn, &asked, &mut nodes)?;
    Ok(f(&Fetched { levels, nodes })?)
}

/// The checkpoint of `size` leaves (the first stored), or the latest.
pub(crate) fn checkpoint(
    conn: &Connection,
    size: Option<u64>,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let read = |sql: &str, bind: Option<i64>| {
        let mut stmt = conn.prepare_cached(sql)?;
        let row = |r: &rusqlite::Row<'_>| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        };
        match bind {
            Some(s) => stmt.query_row(params![s], row).optional(),
            None => stmt.query_row([], row).optional(),
        }
    };
    let found = match size {
        Some(s) => read(
            &format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM journal_checkpoints WHERE size = ?1 ORDER BY id LIMIT 1"
            ),
            Some(to_i64(s)?),
        )?,
        None => read(
            &format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM journal_checkpoints ORDER BY size DESC, id DESC LIMIT 1"
            ),
            None,
        )?,
    };
    found
        .map(|(id, size, root, note, created_at_ms)| {
            checkpoint_from_columns(id, size, &root, note, created_at_ms)
        })
        .transpose()
}

//! Reading the rows of a verification, one batch per statement, into flat
//! buffers.
//!
//! The database driver's cost per value was most of a verification's time,
//! more than the hashing (`thiqa-bench journal`). On SQLite the rows are
//! read in place from the file ([`crate::file_reads`]). On PostgreSQL each
//! row comes as two values, its index and its hash, chain, copied columns
//! and leaf packed into one blob, taken as they stream in rather than
//! collected and copied; a row whose hash or chain column is not 32 bytes
//! (an altered row) cannot be split that way: its columns are read again
//! on their own, and checked like any other.
//!
//! Each row's copied columns (tenant, times, source, event id) are compared
//! with its leaf as the row is decoded ([`super::super::columns`]), in
//! place, without allocating.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use rusqlite::Connection;
use sqlx::{AnyConnection, Row};
use thiqa_journal::{Hash, LeafRecord};

use thiqa_journal::merkle::StoredLevels;
use tokio::sync::mpsc;

use super::super::append::LEAF_COLUMNS;
use super::super::columns::{differing, ColumnProblem, Columns, StoredColumns};
use super::super::file;
use super::super::nodes::fetch_ranges;
use super::JOURNAL_VERIFY_BATCH;
use crate::error::StoreError;
use crate::file_reads::{column_bytes, FileReads};

/// The packed rows of `idx` in `[$1, $2)`, at most `$3`, in order (PostgreSQL
/// only: the SQLite file is read in place): the hash and chain, the copied
/// columns (four big-endian integers, then which of them are NULL, then the
/// source and tenant kind, each length-prefixed), then the leaf, all in one
/// value; NULL instead when a hash column is not 32 bytes.
const PACKED_SELECT: &str = "SELECT idx, CASE WHEN length(leaf_hash) = 32 \
     AND length(chain) = 32 THEN leaf_hash || chain || int8send(event_time_ms) \
     || int8send(received_time_ms) || int8send(coalesce(tenant_id, 0)) \
     || int8send(coalesce(event_id, 0)) || int2send(((tenant_kind IS NULL)::int \
     + 2 * (tenant_id IS NULL)::int + 4 * (event_id IS NULL)::int)::int2) \
     || int4send(octet_length(convert_to(source, 'UTF8'))) || convert_to(source, 'UTF8') \
     || int4send(octet_length(convert_to(coalesce(tenant_kind, ''), 'UTF8'))) \
     || convert_to(coalesce(tenant_kind, ''), 'UTF8') || leaf END \
     AS packed FROM journal_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3";

/// The fixed part of a packed value: hash, chain, four integers, NULL flags.
const PACKED_FIXED: usize = 32 + 32 + 4 * 8 + 2;

/// A packed value cut back into hash, chain, columns and leaf.
fn unpack(p: &[u8]) -> Option<(Hash, Hash, StoredColumns<'_>, &[u8])> {
    let (fixed, rest) = p.split_at_checked(PACKED_FIXED)?;
    let int = |at: usize| Some(i64::from_be_bytes(fixed.get(at..at + 8)?.try_into().ok()?));
    let nulls = u16::from_be_bytes([fixed[96], fixed[97]]);
    let unless = |bit: u16, value: Option<i64>| if nulls & bit == 0 { value } else { None };
    let (source, rest) = length_prefixed(rest)?;
    let (kind, leaf) = length_prefixed(rest)?;
    let stored = StoredColumns {
        event_time_ms: Some(int(64)?),
        received_time_ms: Some(int(72)?),
        tenant_kind: (nulls & 1 == 0).then_some(kind),
        tenant_id: unless(2, Some(int(80)?)),
        source: Some(source),
        event_id: unless(4, Some(int(88)?)),
        unreadable: Columns::default(),
    };
    Some((
        column_hash(&fixed[..32]),
        column_hash(&fixed[32..64]),
        stored,
        leaf,
    ))
}

/// A big-endian u32 length, that many bytes, and what follows.
fn length_prefixed(p: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = p.split_at_checked(4)?;
    let n = u32::from_be_bytes(len.try_into().ok()?);
    rest.split_at_checked(usize::try_from(n).ok()?)
}

/// One batch of rows, in index order.
#[derive(Default)]
pub(super) struct Rows {
    pub idx: Vec<i64>,
    /// Row `i`'s leaf bytes are `bytes[spans[i].0..spans[i].1]`.
    spans: Vec<(usize, usize)>,
    bytes: Vec<u8>,
    /// The stored leaf hash and chain columns.
    stored: Vec<(Hash, Hash)>,
    /// What each row's leaf hash recomputes to, once [`Rows::hash`] ran.
    pub recomputed: Vec<Hash>,
    /// The stored subtrees the batch completes, for the verifier.
    pub nodes: HashMap<(u8, u64), Hash>,
    /// The rows whose columns differ from their leaf (none, usually).
    pub columns: Vec<ColumnProblem>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.idx.len()
    }

    fn push(&mut self, idx: i64, leaf: &[u8], leaf_hash: Hash, chain: Hash) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(leaf);
        self.idx.push(idx);
        self.spans.push((start, self.bytes.len()));
        self.stored.push((leaf_hash, chain));
    }

    /// Compares the columns of row `idx` with its leaf as the row is
    /// decoded; only a row that differs costs anything more.
    fn check_columns(&mut self, idx: i64, leaf: &[u8], stored: &StoredColumns<'_>) {
        let columns = differing(leaf, stored);
        if !columns.is_empty() {
            self.columns.push(ColumnProblem {
                index: u64::try_from(idx).unwrap_or(u64::MAX),
                columns,
            });
        }
    }

    /// Row `i` as the core verifier takes it.
    pub fn record(&self, i: usize) -> LeafRecord<'_> {
        let (start, end) = self.spans[i];
        LeafRecord {
            index: u64::try_from(self.idx[i]).unwrap_or(u64::MAX),
            data: &self.bytes[start..end],
            leaf_hash: Some(self.stored[i].0),
            chain: Some(self.stored[i].1),
        }
    }

    /// Fills [`Rows::recomputed`].
    pub fn hash(&mut self) {
        self.recomputed = (0..self.len())
            .map(|i| self.record(i).recomputed_hash())
            .collect();
    }
}

/// A stored hash column; one of the wrong length (altered) becomes a value
/// that matches nothing, so the row is reported rather than skipped.
fn column_hash(bytes: &[u8]) -> Hash {
    bytes.try_into().unwrap_or([0; 32])
}

/// The batches of a verification, in order, each with the stored subtree
/// hashes it completes.
pub(super) struct Batches {
    source: Source,
    /// Next `idx` to read (pool) and rows read so far.
    next: i64,
    read: u64,
    /// The head's size, as an index bound.
    end: i64,
    levels: StoredLevels,
}

enum Source {
    /// The pool's connection (PostgreSQL), one statement per batch.
    Pool,
    /// The SQLite file, read on a thread of its own ahead of the verifier:
    /// reading is the longest stage, and runs beside the hashing.
    File(mpsc::Receiver<Result<Rows, StoreError>>),
}

/// Batches read ahead by the file's reading thread.
const READ_AHEAD: usize = 2;

/// The stored levels' ranges covering positions `[a, b)`. The verifier
/// numbers leaves by position (rows pushed), which differs from the idx
/// column when rows are missing: subtrees are fetched for the positions a
/// batch covers.
fn node_ranges(levels: StoredLevels, a: u64, b: u64) -> Vec<(u8, u64, u64)> {
    (1..64u8)
        .filter(|l| levels.contains(*l))
        .map(|l| (l, a >> l, (b >> l) - (a >> l)))
        .collect()
}

impl Batches {
    /// Rows below `end` (the head read by the caller: rows appended
    /// meanwhile are not read), through the pool or from the file.
    pub fn new(
        file: Option<&FileReads>,
        end: i64,
        levels: StoredLevels,
    ) -> Result<Batches, StoreError> {
        let source = match file {
            None => Source::Pool,
            Some(reads) => {
                let conn = reads.dedicated()?;
                let (tx, rx) = mpsc::channel(READ_AHEAD);
                std::thread::Builder::new()
                    .name("journal-read".into())
                    .spawn(move || read_file_batches(&conn, end, levels, tx))
                    .map_err(|e| StoreError::Corrupt(format!("cannot start reading: {e}")))?;
                Source::File(rx)
            }
        };
        Ok(Batches {
            source,
            next: 0,
            read: 0,
            end,
            levels,
        })
    }

    /// The next batch, or None after the last row.
    pub async fn next(&mut self, conn: &mut AnyConnection) -> Result<Option<Rows>, StoreError> {
        match &mut self.source {
            Source::File(rx) => rx.recv().await.transpose(),
            Source::Pool => {
                let limit = JOURNAL_VERIFY_BATCH as i64;
                let mut batch = read_pool(conn, self.next, self.end, limit).await?;
                let Some(last) = batch.idx.last() else {
                    return Ok(None);
                };
                self.next = last.saturating_add(1);
                let (a, b) = (self.read, self.read + batch.len() as u64);
                fetch_ranges(conn, &node_ranges(self.levels, a, b), &mut batch.nodes).await?;
                self.read = b;
                Ok(Some(batch))
            }
        }
    }
}

/// The file's reading thread: every batch below `end`, in order, until the
/// last or until the verifier stops listening. An error is passed on and
/// ends the reading.
fn read_file_batches(
    conn: &Connection,
    end: i64,
    levels: StoredLevels,
    tx: mpsc::Sender<Result<Rows, StoreError>>,
) {
    let (mut next, mut read) = (0i64, 0u64);
    loop {
        let batch =
            read_file(conn, next, end, JOURNAL_VERIFY_BATCH as i64).and_then(|mut batch| {
                let (a, b) = (read, read + batch.len() as u64);
                file::fetch_ranges(conn, &node_ranges(levels, a, b), &mut batch.nodes)?;
                Ok(batch)
            });
        // An error is passed on below, then the reading ends.
        if let Ok(rows) = &batch {
            let Some(last) = rows.idx.last() else {
                return;
            };
            next = last.saturating_add(1);
            read += rows.len() as u64;
        }
        let failed = batch.is_err();
        if tx.blocking_send(batch).is_err() || failed {
            return;
        }
    }
}

fn batch_of(limit: i64) -> Rows {
    Rows {
        bytes: Vec::with_capacity(usize::try_from(limit).unwrap_or(0) * 320),
        ..Rows::default()
    }
}

/// One batch from the SQLite file: each value read in place. A hash or
/// chain column that is not 32 bytes (or not bytes at all) reads as a
/// value that matches nothing, so the row is named, like any altered row.
fn read_file(file: &Connection, next: i64, end: i64, limit: i64) -> Result<Rows, StoreError> {
    let mut rows = batch_of(limit);
    let mut stmt = file.prepare_cached(&format!(
        "SELECT {LEAF_COLUMNS} FROM journal_leaves \
         WHERE idx >= ?1 AND idx < ?2 ORDER BY idx LIMIT ?3"
    ))?;
    let mut found = stmt.query(rusqlite::params![next, end, limit])?;
    while let Some(row) = found.next()? {
        let bytes = |i| column_bytes(row, i).unwrap_or_default();
        let (idx, leaf) = (row.get(0)?, bytes(1));
        rows.push(idx, leaf, column_hash(bytes(2)), column_hash(bytes(3)));
        rows.check_columns(idx, leaf, &file_columns(row));
    }
    Ok(rows)
}

/// Columns 4 to 9 of [`LEAF_COLUMNS`] read in place; a value of another
/// type than its column's is marked unreadable rather than failing the
/// whole verification.
fn file_columns<'r>(row: &'r rusqlite::Row<'_>) -> StoredColumns<'r> {
    use rusqlite::types::ValueRef;
    let mut unreadable = Columns::default();
    let mut int = |i: usize, column: Columns| match row.get_ref(i) {
        Ok(ValueRef::Integer(n)) => Some(n),
        Ok(ValueRef::Null) => None,
        _ => {
            unreadable = unreadable.with(column, true);
            None
        }
    };
    let (event_time_ms, received_time_ms) =
        (int(4, Columns::EVENT_TIME), int(5, Columns::RECEIVED_TIME));
    let (tenant_id, event_id) = (int(7, Columns::TENANT_ID), int(9, Columns::EVENT_ID));
    StoredColumns {
        event_time_ms,
        received_time_ms,
        tenant_kind: column_bytes(row, 6),
        tenant_id,
        source: column_bytes(row, 8),
        event_id,
        unreadable,
    }
}

/// One batch through the pool (PostgreSQL), packed (see the module's
/// comment); rows that cannot be packed are read again alone.
async fn read_pool(
    conn: &mut AnyConnection,
    next: i64,
    end: i64,
    limit: i64,
) -> Result<Rows, StoreError> {
    let mut rows = batch_of(limit);
    // (position in the batch, idx) of the rows to read on their own.
    let mut unpacked = Vec::new();
    {
        let mut take = |idx: i64, packed: Option<&[u8]>| match packed.and_then(unpack) {
            Some((leaf_hash, chain, stored, leaf)) => {
                rows.push(idx, leaf, leaf_hash, chain);
                rows.check_columns(idx, leaf, &stored);
            }
            None => {
                unpacked.push((rows.len(), idx));
                rows.push(idx, &[], [0; 32], [0; 32]);
            }
        };
        let query = sqlx::query(PACKED_SELECT).bind(next).bind(end).bind(limit);
        let mut stream = query.fetch(&mut *conn);
        while let Some(row) = stream.try_next().await? {
            take(row.try_get(0)?, row.try_get(1)?);
        }
    }
    fill_unpacked(conn, &mut rows, unpacked).await?;
    Ok(rows)
}

/// Reads the rows that could not be packed, column by column.
async fn fill_unpacked(
    conn: &mut AnyConnection,
    rows: &mut Rows,
    unpacked: Vec<(usize, i64)>,
) -> Result<(), StoreError> {
    let sql = format!("SELECT {LEAF_COLUMNS} FROM journal_leaves WHERE idx = $1");
    for (i, idx) in unpacked {
        let row = sqlx::query(&sql).bind(idx).fetch_one(&mut *conn).await?;
        let leaf: Vec<u8> = row.try_get("leaf")?;
        let (kind, source): (Option<String>, Option<String>) =
            (row.try_get("tenant_kind")?, row.try_get("source")?);
        let stored = StoredColumns {
            event_time_ms: row.try_get("event_time_ms")?,
            received_time_ms: row.try_get("received_time_ms")?,
            tenant_kind: kind.as_deref().map(str::as_bytes),
            tenant_id: row.try_get("tenant_id")?,
            source: source.as_deref().map(str::as_bytes),
            event_id: row.try_get("event_id")?,
            unreadable: Columns::default(),
        };
        rows.check_columns(idx, &leaf, &stored);
        let start = rows.bytes.len();
        rows.bytes.extend_from_slice(&leaf);
        rows.spans[i] = (start, rows.bytes.len());
        rows.stored[i] = (
            column_hash(&row.try_get::<Vec<u8>, _>("leaf_hash")?),
            column_hash(&row.try_get::<Vec<u8>, _>("chain")?),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use thiqa_journal::{FirstBad, Problem};

    use crate::{journal_signer, Actor, DatabaseLocation, NewEvent, Store};

    /// A hash or chain column that is not 32 bytes cannot be packed: the row
    /// is read column by column and named like any altered row.
    #[tokio::test]
    async fn rows_with_odd_hash_columns_are_read_alone_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let location = DatabaseLocation::Sqlite {
            data_dir: dir.path().to_path_buf(),
        };
        let store = Store::open(&location, Arc::new(thiqa_domain::SystemClock))
            .await
            .unwrap();
        for i in 0..40 {
            let event = NewEvent::success("test.row").target(format!("t{i}"));
            store.record_event(&Actor::system(), event).await.unwrap();
        }
        let signer = journal_signer(dir.path(), "thiqa.test/journal").unwrap();
        store.journal_sign_checkpoint(&signer).await.unwrap();
        let trusted = [signer.verifier()];
        let verify = || async {
            let mut progress = |_, _| {};
            let v = store.journal_verify(signer.name(), &trusted, &mut progress);
            v.await.unwrap()
        };
        assert!(verify().await.is_ok());
        let set = |sql: &'static str| {
            let pool = store.pool.clone();
            async move { sqlx::query(sql).execute(&pool).await.unwrap() }
        };

        set("UPDATE journal_leaves SET leaf_hash = substr(leaf_hash, 1, 31) WHERE idx = 5").await;
        // Text of 32 characters but more bytes, and a longer chain.
        set("UPDATE journal_leaves SET leaf_hash = 'é' || hex(zeroblob(15)) WHERE idx = 9").await;
        set("UPDATE journal_leaves SET chain = chain || x'00' WHERE idx = 30").await;
        let v = verify().await;
        // Row 31's chain follows from row 30's, which no longer reads as a
        // hash: it is named too, as before packing.
        let expected = [
            Problem::LeafHashMismatch { index: 5 },
            Problem::LeafHashMismatch { index: 9 },
            Problem::ChainMismatch { index: 30 },
            Problem::ChainMismatch { index: 31 },
        ];
        assert_eq!(v.report.problems, expected);
        assert_eq!(v.first_bad(), Some(FirstBad::Row(5)));
    }
}

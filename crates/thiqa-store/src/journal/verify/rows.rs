//! Reading the rows of a verification, one batch per statement, into flat
//! buffers.
//!
//! The database driver's cost per value was most of a verification's time,
//! more than the hashing (`thiqa bench journal`). On SQLite the rows are
//! read in place from the file ([`crate::file_reads`]). On PostgreSQL each
//! row comes as two values, its index and `leaf_hash || chain || leaf`
//! packed into one blob, taken as they stream in rather than collected and
//! copied; a row whose hash or chain column is not 32 bytes (an altered
//! row) cannot be split that way: its columns are read again on their own,
//! and checked like any other.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use rusqlite::Connection;
use sqlx::{AnyConnection, Row};
use thiqa_journal::{Hash, LeafRecord};

use thiqa_journal::merkle::StoredLevels;
use tokio::sync::mpsc;

use super::super::file;
use super::super::nodes::fetch_ranges;
use super::JOURNAL_VERIFY_BATCH;
use crate::error::StoreError;
use crate::file_reads::{column_bytes, FileReads};

/// The packed rows of `idx` in `[$1, $2)`, at most `$3`, in order; NULL
/// instead of the packed value when a hash column is not 32 bytes.
const PACKED_SELECT: &str = "SELECT idx, CASE WHEN length(leaf_hash) = 32 \
     AND length(chain) = 32 THEN leaf_hash || chain || leaf END \
     AS packed FROM journal_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3";

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
    let mut stmt = file.prepare_cached(
        "SELECT idx, leaf, leaf_hash, chain FROM journal_leaves \
         WHERE idx >= ?1 AND idx < ?2 ORDER BY idx LIMIT ?3",
    )?;
    let mut found = stmt.query(rusqlite::params![next, end, limit])?;
    while let Some(row) = found.next()? {
        let bytes = |i| column_bytes(row, i).unwrap_or_default();
        rows.push(
            row.get(0)?,
            bytes(1),
            column_hash(bytes(2)),
            column_hash(bytes(3)),
        );
    }
    Ok(rows)
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
        let mut take = |idx: i64, packed: Option<&[u8]>| match packed {
            Some(p) if p.len() >= 64 => {
                rows.push(
                    idx,
                    &p[64..],
                    column_hash(&p[..32]),
                    column_hash(&p[32..64]),
                );
            }
            _ => {
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
    let sql = "SELECT leaf, leaf_hash, chain FROM journal_leaves WHERE idx = $1";
    for (i, idx) in unpacked {
        let row = sqlx::query(sql).bind(idx).fetch_one(&mut *conn).await?;
        let leaf: Vec<u8> = row.try_get("leaf")?;
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

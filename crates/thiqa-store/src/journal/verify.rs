//! Full verification of the stored journal.
//!
//! Rows are read in index order, [`JOURNAL_VERIFY_BATCH`] at a time, and pushed
//! through the core's [`LogVerifier`] with every stored checkpoint and the
//! stored subtree hashes the batch completes; memory stays a few batches
//! whatever the size of the log. Three stages overlap, each on its thread,
//! with two batches in flight between them: this task reads ([`rows`]), a
//! thread recomputes the leaf hashes, and the verifier (synchronous, not
//! `Send`, sequential like the Merkle fold and the chain) checks the rows in
//! order with those hashes. The async caller stays `Send`.
//!
//! Each row's columns copied from its leaf (tenant, times, source, event
//! id) are compared with the leaf while the row is read, and every row
//! that differs is named with its columns.
//!
//! Besides the core's checks, the head row is compared with what was read
//! (row count, root, last chain) and each checkpoint's `size`/`root`
//! columns with its note, so a truncated log is named even before a
//! checkpoint covers its end.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use sqlx::Row;
use thiqa_journal::merkle::{NodeReader, StoredLevels, TreeError};
use thiqa_journal::verify::MAX_PROBLEMS;
use thiqa_journal::{Checkpoint, FirstBad, Hash, LogVerifier, NoteVerifier, Report, SignedNote};
use tokio::sync::{mpsc, oneshot};

use super::append::LEAF_COLUMNS;
use super::{to_i64, ColumnProblem, JournalError, JournalHead};
use crate::connect::Store;
use crate::error::StoreError;
use rows::{Batches, Rows};

mod rows;

/// Rows read per query (a few hundred kilobytes).
pub const JOURNAL_VERIFY_BATCH: u64 = 2048;

/// A disagreement between the head row or checkpoint columns and the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadProblem {
    /// The head counts `head` leaves; `rows` rows were read below it.
    RowCount { head: u64, rows: u64 },
    /// The head's compact range gives another root than the rows.
    RootMismatch { size: u64, verified_prefix: u64 },
    /// The head's chain value is not the last row's.
    ChainMismatch { size: u64 },
    /// Checkpoint `#checkpoint` (row id `id`): its size or root column
    /// differs from its signed note.
    CheckpointColumns { checkpoint: usize, id: i64 },
}

impl fmt::Display for HeadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RowCount { head, rows } => write!(
                f,
                "the head counts {head} leaves but {rows} rows were found"
            ),
            Self::RootMismatch { size, .. } => write!(
                f,
                "the head's root at size {size} differs from the root of the rows"
            ),
            Self::ChainMismatch { size } => write!(
                f,
                "row {}: chain value differs from the head's (the last row or the head was altered)",
                size.saturating_sub(1)
            ),
            Self::CheckpointColumns { checkpoint, id } => write!(
                f,
                "checkpoint #{checkpoint} (id {id}): size or root column differs from its signed note"
            ),
        }
    }
}

/// Outcome of [`Store::journal_verify`].
#[derive(Debug, Clone)]
pub struct JournalVerification {
    /// The core's report: rows, recomputed root, checkpoints, problems.
    pub report: Report,
    /// The head row as read at the start.
    pub head: JournalHead,
    pub head_problems: Vec<HeadProblem>,
    /// Rows whose copied columns differ from their leaf, in index order
    /// (at most [`MAX_PROBLEMS`]; more are only counted).
    pub column_problems: Vec<ColumnProblem>,
    pub column_problems_omitted: u64,
}

impl JournalVerification {
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.report.is_ok() && self.head_problems.is_empty() && self.column_problems.is_empty()
    }

    /// The earliest suspect position: the core's, else the head's; a row
    /// whose columns differ from its leaf when it comes before.
    #[must_use]
    pub fn first_bad(&self) -> Option<FirstBad> {
        let found = self
            .report
            .first_bad()
            .or_else(|| self.head_problems.iter().find_map(head_position));
        let Some(column) = self.column_problems.first().map(|p| p.index) else {
            return found;
        };
        match found {
            Some(FirstBad::Row(r)) if r <= column => found,
            Some(FirstBad::Within { start, .. }) if start <= column => found,
            _ => Some(FirstBad::Row(column)),
        }
    }
}

fn head_position(p: &HeadProblem) -> Option<FirstBad> {
    match *p {
        HeadProblem::RowCount { rows, .. } => Some(FirstBad::Row(rows)),
        HeadProblem::ChainMismatch { size } => Some(FirstBad::Row(size.saturating_sub(1))),
        HeadProblem::RootMismatch {
            size,
            verified_prefix,
        } => Some(FirstBad::Within {
            start: verified_prefix.min(size.saturating_sub(1)),
            end: size,
        }),
        HeadProblem::CheckpointColumns { .. } => None,
    }
}

/// The stored subtrees of the batch being verified.
struct BatchNodes {
    levels: StoredLevels,
    nodes: RefCell<HashMap<(u8, u64), Hash>>,
}

impl NodeReader for BatchNodes {
    fn is_stored_level(&self, level: u8) -> bool {
        self.levels.contains(level)
    }

    fn read_nodes(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, TreeError> {
        let nodes = self.nodes.borrow();
        (start..start.saturating_add(count))
            .map(|index| {
                nodes
                    .get(&(level, index))
                    .copied()
                    .ok_or(TreeError::MissingNode { level, index })
            })
            .collect()
    }
}

/// Recomputes the leaf hashes of each batch received, then passes it on:
/// the hashing of batch `n` overlaps the reading of batch `n + 1` and the
/// verification of batch `n - 1`, on another core.
fn hashing_thread(mut batches: mpsc::Receiver<Rows>, out: std::sync::mpsc::SyncSender<Rows>) {
    while let Some(mut rows) = batches.blocking_recv() {
        rows.hash();
        if out.send(rows).is_err() {
            return;
        }
    }
}

/// Runs the core verifier over the hashed batches, in order; returns its
/// report and the last row's stored chain.
fn verifier_thread(
    origin: String,
    trusted: Vec<NoteVerifier>,
    notes: Vec<String>,
    levels: StoredLevels,
    batches: std::sync::mpsc::Receiver<Rows>,
) -> (Report, Option<Hash>) {
    let stored = BatchNodes {
        levels,
        nodes: RefCell::new(HashMap::new()),
    };
    let mut verifier = LogVerifier::new(&origin, &trusted, &notes).with_stored_nodes(&stored);
    let mut last_chain = None;
    for mut rows in batches {
        *stored.nodes.borrow_mut() = std::mem::take(&mut rows.nodes);
        for (i, hash) in rows.recomputed.iter().enumerate() {
            let record = rows.record(i);
            verifier.push_hashed(&record, *hash);
            last_chain = record.chain;
        }
    }
    (verifier.finish(), last_chain)
}

/// Starts a named thread.
fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), JournalError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(drop)
        .map_err(|e| JournalError::Inconsistent(format!("cannot start verification: {e}")))
}

impl Store {
    /// Recomputes the whole journal from storage and checks it against every
    /// stored checkpoint signed for `origin` by one of `trusted`, the stored
    /// subtrees, the head row and the rows' own hash and chain columns.
    ///
    /// `progress(rows_read, head_size)` is called after each batch. Appends
    /// made while it runs are outside the head read at the start, and are
    /// not checked.
    pub async fn journal_verify(
        &self,
        origin: &str,
        trusted: &[NoteVerifier],
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<JournalVerification, JournalError> {
        let mut conn = self.pool.acquire().await?;
        // Checkpoints before the head: every checkpoint read is then within
        // the head read (both are written under the head lock).
        let checkpoints =
            sqlx::query("SELECT id, size, root, note FROM journal_checkpoints ORDER BY id")
                .fetch_all(&mut *conn)
                .await?;
        let mut head_problems = Vec::new();
        let mut notes = Vec::with_capacity(checkpoints.len());
        for (i, row) in checkpoints.iter().enumerate() {
            let id: i64 = row.try_get("id")?;
            let size: i64 = row.try_get("size")?;
            let root: Vec<u8> = row.try_get("root")?;
            let note: String = row.try_get("note")?;
            // Columns against the note's own text; the signature is checked
            // by the core verifier.
            let parsed = SignedNote::parse(note.as_bytes())
                .ok()
                .and_then(|n| Checkpoint::parse(n.text()).ok());
            if let Some(c) = parsed {
                if u64::try_from(size).ok() != Some(c.size()) || root != c.root() {
                    head_problems.push(HeadProblem::CheckpointColumns { checkpoint: i, id });
                }
            }
            notes.push(note);
        }
        let head = super::append::read_head(&mut conn, false).await?;
        let head_info = JournalHead {
            size: head.range.size(),
            root: head.range.root(),
            chain: head.chain,
        };

        // Reading (this task), hashing and verifying each on their thread,
        // two batches in flight between them.
        let (tx, rx) = mpsc::channel::<Rows>(2);
        let (hashed_tx, hashed_rx) = std::sync::mpsc::sync_channel::<Rows>(2);
        let (done_tx, done_rx) = oneshot::channel();
        let (origin_owned, trusted_owned, levels) =
            (origin.to_owned(), trusted.to_vec(), head.levels);
        spawn("journal-hash", move || hashing_thread(rx, hashed_tx))?;
        spawn("journal-verify", move || {
            let out = verifier_thread(origin_owned, trusted_owned, notes, levels, hashed_rx);
            let _ = done_tx.send(out);
        })?;

        let end = to_i64(head_info.size)?;
        let mut batches = Batches::new(self.file_reads.as_deref(), end, levels)?;
        let mut read: u64 = 0;
        let (mut column_problems, mut column_problems_omitted) = (Vec::new(), 0u64);
        while let Some(mut batch) = batches.next(&mut conn).await? {
            read += batch.len() as u64;
            for p in batch.columns.drain(..) {
                if column_problems.len() < MAX_PROBLEMS {
                    column_problems.push(p);
                } else {
                    column_problems_omitted += 1;
                }
            }
            if tx.send(batch).await.is_err() {
                break; // A thread ended early; its result tells why.
            }
            progress(read, head_info.size);
        }
        drop(tx);
        let (report, last_chain) = done_rx
            .await
            .map_err(|_| JournalError::Inconsistent("the verification thread failed".into()))?;

        if report.leaves != head_info.size {
            head_problems.push(HeadProblem::RowCount {
                head: head_info.size,
                rows: report.leaves,
            });
        } else if report.root != head_info.root {
            head_problems.push(HeadProblem::RootMismatch {
                size: head_info.size,
                verified_prefix: report.verified_prefix,
            });
        }
        if head_info.size > 0 && report.leaves == head_info.size && last_chain != Some(head.chain) {
            head_problems.push(HeadProblem::ChainMismatch {
                size: head_info.size,
            });
        }
        Ok(JournalVerification {
            report,
            head: head_info,
            head_problems,
            column_problems,
            column_problems_omitted,
        })
    }
}

impl Store {
    /// For `thiqa-bench journal` only, the baseline of
    /// [`Store::journal_verify`]: the same columns of every row below the
    /// head (the leaf, its hashes and the columns copied from it; on
    /// SQLite, one statement over the file), only counted; with
    /// `sha256`, each leaf's bytes are also hashed once (plain SHA-256).
    /// Returns (rows, bytes).
    #[doc(hidden)]
    pub async fn bench_read_verify_columns(&self, sha256: bool) -> Result<(u64, u64), StoreError> {
        use sha2::{Digest, Sha256};
        let mut conn = self.pool.acquire().await?;
        let end = to_i64(
            super::append::read_head(&mut conn, false)
                .await?
                .range
                .size(),
        )?;
        if let Some(reads) = &self.file_reads {
            return reads
                .run(move |file| {
                    let mut stmt = file.prepare(&format!(
                        "SELECT {LEAF_COLUMNS} FROM journal_leaves WHERE idx < ?1 ORDER BY idx"
                    ))?;
                    let mut found = stmt.query([end])?;
                    let (mut rows_read, mut bytes) = (0u64, 0u64);
                    while let Some(row) = found.next()? {
                        for i in [0, 4, 5, 6, 7, 8, 9] {
                            std::hint::black_box(row.get_ref(i)?);
                        }
                        for i in 1..4 {
                            bytes += crate::file_reads::column_bytes(row, i).map_or(0, |b| b.len())
                                as u64;
                        }
                        if sha256 {
                            let leaf = crate::file_reads::column_bytes(row, 1).unwrap_or_default();
                            std::hint::black_box(Sha256::digest(leaf));
                        }
                        rows_read += 1;
                    }
                    Ok::<_, StoreError>((rows_read, bytes))
                })
                .await;
        }
        let (mut next, mut rows_read, mut bytes) = (0i64, 0u64, 0u64);
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {LEAF_COLUMNS} FROM journal_leaves \
                 WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3"
            ))
            .bind(next)
            .bind(end)
            .bind(JOURNAL_VERIFY_BATCH as i64)
            .fetch_all(&mut *conn)
            .await?;
            let Some(last) = rows.last() else { break };
            next = last.try_get::<i64, _>("idx")? + 1;
            for row in &rows {
                let leaf: &[u8] = row.try_get("leaf")?;
                let hash: &[u8] = row.try_get("leaf_hash")?;
                let chain: &[u8] = row.try_get("chain")?;
                let source: &str = row.try_get("source")?;
                let kind: Option<&str> = row.try_get("tenant_kind")?;
                for column in ["event_time_ms", "received_time_ms", "tenant_id", "event_id"] {
                    std::hint::black_box(row.try_get::<Option<i64>, _>(column)?);
                }
                bytes += (leaf.len() + hash.len() + chain.len() + source.len()) as u64
                    + kind.map_or(0, |k| k.len() as u64);
                if sha256 {
                    std::hint::black_box(Sha256::digest(leaf));
                }
            }
            rows_read += rows.len() as u64;
        }
        Ok((rows_read, bytes))
    }
}

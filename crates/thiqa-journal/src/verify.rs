//! Full verification of a stored journal against its signed checkpoints.
//!
//! One pass over the rows, in index order, recomputes the tree with a
//! [`CompactRange`] (constant memory, SHA-256 speed) and checks:
//!
//! 1. each signed checkpoint: origin, signature by a trusted key, and root
//!    equal to the recomputed root at its size — the only check a tamperer
//!    who can rewrite every column cannot defeat, because he cannot sign;
//! 2. row indexes: contiguous from 0 (a deleted row leaves a gap, a
//!    duplicated row goes backwards);
//! 3. the stored leaf hash of each row against its bytes (bytes edited alone);
//! 4. the chain value of each row against the previous row's chain and this
//!    row's bytes (rows edited with their hash, deleted and renumbered,
//!    inserted or swapped);
//! 5. optionally, the stored subtree hashes against the recomputed ones.
//!
//! 1 proves *whether* the log was altered; 2–5 name *where*. The report's
//! [`Report::first_bad`] combines them into the earliest suspect index.

use std::fmt;

use crate::append::{chain_hash, CHAIN_START};
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::keys::NoteVerifier;
use crate::merkle::{empty_root, leaf_hash, CompactRange, Hash, NodeReader};

/// Problems kept in a report; more are only counted (a deleted row can
/// invalidate every stored subtree after it).
pub const MAX_PROBLEMS: usize = 1000;

/// One stored row, as read from storage.
#[derive(Clone, Copy, Debug)]
pub struct LeafRecord<'a> {
    /// The row's index column.
    pub index: u64,
    /// The leaf bytes; empty when the payload was purged after its
    /// retention period (canonical leaves are never empty), in which case
    /// the stored leaf hash stands for it and the tree still verifies.
    pub data: &'a [u8],
    /// The stored leaf hash column, if the storage keeps one.
    pub leaf_hash: Option<Hash>,
    /// The stored chain column, if the storage keeps one.
    pub chain: Option<Hash>,
}

impl LeafRecord<'_> {
    /// The leaf hash the row is checked with: recomputed from its bytes, or
    /// the stored one when the payload was purged.
    #[must_use]
    pub fn recomputed_hash(&self) -> Hash {
        match (self.data.is_empty(), self.leaf_hash) {
            (true, Some(stored)) => stored,
            _ => leaf_hash(self.data),
        }
    }
}

/// One integrity problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Rows `expected..found` are missing.
    #[error("rows {expected}..{found} are missing")]
    MissingRows { expected: u64, found: u64 },
    /// A row index repeats or goes backwards.
    #[error("row index {found} where {expected} was expected (duplicated or reordered row)")]
    IndexOutOfOrder { expected: u64, found: u64 },
    /// The row's bytes do not hash to its stored leaf hash.
    #[error("row {index}: leaf bytes do not match the stored leaf hash")]
    LeafHashMismatch { index: u64 },
    /// The row's chain value does not follow from the previous row and its bytes.
    #[error("row {index}: chain value broken (this row, or the row before it with its chain, was altered, moved, inserted or deleted)")]
    ChainMismatch { index: u64 },
    /// A stored subtree hash differs from the recomputed one.
    #[error("stored subtree (level {level}, index {index}) does not match leaves {start}..{end}")]
    StoredNodeMismatch {
        level: u8,
        index: u64,
        start: u64,
        end: u64,
    },
    /// A stored subtree hash that should exist could not be read.
    #[error("stored subtree (level {level}, index {index}) cannot be read")]
    StoredNodeMissing { level: u8, index: u64 },
    /// A checkpoint is malformed, unsigned by a trusted key, or for another log.
    #[error("checkpoint #{checkpoint} rejected: {error}")]
    CheckpointRejected {
        checkpoint: usize,
        error: CheckpointError,
    },
    /// A valid signed checkpoint's root differs from the recomputed root.
    #[error("checkpoint #{checkpoint} (size {size}) does not match the log: a leaf in {last_good_size}..{size} was altered")]
    CheckpointMismatch {
        checkpoint: usize,
        size: u64,
        last_good_size: u64,
    },
    /// A valid signed checkpoint covers more leaves than the log holds.
    #[error("checkpoint #{checkpoint} covers {size} leaves but the log has {log_size}: rows were removed")]
    CheckpointBeyondLog {
        checkpoint: usize,
        size: u64,
        log_size: u64,
    },
}

/// Where the earliest alteration is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstBad {
    /// The earliest inconsistent row. When the only evidence is a chain
    /// break, the row just before may have been rewritten in full instead.
    Row(u64),
    /// Only Merkle evidence (a signed root or stored subtree) shows it: the
    /// earliest altered leaf lies in `start..end`.
    Within { start: u64, end: u64 },
}

impl fmt::Display for FirstBad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Row(i) => write!(f, "row {i}"),
            Self::Within { start, end } => write!(f, "a row in {start}..{end}"),
        }
    }
}

/// Outcome of a full verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Rows read.
    pub leaves: u64,
    /// Recomputed tree head over all rows read.
    pub root: Hash,
    /// Checkpoints whose signature and root both verified.
    pub checkpoints_verified: usize,
    /// Leaves `0..verified_prefix` are proven authentic by signed checkpoints.
    pub verified_prefix: u64,
    /// Problems, in the order found (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub problems_omitted: u64,
}

impl Report {
    /// No problem found.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.problems_omitted == 0
    }

    /// The earliest suspect position, combining row and Merkle evidence.
    #[must_use]
    pub fn first_bad(&self) -> Option<FirstBad> {
        let mut row: Option<u64> = None;
        let mut within: Option<(u64, u64)> = None;
        for p in &self.problems {
            let (exact, range) = match *p {
                Problem::MissingRows { expected, .. } => (Some(expected), None),
                Problem::IndexOutOfOrder { found, .. } => (Some(found), None),
                Problem::LeafHashMismatch { index } | Problem::ChainMismatch { index } => {
                    (Some(index), None)
                }
                Problem::CheckpointBeyondLog { log_size, .. } => (Some(log_size), None),
                Problem::StoredNodeMismatch { start, end, .. } => (None, Some((start, end))),
                Problem::CheckpointMismatch {
                    size,
                    last_good_size,
                    ..
                } => (None, Some((last_good_size, size))),
                Problem::StoredNodeMissing { .. } | Problem::CheckpointRejected { .. } => {
                    (None, None)
                }
            };
            if let Some(i) = exact {
                row = Some(row.map_or(i, |r| r.min(i)));
            }
            if let Some((s, e)) = range.filter(|&(_, e)| e > 0) {
                let better = within.is_none_or(|(ws, we)| e < we || (e == we && s > ws));
                if better {
                    within = Some((s.max(self.verified_prefix.min(e - 1)), e));
                }
            }
        }
        match (row, within) {
            (Some(r), Some((start, end))) if end <= r => Some(FirstBad::Within { start, end }),
            (Some(r), _) => Some(FirstBad::Row(r)),
            (None, Some((start, end))) => Some(FirstBad::Within { start, end }),
            (None, None) => None,
        }
    }
}

/// Streaming verifier: feed rows in index order with [`push`](Self::push),
/// then [`finish`](Self::finish).
pub struct LogVerifier<'a> {
    checkpoints: Vec<(usize, Checkpoint)>,
    next_checkpoint: usize,
    nodes: Option<&'a dyn NodeReader>,
    range: CompactRange,
    expected_index: u64,
    previous_chain: Hash,
    all_matched: bool,
    report: Report,
}

impl<'a> LogVerifier<'a> {
    /// Opens the stored checkpoints of log `origin` with the trusted keys;
    /// rejected ones are reported and otherwise ignored.
    pub fn new<C: AsRef<[u8]>>(origin: &str, trusted: &[NoteVerifier], checkpoints: &[C]) -> Self {
        let mut verifier = Self {
            checkpoints: Vec::new(),
            next_checkpoint: 0,
            nodes: None,
            range: CompactRange::new(),
            expected_index: 0,
            previous_chain: CHAIN_START,
            all_matched: true,
            report: Report {
                leaves: 0,
                root: empty_root(),
                checkpoints_verified: 0,
                verified_prefix: 0,
                problems: Vec::new(),
                problems_omitted: 0,
            },
        };
        for (i, signed) in checkpoints.iter().enumerate() {
            match Checkpoint::open(signed.as_ref(), origin, trusted) {
                Ok(c) => verifier.checkpoints.push((i, c)),
                Err(error) => verifier.problem(Problem::CheckpointRejected {
                    checkpoint: i,
                    error,
                }),
            }
        }
        verifier.checkpoints.sort_by_key(|(i, c)| (c.size(), *i));
        verifier.check_checkpoints();
        verifier
    }

    /// Also compares the stored subtree hashes (levels ≥ 1) with the
    /// recomputed ones, to localise alterations that kept rows consistent.
    #[must_use]
    pub fn with_stored_nodes(mut self, nodes: &'a dyn NodeReader) -> Self {
        self.nodes = Some(nodes);
        self
    }

    fn problem(&mut self, p: Problem) {
        if self.report.problems.len() < MAX_PROBLEMS {
            self.report.problems.push(p);
        } else {
            self.report.problems_omitted += 1;
        }
    }

    /// Checks the checkpoints whose size is the current tree size.
    fn check_checkpoints(&mut self) {
        let size = self.range.size();
        while let Some((i, c)) = self.checkpoints.get(self.next_checkpoint) {
            if c.size() != size {
                break;
            }
            let (i, matches) = (*i, *c.root() == self.range.root());
            self.next_checkpoint += 1;
            if matches {
                self.report.checkpoints_verified += 1;
                if self.all_matched {
                    self.report.verified_prefix = size;
                }
            } else {
                self.all_matched = false;
                let last_good_size = self.report.verified_prefix;
                self.problem(Problem::CheckpointMismatch {
                    checkpoint: i,
                    size,
                    last_good_size,
                });
            }
        }
    }

    /// Verifies the next row.
    pub fn push(&mut self, record: &LeafRecord<'_>) {
        self.push_hashed(record, record.recomputed_hash());
    }

    /// [`push`](Self::push) with the row's [`LeafRecord::recomputed_hash`]
    /// already computed by the caller, which may then hash many rows on
    /// other threads while rows are pushed here in order; every check is
    /// the same.
    pub fn push_hashed(&mut self, record: &LeafRecord<'_>, hash: Hash) {
        if record.index != self.expected_index {
            let (expected, found) = (self.expected_index, record.index);
            self.problem(if found > expected {
                Problem::MissingRows { expected, found }
            } else {
                Problem::IndexOutOfOrder { expected, found }
            });
        }
        self.expected_index = self.expected_index.max(record.index.saturating_add(1));

        if record.leaf_hash.is_some_and(|stored| stored != hash) {
            self.problem(Problem::LeafHashMismatch {
                index: record.index,
            });
        }
        let chain = chain_hash(&self.previous_chain, &hash);
        match record.chain {
            Some(stored) => {
                if stored != chain {
                    self.problem(Problem::ChainMismatch {
                        index: record.index,
                    });
                }
                // Continue from the stored value: one altered row gives one
                // break, not a cascade to the end of the log.
                self.previous_chain = stored;
            }
            None => self.previous_chain = chain,
        }

        match self.nodes {
            None => self.range.append(hash),
            Some(nodes) => {
                let mut found = Vec::new();
                self.range.append_with(hash, |level, index, recomputed| {
                    if level > 0 && nodes.is_stored_level(level) {
                        match nodes
                            .read_nodes(level, index, 1)
                            .ok()
                            .and_then(|v| v.first().copied())
                        {
                            Some(stored) if stored == *recomputed => {}
                            Some(_) => found.push(Problem::StoredNodeMismatch {
                                level,
                                index,
                                start: index << level,
                                end: (index + 1) << level,
                            }),
                            None => found.push(Problem::StoredNodeMissing { level, index }),
                        }
                    }
                });
                for p in found {
                    self.problem(p);
                }
            }
        }
        self.check_checkpoints();
    }

    /// Ends the pass: checkpoints beyond the last row are reported.
    #[must_use]
    pub fn finish(mut self) -> Report {
        let log_size = self.range.size();
        let rest: Vec<_> = self.checkpoints.drain(self.next_checkpoint..).collect();
        for (i, c) in rest {
            self.problem(Problem::CheckpointBeyondLog {
                checkpoint: i,
                size: c.size(),
                log_size,
            });
        }
        self.report.leaves = log_size;
        self.report.root = self.range.root();
        self.report
    }
}

/// Verifies a whole log in one call.
pub fn verify_log<'r, C: AsRef<[u8]>>(
    origin: &str,
    trusted: &[NoteVerifier],
    checkpoints: &[C],
    nodes: Option<&dyn NodeReader>,
    records: impl IntoIterator<Item = LeafRecord<'r>>,
) -> Report {
    let mut verifier = LogVerifier::new(origin, trusted, checkpoints);
    if let Some(nodes) = nodes {
        verifier = verifier.with_stored_nodes(nodes);
    }
    for record in records {
        verifier.push(&record);
    }
    verifier.finish()
}

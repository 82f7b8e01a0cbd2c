//! Serving [`NodeReader`] from SQL.
//!
//! The core's proof and root functions read tree hashes through the
//! synchronous [`NodeReader`] trait, while our database is asynchronous. The
//! hashes they ask for depend only on the sizes and indexes involved, never
//! on hash values, so [`compute`] runs the function twice: once against a
//! reader that only records the ranges asked for, then, after fetching those
//! ranges (a few dozen small range queries at most), against a reader holding
//! exactly them. No blocking in async code, and no full-tree read.
//!
//! Level 0 (leaf hashes) is `journal_leaves.leaf_hash`; higher stored levels
//! are `journal_nodes`.

use std::cell::RefCell;
use std::collections::HashMap;

use sqlx::{AnyConnection, Row};
use thiqa_journal::merkle::{NodeReader, TreeError};
use thiqa_journal::Hash;

use super::{to_hash, to_i64, JournalError};
use crate::error::StoreError;

/// Node reads `(level, start, count)` a computation asked for.
struct Recorder {
    levels: thiqa_journal::merkle::StoredLevels,
    asked: RefCell<Vec<(u8, u64, u64)>>,
}

impl NodeReader for Recorder {
    fn is_stored_level(&self, level: u8) -> bool {
        self.levels.contains(level)
    }

    fn read_nodes(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, TreeError> {
        // Far more than any proof reads; refuse rather than allocate wildly.
        if count > 1 << 16 {
            return Err(TreeError::MissingNode {
                level,
                index: start,
            });
        }
        self.asked.borrow_mut().push((level, start, count));
        Ok(vec![[0; 32]; count as usize])
    }
}

/// Hashes fetched from storage, keyed by `(level, index)`.
pub(crate) struct Fetched {
    pub levels: thiqa_journal::merkle::StoredLevels,
    pub nodes: HashMap<(u8, u64), Hash>,
}

impl NodeReader for Fetched {
    fn is_stored_level(&self, level: u8) -> bool {
        self.levels.contains(level)
    }

    fn read_nodes(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, TreeError> {
        (start..start.saturating_add(count))
            .map(|index| {
                self.nodes
                    .get(&(level, index))
                    .copied()
                    .ok_or(TreeError::MissingNode { level, index })
            })
            .collect()
    }
}

/// Stored hashes of `level` with index in `start..end`, added to `into`.
pub(crate) async fn fetch_range(
    conn: &mut AnyConnection,
    level: u8,
    start: u64,
    end: u64,
    into: &mut HashMap<(u8, u64), Hash>,
) -> Result<(), StoreError> {
    if start >= end {
        return Ok(());
    }
    let end = to_i64(end.min(i64::MAX as u64))?;
    let rows = if level == 0 {
        sqlx::query(
            "SELECT idx, leaf_hash AS hash FROM journal_leaves WHERE idx >= $1 AND idx < $2",
        )
        .bind(to_i64(start)?)
        .bind(end)
        .fetch_all(conn)
        .await?
    } else {
        sqlx::query(
            "SELECT idx, hash FROM journal_nodes WHERE level = $1 AND idx >= $2 AND idx < $3",
        )
        .bind(i64::from(level))
        .bind(to_i64(start)?)
        .bind(end)
        .fetch_all(conn)
        .await?
    };
    for row in rows {
        let idx: i64 = row.try_get("idx")?;
        let hash = to_hash(&row.try_get::<Vec<u8>, _>("hash")?, "tree node")?;
        if let Ok(idx) = u64::try_from(idx) {
            into.insert((level, idx), hash);
        }
    }
    Ok(())
}

/// Runs `f` over the stored tree: records what it reads, fetches that, runs
/// it again on the fetched hashes.
pub(crate) async fn compute<T>(
    conn: &mut AnyConnection,
    f: impl Fn(&dyn NodeReader) -> Result<T, TreeError>,
) -> Result<T, JournalError> {
    let levels = super::append::read_head(conn, false).await?.levels;
    let asked = {
        let recorder = Recorder {
            levels,
            asked: RefCell::new(Vec::new()),
        };
        f(&recorder)?;
        recorder.asked.into_inner()
    };
    let mut nodes = HashMap::new();
    for (level, start, count) in asked {
        fetch_range(conn, level, start, start.saturating_add(count), &mut nodes).await?;
    }
    Ok(f(&Fetched { levels, nodes })?)
}

//! Serving [`NodeReader`] from SQL.
//!
//! The core's proof and root functions read tree hashes through the
//! synchronous [`NodeReader`] trait, while our database is asynchronous. The
//! hashes they ask for depend only on the sizes and indexes involved, never
//! on hash values, so [`compute`] runs the function twice: once against a
//! reader that only records the ranges asked for, then, after fetching those
//! ranges (a few dozen small ranges, in one statement), against a reader
//! holding exactly them. No blocking in async code, and no full-tree read.
//!
//! Level 0 (leaf hashes) is `journal_leaves.leaf_hash`; higher stored levels
//! are `journal_nodes`.

use std::cell::RefCell;
use std::collections::HashMap;

use sqlx::{AnyConnection, Row};
use thiqa_journal::merkle::{NodeReader, StoredLevels, TreeError};
use thiqa_journal::Hash;

use super::{to_hash, to_i64, JournalError};
use crate::error::StoreError;

/// Node reads `(level, start, count)` a computation asked for.
struct Recorder {
    levels: StoredLevels,
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
    pub levels: StoredLevels,
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

/// Ranges per statement of [`fetch_ranges`]: far more than a proof of a
/// 2^63-leaf tree asks (about two per level), far below SQLite's limit of
/// 500 terms in a compound SELECT.
pub(crate) const RANGES_PER_QUERY: usize = 128;

/// One statement reading the ranges of `group` (at most
/// [`RANGES_PER_QUERY`]), with its parameters: a `UNION ALL` of range
/// selects, each an index range scan (level 0 is the leaf rows'
/// `leaf_hash` column). `numbered`: PostgreSQL's `$n` placeholders, else
/// SQLite's `?`. None when every range is empty.
///
/// A proof in a tree of 10 million leaves asks for about 30 ranges; one
/// round trip per range made most of its time (`thiqa-bench journal`).
pub(crate) fn ranges_statement(
    group: &[(u8, u64, u64)],
    numbered: bool,
) -> Result<Option<(String, Vec<i64>)>, StoreError> {
    let mut sql = String::new();
    let mut binds: Vec<i64> = Vec::with_capacity(group.len() * 3);
    let param = |binds: &mut Vec<i64>, value: i64| {
        binds.push(value);
        if numbered {
            format!("${}", binds.len())
        } else {
            "?".to_owned()
        }
    };
    for &(level, start, count) in group.iter().filter(|r| r.2 > 0) {
        let end = to_i64(start.saturating_add(count).min(i64::MAX as u64))?;
        if !sql.is_empty() {
            sql.push_str(" UNION ALL ");
        }
        if level == 0 {
            let (a, b) = (param(&mut binds, to_i64(start)?), param(&mut binds, end));
            sql.push_str(&format!(
                "SELECT CAST(0 AS BIGINT) AS level, idx, leaf_hash AS hash \
                 FROM journal_leaves WHERE idx >= {a} AND idx < {b}"
            ));
        } else {
            let l = param(&mut binds, i64::from(level));
            let (a, b) = (param(&mut binds, to_i64(start)?), param(&mut binds, end));
            sql.push_str(&format!(
                "SELECT level, idx, hash FROM journal_nodes \
                 WHERE level = {l} AND idx >= {a} AND idx < {b}"
            ));
        }
    }
    Ok((!sql.is_empty()).then_some((sql, binds)))
}

/// Adds one row of a [`ranges_statement`] to the fetched hashes.
pub(crate) fn insert_node(
    into: &mut HashMap<(u8, u64), Hash>,
    level: i64,
    idx: i64,
    hash: &[u8],
) -> Result<(), StoreError> {
    let hash = to_hash(hash, "tree node")?;
    if let (Ok(level), Ok(idx)) = (u8::try_from(level), u64::try_from(idx)) {
        into.insert((level, idx), hash);
    }
    Ok(())
}

/// Stored hashes of every `(level, start, count)` of `asked`, added to
/// `into`, through the pool's connection.
pub(crate) async fn fetch_ranges(
    conn: &mut AnyConnection,
    asked: &[(u8, u64, u64)],
    into: &mut HashMap<(u8, u64), Hash>,
) -> Result<(), StoreError> {
    let numbered = conn.backend_name().eq_ignore_ascii_case("postgresql");
    for group in asked.chunks(RANGES_PER_QUERY) {
        let Some((sql, binds)) = ranges_statement(group, numbered)? else {
            continue;
        };
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let hash: Vec<u8> = row.try_get("hash")?;
            insert_node(into, row.try_get("level")?, row.try_get("idx")?, &hash)?;
        }
    }
    Ok(())
}

/// What `f` reads of the tree, recorded without reading anything.
pub(crate) fn ranges_read_by<T>(
    levels: StoredLevels,
    f: impl Fn(&dyn NodeReader) -> Result<T, TreeError>,
) -> Result<Vec<(u8, u64, u64)>, TreeError> {
    let recorder = Recorder {
        levels,
        asked: RefCell::new(Vec::new()),
    };
    f(&recorder)?;
    Ok(recorder.asked.into_inner())
}

/// Runs `f` over the stored tree (with the head's stored `levels`): records
/// what it reads, fetches that, runs it again on the fetched hashes.
pub(crate) async fn compute<T>(
    conn: &mut AnyConnection,
    levels: StoredLevels,
    f: impl Fn(&dyn NodeReader) -> Result<T, TreeError>,
) -> Result<T, JournalError> {
    let asked = ranges_read_by(levels, &f)?;
    let mut nodes = HashMap::new();
    fetch_ranges(conn, &asked, &mut nodes).await?;
    Ok(f(&Fetched { levels, nodes })?)
}

//! Proofs and roots from the stored tree, for the CLI (`thiqa journal
//! prove`), the public proof endpoints and exports.
//!
//! Each runs as a handful of statements on one connection: on SQLite the
//! file's own ([`crate::file_reads`]), which answers a proof of a leaf of a
//! 10-million-leaf journal in a fraction of a millisecond; on PostgreSQL
//! one of the pool's.

use thiqa_journal::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, tree_root, verify_inclusion, NodeReader,
    TreeError,
};
use thiqa_journal::Hash;

use super::append::{read_head, read_leaves};
use super::{file, nodes, InclusionBundle, JournalError, JournalLeaf, StoredCheckpoint};
use crate::connect::Store;

/// A computation over the tree of the first `size` leaves.
type OverTree<T> = Box<dyn Fn(&dyn NodeReader) -> Result<T, TreeError> + Send>;

/// Refuses a tree larger than the stored one.
fn within_head(size: u64, head_size: u64) -> Result<(), JournalError> {
    if size > head_size {
        return Err(TreeError::BadSizes {
            size1: size,
            size2: head_size,
        }
        .into());
    }
    Ok(())
}

/// The checkpoint a proof of leaf `index` is against: the one of `size`
/// leaves, or the latest; it must cover the leaf.
fn covering(
    found: Option<StoredCheckpoint>,
    index: u64,
    size: Option<u64>,
) -> Result<StoredCheckpoint, JournalError> {
    let checkpoint = match (found, size) {
        (Some(c), _) => c,
        (None, Some(s)) => return Err(JournalError::NoCheckpoint(s)),
        (None, None) => return Err(JournalError::NotCovered { index, size: 0 }),
    };
    if index >= checkpoint.size {
        return Err(JournalError::NotCovered {
            index,
            size: checkpoint.size,
        });
    }
    Ok(checkpoint)
}

/// The bundle, once its path is checked against the checkpoint's root, so
/// altered storage gives an error, not a false proof.
fn checked_bundle(
    checkpoint: StoredCheckpoint,
    index: u64,
    leaf: Option<JournalLeaf>,
    audit_path: Vec<Hash>,
) -> Result<InclusionBundle, JournalError> {
    let leaf = leaf
        .filter(|l| l.index == index)
        .ok_or_else(|| JournalError::Inconsistent(format!("row {index} is missing")))?;
    let hash = leaf_hash(&leaf.leaf);
    verify_inclusion(&hash, index, checkpoint.size, &audit_path, &checkpoint.root).map_err(
        |e| {
            JournalError::Inconsistent(format!(
                "row {index} is not leaf {index} of the checkpoint of size {}: {e}",
                checkpoint.size
            ))
        },
    )?;
    Ok(InclusionBundle {
        index,
        tree_size: checkpoint.size,
        leaf: leaf.leaf,
        audit_path,
        checkpoint: checkpoint.note,
    })
}

impl Store {
    /// Runs `f` over the stored tree of `size` leaves (refused when the
    /// journal is smaller).
    async fn over_tree<T: Send + 'static>(
        &self,
        size: u64,
        f: OverTree<T>,
    ) -> Result<T, JournalError> {
        if let Some(reads) = &self.file_reads {
            return reads
                .run(move |conn| {
                    let head = file::head(conn)?;
                    within_head(size, head.range.size())?;
                    file::compute(conn, head.levels, f)
                })
                .await;
        }
        let mut conn = self.pool.acquire().await?;
        let head = read_head(&mut conn, false).await?;
        within_head(size, head.range.size())?;
        nodes::compute(&mut conn, head.levels, f).await
    }

    /// Audit path of leaf `index` in the tree of the first `size` leaves
    /// (RFC 9162 §2.1.3), from the stored subtrees.
    pub async fn journal_inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<Vec<Hash>, JournalError> {
        let f = move |r: &dyn NodeReader| inclusion_proof(r, index, size);
        self.over_tree(size, Box::new(f)).await
    }

    /// Proof that the tree of `size1` leaves is a prefix of the tree of
    /// `size2` (RFC 9162 §2.1.4), from the stored subtrees.
    pub async fn journal_consistency_proof(
        &self,
        size1: u64,
        size2: u64,
    ) -> Result<Vec<Hash>, JournalError> {
        let f = move |r: &dyn NodeReader| consistency_proof(r, size1, size2);
        self.over_tree(size2, Box::new(f)).await
    }

    /// Tree head of the first `size` leaves, from the stored subtrees.
    pub async fn journal_root_at(&self, size: u64) -> Result<Hash, JournalError> {
        let f = move |r: &dyn NodeReader| tree_root(r, size);
        self.over_tree(size, Box::new(f)).await
    }

    /// A self-contained inclusion proof of leaf `index`: against the stored
    /// checkpoint of `size` leaves, or the latest checkpoint when `size` is
    /// `None`, checked before it is returned.
    pub async fn journal_prove(
        &self,
        index: u64,
        size: Option<u64>,
    ) -> Result<InclusionBundle, JournalError> {
        if let Some(reads) = &self.file_reads {
            return reads
                .run(move |conn| {
                    let checkpoint = covering(file::checkpoint(conn, size)?, index, size)?;
                    let leaf = file::leaves(conn, index, 1)?.pop();
                    let head = file::head(conn)?;
                    within_head(checkpoint.size, head.range.size())?;
                    let path = file::compute(conn, head.levels, |r| {
                        inclusion_proof(r, index, checkpoint.size)
                    })?;
                    checked_bundle(checkpoint, index, leaf, path)
                })
                .await;
        }
        let mut conn = self.pool.acquire().await?;
        let checkpoint = covering(super::checkpoint_on(&mut conn, size).await?, index, size)?;
        let leaf = read_leaves(&mut conn, index, 1).await?.pop();
        let head = read_head(&mut conn, false).await?;
        within_head(checkpoint.size, head.range.size())?;
        let path = nodes::compute(&mut conn, head.levels, |r| {
            inclusion_proof(r, index, checkpoint.size)
        })
        .await?;
        checked_bundle(checkpoint, index, leaf, path)
    }
}

//! How proof generation reads tree hashes from storage.
//!
//! Every hash a proof needs is the root of a *perfect* subtree (2^level
//! leaves starting at a multiple of 2^level), or a fold of a few of them on
//! the right edge. Node `(level, index)` covers leaves
//! `[index << level, (index + 1) << level)`; level 0 holds the leaf hashes.
//!
//! Recomputing a subtree from its leaves costs one hash per leaf: far too slow
//! for a proof in a 10-million-leaf log. Keeping every interior node doubles
//! storage. The middle way, chosen here, is to keep nodes only at levels that
//! are multiples of a stride `s` ([`StoredLevels`]): any perfect subtree is
//! then rebuilt from at most `2^(s-1)`… `2^s` stored nodes of the level below
//! it, read in one batch. With `s = 4` storage grows by 1/15 and an inclusion
//! proof at 10M leaves costs a few hundred hashes (well under a millisecond).
//!
//! A SQL table `(level, idx, hash)` implements [`NodeReader`] with one range
//! query per call; [`MemoryNodeStore`] is the in-memory implementation used by
//! tests, benches and small tools.

use super::{node_hash, CompactRange, Hash};

/// Why a tree hash could not be read or computed.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The storage layer failed (I/O, SQL…); its error is kept as the source.
    #[error("reading tree hashes from storage failed")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A node that should exist at a stored level is absent.
    #[error("tree node (level {level}, index {index}) is not stored")]
    MissingNode { level: u8, index: u64 },
    /// The leaf index is not below the tree size.
    #[error("leaf {index} is outside a tree of size {size}")]
    OutOfRange { index: u64, size: u64 },
    /// Consistency needs `size1 <= size2`, and the tree must hold `size2`.
    #[error("no consistency proof from size {size1} to size {size2}")]
    BadSizes { size1: u64, size2: u64 },
}

/// Source of perfect-subtree hashes, implemented by storage layers.
pub trait NodeReader {
    /// Whether nodes of this level are kept. Level 0 must be.
    fn is_stored_level(&self, level: u8) -> bool;

    /// Reads `count` consecutive nodes of a stored `level`, starting at node
    /// `start`. All of them must be complete (inside the tree); a missing
    /// node is [`TreeError::MissingNode`].
    fn read_nodes(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, TreeError>;
}

/// Which tree levels a store keeps: those that are multiples of a stride.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredLevels {
    stride: u8,
}

impl StoredLevels {
    /// Every level (stride 1): fastest proofs, twice the hashes.
    pub const ALL: Self = Self { stride: 1 };

    /// Levels `0, stride, 2·stride, …`. `None` for a stride of 0.
    #[must_use]
    pub const fn every(stride: u8) -> Option<Self> {
        if stride == 0 {
            None
        } else {
            Some(Self { stride })
        }
    }

    /// The stride.
    #[must_use]
    pub const fn stride(self) -> u8 {
        self.stride
    }

    /// Whether `level` is kept.
    #[must_use]
    pub const fn contains(self, level: u8) -> bool {
        level.is_multiple_of(self.stride)
    }
}

impl Default for StoredLevels {
    /// Stride 4: about 6.7 % more hashes than the leaves alone.
    fn default() -> Self {
        Self { stride: 4 }
    }
}

/// One subtree hash to persist, as produced when appending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredNode {
    /// Height of the subtree (0 = a leaf).
    pub level: u8,
    /// Position among the nodes of that level.
    pub index: u64,
    /// Root hash of the subtree.
    pub hash: Hash,
}

/// Hash of the perfect subtree `(level, index)`, read directly if its level is
/// stored, else rebuilt from the nearest stored level below it.
pub fn perfect_subtree_hash<R: NodeReader + ?Sized>(
    reader: &R,
    level: u8,
    index: u64,
) -> Result<Hash, TreeError> {
    let mut base = level;
    while !reader.is_stored_level(base) {
        base -= 1; // Level 0 is always stored, so this stops.
    }
    let depth = level - base;
    let count = 1u64 << depth;
    let start = index
        .checked_shl(u32::from(depth))
        .ok_or(TreeError::MissingNode { level, index })?;
    let mut nodes = reader.read_nodes(base, start, count)?;
    if nodes.len() as u64 != count {
        return Err(TreeError::MissingNode {
            level: base,
            index: start,
        });
    }
    let mut len = nodes.len();
    while len > 1 {
        for i in 0..len / 2 {
            nodes[i] = node_hash(&nodes[2 * i], &nodes[2 * i + 1]);
        }
        len /= 2;
    }
    Ok(nodes[0])
}

/// The compact range of the first `size` leaves, read from storage; lets an
/// appender resume after a restart without rereading the log.
pub fn compact_range_at<R: NodeReader + ?Sized>(
    reader: &R,
    size: u64,
) -> Result<CompactRange, TreeError> {
    let mut nodes = Vec::with_capacity(size.count_ones() as usize);
    let mut start = 0u64;
    for level in (0..64u8).rev() {
        if size & (1 << level) != 0 {
            nodes.push(perfect_subtree_hash(reader, level, start >> level)?);
            start += 1 << level;
        }
    }
    CompactRange::from_parts(size, nodes).ok_or(TreeError::BadSizes {
        size1: size,
        size2: size,
    })
}

/// In-memory node store: one vector per stored level.
#[derive(Clone, Debug)]
pub struct MemoryNodeStore {
    stored: StoredLevels,
    levels: Vec<Vec<Hash>>,
    range: CompactRange,
}

impl MemoryNodeStore {
    /// An empty store keeping the given levels.
    #[must_use]
    pub fn new(stored: StoredLevels) -> Self {
        Self {
            stored,
            levels: Vec::new(),
            range: CompactRange::new(),
        }
    }

    /// Appends a leaf hash, keeping the subtree hashes it completes.
    pub fn push_leaf_hash(&mut self, leaf_hash: Hash) {
        let Self {
            stored,
            levels,
            range,
        } = self;
        range.append_with(leaf_hash, |level, index, hash| {
            if stored.contains(level) {
                let level = usize::from(level);
                if levels.len() <= level {
                    levels.resize_with(level + 1, Vec::new);
                }
                debug_assert_eq!(levels[level].len() as u64, index);
                levels[level].push(*hash);
            }
        });
    }

    /// Keeps an already persisted node, as a storage layer does when it
    /// receives [`StoredNode`]s from an appender.
    pub fn insert(&mut self, node: StoredNode) -> Result<(), TreeError> {
        let level = usize::from(node.level);
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        let nodes = &mut self.levels[level];
        if nodes.len() as u64 != node.index {
            return Err(TreeError::MissingNode {
                level: node.level,
                index: nodes.len() as u64,
            });
        }
        nodes.push(node.hash);
        if node.level == 0 {
            self.range.append(node.hash);
        }
        Ok(())
    }

    /// Number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Total number of hashes held, leaves included.
    #[must_use]
    pub fn hash_count(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// Tree head at the current size.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.range.root()
    }
}

impl NodeReader for MemoryNodeStore {
    fn is_stored_level(&self, level: u8) -> bool {
        self.stored.contains(level)
    }

    fn read_nodes(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, TreeError> {
        let missing = TreeError::MissingNode {
            level,
            index: start,
        };
        let nodes = self.levels.get(usize::from(level)).ok_or(missing)?;
        let end = start
            .checked_add(count)
            .filter(|&e| e <= nodes.len() as u64);
        match end {
            Some(end) => Ok(nodes[start as usize..end as usize].to_vec()),
            None => Err(TreeError::MissingNode {
                level,
                index: start,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, root_of};

    #[test]
    fn subtrees_are_the_same_whatever_the_stride() {
        let leaves: Vec<Hash> = (0u32..100).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut all = MemoryNodeStore::new(StoredLevels::ALL);
        let mut sparse = MemoryNodeStore::new(StoredLevels::every(3).unwrap());
        for h in &leaves {
            all.push_leaf_hash(*h);
            sparse.push_leaf_hash(*h);
        }
        assert!(sparse.hash_count() < all.hash_count());
        for level in 0..7u8 {
            for index in 0..(100u64 >> level) {
                let a = perfect_subtree_hash(&all, level, index).unwrap();
                let s = perfect_subtree_hash(&sparse, level, index).unwrap();
                let lo = (index << level) as usize;
                let hi = ((index + 1) << level) as usize;
                assert_eq!(a, s);
                assert_eq!(a, root_of(&leaves[lo..hi]));
            }
        }
        // Node (7, 0) would need 128 leaves.
        assert!(perfect_subtree_hash(&sparse, 7, 0).is_err());
    }

    #[test]
    fn compact_range_can_be_restored_from_storage() {
        let mut store = MemoryNodeStore::new(StoredLevels::default());
        for i in 0u32..77 {
            store.push_leaf_hash(leaf_hash(&i.to_be_bytes()));
        }
        let range = compact_range_at(&store, 77).unwrap();
        assert_eq!(range.root(), store.root());
        assert_eq!(range.size(), 77);
    }

    #[test]
    fn stride_zero_is_refused() {
        assert!(StoredLevels::every(0).is_none());
        assert!(StoredLevels::every(8).unwrap().contains(16));
        assert!(!StoredLevels::every(8).unwrap().contains(12));
    }
}

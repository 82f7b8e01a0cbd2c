//! The compact range (or "frontier") of a growing Merkle tree.
//!
//! A tree of size `n` is, by RFC 9162's split rule, a left-to-right sequence
//! of perfect subtrees whose sizes are the binary digits of `n` (13 leaves =
//! 8 + 4 + 1). Keeping only the roots of those subtrees — at most 64 hashes —
//! is enough to append a leaf (merge equal-sized neighbours, like a binary
//! counter's carries) and to compute the root (fold them right to left).
//!
//! Why it matters here: appending stays O(1) amortised hashes whatever the
//! size of the journal, and full verification of a log streams its leaves once
//! without holding them in memory, at the speed of SHA-256.

use super::{empty_root, node_hash, Hash};

/// Roots of the perfect subtrees that make up a tree, largest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    nodes: Vec<Hash>,
}

impl CompactRange {
    /// The range of the empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a range from a size and its subtree roots, e.g. persisted
    /// beside the log. Returns `None` unless there is exactly one hash per
    /// set bit of `size`.
    #[must_use]
    pub fn from_parts(size: u64, nodes: Vec<Hash>) -> Option<Self> {
        (nodes.len() == size.count_ones() as usize).then_some(Self { size, nodes })
    }

    /// Number of leaves appended so far.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Roots of the perfect subtrees, from the leftmost (largest) to the
    /// rightmost (smallest).
    #[must_use]
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Appends one leaf hash.
    pub fn append(&mut self, leaf_hash: Hash) {
        self.append_with(leaf_hash, |_, _, _| {});
    }

    /// Appends one leaf hash and calls `completed(level, index, hash)` for
    /// every perfect subtree this append completes, the leaf itself
    /// (level 0) first, then each merged parent up the tree.
    ///
    /// A storage layer uses the callback to persist the subtree hashes that
    /// proof generation later reads (see [`super::StoredLevels`]).
    pub fn append_with(&mut self, leaf_hash: Hash, mut completed: impl FnMut(u8, u64, &Hash)) {
        let index = self.size;
        completed(0, index, &leaf_hash);
        let mut hash = leaf_hash;
        let mut level: u8 = 0;
        // Each trailing one bit of the old size is a subtree of the same
        // height as the one just completed, waiting on our left to merge.
        while (index >> level) & 1 == 1 {
            // The invariant (one node per set bit) guarantees a left sibling.
            let Some(left) = self.nodes.pop() else {
                unreachable!("compact range invariant broken")
            };
            hash = node_hash(&left, &hash);
            level += 1;
            completed(level, index >> level, &hash);
        }
        self.nodes.push(hash);
        self.size += 1;
    }

    /// The Merkle tree head of the leaves appended so far, in O(log n).
    #[must_use]
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;

    /// RFC 9162's recursive definition, written as plainly as possible, to
    /// check the compact range against.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = crate::merkle::split_point(n as u64) as usize;
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn root_matches_recursive_definition_for_every_small_size() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut range = CompactRange::new();
        assert_eq!(range.root(), empty_root());
        for n in 1..=leaves.len() {
            range.append(leaves[n - 1]);
            assert_eq!(range.root(), reference_root(&leaves[..n]), "size {n}");
            assert_eq!(range.nodes().len(), n.count_ones() as usize);
        }
    }

    #[test]
    fn completed_nodes_cover_every_perfect_subtree_once() {
        let mut range = CompactRange::new();
        let mut seen = Vec::new();
        for i in 0u64..16 {
            range.append_with(leaf_hash(&i.to_be_bytes()), |l, idx, _| seen.push((l, idx)));
        }
        // 16 leaves + 8 + 4 + 2 + 1 interior nodes.
        assert_eq!(seen.len(), 31);
        assert!(seen.contains(&(4, 0)));
        assert!(seen.contains(&(2, 3)));
    }

    #[test]
    fn from_parts_checks_the_node_count() {
        let mut range = CompactRange::new();
        for i in 0u64..11 {
            range.append(leaf_hash(&i.to_be_bytes()));
        }
        let copy = CompactRange::from_parts(11, range.nodes().to_vec());
        assert_eq!(copy.as_ref(), Some(&range));
        assert!(CompactRange::from_parts(12, range.nodes().to_vec()).is_none());
    }
}

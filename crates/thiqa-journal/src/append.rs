//! What a storage layer writes when it appends a leaf: the row and the
//! subtree hashes it completes.
//!
//! Each journal row holds `(index, leaf bytes, leaf hash, chain)`:
//!
//! - the **leaf hash** lets a verifier name a row whose bytes were edited
//!   while its hash column was not;
//! - the **chain** value `SHA-256(0x02 || chain[i-1] || leaf_hash[i])`
//!   (with `chain[-1]` = 32 zero bytes) links each row to the one before it,
//!   so a verifier can name the first row that was edited together with its
//!   hash, deleted, inserted or moved, without any other row.
//!
//! Neither is a security mechanism: whoever can rewrite the table can
//! recompute both. What makes tampering *detectable* is the signed
//! checkpoints (the Merkle root). These columns only make it *locatable*
//! when the tamperer was less thorough, which is the common case. The 0x02
//! prefix keeps chain values distinct from RFC 9162 leaf (0x00) and node
//! (0x01) hashes.

use sha2::{Digest, Sha256};

use crate::merkle::{
    compact_range_at, leaf_hash, CompactRange, Hash, NodeReader, StoredLevels, StoredNode,
    TreeError,
};

/// Domain-separation prefix of chain values.
pub const CHAIN_PREFIX: u8 = 0x02;

/// Chain value before the first row.
pub const CHAIN_START: Hash = [0; 32];

/// `SHA-256(0x02 || previous || leaf_hash)`.
#[must_use]
pub fn chain_hash(previous: &Hash, leaf_hash: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([CHAIN_PREFIX]);
    h.update(previous);
    h.update(leaf_hash);
    h.finalize().into()
}

/// Everything to persist for one appended leaf, in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendedLeaf {
    /// Position of the leaf in the log.
    pub index: u64,
    /// `SHA-256(0x00 || leaf)`.
    pub leaf_hash: Hash,
    /// Chain value of this row.
    pub chain: Hash,
    /// Subtree hashes completed by this leaf at the stored levels, the leaf
    /// hash itself (level 0) included.
    pub nodes: Vec<StoredNode>,
}

/// Appends leaves, tracking the tree frontier and the chain.
#[derive(Clone, Debug)]
pub struct Appender {
    range: CompactRange,
    chain: Hash,
    levels: StoredLevels,
}

impl Appender {
    /// An appender for an empty log keeping `levels`.
    #[must_use]
    pub fn new(levels: StoredLevels) -> Self {
        Self {
            range: CompactRange::new(),
            chain: CHAIN_START,
            levels,
        }
    }

    /// Resumes a log of `size` leaves whose last row has chain value
    /// `last_chain`, reading the frontier from the stored subtree hashes.
    pub fn resume<R: NodeReader + ?Sized>(
        reader: &R,
        size: u64,
        last_chain: Hash,
        levels: StoredLevels,
    ) -> Result<Self, TreeError> {
        let chain = if size == 0 { CHAIN_START } else { last_chain };
        Ok(Self {
            range: compact_range_at(reader, size)?,
            chain,
            levels,
        })
    }

    /// Number of leaves appended.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.range.size()
    }

    /// Tree head at the current size.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.range.root()
    }

    /// Chain value of the last row.
    #[must_use]
    pub fn chain(&self) -> Hash {
        self.chain
    }

    /// Appends one leaf (e.g. [`Event::to_leaf`](crate::Event::to_leaf)
    /// bytes) and returns what to store.
    pub fn append(&mut self, leaf: &[u8]) -> AppendedLeaf {
        let index = self.range.size();
        let hash = leaf_hash(leaf);
        self.chain = chain_hash(&self.chain, &hash);
        let mut nodes = Vec::with_capacity(2);
        let levels = self.levels;
        self.range.append_with(hash, |level, index, hash| {
            if levels.contains(level) {
                nodes.push(StoredNode {
                    level,
                    index,
                    hash: *hash,
                });
            }
        });
        AppendedLeaf {
            index,
            leaf_hash: hash,
            chain: self.chain,
            nodes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MemoryNodeStore;

    #[test]
    fn appended_nodes_rebuild_the_same_store_and_resume() {
        let levels = StoredLevels::every(2).unwrap();
        let mut appender = Appender::new(levels);
        let mut store = MemoryNodeStore::new(levels);
        for i in 0u32..37 {
            let row = appender.append(&i.to_be_bytes());
            assert_eq!(row.index, u64::from(i));
            for node in row.nodes {
                store.insert(node).unwrap();
            }
        }
        assert_eq!(store.size(), 37);
        let mut resumed = Appender::resume(&store, 37, appender.chain(), levels).unwrap();
        assert_eq!(resumed.root(), appender.root());
        let a = appender.append(b"next");
        let b = resumed.append(b"next");
        assert_eq!(a, b);
    }
}

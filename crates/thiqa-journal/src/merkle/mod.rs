//! RFC 9162 §2.1 Merkle tree hashing, the structures built on it, and proofs.
//!
//! The journal is an append-only list of leaves. Its Merkle tree head (the root
//! hash at a given size) is what the log signs in checkpoints; anyone holding a
//! signed head can then check, with a logarithmic-size proof, that an event is
//! in the log (inclusion) and that a later head extends an earlier one
//! (consistency). We follow RFC 9162 (Certificate Transparency 2.0), which
//! keeps the tree hashing of RFC 6962, because that is what every transparency
//! tool (C2SP checkpoints, Go's `tlog`, Sigstore, Trillian) speaks: an auditor
//! can check our proofs with software we did not write.
//!
//! - [`leaf_hash`], [`node_hash`], [`empty_root`]: the hashing rules, with
//!   the 0x00/0x01 prefixes that make a leaf never collide with a node.
//! - [`CompactRange`]: the O(log n) "frontier" of a growing tree, used when
//!   appending and when re-verifying a whole log in one pass.
//! - [`NodeReader`] and [`MemoryNodeStore`]: how proof generation reads the
//!   hashes of complete subtrees from storage.
//! - [`inclusion_proof`], [`consistency_proof`] and their verifiers.

mod compact;
mod proof;
mod store;

pub use compact::CompactRange;
pub use proof::{
    consistency_proof, inclusion_proof, root_from_inclusion_proof, tree_root, verify_consistency,
    verify_inclusion, ProofError,
};
pub use store::{
    compact_range_at, perfect_subtree_hash, MemoryNodeStore, NodeReader, StoredLevels, StoredNode,
    TreeError,
};

use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
///
/// A plain array rather than a newtype so that storage layers can keep it in a
/// `BLOB`/`bytea` column and tests can compare it with published vectors
/// without conversions.
pub type Hash = [u8; 32];

/// Domain-separation prefix of leaf hashes (RFC 9162 §2.1.1).
pub const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of interior node hashes (RFC 9162 §2.1.1).
pub const NODE_PREFIX: u8 = 0x01;

/// `SHA-256(0x00 || leaf)`: the hash of one leaf.
///
/// The prefix stops a second-preimage attack in which an interior node's
/// 64-byte input is presented as a leaf.
#[must_use]
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(leaf);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree, `SHA-256("")` (RFC 9162 §2.1.1).
#[must_use]
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The Merkle tree head of a list of leaf hashes held in memory.
///
/// Convenience for tests and small trees; large logs use [`CompactRange`]
/// (streaming) or [`tree_root`] (from stored subtrees).
#[must_use]
pub fn root_of(leaf_hashes: &[Hash]) -> Hash {
    let mut range = CompactRange::new();
    for h in leaf_hashes {
        range.append(*h);
    }
    range.root()
}

/// Largest power of two strictly smaller than `n` (the RFC's split point `k`).
///
/// Callers guarantee `n >= 2`.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_largest_power_of_two_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(root_of(&[]), empty_root());
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let mut concat = Vec::new();
        concat.extend_from_slice(&a);
        concat.extend_from_slice(&b);
        assert_ne!(node_hash(&a, &b), leaf_hash(&concat));
    }
}

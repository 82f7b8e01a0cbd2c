//! Inclusion and consistency proofs: generation (RFC 9162 §2.1.3.1 and
//! §2.1.4.1) from stored subtree hashes, and verification (§2.1.3.2 and
//! §2.1.4.2).
//!
//! Generation walks the RFC's recursive definitions top-down without
//! recursion: every hash it emits is a perfect subtree read through a
//! [`NodeReader`], or a right-edge subtree folded from a few of them, so a
//! proof costs O(log n) reads whatever the log size. Verification follows the
//! RFC's bit-walking algorithms literally, because those are what other
//! implementations check our proofs with.

use super::store::{perfect_subtree_hash, NodeReader, TreeError};
use super::{empty_root, node_hash, split_point, Hash};

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    /// The first tree is larger than the second.
    #[error("tree size {size1} is larger than {size2}")]
    SizeOrder { size1: u64, size2: u64 },
    /// The proof has too many or too few hashes for these sizes.
    #[error("proof has the wrong number of hashes")]
    WrongLength,
    /// The proof leads to a different root.
    #[error("proof does not lead to the expected root")]
    RootMismatch,
}

/// Tree head of the first `size` leaves of a stored tree.
pub fn tree_root<R: NodeReader + ?Sized>(reader: &R, size: u64) -> Result<Hash, TreeError> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(reader, 0, size)
}

/// `MTH(D[lo : lo + n])` for the subtrees that RFC 9162's recursion visits,
/// whose start `lo` is a multiple of the largest power of two `<= n`: the
/// fold, right to left, of the perfect subtrees given by the bits of `n`.
fn range_hash<R: NodeReader + ?Sized>(reader: &R, lo: u64, n: u64) -> Result<Hash, TreeError> {
    let mut parts = Vec::with_capacity(n.count_ones() as usize);
    let mut start = lo;
    for level in (0..64u8).rev() {
        if n & (1 << level) != 0 {
            parts.push(perfect_subtree_hash(reader, level, start >> level)?);
            start += 1 << level;
        }
    }
    let mut iter = parts.into_iter().rev();
    let last = iter.next().ok_or(TreeError::BadSizes {
        size1: lo,
        size2: lo,
    })?;
    Ok(iter.fold(last, |acc, left| node_hash(&left, &acc)))
}

/// Hash of the perfect subtree of `k` (a power of two) leaves starting at `lo`.
fn perfect<R: NodeReader + ?Sized>(reader: &R, lo: u64, k: u64) -> Result<Hash, TreeError> {
    let level = k.trailing_zeros() as u8;
    perfect_subtree_hash(reader, level, lo >> level)
}

/// Audit path of leaf `index` in the tree of the first `size` leaves
/// (RFC 9162 §2.1.3.1 `PATH(m, D[n])`), bottom-up.
pub fn inclusion_proof<R: NodeReader + ?Sized>(
    reader: &R,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, TreeError> {
    if index >= size {
        return Err(TreeError::OutOfRange { index, size });
    }
    let mut top_down = Vec::with_capacity(64);
    let (mut lo, mut n, mut m) = (0u64, size, index);
    while n > 1 {
        let k = split_point(n);
        if m < k {
            top_down.push(range_hash(reader, lo + k, n - k)?);
            n = k;
        } else {
            top_down.push(perfect(reader, lo, k)?);
            lo += k;
            n -= k;
            m -= k;
        }
    }
    top_down.reverse();
    Ok(top_down)
}

/// Proof that the tree of the first `size1` leaves is a prefix of the tree of
/// the first `size2` (RFC 9162 §2.1.4.1 `PROOF(m, D[n])`). Empty when
/// `size1` is 0 or equals `size2`.
pub fn consistency_proof<R: NodeReader + ?Sized>(
    reader: &R,
    size1: u64,
    size2: u64,
) -> Result<Vec<Hash>, TreeError> {
    if size1 > size2 {
        return Err(TreeError::BadSizes { size1, size2 });
    }
    if size1 == 0 || size1 == size2 {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[lo : lo + n], b), unrolled: `outer` collects, top-down,
    // the hashes the recursion appends after its inner call returns.
    let mut outer = Vec::with_capacity(64);
    let (mut lo, mut n, mut m, mut whole) = (0u64, size2, size1, true);
    let first = loop {
        if m == n {
            break if whole {
                None
            } else {
                Some(range_hash(reader, lo, n)?)
            };
        }
        let k = split_point(n);
        if m <= k {
            outer.push(range_hash(reader, lo + k, n - k)?);
            n = k;
        } else {
            outer.push(perfect(reader, lo, k)?);
            lo += k;
            n -= k;
            m -= k;
            whole = false;
        }
    };
    Ok(first.into_iter().chain(outer.into_iter().rev()).collect())
}

/// Root implied by an inclusion proof (RFC 9162 §2.1.3.2).
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    Ok(r)
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves with
/// head `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion_proof(leaf_hash, index, size, proof)? == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Checks that the tree of `size2` leaves with head `root2` extends the tree
/// of `size1` leaves with head `root1` (RFC 9162 §2.1.4.2, plus the trivial
/// cases: equal sizes need equal heads and an empty proof; the empty tree's
/// head must be `SHA-256("")`).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizeOrder { size1, size2 });
    }
    if size1 == size2 || size1 == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        let expected = if size1 == 0 { empty_root() } else { *root2 };
        return if *root1 == expected {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let (first, rest) = if size1.is_power_of_two() {
        (root1, proof)
    } else {
        proof.split_first().ok_or(ProofError::WrongLength)?
    };
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr == *root1 && sr == *root2 {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

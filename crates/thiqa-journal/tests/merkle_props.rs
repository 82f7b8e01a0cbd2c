//! Property tests of proofs over random tree sizes and storage strides,
//! cross-checked with the independent `tlog_tiles` implementation.

use proptest::prelude::*;
use thiqa_journal::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root_of, tree_root, verify_consistency,
    verify_inclusion, Hash, MemoryNodeStore, StoredLevels,
};

fn build(size: u64, stride: u8) -> (Vec<Hash>, MemoryNodeStore) {
    let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_le_bytes())).collect();
    let mut store = MemoryNodeStore::new(StoredLevels::every(stride).unwrap());
    for h in &leaves {
        store.push_leaf_hash(*h);
    }
    (leaves, store)
}

fn tt(h: &Hash) -> tlog_tiles::Hash {
    tlog_tiles::Hash(*h)
}

fn tt_proof(p: &[Hash]) -> Vec<tlog_tiles::Hash> {
    p.iter().map(tt).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every leaf of every prefix has an inclusion proof that verifies, with
    /// us and with tlog_tiles.
    #[test]
    fn every_inclusion_proof_verifies(size in 1u64..140, stride in 1u8..6) {
        let (leaves, store) = build(size, stride);
        for n in 1..=size {
            let root = root_of(&leaves[..n as usize]);
            prop_assert_eq!(tree_root(&store, n).unwrap(), root);
            for i in 0..n {
                let proof = inclusion_proof(&store, i, n).unwrap();
                prop_assert!(verify_inclusion(&leaves[i as usize], i, n, &proof, &root).is_ok());
                prop_assert!(tlog_tiles::check_record(
                    &tt_proof(&proof), n, tt(&root), i, tt(&leaves[i as usize])).is_ok());
            }
        }
    }

    /// Every pair of sizes has a consistency proof that verifies.
    #[test]
    fn every_consistency_proof_verifies(size in 1u64..90, stride in 1u8..6) {
        let (leaves, store) = build(size, stride);
        let roots: Vec<Hash> = (0..=size).map(|n| root_of(&leaves[..n as usize])).collect();
        for n2 in 0..=size {
            for n1 in 0..=n2 {
                let proof = consistency_proof(&store, n1, n2).unwrap();
                let (r1, r2) = (&roots[n1 as usize], &roots[n2 as usize]);
                prop_assert!(verify_consistency(n1, n2, r1, r2, &proof).is_ok(), "{}->{}", n1, n2);
                if n1 > 0 {
                    prop_assert!(tlog_tiles::check_tree(
                        &tt_proof(&proof), n2, tt(r2), n1, tt(r1)).is_ok());
                }
            }
        }
    }

    /// Flipping any bit of an inclusion proof, the leaf or the root fails.
    #[test]
    fn altered_inclusion_inputs_fail(size in 2u64..300, pick in any::<u64>(), bit in 0usize..256) {
        let (leaves, store) = build(size, 4);
        let index = pick % size;
        let root = root_of(&leaves);
        let proof = inclusion_proof(&store, index, size).unwrap();
        let flip = |h: &mut Hash| h[bit / 8] ^= 1 << (bit % 8);
        for k in 0..proof.len() {
            let mut p = proof.clone();
            flip(&mut p[k]);
            prop_assert!(verify_inclusion(&leaves[index as usize], index, size, &p, &root).is_err());
        }
        let mut leaf = leaves[index as usize];
        flip(&mut leaf);
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_err());
        let mut bad_root = root;
        flip(&mut bad_root);
        prop_assert!(verify_inclusion(&leaves[index as usize], index, size, &proof, &bad_root).is_err());
        // Another index with the same proof fails too.
        let other = (index + 1 + pick % (size - 1)) % size;
        prop_assert!(verify_inclusion(&leaves[index as usize], other, size, &proof, &root).is_err());
    }

    /// Flipping any bit of a consistency proof or either root fails.
    #[test]
    fn altered_consistency_inputs_fail(
        size in 2u64..300, pick in any::<u64>(), bit in 0usize..256,
    ) {
        let (leaves, store) = build(size, 3);
        let n1 = 1 + pick % (size - 1);
        let (r1, r2) = (root_of(&leaves[..n1 as usize]), root_of(&leaves));
        let proof = consistency_proof(&store, n1, size).unwrap();
        let flip = |h: &mut Hash| h[bit / 8] ^= 1 << (bit % 8);
        for k in 0..proof.len() {
            let mut p = proof.clone();
            flip(&mut p[k]);
            prop_assert!(verify_consistency(n1, size, &r1, &r2, &p).is_err());
        }
        let (mut b1, mut b2) = (r1, r2);
        flip(&mut b1);
        flip(&mut b2);
        prop_assert!(verify_consistency(n1, size, &b1, &r2, &proof).is_err());
        prop_assert!(verify_consistency(n1, size, &r1, &b2, &proof).is_err());
        prop_assert!(verify_consistency(n1, size, &r1, &r2, &proof[1..]).is_err());
    }
}

/// A log that was altered between two heads has no consistency proof: the
/// proof generated from the altered tree does not verify against the old head.
#[test]
fn rewritten_history_is_inconsistent() {
    let (leaves, _) = build(20, 2);
    let old_root = root_of(&leaves[..13]);
    let mut altered = leaves.clone();
    altered[5] = leaf_hash(b"rewritten");
    let mut store = MemoryNodeStore::new(StoredLevels::every(2).unwrap());
    for h in &altered {
        store.push_leaf_hash(*h);
    }
    let proof = consistency_proof(&store, 13, 20).unwrap();
    assert!(verify_consistency(13, 20, &old_root, &store.root(), &proof).is_err());
}

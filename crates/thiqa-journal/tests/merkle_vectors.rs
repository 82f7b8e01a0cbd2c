//! Published RFC 6962 test vectors: the 8-leaf tree of the Certificate
//! Transparency reference code, as used in
//! github.com/transparency-dev/merkle `proof/verify_test.go` (variables
//! `leaves`, `roots`, `inclusionProofs`, `consistencyProofs`; also in
//! certificate-transparency-go's `merkle` tests). Passing them shows that our
//! hashing and proofs are the ones other CT tools produce and accept.

use thiqa_journal::merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, root_of, tree_root,
    verify_consistency, verify_inclusion, Hash, MemoryNodeStore, ProofError, StoredLevels,
};

fn h(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Roots of the trees of sizes 1 to 8.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (0-based leaf index, tree size, proof). The Go file numbers leaves from 1.
fn inclusion_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            5,
            8,
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            3,
            vec![h(
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            )],
        ),
        (
            1,
            5,
            vec![
                h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

/// (size1, size2, proof).
fn consistency_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (
            6,
            7,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
    ]
}

fn leaf_hashes() -> Vec<Hash> {
    LEAVES
        .iter()
        .map(|l| leaf_hash(&hex::decode(l).unwrap()))
        .collect()
}

fn stores() -> Vec<MemoryNodeStore> {
    [
        StoredLevels::ALL,
        StoredLevels::every(2).unwrap(),
        StoredLevels::every(3).unwrap(),
    ]
    .into_iter()
    .map(|levels| {
        let mut store = MemoryNodeStore::new(levels);
        for h in leaf_hashes() {
            store.push_leaf_hash(h);
        }
        store
    })
    .collect()
}

#[test]
fn roots_of_sizes_one_to_eight() {
    let leaves = leaf_hashes();
    for (n, root) in ROOTS.iter().enumerate() {
        assert_eq!(root_of(&leaves[..=n]), h(root), "size {}", n + 1);
        for store in stores() {
            assert_eq!(tree_root(&store, n as u64 + 1).unwrap(), h(root));
        }
    }
    assert_eq!(tree_root(&stores()[0], 0).unwrap(), empty_root());
}

#[test]
fn inclusion_proofs_are_generated_and_verified() {
    let leaves = leaf_hashes();
    for (index, size, proof) in inclusion_vectors() {
        for store in stores() {
            assert_eq!(
                inclusion_proof(&store, index, size).unwrap(),
                proof,
                "{index}/{size}"
            );
        }
        let root = h(ROOTS[size as usize - 1]);
        verify_inclusion(&leaves[index as usize], index, size, &proof, &root).unwrap();
        // The same proof cross-checked with an independent implementation.
        let tp: Vec<tlog_tiles::Hash> = proof.iter().map(|p| tlog_tiles::Hash(*p)).collect();
        tlog_tiles::check_record(
            &tp,
            size,
            tlog_tiles::Hash(root),
            index,
            tlog_tiles::Hash(leaves[index as usize]),
        )
        .unwrap();
    }
}

#[test]
fn consistency_proofs_are_generated_and_verified() {
    for (size1, size2, proof) in consistency_vectors() {
        for store in stores() {
            assert_eq!(
                consistency_proof(&store, size1, size2).unwrap(),
                proof,
                "{size1}/{size2}"
            );
        }
        let (r1, r2) = (h(ROOTS[size1 as usize - 1]), h(ROOTS[size2 as usize - 1]));
        verify_consistency(size1, size2, &r1, &r2, &proof).unwrap();
        let tp: Vec<tlog_tiles::Hash> = proof.iter().map(|p| tlog_tiles::Hash(*p)).collect();
        tlog_tiles::check_tree(
            &tp,
            size2,
            tlog_tiles::Hash(r2),
            size1,
            tlog_tiles::Hash(r1),
        )
        .unwrap();
    }
}

/// The corruptions of `corruptInclusionProof` in the Go test: none may verify.
#[test]
fn corrupted_inclusion_proofs_fail() {
    let leaves = leaf_hashes();
    let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    for (index, size, proof) in inclusion_vectors().into_iter().skip(1) {
        let root = h(ROOTS[size as usize - 1]);
        let leaf = leaves[index as usize];
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (index.wrapping_sub(1), size, root, leaf, proof.clone()),
            (index + 1, size, root, leaf, proof.clone()),
            (index ^ 2, size, root, leaf, proof.clone()),
            (index, size * 2, root, leaf, proof.clone()),
            (index, size / 2, root, leaf, proof.clone()),
            (index, size, root, leaf_hash(b"WrongLeaf"), proof.clone()),
            (index, size, empty_root(), leaf, proof.clone()),
            (index, size, some, leaf, proof.clone()),
            (
                index,
                size,
                root,
                leaf,
                [proof.clone(), vec![root]].concat(),
            ),
            (
                index,
                size,
                root,
                leaf,
                [vec![root], proof.clone()].concat(),
            ),
        ];
        for i in 0..proof.len() {
            let mut p = proof.clone();
            p[i][0] ^= 8;
            probes.push((index, size, root, leaf, p));
        }
        probes.push((index, size, root, leaf, proof[..proof.len() - 1].to_vec()));
        if proof.len() > 1 {
            let p = [vec![proof[0], some], proof[1..].to_vec()].concat();
            probes.push((index, size, root, leaf, p));
        }
        for (i, s, r, l, p) in probes {
            assert!(
                verify_inclusion(&l, i, s, &p, &r).is_err(),
                "{i}/{s} accepted"
            );
        }
    }
}

/// The corruptions of `corruptConsistencyProof` in the Go test.
#[test]
fn corrupted_consistency_proofs_fail() {
    for (size1, size2, proof) in consistency_vectors().into_iter().skip(1) {
        let (r1, r2) = (h(ROOTS[size1 as usize - 1]), h(ROOTS[size2 as usize - 1]));
        let wrong = leaf_hash(b"WrongRoot");
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (size1 - 1, size2, r1, r2, proof.clone()),
            (size1 + 1, size2, r1, r2, proof.clone()),
            (size1 ^ 2, size2, r1, r2, proof.clone()),
            (size1, size2 * 2, r1, r2, proof.clone()),
            (size1, size2 / 2, r1, r2, proof.clone()),
            (size1, size2, wrong, r2, proof.clone()),
            (size1, size2, r1, wrong, proof.clone()),
            (size1, size2, r2, r1, proof.clone()),
            (size1, size2, r1, r2, vec![]),
            (size1, size2, r1, r2, [proof.clone(), vec![r1]].concat()),
            (size1, size2, r1, r2, [proof.clone(), vec![r2]].concat()),
            (size1, size2, r1, r2, [vec![r1], proof.clone()].concat()),
            (size1, size2, r1, r2, [vec![r2], proof.clone()].concat()),
            (
                size1,
                size2,
                r1,
                r2,
                [vec![proof[0]], proof.clone()].concat(),
            ),
            (size1, size2, r1, r2, proof[..proof.len() - 1].to_vec()),
        ];
        for i in 0..proof.len() {
            let mut p = proof.clone();
            p[i][0] ^= 16;
            probes.push((size1, size2, r1, r2, p));
        }
        for (s1, s2, a, b, p) in probes {
            assert!(
                verify_consistency(s1, s2, &a, &b, &p).is_err(),
                "{s1}->{s2} accepted"
            );
        }
    }
}

/// Trivial cases of `TestVerifyConsistency`, with our stricter rule that the
/// empty tree's head is SHA-256("").
#[test]
fn trivial_consistency_cases() {
    let (a, b, e) = (leaf_hash(b"1"), leaf_hash(b"2"), empty_root());
    assert!(verify_consistency(0, 0, &a, &b, &[]).is_err());
    assert!(verify_consistency(1, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(0, 0, &e, &e, &[]).is_ok());
    assert!(verify_consistency(0, 1, &e, &b, &[]).is_ok());
    assert!(verify_consistency(1, 1, &b, &b, &[]).is_ok());
    assert_eq!(
        verify_consistency(1, 0, &a, &b, &[]),
        Err(ProofError::SizeOrder { size1: 1, size2: 0 })
    );
    assert!(verify_consistency(1, 2, &a, &b, &[]).is_err());
    assert!(verify_consistency(0, 0, &e, &e, &[e]).is_err());
    assert!(verify_consistency(0, 1, &e, &e, &[e]).is_err());
    assert!(verify_consistency(1, 1, &e, &e, &[e]).is_err());
    // Inclusion in empty or too-small trees.
    for (i, s) in [(0, 0), (1, 0), (2, 1)] {
        assert!(verify_inclusion(&a, i, s, &[], &e).is_err());
    }
}

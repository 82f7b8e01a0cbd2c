//! The log never signs two inconsistent checkpoints.

use thiqa_journal::merkle::{consistency_proof, leaf_hash, MemoryNodeStore, StoredLevels};
use thiqa_journal::{Checkpoint, Checkpointer, NoteSigner, SignError};

const ORIGIN: &str = "thiqa.example/journal";

fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, &[1; 32]).unwrap()
}

fn store(leaves: &[&[u8]]) -> MemoryNodeStore {
    let mut s = MemoryNodeStore::new(StoredLevels::default());
    for l in leaves {
        s.push_leaf_hash(leaf_hash(l));
    }
    s
}

#[test]
fn signs_growing_heads_and_refuses_forks_and_rollbacks() {
    let honest = store(&[b"a", b"b", b"c", b"d", b"e"]);
    let mut cp = Checkpointer::new(ORIGIN, signer()).unwrap();
    let first = cp.sign_tree(&honest, 3).unwrap();
    let opened = Checkpoint::open(first.as_bytes(), ORIGIN, &[signer().verifier()]).unwrap();
    assert_eq!(opened.size(), 3);
    cp.sign_tree(&honest, 5).unwrap();
    // Re-signing the same head is fine (e.g. a periodic refresh).
    cp.sign_tree(&honest, 5).unwrap();

    // A fork: same size, other content.
    let fork = store(&[b"a", b"b", b"X", b"d", b"e", b"f"]);
    assert!(matches!(
        cp.sign_tree(&fork, 5),
        Err(SignError::Inconsistent { .. })
    ));
    // An extension of the fork is not consistent either.
    assert!(matches!(
        cp.sign_tree(&fork, 6),
        Err(SignError::Inconsistent { .. })
    ));
    // Going back.
    assert!(matches!(
        cp.sign_tree(&honest, 4),
        Err(SignError::Rollback { last: 5, size: 4 })
    ));
    // A forged proof with the fork's root.
    let proof = consistency_proof(&honest, 3, 5).unwrap();
    assert!(cp.sign(5, fork.root(), &proof).is_err());
    // The last signed head did not move.
    assert_eq!(cp.last().unwrap().size(), 5);
    assert_eq!(*cp.last().unwrap().root(), honest.root());
}

#[test]
fn resuming_keeps_the_guarantee_across_restarts() {
    let honest = store(&[b"a", b"b", b"c", b"d"]);
    let mut cp = Checkpointer::new(ORIGIN, signer()).unwrap();
    let persisted = cp.sign_tree(&honest, 4).unwrap();

    let mut resumed = Checkpointer::resume(ORIGIN, signer(), persisted.as_bytes()).unwrap();
    let fork = store(&[b"a", b"b", b"c", b"Z", b"e"]);
    assert!(resumed.sign_tree(&fork, 5).is_err());
    let grown = store(&[b"a", b"b", b"c", b"d", b"e"]);
    resumed.sign_tree(&grown, 5).unwrap();

    // A checkpoint signed by another key, or for another log, is not a valid resume point.
    let other = NoteSigner::from_seed(ORIGIN, &[2; 32]).unwrap();
    assert!(Checkpointer::resume(ORIGIN, other, persisted.as_bytes()).is_err());
    assert!(Checkpointer::resume("other.example/log", signer(), persisted.as_bytes()).is_err());
}

#[test]
fn empty_tree_head_must_be_the_empty_hash() {
    let mut cp = Checkpointer::new(ORIGIN, signer()).unwrap();
    assert!(cp.sign(0, [0; 32], &[]).is_err());
    let empty = store(&[]);
    cp.sign_tree(&empty, 0).unwrap();
    cp.sign_tree(&store(&[b"a"]), 1).unwrap();
}

//! What a storage-row tamperer can do, and what full verification reports.
//!
//! The journal is a table of rows `(index, bytes, leaf_hash, chain)` plus a
//! table of stored subtree hashes and the signed checkpoints. Each test
//! alters the stored log as an attacker with write access to the database
//! could, and checks that verification fails and names the earliest altered
//! row (or the narrowest range the evidence allows).

use thiqa_journal::merkle::{Hash, MemoryNodeStore, NodeReader, StoredLevels, TreeError};
use thiqa_journal::{
    chain_hash, verify_log, Appender, Checkpointer, FirstBad, LeafRecord, NoteSigner, Problem,
    Report,
};

const ORIGIN: &str = "thiqa.example/journal";

#[derive(Clone)]
struct Row {
    index: u64,
    data: Vec<u8>,
    leaf_hash: Hash,
    chain: Hash,
}

struct Log {
    rows: Vec<Row>,
    nodes: MemoryNodeStore,
    checkpoints: Vec<String>,
    signer: NoteSigner,
}

/// A log of `n` rows with a checkpoint every `every` leaves and at the end.
fn log(n: u64, every: u64) -> Log {
    let signer = NoteSigner::from_seed(ORIGIN, &[5; 32]).unwrap();
    let levels = StoredLevels::every(2).unwrap();
    let mut appender = Appender::new(levels);
    let mut nodes = MemoryNodeStore::new(levels);
    let mut cp = Checkpointer::new(ORIGIN, signer.clone()).unwrap();
    let mut rows = Vec::new();
    let mut checkpoints = Vec::new();
    for i in 0..n {
        let data = format!("event {i}").into_bytes();
        let a = appender.append(&data);
        for node in a.nodes {
            nodes.insert(node).unwrap();
        }
        rows.push(Row {
            index: a.index,
            data,
            leaf_hash: a.leaf_hash,
            chain: a.chain,
        });
        if (i + 1) % every == 0 || i + 1 == n {
            checkpoints.push(cp.sign_tree(&nodes, i + 1).unwrap());
        }
    }
    Log {
        rows,
        nodes,
        checkpoints,
        signer,
    }
}

fn verify(log: &Log, rows: &[Row], nodes: Option<&dyn NodeReader>) -> Report {
    let records = rows.iter().map(|r| LeafRecord {
        index: r.index,
        data: &r.data,
        leaf_hash: Some(r.leaf_hash),
        chain: Some(r.chain),
    });
    verify_log(
        ORIGIN,
        &[log.signer.verifier()],
        &log.checkpoints,
        nodes,
        records,
    )
}

/// Rewrites the leaf hash and chain of every row from `from` on, as a
/// thorough tamperer would; leaves the signed checkpoints as they are.
fn recompute_columns(rows: &mut [Row], from: usize) {
    for i in from..rows.len() {
        rows[i].leaf_hash = thiqa_journal::merkle::leaf_hash(&rows[i].data);
        let prev = if i == 0 { [0; 32] } else { rows[i - 1].chain };
        rows[i].chain = chain_hash(&prev, &rows[i].leaf_hash);
    }
}

#[test]
fn an_untouched_log_verifies() {
    let l = log(1000, 64);
    let report = verify(&l, &l.rows, Some(&l.nodes));
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.leaves, 1000);
    assert_eq!(report.checkpoints_verified, l.checkpoints.len());
    assert_eq!(report.verified_prefix, 1000);
    assert_eq!(report.root, l.nodes.root());
    assert_eq!(report.first_bad(), None);
}

#[test]
fn edited_bytes_are_named() {
    let l = log(300, 50);
    let mut rows = l.rows.clone();
    rows[137].data = b"event 137 (edited)".to_vec();
    let report = verify(&l, &rows, None);
    assert!(report
        .problems
        .contains(&Problem::LeafHashMismatch { index: 137 }));
    assert_eq!(report.first_bad(), Some(FirstBad::Row(137)));
    assert_eq!(report.verified_prefix, 100);
}

#[test]
fn edited_bytes_with_their_hash_are_named_by_the_chain() {
    let l = log(300, 50);
    let mut rows = l.rows.clone();
    rows[137].data = b"event 137 (edited)".to_vec();
    rows[137].leaf_hash = thiqa_journal::merkle::leaf_hash(&rows[137].data);
    let report = verify(&l, &rows, None);
    assert!(report
        .problems
        .contains(&Problem::ChainMismatch { index: 137 }));
    assert_eq!(report.first_bad(), Some(FirstBad::Row(137)));
}

#[test]
fn a_deleted_row_is_named_with_or_without_renumbering() {
    let l = log(300, 50);
    // Deleted, indexes left as they were: a gap.
    let mut rows = l.rows.clone();
    rows.remove(42);
    let report = verify(&l, &rows, None);
    assert!(report.problems.contains(&Problem::MissingRows {
        expected: 42,
        found: 43
    }));
    assert_eq!(report.first_bad(), Some(FirstBad::Row(42)));
    // Deleted and the following rows renumbered.
    for (i, r) in rows.iter_mut().enumerate() {
        r.index = i as u64;
    }
    let report = verify(&l, &rows, None);
    assert_eq!(report.first_bad(), Some(FirstBad::Row(42)));
    assert!(report.problems.iter().any(|p| matches!(
        p,
        Problem::CheckpointBeyondLog {
            size: 300,
            log_size: 299,
            ..
        }
    )));
}

#[test]
fn swapped_rows_are_named() {
    let l = log(300, 50);
    let mut rows = l.rows.clone();
    // Swap everything but the index column.
    let (a, b) = (rows[90].clone(), rows[210].clone());
    rows[90] = Row { index: 90, ..b };
    rows[210] = Row { index: 210, ..a };
    let report = verify(&l, &rows, None);
    assert_eq!(report.first_bad(), Some(FirstBad::Row(90)));
    // Swap only the bytes.
    let mut rows = l.rows.clone();
    let tmp = rows[90].data.clone();
    rows[90].data = rows[210].data.clone();
    rows[210].data = tmp;
    let report = verify(&l, &rows, None);
    assert_eq!(report.first_bad(), Some(FirstBad::Row(90)));
}

#[test]
fn a_thorough_rewrite_is_caught_by_the_signed_checkpoints() {
    let l = log(300, 50);
    let mut rows = l.rows.clone();
    rows[137].data = b"event 137 (edited)".to_vec();
    recompute_columns(&mut rows, 137);
    // Without stored subtrees only the signed roots speak: 100 and below
    // verified, 150 does not.
    let report = verify(&l, &rows, None);
    assert!(!report.is_ok());
    assert_eq!(
        report.first_bad(),
        Some(FirstBad::Within {
            start: 100,
            end: 150
        })
    );
    // The stored subtree hashes (not rewritten) narrow it to 4 leaves.
    let report = verify(&l, &rows, Some(&l.nodes));
    assert_eq!(
        report.first_bad(),
        Some(FirstBad::Within {
            start: 136,
            end: 140
        })
    );
}

#[test]
fn a_row_rewritten_with_its_chain_is_caught_at_the_next_row() {
    let l = log(300, 50);
    let mut rows = l.rows.clone();
    rows[137].data = b"event 137 (edited)".to_vec();
    rows[137].leaf_hash = thiqa_journal::merkle::leaf_hash(&rows[137].data);
    rows[137].chain = chain_hash(&rows[136].chain, &rows[137].leaf_hash);
    let report = verify(&l, &rows, None);
    assert!(report
        .problems
        .contains(&Problem::ChainMismatch { index: 138 }));
    assert_eq!(report.first_bad(), Some(FirstBad::Row(138)));
}

#[test]
fn truncation_and_appended_forgeries_are_caught() {
    let l = log(300, 50);
    let report = verify(&l, &l.rows[..280], None);
    assert_eq!(report.first_bad(), Some(FirstBad::Row(280)));
    // Extra rows after the last checkpoint are not covered by any signature:
    // they verify, but the report says how far the signatures go.
    let mut rows = l.rows.clone();
    rows.push(Row {
        index: 300,
        data: b"late".to_vec(),
        leaf_hash: [0; 32],
        chain: [0; 32],
    });
    recompute_columns(&mut rows, 300);
    let report = verify(&l, &rows, None);
    assert!(report.is_ok());
    assert_eq!((report.leaves, report.verified_prefix), (301, 300));
}

#[test]
fn forged_or_foreign_checkpoints_are_rejected() {
    let mut l = log(100, 25);
    let intruder = NoteSigner::from_seed(ORIGIN, &[6; 32]).unwrap();
    let forged = thiqa_journal::Checkpoint::new(ORIGIN, 100, [0; 32]).unwrap();
    l.checkpoints.push(forged.sign(&intruder).unwrap());
    let mut tampered = l.checkpoints[0].clone().into_bytes();
    tampered[ORIGIN.len() + 1] = b'9';
    l.checkpoints.push(String::from_utf8(tampered).unwrap());
    let report = verify(&l, &l.rows, None);
    let rejected: Vec<usize> = report
        .problems
        .iter()
        .filter_map(|p| match p {
            Problem::CheckpointRejected { checkpoint, .. } => Some(*checkpoint),
            _ => None,
        })
        .collect();
    assert_eq!(rejected, vec![4, 5]);
    assert_eq!(report.checkpoints_verified, 4);
    assert_eq!(report.first_bad(), None);
}

/// A stored subtree hash altered on its own is reported, and the rows are
/// not blamed beyond its range.
#[test]
fn an_altered_stored_subtree_is_reported() {
    struct Altered<'a>(&'a MemoryNodeStore);
    impl NodeReader for Altered<'_> {
        fn is_stored_level(&self, level: u8) -> bool {
            self.0.is_stored_level(level)
        }
        fn read_nodes(&self, level: u8, start: u64, count: u64) -> Result<Vec<Hash>, TreeError> {
            let mut v = self.0.read_nodes(level, start, count)?;
            if level == 4 && start == 3 {
                v[0][0] ^= 1;
            }
            Ok(v)
        }
    }
    let l = log(200, 50);
    let report = verify(&l, &l.rows, Some(&Altered(&l.nodes)));
    assert_eq!(
        report.problems,
        vec![Problem::StoredNodeMismatch {
            level: 4,
            index: 3,
            start: 48,
            end: 64
        }]
    );
    assert_eq!(report.verified_prefix, 200);
}

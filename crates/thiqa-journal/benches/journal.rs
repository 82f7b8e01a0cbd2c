//! Figures for the journal core: `cargo bench -p thiqa-journal`.
//!
//! - proofs in a 10-million-leaf log held in a [`MemoryNodeStore`], for
//!   stored-level strides 1 (every level), 4 (default) and 8;
//! - full verification throughput (leaves/s) of realistic event leaves,
//!   against the baseline of only SHA-256-hashing the same leaves, so the
//!   ratio shows what the tree, chain and checkpoint checks cost on top;
//! - append throughput (what the write path pays per event).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use thiqa_journal::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, MemoryNodeStore, StoredLevels,
};
use thiqa_journal::{
    verify_log, Appender, Checkpointer, Event, LeafRecord, NoteSigner, Outcome, Severity, Timestamp,
};

const BIG: u64 = 10_000_000;
const ORIGIN: &str = "bench.thiqa.example/journal";

fn event_leaf(i: u64) -> Vec<u8> {
    let t = Timestamp::from_unix_millis(1_750_000_000_000 + i as i64).unwrap();
    Event {
        event_time: t,
        received_time: t,
        source: "thiqa-server".into(),
        action: "auth.login".into(),
        severity: Severity::Informational,
        actor: format!("user:{}", i % 5000),
        target: "console".into(),
        tenant: Some(format!("org:{}", i % 40)),
        source_address: Some([10, 0, (i >> 8) as u8, i as u8].into()),
        outcome: Outcome::Success,
        attributes: BTreeMap::from([("mfa".into(), "totp".into())]),
    }
    .to_leaf()
    .unwrap()
}

fn big_store(stride: u8) -> MemoryNodeStore {
    let mut store = MemoryNodeStore::new(StoredLevels::every(stride).unwrap());
    for i in 0..BIG {
        store.push_leaf_hash(leaf_hash(&i.to_le_bytes()));
    }
    store
}

fn proofs(c: &mut Criterion) {
    let mut group = c.benchmark_group("proofs_10M_leaves");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3));
    for stride in [1u8, 4, 8] {
        let store = big_store(stride);
        let mut i = 0u64;
        group.bench_function(format!("inclusion_stride_{stride}"), |b| {
            b.iter(|| {
                i = (i + 7_654_321) % BIG;
                black_box(inclusion_proof(&store, i, BIG).unwrap())
            })
        });
        let mut n = 1u64;
        group.bench_function(format!("consistency_stride_{stride}"), |b| {
            b.iter(|| {
                n = (n + 7_654_321) % BIG + 1;
                black_box(consistency_proof(&store, n, BIG).unwrap())
            })
        });
    }
    group.finish();
}

fn full_verification(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let signer = NoteSigner::from_seed(ORIGIN, &[3; 32]).unwrap();
    let mut appender = Appender::new(StoredLevels::default());
    let mut store = MemoryNodeStore::new(StoredLevels::default());
    let mut checkpointer = Checkpointer::new(ORIGIN, signer.clone()).unwrap();
    let mut rows = Vec::with_capacity(N as usize);
    let mut checkpoints = Vec::new();
    for i in 0..N {
        let data = event_leaf(i);
        let a = appender.append(&data);
        for node in a.nodes {
            store.insert(node).unwrap();
        }
        rows.push((data, a.leaf_hash, a.chain));
        if (i + 1) % 100_000 == 0 {
            checkpoints.push(checkpointer.sign_tree(&store, i + 1).unwrap());
        }
    }
    let bytes: usize = rows.iter().map(|r| r.0.len()).sum();
    println!(
        "full verification: {N} leaves, {} bytes each on average",
        bytes / N as usize
    );
    let trusted = [signer.verifier()];

    let mut group = c.benchmark_group("full_verification_1M_leaves");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(N));
    group.bench_function("baseline_sha256_of_leaves_only", |b| {
        b.iter(|| {
            for (data, _, _) in &rows {
                black_box(leaf_hash(data));
            }
        })
    });
    let records = || {
        rows.iter()
            .enumerate()
            .map(|(i, (data, h, chain))| LeafRecord {
                index: i as u64,
                data,
                leaf_hash: Some(*h),
                chain: Some(*chain),
            })
    };
    group.bench_function("verify_rows_and_checkpoints", |b| {
        b.iter(|| {
            let report = verify_log(ORIGIN, &trusted, &checkpoints, None, records());
            assert!(report.is_ok());
        })
    });
    group.bench_function("verify_with_stored_subtrees", |b| {
        b.iter(|| {
            let report = verify_log(ORIGIN, &trusted, &checkpoints, Some(&store), records());
            assert!(report.is_ok());
        })
    });
    group.finish();

    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1000));
    let leaf = event_leaf(1);
    group.bench_function("append_event_leaf", |b| {
        b.iter_batched_ref(
            || Appender::new(StoredLevels::default()),
            |a| {
                for _ in 0..1000 {
                    black_box(a.append(&leaf));
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, proofs, full_verification);
criterion_main!(benches);

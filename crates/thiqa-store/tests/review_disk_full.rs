//! Issue 12, item 1: a disk that fills up during writes, then frees. Every
//! write acknowledged (Ok) is present after a restart, none is present that
//! was refused, the journal verifies, and writes work again once space is
//! back. Runs on a small tmpfs the test mounts (root, as in CI); elsewhere
//! it says why it cannot run.

mod support;

use std::path::Path;
use std::sync::Arc;

use support::SmallDisk;
use thiqa_domain::{Clock, SystemClock};
use thiqa_journal::Timestamp;
use thiqa_store::{
    journal_signer, Actor, DatabaseLocation, EventFilter, IntakeLimits, NewEvent, Store,
};

const ORIGIN: &str = "thiqa.test/journal";

async fn open(dir: &Path) -> Store {
    Store::open(
        &DatabaseLocation::Sqlite {
            data_dir: dir.to_path_buf(),
        },
        Arc::new(SystemClock),
    )
    .await
    .unwrap()
}

async fn count_events(store: &Store) -> usize {
    store
        .events(&EventFilter {
            tenant: None,
            action_prefix: Some("test.fill".into()),
            limit: 1_000_000,
        })
        .await
        .unwrap()
        .len()
}

async fn write(store: &Store, n: usize) -> bool {
    let details = format!("{n:06}-{}", "x".repeat(6000));
    store
        .record_event(
            &Actor::system(),
            NewEvent::success("test.fill").details(&details),
        )
        .await
        .is_ok()
}

/// Writes with `write` until the disk has refused 20 times, checks the
/// store says it is not ready, frees `filler` as an operator would, and
/// writes again until it works; returns how many units were acknowledged.
async fn fill_then_free(
    store: &Store,
    filler: &Path,
    mut write: impl AsyncFnMut(usize) -> Option<u64>,
) -> u64 {
    let (mut acknowledged, mut refused, mut n) = (0u64, 0usize, 0usize);
    // Keep writing after the first refusal: no write may be acknowledged
    // without being durable.
    while refused < 20 && n < 5000 {
        match write(n).await {
            Some(units) => acknowledged += units,
            None => refused += 1,
        }
        n += 1;
    }
    assert!(
        refused > 0,
        "the disk never filled ({acknowledged} acknowledged)"
    );
    assert!(
        store.writes_failing(),
        "a refused write makes the store not ready"
    );
    std::fs::remove_file(filler).unwrap();
    let mut again = 0;
    for _ in 0..10 {
        if let Some(units) = write(n).await {
            acknowledged += units;
            again += 1;
            // (A later write may fill the disk again: ready is checked
            // right after each one that committed.)
            assert!(!store.writes_failing(), "ready again once a write commits");
        }
        n += 1;
    }
    assert!(again > 0, "writes must succeed again once space is freed");
    acknowledged
}

/// The small disk, its data directory and a 3 MiB file to free later: room
/// for SQLite to fold its write-ahead log into the database file, without
/// which no write can succeed (the log only grows until then).
fn small_disk(tmp: &Path) -> Option<(SmallDisk, std::path::PathBuf, std::path::PathBuf)> {
    let mnt = tmp.join("small");
    let disk = SmallDisk::mount_or_skip(&mnt, "6m")?;
    // The journal key exists before the disk fills, as `thiqa serve`
    // creates it at start; made later, on a disk the last write may have
    // filled again, its file could not be written.
    journal_signer(&mnt.join("data"), ORIGIN).unwrap();
    let filler = mnt.join("filler");
    std::fs::write(&filler, vec![0u8; 3 << 20]).unwrap();
    Some((disk, mnt.join("data"), filler))
}

async fn journal_verifies(store: &Store, data: &Path) {
    let verified = store
        .journal_verify(
            ORIGIN,
            &[journal_signer(data, ORIGIN).unwrap().verifier()],
            &mut |_, _| {},
        )
        .await
        .unwrap();
    assert!(verified.is_ok(), "{:?}", verified.report.problems);
}

#[tokio::test]
async fn a_full_disk_loses_no_acknowledged_write() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((_disk, data, filler)) = small_disk(tmp.path()) else {
        return;
    };
    let store = open(&data).await;
    let acknowledged = fill_then_free(&store, &filler, async |n| {
        write(&store, n).await.then_some(1)
    })
    .await;
    store.close().await;
    let store = open(&data).await;
    assert_eq!(count_events(&store).await as u64, acknowledged);
    journal_verifies(&store, &data).await;
    store.close().await;
}

/// The acceptance case of the review: the disk fills during intake. Every
/// acknowledged batch (its receipt's range) is in the journal after a
/// restart, no event of a refused batch is, and the journal verifies.
#[tokio::test]
async fn a_full_disk_during_intake_loses_no_acknowledged_event() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((_disk, data, filler)) = small_disk(tmp.path()) else {
        return;
    };
    let store = open(&data).await;
    let provider = store
        .create_provider("Atlas Cloud", &Actor::cli())
        .await
        .unwrap();
    let created = store
        .provider(provider)
        .create_intake_source("fw/fill", &[], &Actor::cli())
        .await
        .unwrap();
    let source = store
        .intake_source_by_token_hash(created.token.hash().as_str())
        .await
        .unwrap()
        .unwrap();
    let receipts = std::cell::RefCell::new(Vec::new());
    let acknowledged = fill_then_free(&store, &filler, async |n| {
        let now = Timestamp::from_unix_millis(SystemClock.now_ms()).unwrap();
        let lines: Vec<String> = (0..20)
            .map(|i| {
                format!(
                    r#"{{"time":"{now}","type":"vm.fill","severity":"notice","actor":"ops","target":"vm-{n}-{i}","attributes":{{"pad":"{}"}}}}"#,
                    "x".repeat(2000)
                )
            })
            .collect();
        let receipt = store
            .intake_batch(
                &source,
                lines.join("\n").as_bytes(),
                &IntakeLimits::default(),
                &source.actor(None),
            )
            .await
            .ok()?;
        receipts.borrow_mut().push(receipt);
        Some(receipt.count)
    })
    .await;
    store.close().await;
    let store = open(&data).await;
    let head = store.journal_head().await.unwrap().size;
    let leaves = store.journal_leaves(0, head).await.unwrap();
    let from_source: Vec<_> = leaves.iter().filter(|l| l.source == "fw/fill").collect();
    assert_eq!(from_source.len() as u64, acknowledged, "no more, no less");
    for r in receipts.borrow().iter() {
        for index in r.first_index..=r.last_index {
            assert_eq!(leaves[index as usize].source, "fw/fill", "leaf {index}");
        }
    }
    journal_verifies(&store, &data).await;
    store.close().await;
}

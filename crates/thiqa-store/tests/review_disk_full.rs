//! Issue 12, item 1: a disk that fills up during writes, then frees. Every
//! write acknowledged (Ok) is present after a restart, none is present that
//! was refused, the journal verifies, and writes work again once space is
//! back. Runs on a small tmpfs the test mounts (root, as in CI); elsewhere
//! it says why it cannot run.

mod support;

use std::path::Path;
use std::sync::Arc;

use support::SmallDisk;
use thiqa_domain::SystemClock;
use thiqa_store::{journal_signer, Actor, DatabaseLocation, EventFilter, NewEvent, Store};

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

#[tokio::test]
async fn a_full_disk_loses_no_acknowledged_write() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    let Some(_disk) = SmallDisk::mount_or_skip(&mnt, "6m") else {
        return;
    };
    let data = mnt.join("data");
    // Room that the test frees later, as an operator would.
    let filler = mnt.join("filler");
    std::fs::write(&filler, vec![0u8; 1 << 20]).unwrap();
    let store = open(&data).await;
    let mut acknowledged = 0usize;
    let mut refused = 0usize;
    let mut n = 0;
    // Fill the disk, and keep writing after the first refusal: no write may
    // be acknowledged without being durable.
    while refused < 20 && n < 5000 {
        if write(&store, n).await {
            acknowledged += 1;
        } else {
            refused += 1;
        }
        n += 1;
    }
    assert!(refused > 0, "the disk never filled ({acknowledged} writes)");
    assert!(
        store.writes_failing(),
        "a refused write makes the store not ready"
    );
    // Space comes back: writes work again.
    std::fs::remove_file(&filler).unwrap();
    let mut again = 0;
    for _ in 0..10 {
        if write(&store, n).await {
            acknowledged += 1;
            again += 1;
        }
        n += 1;
    }
    assert!(again > 0, "writes must succeed again once space is freed");
    assert!(!store.writes_failing(), "ready again once a write commits");
    let seen_before_restart = count_events(&store).await;
    store.close().await;
    let store = open(&data).await;
    assert_eq!(
        count_events(&store).await,
        acknowledged,
        "acknowledged {acknowledged}, seen before restart {seen_before_restart}"
    );
    let verified = store
        .journal_verify(
            ORIGIN,
            &[journal_signer(&data, ORIGIN).unwrap().verifier()],
            &mut |_, _| {},
        )
        .await
        .unwrap();
    assert!(verified.is_ok(), "{:?}", verified.report.problems);
    store.close().await;
}

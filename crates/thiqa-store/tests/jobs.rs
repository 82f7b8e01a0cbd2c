//! Background jobs run once per interval across instances (issue 13,
//! item 7): of many claims made at the same moment by two stores on one
//! database, exactly one wins; the next interval can be claimed once, and
//! not before it begins.

mod support;

use thiqa_store::Store;

const PERIOD_MS: i64 = 60_000;

/// `stores` claim job "j" 20 times at once; how many claims won.
async fn claims_won(stores: &[Store]) -> usize {
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = stores[i % stores.len()].clone();
        tasks.push(tokio::spawn(async move {
            store
                .claim_job("j", PERIOD_MS, &format!("instance-{}", i % 2))
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    won
}

async fn exactly_once_per_interval(t: &support::TestStore, stores: &[Store]) {
    assert_eq!(claims_won(stores).await, 1, "the first interval");
    t.clock.advance_s(30);
    assert_eq!(claims_won(stores).await, 0, "half an interval later");
    t.clock.advance_s(30);
    assert_eq!(claims_won(stores).await, 1, "the next interval");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_postgres_run_a_job_once_per_interval() {
    let t = support::postgres().await;
    // The second instance: its own pool on the same database, same clock.
    let other = Store::open(&t.location, t.clock.clone()).await.unwrap();
    exactly_once_per_interval(&t, &[t.store.clone(), other]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_on_sqlite_run_a_job_once_per_interval() {
    let t = support::sqlite().await;
    exactly_once_per_interval(&t, std::slice::from_ref(&t.store)).await;
}

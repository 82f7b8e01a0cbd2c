//! The assessment rows an instance keeps in memory (assessment_cache.rs)
//! never hide a save: a second instance on the same database, which has
//! the rows cached, shows what the first saved on its very next read, and
//! a service's rows are never shown for another provider.

mod support;

use std::sync::Arc;

use support::TestStore;
use thiqa_domain::{AssessmentInput, AssessmentStatus, ManualClock, ProviderId, ServiceId};
use thiqa_store::{Actor, Store, StoreError};

on_both_backends!(
    another_instance_sees_a_save_on_its_next_read,
    cached_rows_are_never_read_through_another_provider,
);

async fn new_service(store: &Store, provider_name: &str) -> (ProviderId, ServiceId) {
    let provider = store
        .create_provider(provider_name, &Actor::cli())
        .await
        .unwrap();
    (provider, support::iaas_service(store, provider).await)
}

fn input(owner: &str) -> AssessmentInput {
    AssessmentInput {
        status: AssessmentStatus::Compliant,
        statement: format!("tenu par {owner}"),
        justification: String::new(),
        owner: owner.into(),
        next_review: String::new(),
    }
}

async fn owner_seen(store: &Store, provider: ProviderId, service: ServiceId) -> Option<String> {
    let (_, set) = store
        .provider(provider)
        .service_and_assessments(service)
        .await
        .unwrap();
    set.get("3.1.1.a").map(|a| a.owner.clone())
}

async fn another_instance_sees_a_save_on_its_next_read(ts: TestStore) {
    let first = &ts.store;
    let second = Store::open(
        &ts.location,
        Arc::new(ManualClock::at_ms(1_780_000_000_000)),
    )
    .await
    .unwrap();
    let (provider, service) = new_service(first, "Atlas Cloud").await;
    // Nothing saved yet; the second instance now holds the empty rows.
    assert_eq!(owner_seen(&second, provider, service).await, None);
    assert_eq!(owner_seen(&second, provider, service).await, None);
    let save = |owner: &'static str, version: i64| {
        let edit = [(
            "3.1.1.a".to_string(),
            input(owner).checked().unwrap(),
            version,
        )];
        async move {
            first
                .provider(provider)
                .save_assessments_from(service, &edit, &Actor::cli())
                .await
                .unwrap()
        }
    };
    save("rssi", 0).await;
    assert_eq!(
        owner_seen(&second, provider, service).await.as_deref(),
        Some("rssi"),
        "the other instance's save is read at once"
    );
    save("dsi", 1).await;
    // Both instances, each having cached the earlier rows, read the new ones.
    assert_eq!(
        owner_seen(first, provider, service).await.as_deref(),
        Some("dsi")
    );
    assert_eq!(
        owner_seen(&second, provider, service).await.as_deref(),
        Some("dsi")
    );
    // The full rows too: statement and version as saved.
    let (_, set) = second
        .provider(provider)
        .service_and_assessments(service)
        .await
        .unwrap();
    let a = set.get("3.1.1.a").unwrap();
    assert_eq!((a.statement.as_str(), a.version), ("tenu par dsi", 2));
    second.close().await;
}

async fn cached_rows_are_never_read_through_another_provider(ts: TestStore) {
    let store = &ts.store;
    let (provider, service) = new_service(store, "Atlas Cloud").await;
    let (other, _) = new_service(store, "Sahara Cloud").await;
    let edit = [("3.1.1.a".to_string(), input("rssi").checked().unwrap(), 0)];
    store
        .provider(provider)
        .save_assessments_from(service, &edit, &Actor::cli())
        .await
        .unwrap();
    // Cached by the owner's read…
    assert_eq!(
        owner_seen(store, provider, service).await.as_deref(),
        Some("rssi")
    );
    // …and still refused to another provider naming the same service.
    assert!(matches!(
        store.provider(other).service_and_assessments(service).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.provider(other).assessments(service).await,
        Err(StoreError::NotFound)
    ));
}

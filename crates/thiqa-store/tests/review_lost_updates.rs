//! Lost updates (issue 12, item 4), at the store: concurrent saves of one
//! assessment keep an exact history (each change's old value is the value
//! the previous change wrote), and a save from a version someone else has
//! moved on from is refused with nothing written. Failed sign-ins racing
//! past the lockout threshold lock the account once, journaled once.

mod support;

use support::TestStore;
use thiqa_domain::Tenant;
use thiqa_domain::{AssessmentInput, AssessmentStatus, ProviderId, ServiceId};
use thiqa_store::{Actor, Assessment, EventFilter, StoreError};

on_both_backends!(
    concurrent_saves_keep_an_exact_history,
    a_save_from_an_old_version_is_refused_and_writes_nothing,
    failures_racing_past_the_threshold_lock_the_account_once,
);

const OBLIGATION: &str = "3.6.3.a";

async fn service(ts: &TestStore) -> (ProviderId, ServiceId) {
    let s = &ts.store;
    let provider = s
        .create_provider("Atlas Cloud", &Actor::cli())
        .await
        .unwrap();
    (provider, support::iaas_service(s, provider).await)
}

async fn stored(ts: &TestStore, provider: ProviderId, service: ServiceId) -> Assessment {
    let a = ts
        .store
        .provider(provider)
        .assessment(service, OBLIGATION)
        .await;
    a.unwrap().expect("saved")
}

fn input(statement: &str) -> AssessmentInput {
    AssessmentInput {
        status: AssessmentStatus::PartiallyCompliant,
        statement: statement.into(),
        justification: String::new(),
        owner: "rssi".into(),
        next_review: String::new(),
    }
}

/// 30 imports of one saved obligation at once (saves that name no version):
/// all succeed, and the statement's history is one unbroken chain.
async fn concurrent_saves_keep_an_exact_history(ts: TestStore) {
    let (provider, service) = service(&ts).await;
    let seed = [(OBLIGATION.to_string(), input("seed"))];
    ts.store
        .provider(provider)
        .save_assessments(service, &seed, &Actor::cli())
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30 {
        let store = ts.store.clone();
        tasks.spawn(async move {
            store
                .provider(provider)
                .save_assessments(
                    service,
                    &[(OBLIGATION.into(), input(&format!("saved by {i}")))],
                    &Actor::cli(),
                )
                .await
                .unwrap()
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let mut history: Vec<_> = ts
        .store
        .provider(provider)
        .assessment_history(service, OBLIGATION)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.field == "statement")
        .collect();
    history.reverse();
    assert_eq!(history.len(), 31, "every save changed the statement");
    let mut previous = String::new();
    for h in &history {
        assert_eq!(h.old_value, previous, "broken chain: {history:?}");
        previous = h.new_value.clone();
    }
    let now = stored(&ts, provider, service).await;
    assert_eq!(now.statement, previous, "the last change is what is stored");
    assert_eq!(now.version, 31);
}

async fn a_save_from_an_old_version_is_refused_and_writes_nothing(ts: TestStore) {
    let (provider, service) = service(&ts).await;
    let save = |text: &str, version: i64| {
        let edit = [(OBLIGATION.to_string(), input(text), version)];
        let store = ts.store.clone();
        async move {
            store
                .provider(provider)
                .save_assessments_from(service, &edit, &Actor::cli())
                .await
        }
    };
    save("first", 0).await.unwrap();
    // Two editors loaded version 1; the second to save is refused.
    save("Karima's", 1).await.unwrap();
    let r = save("Youssef's", 1).await;
    assert!(matches!(r, Err(StoreError::Stale(_))), "{r:?}");
    // Version 0 means "never saved": refused once a save exists.
    let r = save("late first", 0).await;
    assert!(matches!(r, Err(StoreError::Stale(_))), "{r:?}");
    let now = stored(&ts, provider, service).await;
    assert_eq!((now.statement.as_str(), now.version), ("Karima's", 2));
    let history = ts
        .store
        .provider(provider)
        .assessment_history(service, OBLIGATION)
        .await
        .unwrap();
    assert!(
        history
            .iter()
            .all(|h| !h.new_value.contains("Youssef") && !h.new_value.contains("late")),
        "{history:?}"
    );
}

async fn failures_racing_past_the_threshold_lock_the_account_once(ts: TestStore) {
    let s = &ts.store;
    let provider = s.create_provider("Atlas", &Actor::cli()).await.unwrap();
    let tenant = Tenant::Provider(provider);
    let id = ts.operator(tenant, "amal").await;
    // Every attempt read the account before any failure was recorded: each
    // sees it unlocked, as concurrent sign-ins do.
    let account = s.tenant(tenant).account(id).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (s, account) = (s.clone(), account.clone());
        tasks.push(tokio::spawn(async move {
            s.record_login_failure(&account, 3, &Actor::anonymous("amal", None), "bad")
                .await
                .unwrap()
                .now_locked
        }));
    }
    let mut locked = 0;
    for t in tasks {
        locked += usize::from(t.await.unwrap());
    }
    assert_eq!(locked, 1, "one failure locks the account");
    let locks = s
        .events(&EventFilter {
            tenant: Some(tenant),
            action_prefix: Some("account.lock".into()),
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(locks.len(), 1, "{locks:?}");
}

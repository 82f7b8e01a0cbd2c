//! Sessions and rights cached by an instance on PostgreSQL (auth_cache.rs)
//! never outlive a change: a logout or a rights change made on another
//! instance, or by hand in the database, is seen within moments; one made
//! on this instance, at once. On SQLite nothing is cached.

mod support;

use std::time::{Duration, Instant};

use sqlx::Executor;
use thiqa_domain::{Directory, Permission, Tenant};
use thiqa_store::{Actor, SessionPolicy, Store};

const DIR: Directory = Directory::Operators;

/// Waits (bounded) until `check` holds; false if it never did.
async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// The permissions `store` resolves for this session now (None: no session).
async fn permissions(store: &Store, hash: &str) -> Option<Vec<Permission>> {
    store
        .session_with_account(DIR, hash, SessionPolicy::default())
        .await
        .unwrap()
        .map(|(_, _, p)| p.iter().collect())
}

async fn display_name(store: &Store, hash: &str) -> Option<String> {
    store
        .session_with_account(DIR, hash, SessionPolicy::default())
        .await
        .unwrap()
        .map(|(_, a, _)| a.display_name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_on_postgres_drop_cached_sessions_and_rights_when_they_change() {
    let t = support::postgres().await;
    let a = t.store.clone();
    let b = Store::open(&t.location, t.clock.clone()).await.unwrap();
    for s in [a.clone(), b.clone()] {
        tokio::spawn(async move { s.follow_auth_changes().await });
    }
    assert!(
        eventually(|| async { a.caching_sessions() && b.caching_sessions() }).await,
        "both instances listen for changes"
    );
    let provider = a
        .create_provider("Atlas Cloud", &Actor::cli())
        .await
        .unwrap();
    let tenant = Tenant::Provider(provider);
    let op = t.operator(tenant, "amal").await;
    let role = a
        .tenant(tenant)
        .create_role(
            "Lecture",
            "",
            &[Permission::ServicesRead, Permission::AssessmentEdit],
            false,
            &Actor::cli(),
        )
        .await
        .unwrap();
    a.tenant(tenant)
        .assign_role(op, role, &Actor::cli())
        .await
        .unwrap();
    let policy = SessionPolicy::default();
    a.create_session(DIR, op, "h1", "c1", true, policy, None, None)
        .await
        .unwrap();

    // Cached: a change made with the triggers switched off goes unseen.
    // The set-up's own change notices may still be on their way and empty
    // the cache once more: the proof is tried again until none is left.
    let raw = t.raw_pool().await;
    let mut conn = raw.acquire().await.unwrap();
    let mut cached = false;
    let mut written = String::from("amal");
    for attempt in 0..50 {
        let before = display_name(&a, "h1").await;
        assert_eq!(
            before.as_deref(),
            Some(written.as_str()),
            "the name as written"
        );
        written = format!("unseen-{attempt}");
        conn.execute(
            format!(
                "SET session_replication_role = replica; \
                 UPDATE operators SET display_name = '{written}'; \
                 SET session_replication_role = DEFAULT"
            )
            .as_str(),
        )
        .await
        .unwrap();
        if display_name(&a, "h1").await == before {
            cached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cached, "the session comes from the cache");

    // A change made by hand, triggers on: every instance drops its copy.
    sqlx::query("DELETE FROM role_permissions WHERE permission = 'assessment.edit'")
        .execute(&mut *conn)
        .await
        .unwrap();
    assert!(
        eventually(|| async {
            permissions(&a, "h1").await == Some(vec![Permission::ServicesRead])
        })
        .await,
        "a right removed in the database is gone from the cached session"
    );
    assert!(
        eventually(|| async {
            a.tenant(tenant).rights_of(op).await.unwrap().len() == 1
                && b.tenant(tenant).rights_of(op).await.unwrap().len() == 1
        })
        .await,
        "and from the cached rights of both instances"
    );
    assert_eq!(display_name(&a, "h1").await, Some(written));

    // A logout on the other instance ends the session here.
    assert!(permissions(&b, "h1").await.is_some());
    b.delete_session(DIR, "h1").await.unwrap();
    assert!(
        eventually(|| async { permissions(&a, "h1").await.is_none() }).await,
        "a session ended on one instance ends on the other"
    );

    // A logout on this instance ends the session at once.
    a.create_session(DIR, op, "h2", "c2", true, policy, None, None)
        .await
        .unwrap();
    assert!(permissions(&a, "h2").await.is_some());
    assert!(permissions(&a, "h2").await.is_some());
    a.delete_session(DIR, "h2").await.unwrap();
    assert_eq!(
        permissions(&a, "h2").await,
        None,
        "no waiting for the notice"
    );

    // A role removed through the store on this instance: at once too.
    a.create_session(DIR, op, "h3", "c3", true, policy, None, None)
        .await
        .unwrap();
    assert!(permissions(&a, "h3")
        .await
        .unwrap()
        .contains(&Permission::ServicesRead));
    a.tenant(tenant)
        .revoke_role(op, role, &Actor::cli())
        .await
        .unwrap();
    assert_eq!(permissions(&a, "h3").await, Some(vec![]));
    assert!(a.tenant(tenant).rights_of(op).await.unwrap().is_empty());
}

#[tokio::test]
async fn nothing_is_cached_on_sqlite() {
    let t = support::sqlite().await;
    // Returns at once: there is nothing to listen to.
    tokio::time::timeout(Duration::from_secs(5), t.store.follow_auth_changes())
        .await
        .expect("follow_auth_changes returns on SQLite");
    assert!(!t.store.caching_sessions());
}

//! Several `thiqa serve` instances share one PostgreSQL: a session opened on
//! one instance works on the other, and login rate limits count across both.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use support::{fresh_postgres, Client, PASSWORD};
use thiqa_app::tenants::seed_tenant;
use thiqa_domain::{SystemClock, Tenant};
use thiqa_server::config::Config;
use thiqa_server::{public_router, AppState};
use thiqa_store::{Actor, DatabaseLocation, NewAccount, Store};

async fn instance(url: &str) -> AppState {
    instance_with(url, |_| {}).await
}

async fn instance_with(url: &str, configure: impl FnOnce(&mut Config)) -> AppState {
    let store = Store::open(
        &DatabaseLocation::Postgres {
            url: url.to_string(),
        },
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let mut config = Config {
        data_dir: std::env::temp_dir().join(format!("thiqa-shared-{}", std::process::id())),
        ..Default::default()
    };
    configure(&mut config);
    AppState::new(store, config).await.unwrap()
}

#[tokio::test]
async fn two_instances_share_sessions_and_rate_limits() {
    let url = fresh_postgres().await;
    let a = instance(&url).await;
    let b = instance(&url).await;
    let actor = Actor::system();
    let provider = a.store.create_provider("P", &actor).await.unwrap();
    let org = Tenant::Organisation(
        a.store
            .provider(provider)
            .create_organisation("O", false, &actor)
            .await
            .unwrap(),
    );
    seed_tenant(&a.store, org, &actor).await.unwrap();
    let hash = a.sign_in.hasher.hash(&PASSWORD.to_string().into()).unwrap();
    a.store
        .tenant(org)
        .create_account(
            NewAccount {
                username: "karim".into(),
                display_name: "Karim".into(),
                email: None,
                password_hash: Some(hash),
                totp_secret: None,
                language: "fr".into(),
            },
            &actor,
        )
        .await
        .unwrap();
    let mut on_a = Client::new(public_router(&a));
    assert_eq!(on_a.login("karim", PASSWORD).await.location(), Some("/"));
    let mut on_b = Client::new(public_router(&b));
    on_b.cookies = on_a.cookies.clone();
    assert_eq!(
        on_b.get("/me").await.status,
        StatusCode::OK,
        "instance B knows A's session"
    );
    // The per-account limit (10 per window) is counted in the database.
    for i in 0..10 {
        let mut fresh = Client::new(public_router(if i % 2 == 0 { &a } else { &b }));
        fresh.login("nobody", "x").await;
    }
    let mut late = Client::new(public_router(&b));
    let r = late.login("nobody", "x").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
}

/// Two instances tick their checkpoint loops every second while events
/// keep arriving: each interval is signed once, by whichever instance
/// claimed it, not once per instance (issue 13, item 7).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_sign_one_checkpoint_per_interval() {
    let url = fresh_postgres().await;
    let every_second = |c: &mut Config| c.journal.checkpoint_seconds = 1;
    let a = instance_with(&url, every_second).await;
    let b = instance_with(&url, every_second).await;
    let events = {
        let store = a.store.clone();
        tokio::spawn(async move {
            loop {
                store
                    .record_event(
                        &Actor::system(),
                        thiqa_store::NewEvent::success("test.tick"),
                    )
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
    };
    let before = a.store.journal_checkpoints().await.unwrap().len();
    let loops = [
        tokio::spawn(thiqa_server::journal_export::checkpoint_loop(a.clone())),
        tokio::spawn(thiqa_server::journal_export::checkpoint_loop(b.clone())),
    ];
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    for l in loops {
        l.abort();
    }
    events.abort();
    let signed = a.store.journal_checkpoints().await.unwrap().len() - before;
    eprintln!("two instances, 3.5 s, one-second interval: {signed} checkpoints");
    // Ticks at 0, 1, 2 and 3 s: four intervals (fewer on a loaded machine,
    // whose ticks slip). Each instance alone would sign at each of its
    // ticks, eight in all.
    assert!(
        (1..=5).contains(&signed),
        "{signed} checkpoints in 3.5 s of two instances ticking every second"
    );
}

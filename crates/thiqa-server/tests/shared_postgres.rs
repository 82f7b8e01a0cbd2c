//! Several `thiqa serve` instances share one PostgreSQL: a session opened on
//! one instance works on the other, and login rate limits count across both.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use support::{fresh_postgres, Client, PASSWORD};
use thiqa_domain::{Directory, SystemClock, Tenant};
use thiqa_server::bootstrap::seed_tenant;
use thiqa_server::config::Config;
use thiqa_server::{public_router, AppState};
use thiqa_store::{Actor, DatabaseLocation, NewAccount, Store};

async fn instance(url: &str) -> AppState {
    let store = Store::open(
        &DatabaseLocation::Postgres {
            url: url.to_string(),
        },
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let config = Config {
        data_dir: std::env::temp_dir().join(format!("thiqa-shared-{}", std::process::id())),
        ..Default::default()
    };
    AppState::new(store, config).unwrap()
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
            .create_organisation(provider, "O", false, &actor)
            .await
            .unwrap(),
    );
    seed_tenant(&a.store, org, &actor).await.unwrap();
    let hash = a.hasher.hash(&PASSWORD.to_string().into()).unwrap();
    a.store
        .create_account(
            Directory::Customers,
            NewAccount {
                tenant: org,
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

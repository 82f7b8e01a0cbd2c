//! Issue 11, items 14 and 16 through the listeners: a commanditaire's
//! export fails visibly rather than silently carry an event filed under
//! its tenant by an edit of the database; a dossier built from the console
//! is journaled with its manifest's SHA-256 (proven by an inclusion proof)
//! and its key is published on the public listener, no account needed.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sqlx::{Connection, Executor};
use support::{TestApp, PASSWORD};
use thiqa_domain::{Directory, Tenant};
use thiqa_journal::Event;
use thiqa_store::{Actor, Backend, NewAccount};
use tower::ServiceExt;

on_both_backends!(
    an_export_fails_rather_than_carry_another_tenants_event,
    a_console_dossier_is_journaled_and_its_key_published,
);

/// Runs `sql` on the app's database as someone with write access to it.
/// The harness keeps no PostgreSQL URL: this test's database is the one
/// holding the organisation named `marker`.
async fn tamper(t: &TestApp, marker: &str, sql: &str) {
    if t.store().backend() == Backend::Sqlite {
        let path = thiqa_store::DatabaseLocation::sqlite_path(&t.app.config.data_dir);
        let url = format!("sqlite://{}", path.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        conn.execute(sql).await.unwrap();
        return;
    }
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = admin.rsplit_once('/').unwrap().0.to_string();
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    let pattern = format!("thiqa_web_{}_%", std::process::id());
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname::text FROM pg_database WHERE datname LIKE $1")
            .bind(pattern)
            .fetch_all(&mut conn)
            .await
            .unwrap();
    for (name,) in names {
        let Ok(mut db) = sqlx::PgConnection::connect(&format!("{base}/{name}")).await else {
            continue;
        };
        let found: Result<(i64,), _> =
            sqlx::query_as("SELECT count(*) FROM organisations WHERE name = $1")
                .bind(marker)
                .fetch_one(&mut db)
                .await;
        if matches!(found, Ok((1,))) {
            db.execute(sql).await.unwrap();
            return;
        }
    }
    panic!("no database holds {marker}");
}

/// GET with the client's cookies; the status and the body, or the error
/// that broke the body off.
async fn download(t: &TestApp, cookies: &str, path: &str) -> (StatusCode, Result<String, String>) {
    let req = Request::get(path)
        .header("cookie", cookies)
        .body(Body::empty())
        .unwrap();
    let response = t.public.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 50 << 20).await;
    (
        status,
        body.map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| e.to_string()),
    )
}

async fn an_export_fails_rather_than_carry_another_tenants_event(t: TestApp) {
    let Tenant::Provider(provider) = t.provider else {
        unreachable!()
    };
    let marker = format!("Autre Banque {}", t.store().clock().now_ms());
    let other = t
        .store()
        .provider(provider)
        .create_organisation(&marker, false, &Actor::cli())
        .await
        .unwrap();
    let account = NewAccount {
        username: "intrus".into(),
        display_name: "Intrus".into(),
        email: None,
        password_hash: None,
        totp_secret: None,
        language: "fr".into(),
    };
    t.store()
        .tenant(Tenant::Organisation(other))
        .create_account(account, &Actor::cli())
        .await
        .unwrap();
    t.user(
        Directory::Customers,
        "karim",
        &["Administrateur de l'organisation"],
        false,
    )
    .await;
    let mut karim = t.portal();
    assert_eq!(karim.login("karim", PASSWORD).await.location(), Some("/"));
    let cookies: String = karim
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}; "))
        .collect();
    let day = thiqa_app::time::iso_date(t.store().clock().now_ms() / 1000);
    let export = format!("/events/export?from={day}&to={day}&format=ndjson");
    let (status, body) = download(&t, &cookies, &export).await;
    assert_eq!(status, StatusCode::OK);
    let before = body.unwrap();
    assert!(!before.contains("intrus"), "{before}");

    // The other commanditaire's account creation, filed under this one.
    let size = t.store().journal_head().await.unwrap().size;
    let leaves = t.store().journal_leaves(0, size).await.unwrap();
    let theirs = leaves
        .iter()
        .rev()
        .find(|l| Event::from_leaf(&l.leaf).unwrap().target.contains("intrus"))
        .unwrap()
        .index;
    let Tenant::Organisation(own) = t.organisation else {
        unreachable!()
    };
    tamper(
        &t,
        &marker,
        &format!(
            "UPDATE journal_leaves SET tenant_id = {} WHERE idx = {theirs}",
            own.0
        ),
    )
    .await;
    let (status, body) = download(&t, &cookies, &export).await;
    assert_eq!(status, StatusCode::OK, "the headers go before the rows");
    match body {
        Err(_) => {}
        Ok(text) => panic!("the export went through with the moved event: {text}"),
    }
}

async fn a_console_dossier_is_journaled_and_its_key_published(t: TestApp) {
    let mut public = t.portal();
    assert!(thiqa_app::dossier::key_in(&t.app.store, &t.app.keys, false)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        public.get("/dossier/key").await.status,
        StatusCode::NOT_FOUND
    );

    let (_, s1) = t
        .user(
            Directory::Operators,
            "amal",
            &["Responsable conformité"],
            true,
        )
        .await;
    let mut amal = t.signed_operator("amal", s1.as_ref().unwrap()).await;
    amal.get("/services").await;
    let service = amal
        .post_form(
            "/services",
            &[("name", "IaaS"), ("model", "iaas"), ("level", "2")],
        )
        .await
        .location()
        .unwrap()
        .to_string();
    let (_, s2) = t
        .user(Directory::Operators, "rachida", &["RSSI"], true)
        .await;
    let rssi = t.signed_operator("rachida", s2.as_ref().unwrap()).await;
    let cookies: String = rssi
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}; "))
        .collect();
    let req = Request::get(format!("{service}/dossier"))
        .header("cookie", cookies)
        .body(Body::empty())
        .unwrap();
    let response = t.admin.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 50 << 20)
        .await
        .unwrap()
        .to_vec();
    let report = thiqa_export::dossier::verify(std::io::Cursor::new(&bytes)).unwrap();
    assert!(report.ok(), "{report:?}");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut manifest = Vec::new();
    zip.by_name("manifest.json")
        .unwrap()
        .read_to_end(&mut manifest)
        .unwrap();
    let sha = thiqa_domain::text::hex(&<sha2::Sha256 as sha2::Digest>::digest(&manifest));

    // The build's journal event carries the archive's manifest hash, the
    // service and the key's fingerprint, and is proven in the signed log.
    let size = t.store().journal_head().await.unwrap().size;
    let leaves = t.store().journal_leaves(0, size).await.unwrap();
    let built = leaves
        .iter()
        .find(|l| Event::from_leaf(&l.leaf).unwrap().action == "dossier.build")
        .expect("the build is journaled");
    t.store()
        .journal_sign_checkpoint(&t.app.journal_signer)
        .await
        .unwrap();
    let bundle = t.store().journal_prove(built.index, None).await.unwrap();
    let proven = bundle.verify(&t.app.journal_signer.verifier()).unwrap();
    let event = proven.event.unwrap();
    let details = &event.attributes["details"];
    let service_id = service.rsplit('/').next().unwrap();
    assert!(
        details.contains(&format!("manifest sha256 {sha}")),
        "{details}"
    );
    assert!(
        details.contains(&format!("service {service_id}")),
        "{details}"
    );
    assert!(
        details.contains(&format!("key {}", report.fingerprint)),
        "{details}"
    );

    // Published on the public listener, without an account.
    let text = public.get("/dossier/key").await;
    assert_eq!(text.status, StatusCode::OK);
    assert_eq!(text.body.trim(), report.public_key);
    let json = public.get("/api/v1/dossier/key").await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.body);
    let json: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(json["public_key"], report.public_key.as_str());
    assert_eq!(json["fingerprint"], report.fingerprint.as_str());
}

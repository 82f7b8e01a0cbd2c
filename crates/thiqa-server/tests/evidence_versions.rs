//! Versions of file evidence as a compliance officer uses them: a renewed
//! document becomes the current file of the same item (its obligations
//! stay), every earlier version stays listed and downloadable, each step is
//! journaled, and refused uploads change nothing.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::StatusCode;
use support::evidence::{first_item_link, multipart, officer};
use support::{Backend, TestApp};
use thiqa_server::config::Config;

#[tokio::test]
async fn versions_on_sqlite() {
    a_new_version_keeps_the_old_ones(Backend::Sqlite).await;
}

#[tokio::test]
async fn versions_on_postgres() {
    a_new_version_keeps_the_old_ones(Backend::Postgres).await;
}

async fn a_new_version_keeps_the_old_ones(backend: Backend) {
    let config = Config {
        evidence_max_mb: 1,
        ..Default::default()
    };
    let t = TestApp::with_config(backend, config).await;
    let (mut c, service) = officer(&t).await;
    let csrf = c.csrf.clone().unwrap();
    let (ct, body) = multipart(
        &[
            ("title", "Certificat ISO 27001"),
            ("obligations", "3.1.1.a 3.1.1.b"),
            ("valid_until", "2026-12-15"),
        ],
        Some(("iso27001-2023.pdf", "application/pdf", b"certificat 2023")),
    );
    let r = c
        .post_raw(&format!("{service}/evidence/upload?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = c.get(&format!("{service}/evidence")).await;
    assert!(list.body.contains("v1 · versions"), "{}", list.body);
    let item = first_item_link(&list.body, &service);

    // The renewed certificate, with its new validity date.
    let page = c.get(&item).await;
    assert!(
        page.body.contains("Déposer une nouvelle version"),
        "{}",
        page.body
    );
    let (ct, body) = multipart(
        &[("valid_until", "2029-12-15")],
        Some(("iso27001-2026.pdf", "application/pdf", b"certificat 2026")),
    );
    let r = c
        .post_raw(&format!("{item}/versions?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.location(), Some(item.as_str()), "{}", r.body);
    let page = c.get(&item).await;
    let table = page.body.split("id=\"versions\"").nth(1).unwrap();
    let v2 = table.find("v2").unwrap();
    let v1 = table.find("v1").unwrap();
    assert!(v2 < v1, "newest first: {table}");
    assert!(
        table.contains("iso27001-2023.pdf") && table.contains("iso27001-2026.pdf"),
        "{table}"
    );
    assert!(table.contains("2029-12-15") && table.contains("amal"));
    // The item now serves the new file, the old one stays reachable.
    let current = c.get(&format!("{item}/download")).await;
    assert_eq!(current.body, "certificat 2026");
    let disposition = current.headers.get("content-disposition").unwrap();
    assert!(disposition.to_str().unwrap().contains("iso27001-2026.pdf"));
    assert_eq!(
        c.get(&format!("{item}/versions/1/download")).await.body,
        "certificat 2023"
    );
    assert_eq!(
        c.get(&format!("{item}/versions/3/download")).await.status,
        StatusCode::NOT_FOUND
    );
    // The list shows the current version and validity; links to
    // obligations are unchanged.
    let list = c.get(&format!("{service}/evidence")).await;
    assert!(
        list.body.contains("v2 · versions")
            && list.body.contains("2029-12-15")
            && list.body.contains("3.1.1.b"),
        "{}",
        list.body
    );
    let obligation = c.get(&format!("{service}/o/3.1.1.b")).await;
    assert!(obligation.body.contains("Certificat ISO 27001"));

    // Refused: over the limit, empty file, bad date, without CSRF; nothing changes.
    let big = vec![b'x'; 1024 * 1024 + 1];
    let (ct, body) = multipart(&[], Some(("big.pdf", "application/pdf", &big)));
    let r = c
        .post_raw(&format!("{item}/versions?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("1 Mo"), "{}", r.body);
    let (ct, body) = multipart(
        &[("valid_until", "15/12/2029")],
        Some(("a.pdf", "application/pdf", b"")),
    );
    let r = c
        .post_raw(&format!("{item}/versions?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"form-error\""), "{}", r.body);
    let (ct, body) = multipart(&[], Some(("a.pdf", "application/pdf", b"sans jeton")));
    let r = c.post_raw(&format!("{item}/versions"), &ct, body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = c.get(&item).await;
    let table = page.body.split("id=\"versions\"").nth(1).unwrap();
    assert!(!table.contains("v3"), "no version from refused uploads");

    // A note has no file versions; another service's item is not found.
    c.get(&format!("{service}/evidence")).await;
    c.post_form(
        &format!("{service}/evidence"),
        &[
            ("title", "Compte rendu"),
            ("obligations", "3.1.1.a"),
            ("note", "Revue de direction"),
        ],
    )
    .await;
    let notes = t
        .store()
        .provider(match t.provider {
            thiqa_domain::Tenant::Provider(p) => p,
            _ => unreachable!(),
        })
        .evidence(
            thiqa_domain::ServiceId(service.rsplit('/').next().unwrap().parse().unwrap()),
            None,
        )
        .await
        .unwrap();
    let note = notes.iter().find(|e| e.kind == "note").unwrap();
    let (ct, body) = multipart(&[], Some(("a.pdf", "application/pdf", b"x")));
    let r = c
        .post_raw(
            &format!("{service}/evidence/{}/versions?csrf={csrf}", note.id),
            &ct,
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let (ct, body) = multipart(&[], Some(("a.pdf", "application/pdf", b"x")));
    let other = format!("/services/999999/evidence/{}/versions?csrf={csrf}", note.id);
    assert_eq!(
        c.post_raw(&other, &ct, body).await.status,
        StatusCode::NOT_FOUND
    );

    // Journaled: the new version (who, which file) and each download.
    let events = t
        .store()
        .events(&thiqa_store::EventFilter {
            tenant: None,
            action_prefix: Some("evidence.".into()),
            limit: 100,
        })
        .await
        .unwrap();
    let version = events
        .iter()
        .find(|e| e.action == "evidence.version")
        .expect("evidence.version journaled");
    assert_eq!(version.actor_name.as_deref(), Some("amal"));
    assert!(version.details.as_deref().unwrap().contains("version 2"));
    assert!(events
        .iter()
        .any(|e| e.action == "evidence.download"
            && e.details.as_deref().unwrap().ends_with("version 1")));
}

//! A commanditaire exports its journal events: only its own, in the format
//! it asks for, with inclusion proofs that verify offline against the
//! public checkpoint key. The public proof endpoints answer without a token.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::{Method, StatusCode};
use support::{Backend, TestApp, PASSWORD};
use thiqa_domain::{Directory, Tenant};
use thiqa_store::{Actor, InclusionBundle, NewAccount};

fn today(t: &TestApp) -> String {
    use thiqa_domain::Clock;
    thiqa_app::time::iso_date(t.clock.now_s())
}

async fn export_story(t: TestApp) {
    // A second commanditaire of the same provider, with an account of its
    // own: its events must never appear in the first one's export.
    let Tenant::Provider(provider) = t.provider else {
        unreachable!()
    };
    let other = t
        .store()
        .provider(provider)
        .create_organisation("Autre Banque", false, &Actor::cli())
        .await
        .unwrap();
    t.store()
        .tenant(Tenant::Organisation(other))
        .create_account(
            NewAccount {
                username: "intrus".into(),
                display_name: "Intrus".into(),
                email: None,
                password_hash: None,
                totp_secret: None,
                language: "fr".into(),
            },
            &Actor::cli(),
        )
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
    let Tenant::Organisation(own) = t.organisation else {
        unreachable!()
    };
    let day = today(&t);
    let range = format!("from={day}&to={day}");

    let r = karim
        .get(&format!("/events/export?{range}&format=ndjson"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let lines: Vec<serde_json::Value> = r
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 2, "account creation and login: {}", r.body);
    let mine = format!("organisation:{}", own.0);
    for l in &lines {
        assert_eq!(l["commanditaire"], mine.as_str(), "{l}");
    }
    assert!(!r.body.contains("intrus"));
    assert!(lines
        .iter()
        .any(|l| l["type"] == "login.success" || l["type"].as_str().unwrap().starts_with("login")));

    // Another organisation cannot be named from the portal.
    let r = karim
        .get(&format!("/events/export?{range}&organisation={}", other.0))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = karim
        .get("/events/export?from=2026-02-30&to=2026-03-01")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("from must be a YYYY-MM-DD date"),
        "{}",
        r.body
    );
    let r = karim
        .get(&format!("/events/export?{range}&format=pdf"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("ndjson, csv, xml, ocsf, cef"));

    // XML parses whatever the events hold; CSV has the documented header.
    let r = karim
        .get(&format!("/events/export?{range}&format=xml"))
        .await;
    // A file of its own: the SQLite and PostgreSQL runs share the process.
    let file = tempfile::Builder::new().suffix(".xml").tempfile().unwrap();
    let xml = file.path().to_path_buf();
    std::fs::write(&xml, &r.body).unwrap();
    let parsed = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); print(len(d.getElementsByTagName('event')))",
            xml.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    drop(file);
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    assert!(
        String::from_utf8_lossy(&parsed.stdout)
            .trim()
            .parse::<usize>()
            .unwrap()
            >= lines.len()
    );
    let r = karim
        .get(&format!("/events/export?{range}&format=csv"))
        .await;
    assert!(r
        .body
        .starts_with("index,event_time,received_time,source,type,severity"));
    let r = karim
        .get(&format!("/events/export?{range}&format=cef"))
        .await;
    assert!(
        r.body.lines().all(|l| l.starts_with("CEF:0|Thiqa|thiqa|")),
        "{}",
        r.body
    );

    // Proofs: one per exported event, each verifying with the public key.
    let r = karim.get(&format!("/events/export/proofs?{range}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut public = t.portal();
    let key = public.get("/api/v1/journal/key").await.body;
    let key: thiqa_journal::NoteVerifier = key.trim().parse().unwrap();
    let proofs: Vec<&str> = r.body.lines().collect();
    assert!(
        proofs.len() >= lines.len(),
        "every exported event has its proof"
    );
    for p in &proofs {
        let bundle = InclusionBundle::from_json(p.as_bytes()).unwrap();
        bundle.verify(&key).expect("the proof verifies offline");
        let event = thiqa_journal::Event::from_leaf(&bundle.leaf).unwrap();
        assert_eq!(event.tenant.as_deref(), Some(mine.as_str()));
    }
    // A forged leaf does not verify.
    let mut forged = InclusionBundle::from_json(proofs[0].as_bytes()).unwrap();
    forged.leaf[10] ^= 1;
    assert!(forged.verify(&key).is_err());

    // The public endpoints: checkpoint note, proofs by index, no token.
    let note = public.get("/api/v1/journal/checkpoint").await;
    assert_eq!(note.status, StatusCode::OK);
    let size: u64 = note.body.lines().nth(1).unwrap().parse().unwrap();
    let r = public
        .get(&format!(
            "/api/v1/journal/proof/inclusion?index={}",
            size - 1
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = public
        .get(&format!("/api/v1/journal/proof/inclusion?index={size}"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = public.get("/api/v1/journal/proof/consistency?from=0").await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "size 0 is no signed checkpoint"
    );
    let r = public.get("/api/v1/journal/proof/inclusion?index=x").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Sizes past what a database column holds (schemathesis found a 500).
    for past in [
        "/api/v1/journal/proof/consistency?from=9223372036854775809",
        "/api/v1/journal/proof/inclusion?index=0&size=9223372036854775809",
    ] {
        assert_eq!(
            public.get(past).await.status,
            StatusCode::NOT_FOUND,
            "{past}"
        );
    }

    // The host clock's NTP state is reported (whatever this machine's is).
    let ready = public.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert!(
        ready.body.lines().nth(1).unwrap().starts_with("clock "),
        "{}",
        ready.body
    );
    let page = karim.get("/events").await;
    assert!(page.body.contains("id=\"clock-sync\""), "{}", page.body);

    // The export itself is in the commanditaire's journal.
    let r = karim.get(&format!("/events/export?{range}")).await;
    assert!(r.body.contains("journal.export"));

    // The API needs a token with the right permission.
    let r = public
        .api(
            Method::GET,
            &format!("/api/v1/journal/export?{range}"),
            "thq_nope",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_commanditaire_exports_its_own_events_with_proofs_on_sqlite() {
    export_story(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn a_commanditaire_exports_its_own_events_with_proofs_on_postgres() {
    export_story(TestApp::new(Backend::Postgres).await).await;
}

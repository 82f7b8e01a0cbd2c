//! `POST /api/v1/journal/intake` as an infrastructure source uses it, and
//! the console page that registers sources: a batch is appended whole with
//! its range or refused whole listing its bad lines; only live source tokens
//! are accepted; the size limit is enforced while streaming; the route
//! exists on the operator listener only.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use support::{Backend, Client, Reply, TestApp};
use thiqa_domain::{Directory, Tenant};
use thiqa_server::config::Config;
use thiqa_store::IntakeSource;

const PATH: &str = "/api/v1/journal/intake";

fn line(n: usize, extra: &str) -> String {
    format!(
        r#"{{"time":"{}T10:11:12.{:03}+01:00","type":"fw.deny","severity":"warning","target":"port-{n}","source_address":"198.51.100.{}"{extra}}}"#,
        yesterday(),
        n % 1000,
        n % 250
    )
}

/// Yesterday's date (UTC): event times near now, which the intake's time
/// window (retention behind, a little skew ahead) accepts on any test date.
fn yesterday() -> String {
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    thiqa_journal::Timestamp::from_system_time(day_ago)
        .unwrap()
        .date()
}

fn ndjson(lines: &[String]) -> Vec<u8> {
    let mut body = lines.join("\n").into_bytes();
    body.push(b'\n');
    body
}

async fn post(
    c: &mut Client,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
    with_length: bool,
) -> Reply {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(PATH)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if with_length {
        b = b.header(header::CONTENT_LENGTH, body.len());
    }
    c.send(b.body(Body::from(body)).unwrap()).await
}

async fn intake(c: &mut Client, token: &str, body: Vec<u8>) -> Reply {
    post(c, Some(token), "application/x-ndjson", body, true).await
}

/// A source of the test provider that may tag the test organisation.
async fn source(t: &TestApp, name: &str) -> (IntakeSource, String) {
    let (Tenant::Provider(p), Tenant::Organisation(o)) = (t.provider, t.organisation) else {
        unreachable!()
    };
    let created = t
        .store()
        .provider(p)
        .create_intake_source(name, &[o], &thiqa_store::Actor::cli())
        .await
        .unwrap();
    (created.source, created.token.expose().to_string())
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

#[tokio::test]
async fn a_batch_is_appended_with_its_range_on_sqlite() {
    a_batch_is_appended_with_its_range(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn a_batch_is_appended_with_its_range_on_postgres() {
    a_batch_is_appended_with_its_range(TestApp::new(Backend::Postgres).await).await;
}

async fn a_batch_is_appended_with_its_range(t: TestApp) {
    let (_, token) = source(&t, "fw/edge-1").await;
    let Tenant::Organisation(org) = t.organisation else {
        unreachable!()
    };
    let before = t.store().journal_head().await.unwrap().size;
    let mut c = t.console();
    let lines: Vec<String> = (1..=25)
        .map(|n| {
            if n == 3 {
                line(n, &format!(r#","commanditaire":{}"#, org.0))
            } else {
                line(n, "")
            }
        })
        .collect();
    let r = intake(&mut c, &token, ndjson(&lines)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = json(&r);
    assert_eq!(v["first_index"], before);
    assert_eq!(v["last_index"], before + 24);
    assert_eq!(v["count"], 25);
    let leaves = t.store().journal_leaves(before, 26).await.unwrap();
    assert!(leaves[..25]
        .iter()
        .all(|l| l.source == "fw/edge-1" && l.event_id.is_none()));
    // 10:11:12.003+01:00 is 09:11:12.003 UTC.
    let third = thiqa_journal::Timestamp::parse(&format!("{}T09:11:12.003Z", yesterday())).unwrap();
    assert_eq!(leaves[2].event_time_ms, third.unix_millis());
    assert_eq!(leaves[2].tenant, Some(t.organisation));
    assert_eq!(leaves[0].tenant, Some(t.provider));
    // Then the journal.intake security event, naming the range.
    assert_eq!(leaves[25].source, "thiqa");
    let recorded = t
        .store()
        .events(&thiqa_store::EventFilter {
            tenant: None,
            action_prefix: Some("journal.intake".into()),
            limit: 1,
        })
        .await
        .unwrap();
    let details = recorded[0].details.clone().unwrap_or_default();
    assert!(
        details.contains(&format!("25 events, leaves {}..={}", before, before + 24)),
        "{details}"
    );
    // Two batches in a row: consecutive ranges around their journal.intake leaf.
    let r = intake(&mut c, &token, ndjson(&lines[..2])).await;
    assert_eq!(json(&r)["first_index"], before + 26);
    // Batches are not held to the API's form limit (64 KiB).
    let many: Vec<String> = (0..2000).map(|n| line(n, "")).collect();
    let body = ndjson(&many);
    assert!(body.len() > thiqa_server::web::security::FORM_LIMIT);
    let r = intake(&mut c, &token, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r)["count"], 2000);
}

#[tokio::test]
async fn bad_lines_are_listed_and_nothing_is_stored() {
    let t = TestApp::new(Backend::Sqlite).await;
    let (_, token) = source(&t, "hv/kvm-07").await;
    let mut c = t.console();
    let head = t.store().journal_head().await.unwrap();
    let mut lines: Vec<String> = (1..=6).map(|n| line(n, "")).collect();
    lines[1] = line(2, r#","hostname":"kvm-07""#);
    lines[3] = format!(
        r#"{{"time":"{}T10:11:12Z","type":"vm.start","severity":"loud"}}"#,
        yesterday()
    );
    lines[4] = line(5, r#","commanditaire":999"#);
    let r = intake(&mut c, &token, ndjson(&lines)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let v = json(&r);
    let errors = v["errors"].as_array().unwrap();
    let numbers: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [2, 4, 5]);
    assert!(
        errors[0]["reason"].as_str().unwrap().contains("hostname"),
        "{v}"
    );
    assert!(
        errors[1]["reason"].as_str().unwrap().contains("severity"),
        "{v}"
    );
    assert!(errors[2]["reason"].as_str().unwrap().contains("999"), "{v}");
    assert_eq!(v["error_count"], 3);
    assert_eq!(
        t.store().journal_head().await.unwrap(),
        head,
        "a refused batch leaves no trace in the log"
    );
    // An empty batch and one beyond intake_max_events are refused as well.
    let r = intake(&mut c, &token, b"\n".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.store().journal_head().await.unwrap(), head);
}

#[tokio::test]
async fn only_live_source_tokens_are_accepted() {
    let t = TestApp::new(Backend::Sqlite).await;
    let (src, token) = source(&t, "bastion").await;
    let mut c = t.console();
    let body = ndjson(&[line(1, "")]);
    let head = t.store().journal_head().await.unwrap();
    let r = post(&mut c, None, "application/x-ndjson", body.clone(), true).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(json(&r)["error"]["code"], "unauthenticated");
    let forged = format!("thq_{}", "A".repeat(43));
    for bad in [forged.as_str(), "thq_short", "not-a-token"] {
        let r = intake(&mut c, bad, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bad}");
    }
    // A person's API token is not a source token.
    let (_, secret) = t
        .user(Directory::Operators, "rachid", &["RSSI"], true)
        .await;
    let mut console = t.signed_operator("rachid", secret.as_ref().unwrap()).await;
    let personal = console.api_token(&["config.manage"]).await;
    let r = intake(&mut c, &personal, body.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The right content type is required.
    let r = post(&mut c, Some(&token), "application/json", body.clone(), true).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    no_intake_since(&t, head.size).await;
    // Revoked: refused at once.
    let Tenant::Provider(p) = t.provider else {
        unreachable!()
    };
    assert_eq!(
        intake(&mut c, &token, body.clone()).await.status,
        StatusCode::OK
    );
    t.store()
        .provider(p)
        .revoke_intake_source(src.id, &thiqa_store::Actor::cli())
        .await
        .unwrap();
    let r = intake(&mut c, &token, body).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// Only Thiqa's own events (sign-in, token creation) were appended since
/// `from`: nothing from intake.
async fn no_intake_since(t: &TestApp, from: u64) {
    let leaves = t.store().journal_leaves(from, 1000).await.unwrap();
    assert!(leaves.iter().all(|l| l.source == "thiqa"));
}

#[tokio::test]
async fn the_byte_limit_is_enforced_while_streaming() {
    let config = Config {
        intake_max_bytes: 4096,
        intake_max_events: 50,
        ..Config::default()
    };
    let t = TestApp::with_config(Backend::Sqlite, config).await;
    let (_, token) = source(&t, "san-01").await;
    let mut c = t.console();
    let head = t.store().journal_head().await.unwrap();
    let big: Vec<String> = (0..40).map(|n| line(n, "")).collect();
    let body = ndjson(&big);
    assert!(body.len() > 4096);
    // Declared too large: refused before reading.
    let r = post(
        &mut c,
        Some(&token),
        "application/x-ndjson",
        body.clone(),
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(json(&r)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("intake_max_bytes (4096 bytes)"));
    // Undeclared length: cut off while streaming.
    let r = post(&mut c, Some(&token), "application/x-ndjson", body, false).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(t.store().journal_head().await.unwrap(), head);
    // Within the limit: accepted.
    let r = intake(&mut c, &token, ndjson(&big[..20])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn the_route_is_absent_from_the_public_listener() {
    let t = TestApp::new(Backend::Sqlite).await;
    let (_, token) = source(&t, "hv/kvm-09").await;
    let mut portal = t.portal();
    let r = intake(&mut portal, &token, ndjson(&[line(1, "")])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let doc = json(&portal.get("/api/v1/openapi.json").await);
    assert!(doc["paths"].get("/journal/intake").is_none());
    let doc = json(&t.console().get("/api/v1/openapi.json").await);
    let op = &doc["paths"]["/journal/intake"]["post"];
    assert!(
        op["requestBody"]["content"]["application/x-ndjson"].is_object(),
        "{op}"
    );
    assert!(op["responses"]["422"].is_object() && op["responses"]["413"].is_object());
}

#[tokio::test]
async fn sources_are_registered_and_revoked_in_the_console() {
    let t = TestApp::new(Backend::Sqlite).await;
    let Tenant::Organisation(org) = t.organisation else {
        unreachable!()
    };
    let (_, secret) = t
        .user(Directory::Operators, "rachid", &["RSSI"], true)
        .await;
    let mut c = t.signed_operator("rachid", secret.as_ref().unwrap()).await;
    let r = c.get("/journal/sources").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Banque test"),
        "the commanditaires to choose from"
    );
    let r = c
        .post_form(
            "/journal/sources",
            &[("name", "hv/kvm-07"), ("organisation", &org.0.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    assert!(token.starts_with("thq_"));
    // Shown once: not on the list afterwards.
    let r = c.get("/journal/sources").await;
    assert!(r.body.contains("hv/kvm-07") && !r.body.contains(&token));
    let mut api = t.console();
    let body = ndjson(&[line(1, &format!(r#","commanditaire":{}"#, org.0))]);
    assert_eq!(
        intake(&mut api, &token, body.clone()).await.status,
        StatusCode::OK
    );
    // Same name twice, or a bad name: refused with a message.
    let r = c
        .post_form("/journal/sources", &[("name", "hv/kvm-07")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = c.post_form("/journal/sources", &[("name", "thiqa")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = t
        .store()
        .intake_source_by_token_hash(thiqa_crypto::token::token_hash(&token).as_str())
        .await
        .unwrap()
        .unwrap()
        .id;
    c.get("/journal/sources").await;
    let r = c
        .post_form(&format!("/journal/sources/{id}/revoke"), &[])
        .await;
    assert_eq!(r.location(), Some("/journal/sources"));
    assert_eq!(
        intake(&mut api, &token, body).await.status,
        StatusCode::UNAUTHORIZED
    );
    let actions: Vec<String> = t
        .store()
        .events(&thiqa_store::EventFilter {
            tenant: None,
            action_prefix: Some("intake_source.".into()),
            limit: 10,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["intake_source.revoke", "intake_source.create"]);
    // Without config.manage, no access.
    let (_, secret) = t
        .user(Directory::Operators, "lina", &["Lecteur"], true)
        .await;
    let mut reader = t.signed_operator("lina", secret.as_ref().unwrap()).await;
    assert_eq!(
        reader.get("/journal/sources").await.status,
        StatusCode::FORBIDDEN
    );
    let r = reader.post_form("/journal/sources", &[("name", "x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Issue 12, item 7: a source that retries after a lost acknowledgement
/// sends the same batch with the same Idempotency-Key: the original receipt
/// comes back and nothing is appended twice; the key with another batch is
/// refused; a malformed key is a 400.
async fn a_retried_batch_with_its_key_is_appended_once(t: TestApp) {
    let (_, token) = source(&t, "fw/edge-retry").await;
    let mut c = t.console();
    let keyed = |key: &str, body: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri(PATH)
            .header(header::CONTENT_TYPE, "application/x-ndjson")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header("idempotency-key", key)
            .body(Body::from(body))
            .unwrap()
    };
    let lines: Vec<String> = (1..=5).map(|n| line(n, "")).collect();
    let first = c.send(keyed("batch-0001", ndjson(&lines))).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.headers["idempotent-replayed"], "false");
    let head = t.store().journal_head().await.unwrap().size;
    let again = c.send(keyed("batch-0001", ndjson(&lines))).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(json(&again), json(&first), "the original receipt");
    assert_eq!(
        t.store().journal_head().await.unwrap().size,
        head,
        "nothing appended twice"
    );
    let other = c.send(keyed("batch-0001", ndjson(&lines[..2]))).await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    assert!(
        other.body.contains("idempotency_key_reused"),
        "{}",
        other.body
    );
    let bad = c.send(keyed("", ndjson(&lines))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    // Another key appends.
    let next = c.send(keyed("batch-0002", ndjson(&lines))).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    assert_eq!(json(&next)["first_index"], head);
}

#[tokio::test]
async fn a_retried_batch_with_its_key_is_appended_once_on_sqlite() {
    a_retried_batch_with_its_key_is_appended_once(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn a_retried_batch_with_its_key_is_appended_once_on_postgres() {
    a_retried_batch_with_its_key_is_appended_once(TestApp::new(Backend::Postgres).await).await;
}

//! The webhook client against a real HTTP receiver that checks signatures
//! with the official Standard Webhooks library (PyPI `standardwebhooks`,
//! tests/support/webhook_receiver.py): an implementation that is not ours.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use support::{free_port, python_with, wait_for, Server};
use thiqa_delivery::{signature_header, SendError, WebhookClient, WebhookSecret, WebhookSettings};

struct Receiver {
    _server: Server,
    _dir: tempfile::TempDir,
    log: PathBuf,
    base: String,
}

/// A receiver that knows `secret`; `None` (skipped) without python3.
fn receiver(secret: &WebhookSecret) -> Option<Receiver> {
    if !python_with("standardwebhooks", "standardwebhooks") {
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("log.jsonl");
    let server = Server::start(
        "webhook_receiver.py",
        &[&secret.as_text(), log.to_str().expect("utf-8 path")],
    );
    let base = format!("http://127.0.0.1:{}", server.ready_line);
    Some(Receiver {
        _server: server,
        _dir: dir,
        log,
        base,
    })
}

/// The receiver's log lines, once it holds `count` of them.
fn logged(log: &Path, count: usize) -> Vec<Value> {
    let lines = wait_for(Duration::from_secs(10), || {
        let text = std::fs::read_to_string(log).ok()?;
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        (lines.len() >= count).then_some(lines)
    });
    lines.unwrap_or_else(|| panic!("the receiver did not log {count} requests"))
}

fn logged_now(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn now_s() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    i64::try_from(secs).expect("in range")
}

/// reqwest as anyone would use it, to send what our client never would.
fn plain_http_client() -> reqwest::Client {
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .expect("client")
}

/// Tests post to 127.0.0.1 over http: private addresses allowed.
fn client(timeout: Duration) -> WebhookClient {
    WebhookClient::new(&WebhookSettings {
        timeout,
        allow_private: true,
    })
    .expect("client")
}

// UTF-8 in the body: signed and verified as bytes.
const BODY: &[u8] =
    r#"{"type":"incident.opened","data":{"id":7,"title":"Opération planifiée"}}"#.as_bytes();

/// `BODY` posted now to `url` as message `id`, signed with `secrets`.
async fn post(
    client: &WebhookClient,
    url: &str,
    id: &str,
    secrets: &[WebhookSecret],
) -> Result<(), SendError> {
    client.post(url, id, now_s(), BODY, secrets).await
}

#[tokio::test]
async fn the_reference_library_accepts_our_signature() {
    let secret = WebhookSecret::generate().expect("random");
    let Some(rx) = receiver(&secret) else { return };
    let url = format!("{}/hook?token=abc", rx.base);
    post(
        &client(Duration::from_secs(10)),
        &url,
        "msg_delivery-1",
        &[secret],
    )
    .await
    .expect("accepted");
    let log = logged(&rx.log, 1);
    assert_eq!(log[0]["ok"], true, "{log:?}");
    assert_eq!(log[0]["id"], "msg_delivery-1");
    assert_eq!(log[0]["content_type"], "application/json");
}

#[tokio::test]
async fn a_tampered_body_or_a_stale_timestamp_is_rejected_by_the_reference_library() {
    let secret = WebhookSecret::generate().expect("random");
    let Some(rx) = receiver(&secret) else { return };
    let now = now_s();
    // Signed for BODY, sent with another body.
    let signature = signature_header(std::slice::from_ref(&secret), "msg_2", now, BODY);
    let response = plain_http_client()
        .post(format!("{}/hook", rx.base))
        .header("webhook-id", "msg_2")
        .header("webhook-timestamp", now.to_string())
        .header("webhook-signature", signature)
        .header("content-type", "application/json")
        .body(r#"{"type":"incident.closed"}"#)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 400);
    let log = logged(&rx.log, 1);
    assert_eq!(log[0]["ok"], false);
    assert!(
        log[0]["error"]
            .as_str()
            .expect("error")
            .contains("No matching signature"),
        "{log:?}"
    );

    // An hour old: refused there, permanent here (HTTP 400).
    let error = client(Duration::from_secs(10))
        .post(
            &format!("{}/hook", rx.base),
            "msg_3",
            now - 3600,
            BODY,
            &[secret],
        )
        .await
        .expect_err("refused");
    assert!(
        matches!(error, SendError::Permanent(ref t) if t.contains("400")),
        "{error}"
    );
    let log = logged(&rx.log, 2);
    assert!(
        log[1]["error"].as_str().expect("error").contains("too old"),
        "{log:?}"
    );
}

#[tokio::test]
async fn during_a_rotation_a_receiver_knowing_only_the_new_secret_accepts() {
    let old = WebhookSecret::generate().expect("random");
    let new = WebhookSecret::generate().expect("random");
    let Some(rx) = receiver(&new) else { return };
    let client = client(Duration::from_secs(10));
    let url = format!("{}/hook", rx.base);
    post(&client, &url, "msg_4", &[new.clone(), old.clone()])
        .await
        .expect("accepted with both signatures");
    let error = post(&client, &url, "msg_5", &[old])
        .await
        .expect_err("old alone");
    assert!(matches!(error, SendError::Permanent(_)), "{error}");
    let log = logged(&rx.log, 2);
    assert_eq!(
        (log[0]["ok"].clone(), log[1]["ok"].clone()),
        (Value::Bool(true), Value::Bool(false))
    );
}

#[tokio::test]
async fn answers_map_to_transient_or_permanent_and_redirects_are_not_followed() {
    let secret = WebhookSecret::generate().expect("random");
    let Some(rx) = receiver(&secret) else { return };
    let client = client(Duration::from_secs(10));
    let secrets = [secret];
    let status = |code: u16| format!("{}/status/{code}", rx.base);
    for code in [408, 429, 500, 503] {
        let error = post(&client, &status(code), "msg_6", &secrets)
            .await
            .expect_err("failed");
        assert!(
            matches!(error, SendError::Transient(ref t) if t.contains(&code.to_string())),
            "{code}: {error}"
        );
    }
    for code in [302, 307, 400, 404, 410] {
        let error = post(&client, &status(code), "msg_6", &secrets)
            .await
            .expect_err("failed");
        assert!(
            matches!(error, SendError::Permanent(ref t) if t.contains(&code.to_string())),
            "{code}: {error}"
        );
    }
    let log = logged(&rx.log, 9);
    assert!(
        log.iter().all(|entry| entry["path"] != "/redirected"),
        "a redirect was followed: {log:?}"
    );
}

#[tokio::test]
async fn a_closed_port_and_a_slow_receiver_are_transient() {
    let secret = WebhookSecret::generate().expect("random");
    let closed = format!("http://127.0.0.1:{}/hook", free_port());
    let error = post(
        &client(Duration::from_secs(5)),
        &closed,
        "msg_7",
        std::slice::from_ref(&secret),
    )
    .await
    .expect_err("nothing listens");
    assert!(
        matches!(error, SendError::Transient(ref t) if t.contains("could not be reached")),
        "{error}"
    );

    let Some(rx) = receiver(&secret) else { return };
    let slow = format!("{}/slow?token=hidden-token", rx.base);
    let error = post(&client(Duration::from_secs(1)), &slow, "msg_8", &[secret])
        .await
        .expect_err("too slow");
    assert!(
        matches!(error, SendError::Transient(ref t) if t.contains("in time")),
        "{error}"
    );
    assert!(
        !error.to_string().contains("hidden-token"),
        "the URL leaked: {error}"
    );
}

#[tokio::test]
async fn without_allow_private_nothing_reaches_a_local_receiver() {
    let secret = WebhookSecret::generate().expect("random");
    let Some(rx) = receiver(&secret) else { return };
    let guarded = WebhookClient::new(&WebhookSettings::default()).expect("client");
    let port = rx.base.rsplit(':').next().expect("port").to_owned();
    for url in [
        format!("{}/hook", rx.base),
        format!("https://127.0.0.1:{port}/hook"),
        format!("https://[::ffff:127.0.0.1]:{port}/hook"),
        format!("https://localhost:{port}/hook"),
    ] {
        let error = post(&guarded, &url, "msg_9", std::slice::from_ref(&secret))
            .await
            .expect_err("refused");
        assert!(matches!(error, SendError::Permanent(_)), "{url}: {error}");
    }
    // The same receiver does answer a client allowed to reach it.
    let url = format!("{}/hook", rx.base);
    post(&client(Duration::from_secs(5)), &url, "msg_10", &[secret])
        .await
        .expect("accepted");
    let log = logged(&rx.log, 1);
    assert_eq!(log.len(), 1, "a guarded request got through: {log:?}");
    assert_eq!(log[0]["id"], "msg_10");
    assert_eq!(logged_now(&rx.log), 1);
}

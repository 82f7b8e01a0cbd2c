//! The mailer against a real SMTP server (aiosmtpd, tests/support), whose
//! Python e-mail parser reads back what was sent.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{free_port, python_with, wait_for, Server};
use tempfile::TempDir;
use thiqa_delivery::{Mail, Mailer, SendError, SmtpSecurity, SmtpSettings};

/// A running SMTP server on `port`, storing into a directory of its own;
/// `None` (skipped) without python3. `extra`: the script's options.
struct Relay {
    port: u16,
    dir: TempDir,
    server: Server,
}

impl Relay {
    fn start_on(port: u16, extra: &[&str]) -> Option<Relay> {
        if !python_with("aiosmtpd", "aiosmtpd") {
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let port_text = port.to_string();
        let mut args = vec![port_text.as_str(), dir.path().to_str().expect("utf-8 path")];
        args.extend_from_slice(extra);
        let server = Server::start("smtp_server.py", &args);
        Some(Relay { port, dir, server })
    }

    fn start() -> Option<Relay> {
        Relay::start_on(free_port(), &[])
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A mailer to this relay, `security` as given.
    fn mailer(&self, security: SmtpSecurity) -> Mailer {
        Mailer::new(&SmtpSettings {
            security,
            ..settings(self.port)
        })
        .expect("mailer")
    }
}

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "Thiqa <no-reply@example.ma>".into(),
        timeout: Duration::from_secs(5),
    }
}

fn mail(n: u32, to: &str) -> Mail {
    Mail {
        message_id: format!("delivery-{n}.notice-7@thiqa"),
        to: to.into(),
        to_name: Some("Amal El Idrissi".into()),
        subject: "Opération planifiée : maintenance de l’hyperviseur".into(),
        text: "Bonjour,\nune opération planifiée aura lieu le 12 décembre à 22 h.\n".into(),
        html:
            "<p>Bonjour,</p><p>une opération planifiée aura lieu le <b>12 décembre</b> à 22 h.</p>"
                .into(),
        language: "fr".into(),
    }
}

/// The parsed message number `n` (1 for the first) once the server stored it.
fn received(dir: &Path, n: u32) -> Value {
    let path = dir.join(format!("{n:06}.json"));
    let text = wait_for(Duration::from_secs(10), || {
        std::fs::read_to_string(&path).ok()
    })
    .unwrap_or_else(|| panic!("message {n} never arrived in {}", dir.display()));
    serde_json::from_str(&text).expect("json")
}

/// Files with extension `ext` the server stored.
fn stored_count(dir: &Path, ext: &str) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == ext))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_mail_arrives_with_both_parts_its_message_id_subject_and_language() {
    let Some(relay) = Relay::start() else { return };
    let mailer = relay.mailer(SmtpSecurity::None);

    let french = mail(42, "amal@example.ma");
    mailer.send(&french).await.expect("sent");
    let english = Mail {
        message_id: "delivery-43.notice-7@thiqa".into(),
        subject: "Planned operation".into(),
        text: "Hello".into(),
        html: "<p>Hello</p>".into(),
        language: "en".into(),
        to_name: None,
        ..mail(43, "omar@example.ma")
    };
    mailer.send(&english).await.expect("sent");

    let got = received(relay.path(), 1);
    assert_eq!(got["message_id"], "<delivery-42.notice-7@thiqa>");
    assert_eq!(got["subject"], french.subject.as_str());
    assert_eq!(got["content_language"], "fr");
    assert_eq!(got["content_type"], "multipart/alternative");
    assert_eq!(got["from"], "Thiqa <no-reply@example.ma>");
    assert_eq!(got["to"], "Amal El Idrissi <amal@example.ma>");
    assert_eq!(got["mail_from"], "no-reply@example.ma");
    assert_eq!(got["rcpt_tos"], serde_json::json!(["amal@example.ma"]));
    assert_eq!(got["ehlo"], "example.ma");
    let parts = got["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2, "{got}");
    assert_eq!(parts[0]["type"], "text/plain");
    assert_eq!(
        parts[0]["content"]
            .as_str()
            .map(|t| t.replace("\r\n", "\n"))
            .as_deref(),
        Some(french.text.as_str())
    );
    assert_eq!(parts[1]["type"], "text/html");
    assert!(
        parts[1]["content"]
            .as_str()
            .expect("html")
            .contains(&french.html),
        "{got}"
    );

    let got = received(relay.path(), 2);
    assert_eq!(got["message_id"], "<delivery-43.notice-7@thiqa>");
    assert_eq!(got["subject"], "Planned operation");
    assert_eq!(got["content_language"], "en");
    assert_eq!(got["to"], "omar@example.ma");
}

#[tokio::test]
async fn a_stopped_server_is_transient_and_a_restarted_one_receives() {
    let Some(relay) = Relay::start() else { return };
    let mailer = relay.mailer(SmtpSecurity::None);
    mailer
        .send(&mail(1, "amal@example.ma"))
        .await
        .expect("sent while up");
    received(relay.path(), 1);

    let port = relay.port;
    relay.server.stop();
    // The pooled connection is dead and nothing listens any more.
    match mailer.send(&mail(2, "amal@example.ma")).await {
        Err(SendError::Transient(text)) => {
            assert!(text.contains("could not be reached"), "{text}");
        }
        other => panic!("expected a transient failure, got {other:?}"),
    }

    let again = Relay::start_on(port, &[]).expect("python still there");
    mailer
        .send(&mail(2, "amal@example.ma"))
        .await
        .expect("sent after the restart");
    assert_eq!(
        received(again.path(), 1)["message_id"],
        "<delivery-2.notice-7@thiqa>"
    );
}

#[tokio::test]
async fn a_refused_recipient_is_permanent_a_deferred_one_transient() {
    let Some(relay) = Relay::start() else { return };
    let mailer = relay.mailer(SmtpSecurity::None);

    match mailer.send(&mail(1, "reject@example.ma")).await {
        Err(SendError::Permanent(text)) => assert!(text.contains("550"), "{text}"),
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    match mailer.send(&mail(2, "later@example.ma")).await {
        Err(SendError::Transient(text)) => assert!(text.contains("451"), "{text}"),
        other => panic!("expected a transient failure, got {other:?}"),
    }
    match mailer.send(&mail(3, "not an address")).await {
        Err(SendError::Permanent(text)) => {
            assert!(text.contains("not an e-mail address"), "{text}")
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    // The connection is still good after the refusals.
    mailer
        .send(&mail(4, "amal@example.ma"))
        .await
        .expect("sent");
    assert_eq!(
        received(relay.path(), 1)["message_id"],
        "<delivery-4.notice-7@thiqa>"
    );
    assert_eq!(stored_count(relay.path(), "json"), 1);
}

#[tokio::test]
async fn tls_settings_never_fall_back_to_clear_text() {
    // aiosmtpd here offers neither STARTTLS nor TLS.
    let Some(relay) = Relay::start() else { return };
    for security in [SmtpSecurity::StartTls, SmtpSecurity::Tls] {
        match relay
            .mailer(security)
            .send(&mail(1, "amal@example.ma"))
            .await
        {
            Err(SendError::Transient(_)) => {}
            other => panic!("{security:?}: expected a transient failure, got {other:?}"),
        }
    }
    let error = relay
        .mailer(SmtpSecurity::StartTls)
        .send(&mail(1, "amal@example.ma"))
        .await
        .expect_err("refused");
    assert!(error.message().contains("STARTTLS"), "{error}");
    assert_eq!(stored_count(relay.path(), "eml"), 0);
}

/// The outbox sends from several tasks at once; the pool keeps a few
/// connections open instead of one per message, and no message waits for a
/// delayed ACK (TCP_NODELAY, see src/smtp/pool.rs). Prints the rate reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_senders_share_a_few_pooled_connections() {
    const SENDERS: u32 = 8;
    const PER_SENDER: u32 = 100;
    const SEQUENTIAL: u32 = 50;
    let Some(relay) = Relay::start_on(free_port(), &["raw"]) else {
        return;
    };
    let mailer = Arc::new(relay.mailer(SmtpSecurity::None));

    // One sender, one connection: a Nagle stall would cost each message a
    // delayed-ACK period (40 ms on Linux), 2 s for these 50.
    let start = Instant::now();
    for n in 0..SEQUENTIAL {
        mailer
            .send(&mail(100_000 + n, "amal@example.ma"))
            .await
            .expect("sent");
    }
    let sequential = start.elapsed();
    println!("SMTP one sender: {SEQUENTIAL} messages in {sequential:.2?}");
    assert!(
        sequential < Duration::from_millis(1500),
        "{SEQUENTIAL} messages took {sequential:?}: stalled writes?"
    );

    let start = Instant::now();
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let mailer = Arc::clone(&mailer);
        tasks.push(tokio::spawn(async move {
            for i in 0..PER_SENDER {
                let n = sender * PER_SENDER + i;
                mailer
                    .send(&mail(n, "amal@example.ma"))
                    .await
                    .expect("sent");
            }
        }));
    }
    for task in tasks {
        task.await.expect("sender finished");
    }
    let elapsed = start.elapsed();
    let total = SENDERS * PER_SENDER;
    let rate = f64::from(total) / elapsed.as_secs_f64();
    println!("SMTP throughput: {total} messages from {SENDERS} concurrent senders in {elapsed:.2?}: {rate:.0} messages/s");

    assert_eq!(
        stored_count(relay.path(), "eml"),
        (total + SEQUENTIAL) as usize
    );
    let sessions: u32 = std::fs::read_to_string(relay.path().join("sessions"))
        .expect("sessions file")
        .trim()
        .parse()
        .expect("a number");
    assert!(
        sessions <= 2 * SENDERS,
        "{sessions} SMTP sessions for {total} messages: the pool is not reused"
    );
    // Several times 200 messages/s on a quiet machine (see the printed rate);
    // the floor is lower so that a CI busy with other suites does not fail.
    assert!(rate > 100.0, "only {rate:.0} messages/s");
}

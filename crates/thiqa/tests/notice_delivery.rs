//! A notice leaves `thiqa serve` through real receivers, and nothing is lost
//! on the way (issue 14).
//!
//! - `no_message_is_lost_when_the_relay_stops_or_the_server_is_killed`: a
//!   notice to a few hundred people is being sent to a real SMTP server
//!   (aiosmtpd) when that server is killed and, a moment later, started again
//!   on the same port; later `thiqa serve` itself is killed with SIGKILL
//!   mid-delivery and started again on the same data directory. In the end
//!   every expected recipient (the active portal readers of the two
//!   organisations holding a contract on the service, and their contracts'
//!   security and technical contacts) has the notice, nobody else has it,
//!   every copy a recipient got carries the same Message-ID (a duplicate is
//!   only ever a resend of the same delivery, with its idempotency key), the
//!   outbox holds nothing pending or dead-lettered, and the journal
//!   verifies.
//! - `webhooks_are_signed_and_a_tampered_body_fails`: the webhook call of a
//!   notice passes the official Standard Webhooks library's verification,
//!   says `notice.sent` with the notice's title, reaches only the
//!   organisation with a contract, and the same headers with an altered body
//!   are refused by that same receiver.
//!
//! Both need python3 with `aiosmtpd` and `standardwebhooks` (./scripts/test
//! installs them); without them they fail and say so.

// The provider, its commanditaires and the notice are set up through the
// store's tenant scopes, which the product itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod demo;
/// The Python servers of thiqa-delivery's own tests, started the same way.
#[path = "../../thiqa-delivery/tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use demo::{thiqa, Http};
use support::free_port;
use thiqa_domain::{OrganisationId, Permission, ProviderId, ServiceId, Tenant};
use thiqa_store::{
    Actor, Contact, DatabaseLocation, EventFilter, NewAccount, NewContract, NewNotice, NewService,
    OutboxCounts, Store,
};

/// Portal readers with an address in each organisation holding a contract:
/// enough that delivery is still going on when the relay and the server are
/// killed.
const MEMBERS: usize = 150;
/// Readers of the organisation without a contract: none may be written to.
const OUTSIDERS: usize = 20;
/// The sender's domain: the right-hand side of every Message-ID.
const FROM: &str = "Thiqa <no-reply@thiqa.test>";
const TITLE: &str = "Remplacement des contrôleurs de stockage";
/// Fixed test secret (32 bytes, 1 to 32): the endpoint's and the receiver's.
const WEBHOOK_SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

// ---------------------------------------------------------------------------
// The `thiqa` binary (`demo::thiqa`: without the developer's own `THIQA_*`
// settings).

fn ok(o: Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// A running `thiqa serve`, killed (SIGKILL) when dropped. Not
/// `demo::serve`: its settings are `THIQA_*` variables, and its stderr is
/// left to the test's (never a pipe that nobody reads while it logs).
struct Server {
    child: Child,
}

impl Server {
    /// Starts `thiqa serve` on `data` with `settings` as `THIQA_*` variables
    /// and waits until it serves.
    fn start(data: &Path, settings: &[(&str, String)]) -> Server {
        let mut command = thiqa();
        command
            .args(["serve", "--data-dir"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in settings {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("thiqa serve starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(
                Instant::now() < deadline,
                "thiqa serve did not announce its URLs"
            );
            let line = lines.next().expect("thiqa serve exited").unwrap();
            if line.starts_with("Operator console:") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Server { child }
    }

    /// SIGKILL (std's `Child::kill` on Unix): no shutdown code runs.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, as an administrator stops it, and waits for a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid} failed");
        let status = poll_until(Duration::from_secs(30), "thiqa serve to stop", || {
            self.child.try_wait().unwrap()
        });
        assert!(status.success(), "thiqa serve stopped with {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration the test's servers run with: quick retries and short
/// leases, so that the outage and the kill are ridden out in seconds.
fn delivery_settings(smtp_port: Option<u16>) -> Vec<(&'static str, String)> {
    let mut s = vec![
        ("THIQA_SMTP_FROM", FROM.to_string()),
        ("THIQA_OUTBOX_FIRST_RETRY_SECONDS", "1".to_string()),
        ("THIQA_OUTBOX_LEASE_SECONDS", "5".to_string()),
        // The receivers listen on 127.0.0.1 over plain HTTP.
        ("THIQA_WEBHOOKS_ALLOW_PRIVATE", "true".to_string()),
    ];
    if let Some(port) = smtp_port {
        s.push(("THIQA_SMTP_HOST", "127.0.0.1".to_string()));
        s.push(("THIQA_SMTP_PORT", port.to_string()));
        s.push(("THIQA_SMTP_SECURITY", "none".to_string()));
    }
    s
}

fn journal_verifies(data: &Path) {
    let out = ok(thiqa()
        .args(["journal", "verify", "--data-dir"])
        .arg(data)
        .output()
        .unwrap());
    assert!(out.starts_with("journal OK:"), "{out}");
    println!("{}", out.trim());
}

// ---------------------------------------------------------------------------
// Polling.

/// Waits until `ready()` gives a value; fails naming `what` after `limit`.
fn poll_until<T>(limit: Duration, what: &str, ready: impl FnMut() -> Option<T>) -> T {
    support::wait_for(limit, ready)
        .unwrap_or_else(|| panic!("waited {limit:?} for {what}, in vain"))
}

// ---------------------------------------------------------------------------
// The Python receivers.

/// Fails, saying what to install, when python3 or `module` is missing: these
/// tests prove delivery against independent, real implementations.
fn require_python(module: &str, package: &str) {
    assert!(
        support::python3_present(),
        "python3 is not installed: this test runs a real {package} server (./scripts/test installs what it needs)"
    );
    support::require_module(module, package);
}

/// The real SMTP server of thiqa-delivery's tests (aiosmtpd): one
/// `NNNNNN.json` per message accepted, written whole once the message is
/// there. Each run writes to a directory of its own (run-1, run-2…), as its
/// numbering starts again at 1; the port stays the same, as a relay's would.
struct Relay {
    port: u16,
    root: PathBuf,
    runs: usize,
    process: Option<support::Server>,
}

/// One message as the relay received it.
#[derive(Debug)]
struct Received {
    /// The envelope recipient, lower-cased.
    to: String,
    message_id: String,
}

impl Relay {
    fn start(root: &Path) -> Relay {
        let mut relay = Relay {
            port: free_port(),
            root: root.to_path_buf(),
            runs: 0,
            process: None,
        };
        relay.start_again();
        relay
    }

    /// A new run on the same port. The port was the killed run's a moment
    /// ago: tried again until the system lets it go.
    fn start_again(&mut self) {
        assert!(self.process.is_none(), "the relay is already running");
        self.runs += 1;
        let dir = self.root.join(format!("run-{}", self.runs));
        std::fs::create_dir_all(&dir).unwrap();
        let (port, dir) = (self.port.to_string(), dir.to_str().unwrap().to_string());
        let process = poll_until(Duration::from_secs(20), "the SMTP server to start", || {
            support::Server::try_start("smtp_server.py", &[&port, &dir]).ok()
        });
        self.process = Some(process);
    }

    /// SIGKILL: whatever it was doing is cut short.
    fn kill(&mut self) {
        self.process.take().expect("the relay is running").stop();
    }

    fn run_dirs(&self) -> impl Iterator<Item = PathBuf> + '_ {
        (1..=self.runs).map(|r| self.root.join(format!("run-{r}")))
    }

    /// Messages accepted so far, across runs (cheap: names only).
    fn count(&self) -> usize {
        self.run_dirs()
            .map(|d| {
                std::fs::read_dir(d)
                    .unwrap()
                    .filter(|e| {
                        e.as_ref()
                            .unwrap()
                            .file_name()
                            .to_string_lossy()
                            .ends_with(".json")
                    })
                    .count()
            })
            .sum()
    }

    /// Every message accepted so far, across runs.
    fn received(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for dir in self.run_dirs() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let summary: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                let rcpt: Vec<&str> = summary["rcpt_tos"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap())
                    .collect();
                // One message per recipient: nobody sees another's address.
                assert_eq!(rcpt.len(), 1, "{}: {rcpt:?}", path.display());
                out.push(Received {
                    to: rcpt[0].to_lowercase(),
                    message_id: summary["message_id"].as_str().unwrap().to_string(),
                });
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// What the provider and its commanditaires hold, written before the server
// starts.

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

async fn open_store(data: &Path) -> Store {
    Store::open(
        &DatabaseLocation::Sqlite {
            data_dir: data.to_path_buf(),
        },
        Arc::new(thiqa_domain::SystemClock),
    )
    .await
    .unwrap()
}

/// The outbox as the server left it. `Store::connect` (no migration) reads
/// beside a running server: SQLite in WAL mode lets a reader in.
fn outbox_counts(data: &Path) -> OutboxCounts {
    runtime().block_on(async {
        let store = Store::connect(
            &DatabaseLocation::Sqlite {
                data_dir: data.to_path_buf(),
            },
            Arc::new(thiqa_domain::SystemClock),
        )
        .await
        .unwrap();
        let counts = store.outbox_counts().await.unwrap();
        store.close().await;
        counts
    })
}

/// A provider with one service and three organisations.
struct World {
    provider: ProviderId,
    service: ServiceId,
    orgs: Vec<OrganisationId>,
}

async fn world(s: &Store, names: &[&str]) -> World {
    let cli = Actor::cli();
    let provider = s.create_provider("Nuage", &cli).await.unwrap();
    let p = s.provider(provider);
    let service = p
        .create_service(
            &NewService {
                name: "Stockage",
                description: "",
                model: "iaas",
                level: 2,
                facts_json: "{}",
            },
            &cli,
        )
        .await
        .unwrap();
    let mut orgs = Vec::new();
    for name in names {
        orgs.push(p.create_organisation(name, false, &cli).await.unwrap());
    }
    World {
        provider,
        service,
        orgs,
    }
}

async fn contract(
    s: &Store,
    w: &World,
    org: OrganisationId,
    reference: &str,
    contacts: &[(&str, &str)],
) {
    s.provider(w.provider)
        .create_contract(
            &NewContract {
                organisation: org,
                service: w.service,
                reference: reference.into(),
                level: 1,
                starts_on: "2020-01-01".into(),
                ends_on: None,
                sites: vec![],
                contacts: contacts
                    .iter()
                    .map(|(role, email)| Contact {
                        role: role.to_string(),
                        name: format!("Contact {role}"),
                        email: email.to_string(),
                    })
                    .collect(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
}

/// `count` members of `org` who read the portal, `m001@domain`…; their
/// addresses.
async fn portal_readers(s: &Store, org: OrganisationId, domain: &str, count: usize) -> Vec<String> {
    let t = s.tenant(Tenant::Organisation(org));
    let cli = Actor::cli();
    let role = t
        .create_role("Lecteur", "", &[Permission::PortalRead], false, &cli)
        .await
        .unwrap();
    let mut addresses = Vec::new();
    for i in 1..=count {
        let email = format!("m{i:03}@{domain}");
        let id = t
            .create_account(
                NewAccount {
                    username: format!("m{i:03}-{domain}"),
                    display_name: format!("Membre {i}"),
                    email: Some(email.clone()),
                    password_hash: None,
                    totp_secret: None,
                    // Both languages the messages are written in.
                    language: if i % 2 == 0 { "fr" } else { "en" }.into(),
                },
                &cli,
            )
            .await
            .unwrap();
        t.assign_role(id, role, &cli).await.unwrap();
        addresses.push(email);
    }
    addresses
}

/// Today (UTC, `YYYY-MM-DD`): the contracts in force today are reached.
fn today() -> String {
    thiqa_journal::Timestamp::from_system_time(std::time::SystemTime::now())
        .unwrap()
        .date()
}

fn notice(service: ServiceId) -> NewNotice {
    let now_ms = thiqa_domain::Clock::now_ms(&thiqa_domain::SystemClock);
    NewNotice {
        kind: "planned-operation".into(),
        title: TITLE.into(),
        fields: r#"{"nature":"Remplacement des contrôleurs, sans interruption attendue"}"#.into(),
        answer: "acknowledge".into(),
        answer_by: now_ms + 10 * 86_400_000,
        remind_at: now_ms + 9 * 86_400_000,
        authority: false,
        services: vec![service],
        everyone: false,
        today: today(),
    }
}

// ---------------------------------------------------------------------------

#[test]
fn no_message_is_lost_when_the_relay_stops_or_the_server_is_killed() {
    require_python("aiosmtpd", "aiosmtpd");
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    // A and B hold a contract on the service, C none.
    let (expected, outsiders) = runtime().block_on(async {
        let s = open_store(&data).await;
        let w = world(&s, &["Banque A", "Office B", "Agence C"]).await;
        let (a, b, c) = (w.orgs[0], w.orgs[1], w.orgs[2]);
        let mut expected = BTreeSet::new();
        expected.extend(portal_readers(&s, a, "a.test", MEMBERS).await);
        expected.extend(portal_readers(&s, b, "b.test", MEMBERS).await);
        let outsiders: BTreeSet<String> = portal_readers(&s, c, "c.test", OUTSIDERS)
            .await
            .into_iter()
            .collect();
        // A's technical contact is also a member, written differently: one
        // message for that person. Billing contacts are not told.
        contract(
            &s,
            &w,
            a,
            "A-1",
            &[
                ("security", "rssi@a.test"),
                ("technical", "M001@A.TEST"),
                ("billing", "factures@a.test"),
            ],
        )
        .await;
        contract(
            &s,
            &w,
            b,
            "B-1",
            &[("security", "soc@b.test"), ("billing", "factures@b.test")],
        )
        .await;
        expected.extend(["rssi@a.test".to_string(), "soc@b.test".to_string()]);
        let sent = s
            .provider(w.provider)
            .send_notice(&notice(w.service), &Actor::cli())
            .await
            .unwrap();
        assert_eq!(sent.organisations, 2);
        assert_eq!(sent.messages as usize, expected.len());
        s.close().await;
        (expected, outsiders)
    });
    println!(
        "{} messages queued: {MEMBERS} readers in each of A and B, their 2 security \
         contacts (A's technical contact is a reader: once); set up in {:.1?}",
        expected.len(),
        started.elapsed()
    );

    let mut relay = Relay::start(&dir.path().join("relay"));
    let settings = delivery_settings(Some(relay.port));
    let server = Server::start(&data, &settings);

    // The relay dies mid-delivery: the sender's pooled connections break
    // and every message tried meanwhile must wait for a retry.
    poll_until(Duration::from_secs(60), "the first messages", || {
        Some(relay.count()).filter(|&n| n >= 20)
    });
    relay.kill();
    let at_outage = relay.count();
    // The outage lasts long enough for the sender to fail on every
    // connection it holds and on new ones (first retry after 1 s).
    std::thread::sleep(Duration::from_millis(1500));
    relay.start_again();

    // Once delivery has resumed, thiqa serve dies with SIGKILL: the batch
    // it was sending is never recorded as sent.
    let at_kill = poll_until(Duration::from_secs(60), "delivery to resume", || {
        Some(relay.count()).filter(|&n| n >= at_outage + 20)
    });
    server.kill();
    assert!(
        at_kill < expected.len(),
        "delivery was over before the kill ({at_kill} messages): raise MEMBERS so that the kill happens mid-delivery"
    );
    println!(
        "relay killed after {at_outage} messages accepted, thiqa serve killed after {at_kill}"
    );

    // Started again on the same data directory: it sends what is left,
    // and again what the killed one had leased once its lease runs out.
    let restarted = Instant::now();
    let server = Server::start(&data, &settings);
    poll_until(
        Duration::from_secs(120),
        "every expected recipient to have the notice",
        || {
            let reached: BTreeSet<String> = relay.received().into_iter().map(|r| r.to).collect();
            expected.is_subset(&reached).then_some(())
        },
    );
    // Every outcome recorded before the server stops: nothing pending.
    poll_until(
        Duration::from_secs(60),
        "the outbox to have nothing pending",
        || (outbox_counts(&data).pending == 0).then_some(()),
    );
    println!(
        "every recipient reached {:.1?} after the restart",
        restarted.elapsed()
    );
    server.stop();
    relay.kill();

    // Exactly the expected recipients; every copy one got carries one and
    // the same Message-ID, and no two recipients share one.
    let received = relay.received();
    let mut ids_by_recipient: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &received {
        ids_by_recipient
            .entry(&r.to)
            .or_default()
            .insert(&r.message_id);
    }
    let reached: BTreeSet<String> = ids_by_recipient.keys().map(|k| k.to_string()).collect();
    assert_eq!(reached, expected, "recipients differ from those expected");
    assert!(reached.is_disjoint(&outsiders));
    for (to, ids) in &ids_by_recipient {
        assert_eq!(ids.len(), 1, "{to} got different Message-IDs: {ids:?}");
        let id = ids.first().unwrap();
        assert!(
            id.starts_with("<delivery-") && id.ends_with("@thiqa.test>") && id.contains(".notice-"),
            "{to}: {id}"
        );
    }
    let distinct: BTreeSet<&str> = ids_by_recipient.values().flatten().copied().collect();
    assert_eq!(
        distinct.len(),
        expected.len(),
        "recipients share a Message-ID"
    );
    let duplicates = received.len() - expected.len();
    let resent_to = ids_by_recipient
        .iter()
        .filter(|(to, _)| received.iter().filter(|r| &r.to == *to).count() > 1)
        .count();
    println!(
        "{} messages received for {} recipients: {duplicates} duplicates (to {resent_to} recipients, same Message-ID each), across {} relay runs",
        received.len(),
        expected.len(),
        relay.runs
    );

    // The outbox, read once the server has stopped: all sent, none given
    // up; each delivery journaled as sent once, and the relay's outage
    // felt (retries), not slipped through.
    let (counts, sent_events, retry_events) = runtime().block_on(async {
        let s = open_store(&data).await;
        let counts = s.outbox_counts().await.unwrap();
        let events = s
            .events(&EventFilter {
                action_prefix: Some("delivery.".into()),
                limit: 10_000,
                ..EventFilter::default()
            })
            .await
            .unwrap();
        s.close().await;
        let count = |action: &str| events.iter().filter(|e| e.action == action).count();
        (counts, count("delivery.sent"), count("delivery.retry"))
    });
    println!(
        "outbox: {} sent, {} pending, {} dead; journal: {sent_events} delivery.sent, \
         {retry_events} delivery.retry",
        counts.sent, counts.pending, counts.dead
    );
    assert_eq!(
        (counts.pending, counts.dead, counts.sent as usize),
        (0, 0, expected.len())
    );
    assert_eq!(sent_events, expected.len());
    assert!(
        retry_events > 0,
        "no message was retried: the relay's outage went unnoticed"
    );
    journal_verifies(&data);
    println!("total {:.1?}", started.elapsed());
}

// ---------------------------------------------------------------------------

/// One call as the receiver logged it.
fn webhook_calls(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn webhooks_are_signed_and_a_tampered_body_fails() {
    require_python("standardwebhooks", "standardwebhooks");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("webhooks.jsonl");
    let receiver = poll_until(
        Duration::from_secs(30),
        "the webhook receiver to start",
        || {
            support::Server::try_start(
                "webhook_receiver.py",
                &[WEBHOOK_SECRET, log.to_str().unwrap()],
            )
            .ok()
        },
    );
    let port: u16 = receiver.ready_line.parse().unwrap();

    // A holds a contract and an endpoint (/a); C an endpoint (/c) and no
    // contract. Neither has anyone to e-mail: the webhook is the only
    // message.
    let notice_id = runtime().block_on(async {
        let s = open_store(&data).await;
        let w = world(&s, &["Banque A", "Agence C"]).await;
        let (a, c) = (w.orgs[0], w.orgs[1]);
        contract(&s, &w, a, "A-1", &[("billing", "factures@a.test")]).await;
        for (org, path) in [(a, "a"), (c, "c")] {
            s.tenant(Tenant::Organisation(org))
                .add_webhook(
                    &format!("http://127.0.0.1:{port}/{path}"),
                    WEBHOOK_SECRET,
                    &Actor::cli(),
                )
                .await
                .unwrap();
        }
        let sent = s
            .provider(w.provider)
            .send_notice(&notice(w.service), &Actor::cli())
            .await
            .unwrap();
        assert_eq!((sent.organisations, sent.messages), (1, 1));
        s.close().await;
        sent.id
    });

    let server = Server::start(&data, &delivery_settings(None));
    let call = poll_until(Duration::from_secs(60), "the webhook call", || {
        webhook_calls(&log).into_iter().next()
    });
    let counts = poll_until(Duration::from_secs(30), "the call to be recorded", || {
        let c = outbox_counts(&data);
        (c.pending == 0).then_some(c)
    });
    server.stop();
    assert_eq!((counts.sent, counts.dead), (1, 0));

    // The reference library verified it, and it says what was sent.
    assert_eq!(call["path"], "/a", "{call}");
    assert_eq!(call["ok"], true, "{call}");
    assert_eq!(call["content_type"], "application/json", "{call}");
    let body = call["body"].as_str().unwrap();
    let payload: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["type"], "notice.sent", "{payload}");
    assert_eq!(payload["data"]["title"], TITLE, "{payload}");
    assert_eq!(payload["data"]["notice_id"], notice_id.0, "{payload}");
    // C, without a contract, was not called.
    assert_eq!(webhook_calls(&log).len(), 1);

    // The same headers: accepted with the body signed, refused with any
    // other. The control shows that the refusal is the body's, not a stale
    // timestamp's.
    let headers = [
        ("Content-Type", "application/json"),
        ("webhook-id", call["id"].as_str().unwrap()),
        (
            "webhook-timestamp",
            call["webhook_timestamp"].as_str().unwrap(),
        ),
        (
            "webhook-signature",
            call["webhook_signature"].as_str().unwrap(),
        ),
    ];
    // The receiver, as a plain HTTP client reaches it.
    let mut http = Http::new(&format!("127.0.0.1:{port}"));
    let mut post = |body: &str| http.send("POST", "/a", &headers, body.as_bytes()).status;
    assert_eq!(post(body), 204);
    let tampered = body.replace(TITLE, "Rien à signaler");
    assert_ne!(tampered, body);
    assert_eq!(post(&tampered), 400);
    let calls = webhook_calls(&log);
    let refusal = calls.last().unwrap();
    assert_eq!(refusal["ok"], false, "{refusal}");
    println!(
        "webhook {} verified by standardwebhooks; tampered body refused: {}",
        call["id"], refusal["error"]
    );
    journal_verifies(&data);
}

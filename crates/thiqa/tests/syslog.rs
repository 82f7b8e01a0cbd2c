//! Syslog intake as a provider's firewall would use it: `openssl s_client`
//! (a real TLS peer) sends octet-counted RFC 5424 messages with the client
//! certificate pinned to an event source; they become that source's journal
//! events, a malformed one is refused and journaled, an unknown certificate
//! gets nothing in, and the journal still verifies.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SOURCE: &str = "fw/edge-01";

fn thiqa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thiqa"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("THIQA_")) {
        c.env_remove(k);
    }
    c.env("RUST_LOG", "warn");
    c
}

fn ok(o: Output) -> (String, String) {
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(o.status.success(), "{out}\n{err}");
    (out, err)
}

/// A self-signed EC certificate and key, `<name>.pem` and `<name>.key`.
fn certificate(dir: &Path, name: &str) {
    ok(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", &format!("/CN={name}")])
        .args([
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ])
        .current_dir(dir)
        .output()
        .expect("openssl is installed"));
}

/// Sends `frames` over TLS with the client certificate `name`, then closes.
fn send(dir: &Path, addr: &str, name: &str, frames: &[String]) {
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", addr, "-quiet", "-no_ign_eof"])
        .args([
            "-cert",
            &format!("{name}.pem"),
            "-key",
            &format!("{name}.key"),
        ])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for f in frames {
        // Octet counting (RFC 5425): MSG-LEN SP SYSLOG-MSG.
        write!(stdin, "{} {f}", f.len()).unwrap();
    }
    drop(stdin);
    let _ = child.wait();
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The events of the journal, decoded (payloads of every leaf).
fn journal(data: &Path) -> Vec<thiqa_journal::Event> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = thiqa_store::Store::open(
            &thiqa_store::DatabaseLocation::Sqlite {
                data_dir: data.to_path_buf(),
            },
            Arc::new(thiqa_domain::SystemClock),
        )
        .await
        .unwrap();
        let size = store.journal_head().await.unwrap().size;
        let leaves = store.journal_leaves(0, size).await.unwrap();
        store.close().await;
        leaves
            .iter()
            .map(|l| thiqa_journal::Event::from_leaf(&l.leaf).unwrap())
            .collect()
    })
}

#[test]
fn syslog_messages_over_tls_become_events_of_the_pinned_source() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("data");
    for name in ["server", "firewall", "stranger"] {
        certificate(d, name);
    }
    let mut op = thiqa()
        .args(["operator", "create", "--data-dir", data.to_str().unwrap()])
        .args(["--username", "amal", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(op.stdin.take().unwrap(), "Vert-olivier-sous-la-pluie-7").unwrap();
    ok(op.wait_with_output().unwrap());
    let (_, err) = ok(thiqa()
        .args([
            "journal",
            "source",
            "create",
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .args(["--name", SOURCE, "--tls-client-cert", "firewall.pem"])
        .current_dir(d)
        .output()
        .unwrap());
    assert!(err.contains("certificate pinned: sha256 "), "{err}");
    std::fs::write(
        d.join("thiqa.toml"),
        "[syslog]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"server.pem\"\ntls_key = \"server.key\"\n",
    )
    .unwrap();
    let mut child = thiqa()
        .args([
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--config",
            "thiqa.toml",
        ])
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        assert!(Instant::now() < deadline, "no syslog listener announced");
        let line = lines.next().expect("server exited").unwrap();
        if let Some(rest) = line.strip_prefix("Syslog intake:") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    let day = yesterday();
    let frames = [
        format!("<38>1 {day}T08:00:01.250Z edge-01 sshd 811 AUTH [thiqa@32473 actor=\"root\" outcome=\"failure\"] Failed password for root from 203.0.113.9"),
        format!("<134>1 {day}T08:00:02Z edge-01 filterlog - - [rule@32473 id=\"17\" action=\"block\"] blocked tcp 198.51.100.4:445"),
        "<12>Nov 29 08:00:03 edge-01 kernel: a BSD message, not RFC 5424".to_string(),
        format!("<165>1 {day}T09:00:04+01:00 edge-01 kvm - - [thiqa@32473 type=\"vm.snapshot.delete\" target=\"vm-42\"] snapshot removed"),
    ];
    send(d, &addr, "firewall", &frames);
    send(
        d,
        &addr,
        "stranger",
        &[format!(
            "<38>1 {day}T08:00:05Z x y - - - from an unknown certificate"
        )],
    );
    // Both connections are closed; their batches are written on close.
    let deadline = Instant::now() + Duration::from_secs(20);
    let events = loop {
        let events = journal(&data);
        let refused = events.iter().any(|e| e.action == "journal.syslog.refused");
        if events.iter().filter(|e| e.source == SOURCE).count() >= 3 && refused {
            break events;
        }
        assert!(Instant::now() < deadline, "syslog events did not arrive");
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(server);

    let from_firewall: Vec<_> = events.iter().filter(|e| e.source == SOURCE).collect();
    assert_eq!(from_firewall.len(), 3, "the BSD message is not stored");
    let ssh = from_firewall[0];
    assert_eq!(ssh.action, "syslog.sshd.AUTH");
    assert_eq!(ssh.severity.code(), 6);
    assert_eq!(ssh.actor, "root");
    assert_eq!(ssh.attributes["facility"], "4");
    assert!(ssh.attributes["message"].contains("203.0.113.9"));
    assert_eq!(from_firewall[1].attributes["rule@32473.action"], "block");
    assert_eq!(from_firewall[2].action, "vm.snapshot.delete");
    assert_eq!(from_firewall[2].target, "vm-42");
    // The source's time, in UTC; the receipt time beside it.
    assert_eq!(
        from_firewall[2].event_time.to_string(),
        format!("{day}T08:00:04.000Z")
    );
    assert!(from_firewall[2].received_time > from_firewall[2].event_time);
    let rejected = events
        .iter()
        .find(|e| e.action == "journal.syslog.rejected")
        .expect("the refused message is journaled");
    assert!(
        rejected.attributes.values().any(|v| v.contains("RFC 5424"))
            || format!("{rejected:?}").contains("RFC 5424"),
        "{rejected:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| format!("{e:?}").contains("unknown certificate\"") && e.source != "thiqa"),
        "nothing from the stranger"
    );
    assert!(!events.iter().any(|e| e
        .attributes
        .values()
        .any(|v| v.contains("from an unknown certificate"))));

    let (out, _) = ok(thiqa()
        .args(["journal", "verify", "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap());
    assert!(out.starts_with("journal OK:"), "{out}");
}

/// Yesterday's date (UTC): event times near now, which the intake's time
/// window (retention behind, a little skew ahead) accepts on any test date.
fn yesterday() -> String {
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    thiqa_journal::Timestamp::from_system_time(day_ago)
        .unwrap()
        .date()
}

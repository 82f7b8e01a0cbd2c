//! Intake survives a crash: batches stream into `thiqa serve` from a plain
//! HTTP client while the server is killed with SIGKILL; after a restart
//! every acknowledged batch is in the journal, whole and at the indexes its
//! answer gave, and `thiqa journal verify` passes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SOURCE: &str = "hv/kill-test";
const EVENTS_PER_BATCH: usize = 400;
/// Clients streaming at once, so that requests are in flight at the kill.
const CLIENTS: usize = 3;

fn thiqa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thiqa"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("THIQA_")) {
        c.env_remove(k);
    }
    c.env("RUST_LOG", "warn");
    c
}

fn ok(o: Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn create_operator(data: &str) {
    let mut child = thiqa()
        .args(["operator", "create", "--data-dir", data])
        .args(["--username", "amal", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "Vert-olivier-sous-la-pluie-7").unwrap();
    ok(child.wait_with_output().unwrap());
}

/// A running server and its console address (host:port).
struct Server {
    child: Child,
    console: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &str) -> Server {
    let mut child = thiqa()
        .args(["serve", "--data-dir", data])
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let console = loop {
        assert!(
            Instant::now() < deadline,
            "server did not announce its URLs"
        );
        let line = lines.next().expect("server exited").unwrap();
        if let Some(u) = line.strip_prefix("Operator console:") {
            break u.trim().trim_start_matches("http://").to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, console }
}

/// One HTTP/1.1 request on a fresh connection; the status and body, or an
/// I/O error when the server is gone.
/// `awaiting` counts requests sent whole and not yet answered.
fn request(
    addr: &str,
    head: &str,
    body: &[u8],
    awaiting: &AtomicUsize,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut text = String::new();
    awaiting.fetch_add(1, Ordering::SeqCst);
    let read = s.read_to_string(&mut text);
    awaiting.fetch_sub(1, Ordering::SeqCst);
    read?;
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line: {text:?}")))?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, body.to_string()))
}

fn post_batch(
    addr: &str,
    token: &str,
    body: &[u8],
    awaiting: &AtomicUsize,
) -> std::io::Result<(u16, String)> {
    let head = format!(
        "POST /api/v1/journal/intake HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    request(addr, &head, body, awaiting)
}

/// Batch `k`: its events say which batch and position they are.
fn batch(k: usize) -> Vec<u8> {
    let day = yesterday();
    let mut out = Vec::new();
    for i in 0..EVENTS_PER_BATCH {
        writeln!(
            out,
            r#"{{"time":"{day}T10:11:12.{:03}Z","type":"vm.migrate","severity":"notice","actor":"scheduler","target":"vm-{i}","attributes":{{"batch":"{k}","seq":"{i}"}}}}"#,
            i % 1000
        )
        .unwrap();
    }
    out
}

/// An acknowledged batch: its number and the answer's range.
#[derive(Debug, Clone, Copy)]
struct Ack {
    batch: usize,
    first: u64,
    last: u64,
    count: u64,
}

/// `None` when the answer was cut short (the server died while writing it):
/// a client cannot count that as an acknowledgement.
fn ack_of(batch: usize, body: &str) -> Option<Ack> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    Some(Ack {
        batch,
        first: v["first_index"].as_u64()?,
        last: v["last_index"].as_u64()?,
        count: v["count"].as_u64()?,
    })
}

#[test]
fn sigkill_while_batches_stream_in_loses_no_acknowledged_batch() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = dir.path().join("data");
    let data = data_path.to_str().unwrap();
    create_operator(data);
    let token = ok(thiqa()
        .args([
            "journal",
            "source",
            "create",
            "--data-dir",
            data,
            "--name",
            SOURCE,
        ])
        .output()
        .unwrap());
    let token = token.trim().to_string();
    assert!(token.starts_with("thq_"), "{token}");

    let mut server = start(data);
    let acks = Arc::new(Mutex::new(Vec::<Ack>::new()));
    let refusals = Arc::new(Mutex::new(Vec::<String>::new()));
    let awaiting = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (addr, token) = (server.console.clone(), token.clone());
            let (acks, refusals) = (acks.clone(), refusals.clone());
            let awaiting = awaiting.clone();
            std::thread::spawn(move || {
                let mut sent = 0;
                loop {
                    let k = sent * CLIENTS + client;
                    sent += 1;
                    match post_batch(&addr, &token, &batch(k), &awaiting) {
                        Ok((200, body)) => match ack_of(k, &body) {
                            Some(ack) => acks.lock().unwrap().push(ack),
                            None => break,
                        },
                        Ok((status, body)) => {
                            refusals.lock().unwrap().push(format!("{status} {body}"))
                        }
                        // The server is gone (killed mid-request, or refusing
                        // connections): this batch was never acknowledged.
                        Err(_) => break,
                    }
                }
                sent
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acks.lock().unwrap().len() < 10 || awaiting.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "batches are not acknowledged");
        std::thread::yield_now();
    }
    // SIGKILL (std's Child::kill on Unix) while requests are in flight.
    let in_flight = awaiting.load(Ordering::SeqCst);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let sent: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
    let acks = acks.lock().unwrap().clone();
    assert!(
        refusals.lock().unwrap().is_empty(),
        "{:?}",
        refusals.lock().unwrap()
    );
    eprintln!(
        "SIGKILL after {} acknowledged batches ({} events), {in_flight} awaiting an answer; {sent} batches sent",
        acks.len(),
        acks.len() * EVENTS_PER_BATCH
    );
    assert!(
        acks.len() >= 10 && sent > acks.len(),
        "{sent} sent, {} acknowledged",
        acks.len()
    );

    // Restart on the same data directory: it serves and appends after
    // everything acknowledged.
    let server = start(data);
    let idle = AtomicUsize::new(0);
    let (status, _) = request(
        &server.console,
        &format!(
            "GET /readyz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.console
        ),
        b"",
        &idle,
    )
    .unwrap();
    assert_eq!(status, 200);
    let last = 1_000_000;
    let (status, body) = post_batch(&server.console, &token, &batch(last), &idle).unwrap();
    assert_eq!(status, 200, "{body}");
    let after = ack_of(last, &body).unwrap();
    assert!(acks.iter().all(|a| a.last < after.first));
    drop(server);

    // Every acknowledged batch is there, whole, where its answer said.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = thiqa_store::Store::open(
            &thiqa_store::DatabaseLocation::Sqlite {
                data_dir: data_path.clone(),
            },
            Arc::new(thiqa_domain::SystemClock),
        )
        .await
        .unwrap();
        for a in acks.iter().chain([&after]) {
            assert_eq!(a.count, EVENTS_PER_BATCH as u64);
            assert_eq!(a.last - a.first + 1, a.count);
            let leaves = store.journal_leaves(a.first, a.count).await.unwrap();
            assert_eq!(leaves.len() as u64, a.count, "batch {} lost rows", a.batch);
            for (i, leaf) in leaves.iter().enumerate() {
                let e = thiqa_journal::Event::from_leaf(&leaf.leaf).unwrap();
                assert_eq!(e.source, SOURCE);
                assert_eq!(e.attributes["batch"], a.batch.to_string());
                assert_eq!(e.attributes["seq"], i.to_string());
            }
        }
        store.close().await;
    });

    // The journal verifies after the crash.
    ok(thiqa()
        .args(["journal", "checkpoint", "--data-dir", data])
        .output()
        .unwrap());
    let out = ok(thiqa()
        .args(["journal", "verify", "--data-dir", data])
        .output()
        .unwrap());
    assert!(out.starts_with("journal OK:"), "{out}");
    eprintln!("{}", out.trim());
}

/// Yesterday's date (UTC): event times near now, which the intake's time
/// window (retention behind, a little skew ahead) accepts on any test date.
fn yesterday() -> String {
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    thiqa_journal::Timestamp::from_system_time(day_ago)
        .unwrap()
        .date()
}

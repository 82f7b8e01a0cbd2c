//! `thiqa bench console`: load on a session-authenticated console page by
//! concurrent keep-alive clients against a real `thiqa serve` child process,
//! with its idle and loaded resident memory. Password hashing is excluded:
//! the session is created directly in the benchmark's own data directory.

use std::io::{BufRead, BufReader};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use thiqa_crypto::token::Token;
use thiqa_domain::{Directory, SystemClock, Tenant};
use thiqa_server::bootstrap::{role_by_name, seed_tenant, PROVIDER_ADMIN_ROLE};
use thiqa_store::{Actor, DatabaseLocation, NewAccount, SessionPolicy, Store};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as TokioBufReader};
use tokio::net::TcpStream;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Concurrent clients, each on its own keep-alive connection.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Seconds of measured load (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Console page to request.
    #[arg(long, default_value = "/me")]
    page: String,
}

pub async fn console(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("thiqa-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let token = prepare(&dir).await?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--data-dir"])
        .arg(&dir)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting thiqa serve")?;
    let pid = child.id();
    let mut lines =
        BufReader::new(child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?).lines();
    let mut console = None;
    for line in lines.by_ref() {
        if let Some(url) = line?.strip_prefix("Operator console:") {
            console = Some(url.trim().trim_start_matches("http://").to_string());
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let addr = console.ok_or_else(|| anyhow!("the server did not start"))?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = rss_kib(pid)?;
    // The load generator runs on one thread of its own (like `wrk -t1`), so
    // it takes at most one of the machine's cores from the server.
    let result = {
        let (addr, token, clients, seconds, page) = (
            addr.clone(),
            token.clone(),
            args.clients,
            args.seconds,
            args.page.clone(),
        );
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(load(&addr, &token, clients, seconds, &page))
        })
        .join()
        .map_err(|_| anyhow!("the load generator panicked"))?
    };
    let loaded_rss = rss_kib(pid)?;
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let (mut latencies, elapsed, errors) = result?;
    if latencies.is_empty() {
        bail!("no request succeeded");
    }
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let rps = latencies.len() as f64 / elapsed.as_secs_f64();
    println!(
        "thiqa bench console: GET {} with a signed operator session, {} clients, {} s",
        args.page, args.clients, args.seconds
    );
    println!("  requests       {} ({} errors)", latencies.len(), errors);
    println!("  throughput     {rps:.0} requests/s   (target > 5000)");
    println!(
        "  latency        p50 {:.2} ms   p95 {:.2} ms   p99 {:.2} ms   max {:.2} ms   (target p99 < 5 ms)",
        ms(pct(0.50)),
        ms(pct(0.95)),
        ms(pct(0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO))
    );
    println!(
        "  resident       idle {:.1} MB   after load {:.1} MB   (target idle < 50 MB)",
        idle_rss as f64 / 1024.0,
        loaded_rss as f64 / 1024.0
    );
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// An operator with a complete (second factor passed) session.
async fn prepare(dir: &std::path::Path) -> anyhow::Result<String> {
    let store = Store::open(
        &DatabaseLocation::Sqlite {
            data_dir: dir.to_path_buf(),
        },
        Arc::new(SystemClock),
    )
    .await?;
    let actor = Actor::system();
    let provider = Tenant::Provider(store.create_provider("Bench", &actor).await?);
    seed_tenant(&store, provider, &actor).await?;
    let id = store
        .create_account(
            Directory::Operators,
            NewAccount {
                tenant: provider,
                username: "bench".into(),
                display_name: "Bench".into(),
                email: None,
                password_hash: None,
                totp_secret: None,
                language: "fr".into(),
            },
            &actor,
        )
        .await?;
    let role = role_by_name(&store, provider, PROVIDER_ADMIN_ROLE)
        .await?
        .ok_or_else(|| anyhow!("role"))?;
    store.assign_role(provider, id, role, &actor).await?;
    let token = Token::generate()?;
    store
        .create_session(
            Directory::Operators,
            id,
            token.hash().as_str(),
            "csrf",
            true,
            SessionPolicy::default(),
            None,
            None,
        )
        .await?;
    store.close().await;
    Ok(token.expose().to_string())
}

async fn load(
    addr: &str,
    token: &str,
    clients: usize,
    seconds: u64,
    page: &str,
) -> anyhow::Result<(Vec<Duration>, Duration, usize)> {
    let request =
        format!("GET {page} HTTP/1.1\r\nHost: {addr}\r\nCookie: thiqa_console={token}\r\n\r\n");
    let warmup = Duration::from_secs(1);
    let measured = Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (addr, request) = (addr.to_string(), request.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let stream = TcpStream::connect(&addr).await?;
            stream.set_nodelay(true)?;
            let (read, mut write) = stream.into_split();
            let mut reader = TokioBufReader::new(read);
            let mut body = Vec::new();
            while start.elapsed() < warmup + measured {
                let t0 = Instant::now();
                write.write_all(request.as_bytes()).await?;
                let status = read_response(&mut reader, &mut body).await?;
                if t0.duration_since(start) >= warmup {
                    if status == 200 {
                        latencies.push(t0.elapsed());
                    } else {
                        errors += 1;
                    }
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await??;
        all.extend(l);
        errors += e;
    }
    Ok((all, measured, errors))
}

/// Reads one HTTP/1.1 response (Content-Length bodies); returns the status.
async fn read_response<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    body: &mut Vec<u8>,
) -> anyhow::Result<u16> {
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line: {line}"))?;
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse()?;
            }
        }
    }
    body.resize(length, 0);
    reader.read_exact(body).await?;
    Ok(status)
}

/// Resident set size of a process, from /proc (Linux).
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("no VmRSS for {pid}"))
}

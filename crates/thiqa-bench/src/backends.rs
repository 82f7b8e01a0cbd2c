//! `thiqa-bench backends`: the console's `/me` and the assessment page of a
//! fully assessed service, at 20 and 50 clients, on SQLite and on
//! PostgreSQL in one run, each PostgreSQL figure beside SQLite's (issue 13's
//! target: PostgreSQL at least half of SQLite's throughput at both
//! concurrencies, p99 under 10 ms at 20 clients).
//!
//! Each backend gets the same fixture (one provider, an operator with a
//! complete session, a service with every applicable obligation assessed)
//! and its own `thiqa serve` child; PostgreSQL's is a fresh database made
//! with `psql` on the server named by `--postgres-url`.

use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context};
use thiqa_store::DatabaseLocation;

use crate::load::{load, on_own_thread, Figures};
use crate::pages::{assessed_service, bench_dir, get_text, prepare_at, Server, COMPLIANCE_ROLES};

#[derive(clap::Args)]
pub struct BackendsArgs {
    /// Seconds of measured load per page, concurrency and backend (after
    /// one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// PostgreSQL server on which a fresh database is created (and dropped
    /// at the end); the URL names an existing database to connect to first.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
}

const CONCURRENCIES: [usize; 2] = [20, 50];

/// One backend's figures: (page, clients) → figures.
struct Run {
    name: &'static str,
    figures: Vec<(String, usize, Figures)>,
}

pub async fn backends(args: BackendsArgs) -> anyhow::Result<ExitCode> {
    let dir = bench_dir(None, "backends")?;
    let database = format!("thiqa_bench_{}", std::process::id());
    let result = backends_in(&dir, &args, &database).await;
    let _ = std::fs::remove_dir_all(&dir);
    let _ = psql(
        &args.postgres_url,
        &format!("DROP DATABASE IF EXISTS {database}"),
    );
    result
}

async fn backends_in(
    dir: &std::path::Path,
    args: &BackendsArgs,
    database: &str,
) -> anyhow::Result<ExitCode> {
    psql(&args.postgres_url, &format!("CREATE DATABASE {database}"))?;
    let postgres_url = with_database(&args.postgres_url, database)?;
    let sqlite_dir = dir.join("sqlite");
    let postgres_dir = dir.join("postgres");
    let mut runs = Vec::new();
    for (name, location, env, data_dir) in [
        (
            "SQLite",
            DatabaseLocation::Sqlite {
                data_dir: sqlite_dir.clone(),
            },
            Vec::new(),
            sqlite_dir,
        ),
        (
            "PostgreSQL",
            DatabaseLocation::Postgres {
                url: postgres_url.clone(),
            },
            vec![("THIQA_DATABASE_URL", postgres_url.clone())],
            postgres_dir,
        ),
    ] {
        std::fs::create_dir_all(&data_dir)?;
        runs.push(run_backend(name, &location, &env, &data_dir, args.seconds).await?);
    }
    report(&runs, args.seconds)
}

async fn run_backend(
    name: &'static str,
    location: &DatabaseLocation,
    env: &[(&str, String)],
    data_dir: &std::path::Path,
    seconds: u64,
) -> anyhow::Result<Run> {
    let fixture = prepare_at(location, COMPLIANCE_ROLES).await?;
    let (service, applicable) = assessed_service(&fixture.store, fixture.provider).await?;
    fixture.store.close().await;
    let server = Server::start(data_dir, env)?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let assessment = format!("/services/{}/assessment", service.0);
    // Both pages answer in full before they are timed.
    for page in ["/me", assessment.as_str()] {
        let (status, html) = get_text(&server.addr, &fixture.token, page)?;
        if status != 200 {
            bail!("{name} {page}: status {status}");
        }
        if page == assessment && html.matches("<tr class=\"status-").count() != applicable.len() {
            bail!("{name} {page}: not one row per applicable obligation");
        }
    }
    let mut figures = Vec::new();
    for page in ["/me".to_string(), assessment] {
        for clients in CONCURRENCIES {
            let (addr, token, route) = (server.addr.clone(), fixture.token.clone(), page.clone());
            let measured = Figures::of(on_own_thread(move || async move {
                load(&addr, &token, clients, seconds, &route).await
            })?)?;
            let label = if page == "/me" { "/me" } else { "assessment" };
            figures.push((label.to_string(), clients, measured));
        }
    }
    Ok(Run { name, figures })
}

fn report(runs: &[Run], seconds: u64) -> anyhow::Result<ExitCode> {
    println!(
        "thiqa-bench backends: signed operator session, {seconds} s per page, concurrency and backend, `thiqa serve` child, load generator on one thread"
    );
    for run in runs {
        for (page, clients, f) in &run.figures {
            println!("{}", f.line(&format!("{} {page} {clients}c", run.name)));
        }
    }
    let (sqlite, postgres) = (&runs[0], &runs[1]);
    let (mut throughput_met, mut latency_met) = (true, true);
    let mut errors = 0;
    for ((page, clients, s), (_, _, p)) in sqlite.figures.iter().zip(&postgres.figures) {
        let ratio = p.rps / s.rps;
        throughput_met &= ratio >= 0.5;
        errors += s.errors + p.errors;
        let latency = if *clients == 20 {
            latency_met &= p.p99 < 10.0;
            format!("; p99 PostgreSQL {:.2} ms, SQLite {:.2} ms", p.p99, s.p99)
        } else {
            String::new()
        };
        println!(
            "  {page:<10} {clients} clients: PostgreSQL {:.0} req/s = {ratio:.2}× SQLite's {:.0} req/s{latency}",
            p.rps, s.rps
        );
    }
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!(
        "  target         PostgreSQL ≥ 0.5× SQLite's throughput, both pages at 20 and 50 clients: {}",
        verdict(throughput_met)
    );
    println!(
        "  target         PostgreSQL p99 < 10 ms at 20 clients, both pages: {}",
        verdict(latency_met)
    );
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs one statement with `psql` (creating and dropping the benchmark's
/// database, which a connection to that database cannot do).
fn psql(url: &str, sql: &str) -> anyhow::Result<()> {
    let out = Command::new("psql")
        .args([url, "-qc", sql])
        .output()
        .context("running psql (install the PostgreSQL client)")?;
    if !out.status.success() {
        bail!(
            "psql: {sql}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// `url` naming `database` instead of its own, keeping its parameters
/// (such as `?host=/var/run/postgresql` for a Unix socket).
fn with_database(url: &str, database: &str) -> anyhow::Result<String> {
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, format!("?{query}")),
        None => (url, String::new()),
    };
    let (base, _) = address
        .rsplit_once('/')
        .context("--postgres-url has no database name")?;
    Ok(format!("{base}/{database}{query}"))
}

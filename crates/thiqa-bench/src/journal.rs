//! `thiqa-bench journal`: the journal's read-side targets (issue 5) on a
//! SQLite journal of 10 million leaves, each beside a baseline measured in
//! the same run:
//!
//! - inclusion proofs of random leaves through `Store::journal_prove` (what
//!   `thiqa journal prove` calls) and `Store::journal_inclusion_proof` (what
//!   `GET /api/v1/journal/proof/inclusion` calls), beside a primary-key
//!   SELECT of one leaf row (`Store::journal_leaf`);
//! - full verification through `Store::journal_verify` (what `thiqa journal
//!   verify` runs), beside plain reads of the same columns, with and without
//!   a SHA-256 of every leaf;
//! - one commanditaire's NDJSON export through `GET /api/v1/journal/export`
//!   of a `thiqa serve` child, with the child's peak resident memory, beside
//!   a plain SELECT of the same rows in the same pages.
//!
//! The journal is built through the intake path (`journal_append_batch`, one
//! transaction per batch, as `POST /api/v1/journal/intake` appends), with a
//! signed checkpoint every million leaves. That takes minutes: with
//! `--data-dir` the journal is kept, and a later run with the same sizes
//! reuses it (or finishes it, if it was interrupted).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};
use thiqa_app::tenants::{role_by_name, seed_tenant, PROVIDER_ADMIN_ROLE};
use thiqa_crypto::token::Token;
use thiqa_domain::assessment::iso_date_start;
use thiqa_domain::{Clock, OrganisationId, Permission, ProviderId, SourceId, SystemClock, Tenant};
use thiqa_journal::{Event, NoteSigner, Outcome, Severity, Timestamp};
use thiqa_store::{journal_signer, Actor, DatabaseLocation, IntakeSource, LeafQuery, NewAccount};
use thiqa_store::{RuleSet, Store, DEFAULT_JOURNAL_ORIGIN};

use crate::pages::{proc_kib, Server};

/// A signed checkpoint every this many leaves while building.
const CHECKPOINT_EVERY: u64 = 1_000_000;
/// What the benchmark made, for a later run to reuse.
const MARKER: &str = "bench-journal.json";
/// The server export's page (`thiqa_server::journal_export`), for the baseline.
const EXPORT_PAGE: u64 = 2_000;

#[derive(clap::Args)]
pub struct JournalBenchArgs {
    /// Leaves in the journal.
    #[arg(long, default_value_t = 10_000_000)]
    leaves: u64,
    /// Random leaves whose inclusion proof is timed (each way).
    #[arg(long, default_value_t = 10_000)]
    proofs: usize,
    /// Events of the exported commanditaire, spread evenly over the log
    /// (the other events are a second commanditaire's).
    #[arg(long, default_value_t = 1_000_000)]
    export_events: u64,
    /// Events per intake batch (one transaction) while building.
    #[arg(long, default_value_t = 10_000)]
    batch: u64,
    /// Size of one event as stored (leaf bytes).
    #[arg(long, default_value_t = 300)]
    event_bytes: usize,
    /// Keep the journal in this directory and reuse it in later runs with
    /// the same sizes [default: a temporary directory, removed at the end].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Measure only these (repeatable) [default: all].
    #[arg(long, value_enum)]
    only: Vec<Part>,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
enum Part {
    Proofs,
    Verify,
    Export,
}

pub async fn journal(args: JournalBenchArgs) -> anyhow::Result<ExitCode> {
    if args.leaves < 2 || args.export_events == 0 || args.export_events > args.leaves {
        bail!("--leaves must be at least 2, --export-events between 1 and --leaves");
    }
    if args.batch == 0 || args.proofs == 0 {
        bail!("--batch and --proofs must be positive");
    }
    let Some(dir) = args.data_dir.clone() else {
        let dir = std::env::temp_dir().join(format!("thiqa-bench-journal-{}", std::process::id()));
        let result = run(&args, &dir).await;
        let _ = std::fs::remove_dir_all(&dir);
        return result;
    };
    run(&args, &dir).await
}

async fn run(args: &JournalBenchArgs, dir: &Path) -> anyhow::Result<ExitCode> {
    let marker = std::fs::read_to_string(dir.join(MARKER)).ok();
    // Never append millions of events to a real data directory.
    let used = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if marker.is_none() && used {
        bail!("{} is not empty and not a benchmark's", dir.display());
    }
    let location = DatabaseLocation::Sqlite {
        data_dir: dir.to_path_buf(),
    };
    let store = Store::open(&location, Arc::new(SystemClock)).await?;
    let setup = match marker {
        Some(text) => Setup::parse(&text, args)?,
        None => Setup::create(&store, dir, args).await?,
    };
    let signer = journal_signer(dir, DEFAULT_JOURNAL_ORIGIN)?;
    build(&store, &setup, args.batch, &signer).await?;
    let size = store.journal_sign_checkpoint(&signer).await?.size;
    println!(
        "thiqa-bench journal: SQLite journal of {size} leaves ({} bytes per event, appended by journal_append_batch in batches of {}), {}",
        args.event_bytes, args.batch, dir.display()
    );
    let part = |p: Part| args.only.is_empty() || args.only.contains(&p);
    let mut met = Vec::new();
    if part(Part::Proofs) {
        met.push(proofs(&store, args.proofs, size).await?);
    }
    if part(Part::Verify) {
        met.push(verify(&store, &signer).await?);
    }
    if part(Part::Export) {
        met.extend(export(&store, dir, &setup).await?);
    }
    store.close().await;
    let all = met.iter().all(|m| *m);
    println!(
        "  targets    {}",
        if all { "all met" } else { "NOT all met" }
    );
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One line of figures, with its target and whether it is met.
fn line(what: &str, figures: String, target: Option<(&str, bool)>) {
    let target = target.map_or(String::new(), |(t, met)| {
        format!("   target {t}: {}", if met { "met" } else { "NOT met" })
    });
    println!("  {what:<58} {figures}{target}");
}

/// The tenants, source and operator the benchmark created; kept in [`MARKER`].
struct Setup {
    start_ms: i64,
    leaves: u64,
    /// Every `every`-th event is the exported commanditaire's.
    every: u64,
    event_bytes: usize,
    provider: ProviderId,
    org: OrganisationId,
    other: OrganisationId,
    source: SourceId,
    operator: i64,
}

impl Setup {
    async fn create(store: &Store, dir: &Path, args: &JournalBenchArgs) -> anyhow::Result<Setup> {
        let actor = Actor::system();
        let provider = store.create_provider("Bench", &actor).await?;
        let tenant = Tenant::Provider(provider);
        seed_tenant(store, tenant, &actor).await?;
        let org = store
            .provider(provider)
            .create_organisation("Exported", false, &actor);
        let org = org.await?;
        let other = store
            .provider(provider)
            .create_organisation("Other", false, &actor);
        let other = other.await?;
        let orgs = [org, other];
        let source = store
            .provider(provider)
            .create_intake_source("hv/bench", &orgs, &actor);
        let source = source.await?.source.id;
        let account = NewAccount {
            username: "bench".into(),
            display_name: "Bench".into(),
            email: None,
            password_hash: None,
            totp_secret: None,
            language: "fr".into(),
        };
        let operator = store.tenant(tenant).create_account(account, &actor);
        let operator = operator.await?;
        let role = role_by_name(store, tenant, PROVIDER_ADMIN_ROLE).await?;
        let role = role.ok_or_else(|| anyhow!("no role {PROVIDER_ADMIN_ROLE}"))?;
        store
            .tenant(tenant)
            .assign_role(operator, role, &actor)
            .await?;
        // 10 000 events per second of event time, ending about now.
        let start_ms = SystemClock.now_ms() - (args.leaves / 10) as i64 - 60_000;
        let marker = json!({
            "start_ms": start_ms, "leaves": args.leaves, "export_events": args.export_events,
            "event_bytes": args.event_bytes, "provider": provider.0, "org": org.0,
            "other": other.0, "source": source, "operator": operator,
        })
        .to_string();
        std::fs::write(dir.join(MARKER), &marker)?;
        Setup::parse(&marker, args)
    }

    fn parse(text: &str, args: &JournalBenchArgs) -> anyhow::Result<Setup> {
        let v: Value = serde_json::from_str(text).context(MARKER)?;
        let n = |k: &str| v[k].as_i64().ok_or_else(|| anyhow!("{MARKER}: no {k}"));
        let built = [n("leaves")?, n("export_events")?, n("event_bytes")?];
        let asked = [args.leaves, args.export_events, args.event_bytes as u64];
        if built.iter().zip(asked).any(|(b, a)| *b as u64 != a) {
            let [l, e, b] = built;
            bail!("the journal there has --leaves {l} --export-events {e} --event-bytes {b}");
        }
        Ok(Setup {
            start_ms: n("start_ms")?,
            leaves: args.leaves,
            every: (args.leaves / args.export_events).max(1),
            event_bytes: args.event_bytes,
            provider: ProviderId(n("provider")?),
            org: OrganisationId(n("org")?),
            other: OrganisationId(n("other")?),
            source: SourceId(n("source")?),
            operator: n("operator")?,
        })
    }

    /// Events `from..from + count` of `source`, each `event_bytes` long.
    fn events(&self, source: &IntakeSource, from: u64, count: u64) -> anyhow::Result<Vec<Event>> {
        let received = Timestamp::from_unix_millis(SystemClock.now_ms())?;
        (from..from + count)
            .map(|seq| {
                let org = if seq % self.every == 0 {
                    self.org
                } else {
                    self.other
                };
                let mut event = Event {
                    event_time: Timestamp::from_unix_millis(self.start_ms + seq as i64 / 10)?,
                    received_time: received,
                    source: source.name.clone(),
                    action: "vm.snapshot.delete".into(),
                    severity: Severity::Notice,
                    actor: format!("svc:backup-{:04}", seq % 10_000),
                    target: format!("vm-{seq:09}"),
                    tenant: Some(format!("organisation:{}", org.0)),
                    source_address: Some([10, 0, (seq >> 8) as u8, seq as u8].into()),
                    outcome: Outcome::Success,
                    attributes: [("snapshot".to_owned(), format!("snap-{seq:09}"))].into(),
                };
                // The pad attribute adds 8 bytes of lengths, 3 of key, then its value.
                let pad = self.event_bytes.saturating_sub(event.to_leaf()?.len() + 11);
                event.attributes.insert("pad".into(), "x".repeat(pad));
                Ok(event)
            })
            .collect()
    }
}

/// Appends intake batches until the journal has `setup.leaves` leaves
/// (each batch also journals its own `journal.intake` event), then moves
/// the alert rules' cursor to the end.
async fn build(store: &Store, s: &Setup, batch: u64, signer: &NoteSigner) -> anyhow::Result<()> {
    let source = store.provider(s.provider).intake_source(s.source).await?;
    let actor = source.actor(Some("127.0.0.1".into()));
    let mut size = store.journal_head().await?.size;
    let (first, t, mut shown) = (size, Instant::now(), Instant::now());
    while size < s.leaves {
        let left = s.leaves - size;
        if left == 1 {
            store
                .journal_append(&s.events(&source, size, 1)?[0])
                .await?;
        } else {
            let events = s.events(&source, size, batch.min(left - 1))?;
            store.journal_append_batch(&source, &events, &actor).await?;
        }
        let now = store.journal_head().await?.size;
        if now / CHECKPOINT_EVERY > size / CHECKPOINT_EVERY {
            store.journal_sign_checkpoint(signer).await?;
        }
        size = now;
        if shown.elapsed() > Duration::from_secs(5) || size >= s.leaves {
            let rate = (size - first) as f64 / t.elapsed().as_secs_f64();
            let left = (s.leaves - size) as f64 / rate;
            eprintln!(
                "built {size} of {} leaves ({rate:.0}/s, {left:.0} s left)",
                s.leaves
            );
            shown = Instant::now();
        }
    }
    // With no rules only the cursor moves (no alert adds leaves), so the
    // server's alert loop has nothing old to evaluate during the export.
    let no_rules = RuleSet::default();
    loop {
        let now = SystemClock.now_ms();
        let run = store.evaluate_alert_rules_in_batches(&no_rules, now, 10_000);
        let run = run.await?;
        if run.caught_up {
            return Ok(());
        }
        eprintln!("alert cursor at leaf {}", run.next_leaf);
    }
}

/// Latencies of one kind of request, in ms: (mean, p99).
fn latencies(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = ms(v.iter().sum::<Duration>()) / v.len().max(1) as f64;
    (mean, v.get(v.len() * 99 / 100).copied().map_or(0.0, ms))
}

/// Times each way on the same random leaves, after 100 untimed of each;
/// the order of the three alternates, so that none always finds the
/// others' pages in SQLite's cache.
async fn proofs(store: &Store, n: usize, size: u64) -> anyhow::Result<bool> {
    eprintln!("measuring inclusion proofs");
    let mut seed = 0x5eed_u64;
    let mut next = move || {
        // splitmix64: cheap, and the same leaves in every run.
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let z = (seed ^ (seed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % size
    };
    let mut times: [Vec<Duration>; 3] = Default::default();
    for round in 0..n + 100 {
        let index = next();
        for step in 0..3 {
            let (t, which) = (Instant::now(), (step + round) % 3);
            match which {
                0 => {
                    let bundle = store.journal_prove(index, None).await?;
                    if (bundle.index, bundle.tree_size) != (index, size) {
                        bail!("proof of leaf {} in {}", bundle.index, bundle.tree_size);
                    }
                }
                1 => drop(store.journal_inclusion_proof(index, size).await?),
                _ => drop(store.journal_leaf(index).await?.context("no such leaf")?),
            }
            if round >= 100 {
                times[which].push(t.elapsed());
            }
        }
    }
    let [prove, path, select] = times.map(latencies);
    let figures = |(mean, p99): (f64, f64)| format!("mean {mean:.3} ms   p99 {p99:.3} ms");
    let met = prove.0 < 1.0 && prove.1 < 1.0;
    line(
        "proof     journal_prove (thiqa journal prove)",
        figures(prove),
        Some(("< 1 ms", met)),
    );
    line(
        "proof     journal_inclusion_proof (/journal/proof/inclusion)",
        figures(path),
        None,
    );
    line(
        "baseline  primary-key SELECT of one leaf row",
        figures(select),
        None,
    );
    Ok(met)
}

/// CPU time of this process so far (all threads), from /proc (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split(' ')
        .collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(12) + ticks(13)) / 100.0
}

/// Kilobytes the whole machine has read from storage so far (Linux).
fn paged_in_kib() -> u64 {
    let vmstat = std::fs::read_to_string("/proc/vmstat").unwrap_or_default();
    let line = vmstat.lines().find_map(|l| l.strip_prefix("pgpgin "));
    line.and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// Times `f`; prints its rate of `n` (the count it returns) per second,
/// with the CPU time it used and what was read from the disk meanwhile
/// (the database not in the page cache): they tell a slow figure's cause.
async fn timed<F: std::future::Future<Output = anyhow::Result<u64>>>(
    what: &str,
    target: Option<f64>,
    f: F,
) -> anyhow::Result<bool> {
    let (t, cpu, disk) = (Instant::now(), cpu_seconds(), paged_in_kib());
    let n = f.await?;
    let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let (rate, disk) = (n as f64 / wall, (paged_in_kib() - disk) / 1024);
    let figures =
        format!("{rate:>9.0} leaves/s   ({n} in {wall:.1} s, {cpu:.1} s CPU, {disk} MB from disk)");
    let met = target.is_none_or(|t| rate >= t);
    line(what, figures, target.map(|_| (">= 1 000 000/s", met)));
    Ok(met)
}

async fn verify(store: &Store, signer: &NoteSigner) -> anyhow::Result<bool> {
    eprintln!("measuring full verification and its baselines");
    let trusted = [signer.verifier()];
    let mut ok = false;
    let mut progress = |read: u64, total: u64| {
        if read % CHECKPOINT_EVERY < thiqa_store::JOURNAL_VERIFY_BATCH {
            eprintln!("verified {read} of {total} leaves");
        }
    };
    // One unmeasured read of every row first, so the verification and its
    // baselines all start from the page cache (each line says how much it
    // still read from disk).
    store.bench_read_verify_columns(false).await?;
    let what = "verify    journal_verify (thiqa journal verify)";
    let met = timed(what, Some(1e6), async {
        let v = store.journal_verify(DEFAULT_JOURNAL_ORIGIN, &trusted, &mut progress);
        let v = v.await?;
        ok = v.is_ok();
        Ok(v.report.leaves)
    })
    .await?;
    let what = "baseline  SELECT idx, leaf, leaf_hash, chain of every row";
    timed(what, None, async {
        Ok(store.bench_read_verify_columns(false).await?.0)
    })
    .await?;
    let what = "baseline  the same, and a SHA-256 of each leaf";
    timed(what, None, async {
        Ok(store.bench_read_verify_columns(true).await?.0)
    })
    .await?;
    if !ok {
        println!("  the journal did NOT verify");
    }
    Ok(met && ok)
}

/// The export through a `thiqa serve` child with an operator's API token
/// (`journal.read`), then the baseline in this process.
async fn export(store: &Store, dir: &Path, s: &Setup) -> anyhow::Result<[bool; 2]> {
    eprintln!("measuring the export and its baseline");
    let day = |ms: i64| Timestamp::from_unix_millis(ms).map(|t| t.to_string()[..10].to_owned());
    let (from, to) = (day(s.start_ms)?, day(SystemClock.now_ms())?);
    let account = store
        .tenant(Tenant::Provider(s.provider))
        .account(s.operator)
        .await?;
    let token = Token::generate_api()?;
    let (hash, expires) = (token.hash(), SystemClock.now_s() + 3600);
    let (scopes, actor) = ([Permission::JournalRead], Actor::system());
    let created =
        store.create_api_token(&account, "bench", hash.as_str(), &scopes, expires, &actor);
    created.await?;
    let start = |d: &str| iso_date_start(d).ok_or_else(|| anyhow!("bad day {d}"));
    let q = LeafQuery {
        tenant: Some(Tenant::Organisation(s.org)),
        from_ms: start(&from)? * 1000,
        to_ms: (start(&to)? + 86_400) * 1000,
        after: None,
        limit: EXPORT_PAGE,
    };
    // One unmeasured read of the same rows first, so the export and its
    // baseline both find them in the page cache (whatever ran before, say
    // a build, may have evicted the 5 GB file).
    store.bench_select_matching(&q).await?;
    let server = Server::start(dir, &[])?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = proc_kib(server.pid, "VmRSS")? as f64 / 1024.0;
    // Sets the peak back to the current size (Linux >= 4.0), so VmHWM is
    // the export's own; otherwise it is the peak since the server started.
    let reset = std::fs::write(format!("/proc/{}/clear_refs", server.pid), "5").is_ok();
    let path = format!(
        "/api/v1/journal/export?organisation={}&from={from}&to={to}&format=ndjson",
        s.org.0
    );
    let (addr, secret) = (server.addr.clone(), token.expose().to_owned());
    let t = Instant::now();
    let got = tokio::task::spawn_blocking(move || get_lines(&addr, &secret, &path));
    let (events, bytes, first) = got.await??;
    let time = t.elapsed().as_secs_f64();
    let peak = proc_kib(server.pid, "VmHWM")? as f64 / 1024.0;
    drop(server);
    // After the export, which journals itself in the commanditaire's
    // journal first: the same rows both ways.
    let t = Instant::now();
    let (rows, _) = store.bench_select_matching(&q).await?;
    let baseline = t.elapsed().as_secs_f64();
    let tag = format!("\"commanditaire\":\"organisation:{}\"", s.org.0);
    if events != rows || (events > 0 && !first.contains(&tag)) {
        bail!("the export gave {events} events, not the {rows} of the commanditaire: {first}");
    }
    let rate = events as f64 / time;
    let met = [rate >= 200_000.0, peak < 100.0];
    let (mb, how) = (
        bytes as f64 / 1e6,
        if reset { "reset before" } else { "since start" },
    );
    let figures = format!("{rate:>9.0} events/s   ({events} in {time:.1} s, {mb:.0} MB)");
    line(
        "export    GET /api/v1/journal/export, NDJSON, no proofs",
        figures,
        Some((">= 200 000/s", met[0])),
    );
    let figures = format!("{peak:>9.1} MB peak RSS (VmHWM {how}; {idle:.1} MB idle)");
    line(
        "export    the server's memory",
        figures,
        Some(("< 100 MB", met[1])),
    );
    let figures = format!(
        "{:>9.0} events/s   ({rows} in {baseline:.1} s)",
        rows as f64 / baseline
    );
    line(
        "baseline  SELECT of the same rows, same pages",
        figures,
        None,
    );
    Ok(met)
}

/// GETs `path` and counts the lines of its body, chunked or not: (lines,
/// bytes, first line).
fn get_lines(addr: &str, token: &str, path: &str) -> anyhow::Result<(u64, u64, String)> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    let auth = format!("Authorization: Bearer {token}");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}\r\nConnection: close\r\n\r\n"
    )?;
    let mut r = BufReader::with_capacity(1 << 20, stream);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let ok = line.split_whitespace().nth(1) == Some("200");
    let mut chunked = false;
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
        let l = line.to_ascii_lowercase();
        chunked |= l.starts_with("transfer-encoding:") && l.contains("chunked");
    }
    let (mut lines, mut bytes, mut first) = (0u64, 0u64, Vec::new());
    let mut count = |data: &[u8]| {
        if lines == 0 {
            first.extend(data.iter().take_while(|b| **b != b'\n').take(4096));
        }
        lines += data.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += data.len() as u64;
    };
    let mut body = Vec::new();
    if !ok || !chunked {
        r.read_to_end(&mut body)?;
        if !ok {
            bail!("{path}: {}", String::from_utf8_lossy(&body));
        }
        count(&body);
    }
    while chunked {
        line.clear();
        r.read_line(&mut line)?;
        let size = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size, 16).with_context(|| format!("chunk {line:?}"))?;
        body.resize(size + 2, 0); // The chunk and its CRLF.
        r.read_exact(&mut body)?;
        count(&body[..size]);
        chunked = size > 0;
    }
    Ok((lines, bytes, String::from_utf8_lossy(&first).into_owned()))
}

//! `thiqa-bench intake`: batched intake of infrastructure events into the
//! journal on a fresh temporary SQLite database, beside its baseline — the
//! same rows inserted the plain way (multi-row INSERTs in one transaction
//! per batch, into a table without hashes or indexes) in the same database
//! and the same run. Rounds alternate between the two so that the growth of
//! the database and the machine's noise weigh on both alike.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use thiqa_domain::{Clock, SystemClock};
use thiqa_journal::{Event, Outcome, Severity, Timestamp};
use thiqa_store::{journal_signer, Actor, DatabaseLocation, IntakeLimits, IntakeSource, Store};

/// Targets of the issue: events/s, and journal/baseline.
const TARGET_EVENTS_PER_S: f64 = 50_000.0;
const TARGET_RATIO: f64 = 0.5;

#[derive(clap::Args)]
pub struct IntakeBenchArgs {
    /// Events measured each way (after one warm-up batch each).
    #[arg(long, default_value_t = 200_000)]
    events: usize,
    /// Events per batch (one transaction each).
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// Size of one event as stored (leaf bytes).
    #[arg(long, default_value_t = 300)]
    event_bytes: usize,
}

pub async fn intake(args: IntakeBenchArgs) -> anyhow::Result<ExitCode> {
    if args.batch == 0 || args.events < args.batch {
        bail!("--events must be at least --batch, and --batch positive");
    }
    let dir = std::env::temp_dir().join(format!("thiqa-bench-intake-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let result = run(&args, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(args: &IntakeBenchArgs, dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    let store = Store::open(
        &DatabaseLocation::Sqlite {
            data_dir: dir.to_path_buf(),
        },
        Arc::new(SystemClock),
    )
    .await?;
    let actor = Actor::system();
    let provider = store.create_provider("Bench", &actor).await?;
    let org = store
        .provider(provider)
        .create_organisation("Commanditaire", false, &actor)
        .await?;
    let source = store
        .provider(provider)
        .create_intake_source("hv/bench", &[org], &actor)
        .await?
        .source;
    // A source streams its log: each batch is the next stretch of time, at
    // 10 000 events per second, ending now (batches are built untimed).
    let rounds = args.events / args.batch;
    let start_ms = SystemClock.now_ms() - ((rounds + 8) * args.batch) as i64 / 10;
    let batch_at = |round: usize| events(&source, start_ms, round, args.batch, args.event_bytes);
    let events = batch_at(0)?;
    let leaf_len = events[0].to_leaf()?.len();
    let source_actor = source.actor(Some("127.0.0.1".into()));

    // Warm-up: the tables, caches and prepared statements exist before timing.
    store.bench_baseline_insert(&events).await?;
    store
        .journal_append_batch(&source, &events, &source_actor)
        .await?;
    store.bench_checkpoint().await?;

    let (mut baseline, mut journal) = (Duration::ZERO, Duration::ZERO);
    for round in 1..=rounds {
        // The same rows both ways.
        let events = batch_at(round)?;
        // Each batch includes copying its own WAL pages into the database.
        let t = Instant::now();
        store.bench_baseline_insert(&events).await?;
        store.bench_checkpoint().await?;
        baseline += t.elapsed();
        let t = Instant::now();
        let receipt = store
            .journal_append_batch(&source, &events, &source_actor)
            .await?;
        store.bench_checkpoint().await?;
        journal += t.elapsed();
        if receipt.count != args.batch as u64 {
            bail!("a batch was not appended whole: {receipt:?}");
        }
    }

    // The HTTP path without the network: NDJSON parsing, then the append.
    let ndjson_rounds = rounds.clamp(1, 5);
    let mut ndjson_time = Duration::ZERO;
    let mut body = Vec::new();
    for r in 0..ndjson_rounds {
        body = ndjson(&batch_at(rounds + 1 + r)?, org.0);
        let t = Instant::now();
        store
            .intake_batch(&source, &body, &IntakeLimits::default(), &source_actor)
            .await
            .map_err(|e| anyhow!("NDJSON batch: {e}"))?;
        store.bench_checkpoint().await?;
        ndjson_time += t.elapsed();
    }

    let measured = (rounds * args.batch) as f64;
    let baseline_rate = measured / baseline.as_secs_f64();
    let journal_rate = measured / journal.as_secs_f64();
    let ndjson_rate = (ndjson_rounds * args.batch) as f64 / ndjson_time.as_secs_f64();
    let ratio = journal_rate / baseline_rate;

    // The log written at that speed is a valid one.
    let origin = thiqa_store::DEFAULT_JOURNAL_ORIGIN;
    let signer = journal_signer(dir, origin)?;
    store.journal_sign_checkpoint(&signer).await?;
    let verification = store
        .journal_verify(origin, &[signer.verifier()], &mut |_, _| {})
        .await?;
    store.close().await;

    println!(
        "thiqa-bench intake: SQLite (temporary database), {} events each way in batches of {}, {} bytes per event (leaf), {} NDJSON bytes per batch; each batch one transaction, timed with its WAL checkpoint",
        rounds * args.batch,
        args.batch,
        leaf_len,
        body.len()
    );
    println!(
        "  baseline   plain multi-row INSERTs           {baseline_rate:>10.0} events/s   ({:.1} ms per batch)",
        ms_per(baseline, rounds)
    );
    println!(
        "  journal    journal_append_batch              {journal_rate:>10.0} events/s   ({:.1} ms per batch)   target >= {TARGET_EVENTS_PER_S:.0}",
        ms_per(journal, rounds)
    );
    println!(
        "  ratio      journal / baseline                {ratio:>10.2}                                  target >= {TARGET_RATIO:.2}"
    );
    println!(
        "  ndjson     parse + journal_append_batch      {ndjson_rate:>10.0} events/s   ({:.1} ms per batch)",
        ms_per(ndjson_time, ndjson_rounds)
    );
    println!(
        "  journal    {} leaves, verified {}",
        verification.report.leaves,
        if verification.is_ok() { "OK" } else { "NOT OK" }
    );
    let met = journal_rate >= TARGET_EVENTS_PER_S && ratio >= TARGET_RATIO;
    println!("  targets    {}", if met { "met" } else { "NOT met" });
    Ok(if met && verification.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn ms_per(total: Duration, rounds: usize) -> f64 {
    total.as_secs_f64() * 1000.0 / rounds.max(1) as f64
}

/// Batch `round` of `count` events of `source`, whose leaves are `bytes`
/// long (padded with an attribute), timed 0.1 ms apart from `start_ms` on.
fn events(
    source: &IntakeSource,
    start_ms: i64,
    round: usize,
    count: usize,
    bytes: usize,
) -> anyhow::Result<Vec<Event>> {
    let received = Timestamp::from_unix_millis(SystemClock.now_ms())?;
    let Some(org) = source.organisations.first() else {
        bail!("the bench source tags no organisation");
    };
    (0..count)
        .map(|i| {
            let seq = round * count + i;
            let mut event = Event {
                event_time: Timestamp::from_unix_millis(start_ms + seq as i64 / 10)?,
                received_time: received,
                source: source.name.clone(),
                action: "vm.snapshot.delete".into(),
                severity: Severity::Notice,
                actor: format!("svc:backup-{:04}", seq % 10_000),
                target: format!("vm-{seq:08}"),
                tenant: Some(format!("organisation:{}", org.0)),
                source_address: Some(std::net::IpAddr::from([10, 0, (seq >> 8) as u8, seq as u8])),
                outcome: Outcome::Success,
                attributes: BTreeMap::from([("snapshot".into(), format!("snap-{seq:08}"))]),
            };
            let len = event.to_leaf()?.len();
            // The pad attribute adds 8 bytes of lengths, 3 of key, then its value.
            let pad = bytes
                .checked_sub(len + 8 + 3)
                .ok_or_else(|| anyhow!("--event-bytes is below {}", len + 11))?;
            event.attributes.insert("pad".into(), "x".repeat(pad));
            Ok(event)
        })
        .collect()
}

/// The same events as an NDJSON batch.
fn ndjson(events: &[Event], org: i64) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        let line = serde_json::json!({
            "time": e.event_time.to_string(),
            "type": e.action,
            "severity": "notice",
            "commanditaire": org,
            "actor": e.actor,
            "target": e.target,
            "source_address": e.source_address.map(|a| a.to_string()),
            "outcome": "success",
            "attributes": e.attributes,
        });
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

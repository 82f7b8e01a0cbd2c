//! `thiqa-bench …`: figures measured against a real `thiqa serve` (or
//! `thiqa dossier build`) child process on a benchmark data directory, each
//! beside its baseline measured in the same run.
//!
//! - `console`: load on a session-authenticated console page by concurrent
//!   keep-alive clients, with the server's idle and loaded resident memory.
//! - `assessment`: the assessment page of a service whose every applicable
//!   obligation is assessed, beside the same load on `/healthz`.
//! - `evidence`: a large generated file uploaded and downloaded through the
//!   console's endpoints, with the server's peak resident memory, beside
//!   plain `std::fs` writing and reading the same bytes.
//! - `dossier`: `thiqa dossier build` with large evidence files, its peak
//!   resident memory, beside a plain copy of the same bytes.
//!
//! Password hashing is excluded: the operator's session (second factor
//! passed) is created directly in the benchmark's own data directory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream as StdTcpStream;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use sha2::{Digest, Sha256};
use thiqa_app::services::{applicable_ids, profile_of};
use thiqa_app::tenants::{role_by_name, seed_tenant, PROVIDER_ADMIN_ROLE};
use thiqa_blobs::BlobStore;
use thiqa_catalog::{Level, Profile, ServiceModel};
use thiqa_crypto::token::Token;
use thiqa_domain::{
    AssessmentInput, AssessmentStatus, Directory, ProviderId, ServiceId, SystemClock, Tenant,
};
use thiqa_store::{
    Actor, DatabaseLocation, NewAccount, NewEvidence, NewService, SessionPolicy, Store,
};

use crate::load::{load, load_at_rate, on_own_thread, Figures};
use thiqa_domain::text::hex;

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
    /// Requests/s offered by the same clients in the open-loop run
    /// (latency from each request's scheduled time); 0 skips it.
    #[arg(long, default_value_t = 5000.0)]
    rate: f64,
}

pub async fn console(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("thiqa-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let fixture = prepare(&dir, &[PROVIDER_ADMIN_ROLE]).await?;
    fixture.store.close().await;
    let token = fixture.token;
    let server = Server::start(&dir, &[])?;
    let (pid, addr) = (server.pid, server.addr.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = proc_kib(pid, "VmRSS")?;
    let (clients, seconds, rate) = (args.clients, args.seconds, args.rate);
    let closed = {
        let (addr, token, page) = (addr.clone(), token.clone(), args.page.clone());
        on_own_thread(move || async move { load(&addr, &token, clients, seconds, &page).await })
    };
    let open = if rate > 0.0 {
        let (addr, token, page) = (addr.clone(), token.clone(), args.page.clone());
        Some(on_own_thread(move || async move {
            load_at_rate(&addr, &token, clients, seconds, &page, rate).await
        }))
    } else {
        None
    };
    let loaded_rss = proc_kib(pid, "VmRSS")?;
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    let closed = Figures::of(closed?)?;
    println!(
        "thiqa-bench console: GET {} with a signed operator session, {clients} keep-alive clients, {seconds} s per run, load generator on one thread beside the server",
        args.page
    );
    println!("{}", closed.line("closed loop"));
    let mut errors = closed.errors;
    let mut met = closed.rps > 5000.0;
    if let Some(open) = open {
        let open = Figures::of(open?)?;
        println!("{}", open.line(&format!("at {rate:.0}/s")));
        println!(
            "                 (open loop: {rate:.0} requests/s offered by the {clients} clients, latency from each request's scheduled time)"
        );
        errors += open.errors;
        met &= open.p99 < 5.0 && open.rps > 0.95 * rate;
    } else {
        met &= closed.p99 < 5.0;
    }
    println!(
        "  resident       idle {:.1} MB   after load {:.1} MB   (target idle < 50 MB)",
        idle_rss as f64 / 1024.0,
        loaded_rss as f64 / 1024.0
    );
    met &= idle_rss < 50 * 1024;
    println!(
        "  target         > 5000 requests/s, p99 < 5 ms at {clients} clients: {}",
        if met { "met" } else { "MISSED" }
    );
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(clap::Args)]
pub struct AssessmentArgs {
    /// Concurrent clients, each on its own keep-alive connection.
    #[arg(long, default_value_t = 20)]
    clients: usize,
    /// Seconds of measured load per route (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// `thiqa-bench assessment`: the assessment page of a service whose every
/// applicable obligation is assessed, under concurrent load, beside the same
/// load on `/healthz` (same listener, middleware and session cookie) in the
/// same run.
pub async fn assessment(args: AssessmentArgs) -> anyhow::Result<ExitCode> {
    let dir = bench_dir(None, "assessment")?;
    let result = assessment_in(&dir, &args).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn assessment_in(dir: &Path, args: &AssessmentArgs) -> anyhow::Result<ExitCode> {
    let fixture = prepare(dir, COMPLIANCE_ROLES).await?;
    let (service, applicable) = assessed_service(&fixture.store, fixture.provider).await?;
    fixture.store.close().await;
    let token = fixture.token;
    let server = Server::start(dir, &[])?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let page = format!("/services/{}/assessment", service.0);
    // The page is complete before it is timed: one row per applicable
    // obligation, none left unassessed.
    let (status, html) = get_text(&server.addr, &token, &page)?;
    let rows = html.matches("<tr class=\"status-").count();
    let unassessed = html.matches("<tr class=\"status-not_assessed\"").count();
    if status != 200 || rows != applicable.len() || unassessed != 0 {
        bail!(
            "{page}: status {status}, {rows} rows ({unassessed} not assessed) for {} applicable obligations",
            applicable.len()
        );
    }
    let idle_rss = proc_kib(server.pid, "VmRSS")?;
    let mut figures = Vec::new();
    for route in [page.clone(), "/healthz".to_string()] {
        let (addr, token, clients, seconds) = (
            server.addr.clone(),
            token.clone(),
            args.clients,
            args.seconds,
        );
        figures.push(Figures::of(on_own_thread(move || async move {
            load(&addr, &token, clients, seconds, &route).await
        })?)?);
    }
    let loaded_rss = proc_kib(server.pid, "VmRSS")?;
    drop(server);
    let (page_fig, health) = (&figures[0], &figures[1]);
    println!(
        "thiqa-bench assessment: {} clients, {} s per route, signed operator session, `thiqa serve` child",
        args.clients, args.seconds
    );
    println!(
        "  page           GET {page}: {} applicable obligations, all assessed, {} kB of HTML",
        applicable.len(),
        html.len() / 1024
    );
    println!("{}", page_fig.line("assessment"));
    println!("{}", health.line("/healthz"));
    println!(
        "  page cost      p95 {:.2} ms over the /healthz baseline; throughput {:.1}% of it",
        page_fig.p95 - health.p95,
        100.0 * page_fig.rps / health.rps
    );
    println!(
        "  resident       idle {:.1} MB   after load {:.1} MB",
        idle_rss as f64 / 1024.0,
        loaded_rss as f64 / 1024.0
    );
    let met = page_fig.p95 < 20.0;
    println!(
        "  target         p95 < 20 ms at {} clients: {}",
        args.clients,
        if met { "met" } else { "MISSED" }
    );
    Ok(if page_fig.errors + health.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(clap::Args)]
pub struct EvidenceArgs {
    /// Size of the generated evidence file, in MB (2^20 bytes).
    #[arg(long, default_value_t = 1024)]
    size_mb: u64,
    /// Directory on the disk to measure; a temporary directory is made and
    /// removed inside it [default: the system's temporary directory].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// `thiqa-bench evidence`: one generated file uploaded then downloaded
/// through the console's real endpoints of a `thiqa serve` child, with the
/// child's peak resident memory during each, beside plain `std::fs` writing
/// and reading the same number of bytes in the same directory.
pub async fn evidence(args: EvidenceArgs) -> anyhow::Result<ExitCode> {
    let dir = bench_dir(args.dir.as_deref(), "evidence")?;
    let result = evidence_in(&dir, &args).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn evidence_in(dir: &Path, args: &EvidenceArgs) -> anyhow::Result<ExitCode> {
    let bytes = args.size_mb * MB;
    if bytes == 0 {
        bail!("--size-mb must be at least 1");
    }
    let fixture = prepare(dir, COMPLIANCE_ROLES).await?;
    let (service, applicable) = assessed_service(&fixture.store, fixture.provider).await?;
    fixture.store.close().await;
    let token = fixture.token;
    let before = disk_baseline(dir, bytes)?;
    let limit = (args.size_mb + 1).max(50).to_string();
    let server = Server::start(dir, &[("THIQA_EVIDENCE_MAX_MB", limit)])?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.pid;
    let idle_rss = proc_kib(pid, "VmRSS")?;

    let sent = generated_sha256(bytes, UPLOAD_SEED);
    let reset = reset_peak(pid);
    let watch = Watch::start(pid, Duration::from_millis(5));
    let t = Instant::now();
    upload(&server.addr, &token, service, &applicable[0], bytes)?;
    let up_time = t.elapsed();
    let (up_sampled, _) = watch.stop();
    let up_hwm = proc_kib(pid, "VmHWM")?;

    let list = format!("/services/{}/evidence", service.0);
    let (status, html) = get_text(&server.addr, &token, &list)?;
    let prefix = format!("/services/{}/evidence/", service.0);
    let eid: i64 = html
        .match_indices(&prefix)
        .filter_map(|(i, _)| {
            let rest = &html[i + prefix.len()..];
            rest.split_once("/download")?.0.parse().ok()
        })
        .next()
        .ok_or_else(|| anyhow!("{list} (status {status}) lists no downloadable file"))?;
    let stored_same = html.contains(&format!("sha256 {sent}"));

    let reset = reset && reset_peak(pid);
    let watch = Watch::start(pid, Duration::from_millis(5));
    let t = Instant::now();
    let (got, got_len) = download(
        &server.addr,
        &token,
        &format!("/services/{}/evidence/{eid}/download", service.0),
    )?;
    let down_time = t.elapsed();
    let (down_sampled, _) = watch.stop();
    let down_hwm = proc_kib(pid, "VmHWM")?;
    drop(server);
    let after = disk_baseline(dir, bytes)?;
    // The faster of the two runs: the stricter comparison.
    let (disk_write, disk_read) = (before.0.min(after.0), before.1.min(after.1));

    let mbs = |d: Duration| bytes as f64 / MB as f64 / d.as_secs_f64();
    let peak = |hwm: u64, sampled: u64| {
        if reset {
            format!(
                "peak RSS {:.1} MB (VmHWM, reset before; max sampled VmRSS {:.1} MB)",
                hwm as f64 / 1024.0,
                sampled as f64 / 1024.0
            )
        } else {
            format!(
                "peak RSS {:.1} MB (max VmRSS sampled every 5 ms; VmHWM could not be reset)",
                sampled as f64 / 1024.0
            )
        }
    };
    let peak_kib = |hwm: u64, sampled: u64| if reset { hwm } else { sampled };
    println!(
        "thiqa-bench evidence: one {} MB file (generated, streamed, never held whole) uploaded then downloaded",
        args.size_mb
    );
    println!(
        "  through POST /services/{{id}}/evidence/upload and GET …/download of a `thiqa serve` child; MB = 2^20 bytes"
    );
    println!("  data dir       {}", dir.display());
    println!(
        "  disk baseline  write {:.0} MB/s (std::fs, then fsync)   read {:.0} MB/s (std::fs)   (faster of two runs,",
        mbs(disk_write),
        mbs(disk_read)
    );
    println!(
        "                 before the transfers: write {:.0}, read {:.0}; after: write {:.0}, read {:.0})",
        mbs(before.0),
        mbs(before.1),
        mbs(after.0),
        mbs(after.1)
    );
    println!(
        "  upload         {:.0} MB/s ({:.2} s, {:.0}% of the disk write)   {}",
        mbs(up_time),
        up_time.as_secs_f64(),
        100.0 * disk_write.as_secs_f64() / up_time.as_secs_f64(),
        peak(up_hwm, up_sampled)
    );
    println!(
        "  download       {:.0} MB/s ({:.2} s, {:.0}% of the disk read; the client hashes as it receives)   {}",
        mbs(down_time),
        down_time.as_secs_f64(),
        100.0 * disk_read.as_secs_f64() / down_time.as_secs_f64(),
        peak(down_hwm, down_sampled)
    );
    println!(
        "  server idle    {:.1} MB resident before the upload",
        idle_rss as f64 / 1024.0
    );
    let same = got == sent && got_len == bytes;
    println!(
        "  sha256         generated and sent {sent}\n                 stored by the server: {}   downloaded ({got_len} bytes): {}",
        if stored_same { "same" } else { "DIFFERENT" },
        if got == sent { "same" } else { "DIFFERENT" }
    );
    let met =
        peak_kib(up_hwm, up_sampled) < 100 * 1024 && peak_kib(down_hwm, down_sampled) < 100 * 1024;
    println!(
        "  target         resident < 100 MB during upload and download: {}",
        if met { "met" } else { "MISSED" }
    );
    Ok(if same && stored_same {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(clap::Args)]
pub struct DossierArgs {
    /// Evidence in the dossier, in MB (2^20 bytes), split over --files files.
    #[arg(long, default_value_t = 1024)]
    evidence_mb: u64,
    /// Number of evidence files.
    #[arg(long, default_value_t = 8)]
    files: u64,
    /// Directory on the disk to measure; a temporary directory is made and
    /// removed inside it [default: the system's temporary directory].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// `thiqa-bench dossier`: `thiqa dossier build` (a child process) of a
/// service with every applicable obligation assessed and generated evidence
/// files attached to them, its time and peak resident memory, beside a plain
/// copy of the same evidence bytes in the same directory.
pub async fn dossier(args: DossierArgs) -> anyhow::Result<ExitCode> {
    let dir = bench_dir(args.dir.as_deref(), "dossier")?;
    let result = dossier_in(&dir, &args).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn dossier_in(dir: &Path, args: &DossierArgs) -> anyhow::Result<ExitCode> {
    let files = args.files.max(1);
    let per_file = args.evidence_mb * MB / files;
    if per_file == 0 {
        bail!("--evidence-mb too small for --files");
    }
    let fixture = prepare(dir, COMPLIANCE_ROLES).await?;
    let (store, provider) = (&fixture.store, fixture.provider);
    let (service, applicable) = assessed_service(store, provider).await?;
    // The evidence goes in through the store and blob store the server
    // uses; each file supports its share of the obligations.
    let blobs = BlobStore::open(&dir.join("blobs"))?;
    let mut stored = Vec::new();
    for i in 0..files {
        let mut up = blobs.begin(u64::MAX).await?;
        let mut generator = Generator::new(per_file, i + 1);
        while let Some(block) = generator.next_block() {
            up.write(block).await.map_err(|e| anyhow!("{e}"))?;
        }
        let (sha, size) = up.finish().await?;
        stored.push(
            blobs
                .local_file(&sha)
                .ok_or_else(|| anyhow!("blob {sha} missing"))?,
        );
        let obligations: Vec<String> = applicable
            .iter()
            .skip(i as usize)
            .step_by(files as usize)
            .cloned()
            .collect();
        store
            .provider(provider)
            .create_evidence(
                service,
                &NewEvidence {
                    kind: "file",
                    title: format!("Preuve {}", i + 1),
                    sha256: Some(sha),
                    size: Some(size as i64),
                    filename: Some(format!("preuve-{}.bin", i + 1)),
                    media_type: Some("application/octet-stream".into()),
                    obligations,
                    ..Default::default()
                },
                &Actor::system(),
            )
            .await?;
    }
    fixture.store.close().await;
    let evidence_bytes = per_file * files;

    let copy_before = copy_baseline(dir, &stored)?;

    let out = dir.join("dossier.zip");
    let t = Instant::now();
    let child = std::process::Command::new(crate::thiqa_binary()?)
        .args(["dossier", "build", "--data-dir"])
        .arg(dir)
        .args(["--service", &service.0.to_string(), "--out"])
        .arg(&out)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting thiqa dossier build")?;
    let watch = Watch::start(child.id(), Duration::from_millis(2));
    let output = child.wait_with_output()?;
    let build_time = t.elapsed();
    let (sampled, hwm) = watch.stop();
    if !output.status.success() {
        bail!("thiqa dossier build failed: {}", output.status);
    }
    let dossier_bytes = std::fs::metadata(&out)?.len();
    let report = thiqa_export::dossier::verify(BufReader::new(std::fs::File::open(&out)?))?;
    std::fs::remove_file(&out)?;
    let copy_after = copy_baseline(dir, &stored)?;
    // The faster of the two copies: the stricter comparison.
    let copy_time = copy_before.min(copy_after);

    let server = Server::start(dir, &[])?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = proc_kib(server.pid, "VmRSS")?;
    drop(server);

    let mb = |b: u64| b as f64 / MB as f64;
    let peak_kib = hwm.max(sampled);
    println!(
        "thiqa-bench dossier: `thiqa dossier build` (child process) of a service with {} obligations assessed",
        applicable.len()
    );
    println!(
        "  and {} evidence files of {:.0} MB attached to them ({:.0} MB); MB = 2^20 bytes",
        files,
        mb(per_file),
        mb(evidence_bytes)
    );
    println!("  data dir       {}", dir.display());
    println!(
        "  disk baseline  copy {:.0} MB/s before the build, {:.0} MB/s after (the same bytes read and written",
        mb(evidence_bytes) / copy_before.as_secs_f64(),
        mb(evidence_bytes) / copy_after.as_secs_f64(),
    );
    println!(
        "                 with std::fs, then fsync; the faster, {:.2} s, is the baseline below)",
        copy_time.as_secs_f64()
    );
    println!(
        "  build          {:.0} MB/s of evidence ({:.2} s, {:.0}% of the copy)   dossier {:.0} MB, {} files, verified {}",
        mb(evidence_bytes) / build_time.as_secs_f64(),
        build_time.as_secs_f64(),
        100.0 * copy_time.as_secs_f64() / build_time.as_secs_f64(),
        mb(dossier_bytes),
        report.checked,
        if report.ok() { "intact" } else { "NOT INTACT" }
    );
    println!(
        "  build memory   peak RSS {:.1} MB (VmHWM read every 2 ms until exit; max sampled VmRSS {:.1} MB)",
        hwm as f64 / 1024.0,
        sampled as f64 / 1024.0
    );
    println!(
        "  server idle    {:.1} MB resident (`thiqa serve` on the same data)",
        idle_rss as f64 / 1024.0
    );
    let met = peak_kib < 100 * 1024;
    println!(
        "  target         build resident < 100 MB: {}; close to disk speed: {:.0}% of the copy",
        if met { "met" } else { "MISSED" },
        100.0 * copy_time.as_secs_f64() / build_time.as_secs_f64()
    );
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

const MB: u64 = 1024 * 1024;

/// A fresh directory for one benchmark under `base` (default: the system's
/// temporary directory); the caller removes it.
pub(crate) fn bench_dir(base: Option<&Path>, what: &str) -> anyhow::Result<PathBuf> {
    let base = base
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("thiqa-bench-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Pseudo-random, incompressible content, one MB block at a time: a random
/// block made once, with the block's number and the seed in its first bytes
/// so no two blocks (nor two seeds' files) are the same. Costs next to nothing.
struct Generator {
    block: Vec<u8>,
    left: u64,
    index: u64,
}

impl Generator {
    fn new(bytes: u64, seed: u64) -> Generator {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut block = Vec::with_capacity(MB as usize);
        while block.len() < MB as usize {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            block.extend_from_slice(&x.to_le_bytes());
        }
        block[8..16].copy_from_slice(&seed.to_le_bytes());
        Generator {
            block,
            left: bytes,
            index: 0,
        }
    }

    fn next_block(&mut self) -> Option<&[u8]> {
        if self.left == 0 {
            return None;
        }
        let n = self.left.min(MB) as usize;
        self.block[..8].copy_from_slice(&self.index.to_le_bytes());
        self.index += 1;
        self.left -= n as u64;
        Some(&self.block[..n])
    }
}

/// Plain `std::fs`: the evidence files read and written into one file of
/// `dir` by a loop of large reads and writes (no in-kernel copy), then
/// fsync, as the dossier build does; returns the time.
fn copy_baseline(dir: &Path, files: &[PathBuf]) -> anyhow::Result<Duration> {
    let copy = dir.join("copy.bin");
    let t = Instant::now();
    {
        let mut out = std::fs::File::create(&copy)?;
        let mut buf = vec![0u8; MB as usize];
        for path in files {
            let mut f = std::fs::File::open(path)?;
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                out.write_all(&buf[..n])?;
            }
        }
        out.sync_all()?;
    }
    let time = t.elapsed();
    std::fs::remove_file(&copy)?;
    Ok(time)
}

/// Plain `std::fs`: writes `bytes` from the generator (then fsync, as an
/// upload does) and reads them back, in `dir`; returns both times.
fn disk_baseline(dir: &Path, bytes: u64) -> anyhow::Result<(Duration, Duration)> {
    let path = dir.join("baseline.bin");
    let t = Instant::now();
    {
        let mut f = std::fs::File::create(&path)?;
        let mut generator = Generator::new(bytes, 0xBA5E);
        while let Some(block) = generator.next_block() {
            f.write_all(block)?;
        }
        f.sync_all()?;
    }
    let write = t.elapsed();
    let t = Instant::now();
    let mut f = std::fs::File::open(&path)?;
    let mut buf = vec![0u8; MB as usize];
    let mut read = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        read += n as u64;
    }
    let read_time = t.elapsed();
    drop(f);
    std::fs::remove_file(&path)?;
    if read != bytes {
        bail!("baseline: read {read} of {bytes} bytes");
    }
    Ok((write, read_time))
}

/// Seed of the uploaded file's content.
const UPLOAD_SEED: u64 = 0x0E1D;

/// SHA-256 (hex) of the generated content, computed before the upload so
/// the timed upload leaves the server the machine's other core.
fn generated_sha256(bytes: u64, seed: u64) -> String {
    let mut hasher = Sha256::new();
    let mut generator = Generator::new(bytes, seed);
    while let Some(block) = generator.next_block() {
        hasher.update(block);
    }
    hex(&hasher.finalize())
}

/// Streams a generated file of `bytes` as a multipart upload (CSRF token in
/// the query, as the console's form sends it).
fn upload(
    addr: &str,
    token: &str,
    service: ServiceId,
    obligation: &str,
    bytes: u64,
) -> anyhow::Result<()> {
    const BOUNDARY: &str = "thiqa-bench-4f1c9a7e2b6d8053-boundary";
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nMesure {} Mo\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"obligations\"\r\n\r\n{obligation}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"mesure.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n",
        bytes / MB
    );
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let length = head.len() as u64 + bytes + tail.len() as u64;
    let mut stream = StdTcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let request = format!(
        "POST /services/{}/evidence/upload?{CSRF}={CSRF} HTTP/1.1\r\nHost: {addr}\r\n\
         Cookie: thiqa_console={token}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{head}",
        service.0
    );
    let sent = (|| -> std::io::Result<()> {
        stream.write_all(request.as_bytes())?;
        let mut generator = Generator::new(bytes, UPLOAD_SEED);
        while let Some(block) = generator.next_block() {
            stream.write_all(block)?;
        }
        stream.write_all(tail.as_bytes())
    })();
    let response = read_head(BufReader::new(stream));
    match (sent, response) {
        (Ok(()), Ok(r)) if r.status == 303 => Ok(()),
        (_, Ok(mut r)) => {
            let mut body = String::new();
            let _ = r.reader.read_to_string(&mut body);
            bail!(
                "upload refused: status {}: {}",
                r.status,
                body.chars().take(300).collect::<String>()
            )
        }
        (Err(e), Err(_)) => Err(e.into()),
        (Ok(()), Err(e)) => Err(e),
    }
}

/// Downloads `path`, hashing it as it arrives; returns its SHA-256 (hex) and length.
fn download(addr: &str, token: &str, path: &str) -> anyhow::Result<(String, u64)> {
    let mut stream = StdTcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.write_all(
        format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: thiqa_console={token}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )?;
    let mut r = read_head(BufReader::with_capacity(MB as usize, stream))?;
    if r.status != 200 {
        bail!("{path}: status {}", r.status);
    }
    let length = r
        .length
        .ok_or_else(|| anyhow!("{path}: no Content-Length"))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; MB as usize];
    let mut got = 0u64;
    while got < length {
        let n = r.reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        got += n as u64;
    }
    Ok((hex(&hasher.finalize()), got))
}

/// A page's status and text, on a fresh connection.
pub(crate) fn get_text(addr: &str, token: &str, path: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = StdTcpStream::connect(addr)?;
    stream.write_all(
        format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: thiqa_console={token}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )?;
    let mut r = read_head(BufReader::new(stream))?;
    let mut body = Vec::new();
    match r.length {
        Some(n) => {
            body.resize(n as usize, 0);
            r.reader.read_exact(&mut body)?;
        }
        None => {
            r.reader.read_to_end(&mut body)?;
        }
    }
    Ok((r.status, String::from_utf8_lossy(&body).into_owned()))
}

/// A response's status and Content-Length, and the reader at its body.
struct Head {
    status: u16,
    length: Option<u64>,
    reader: BufReader<StdTcpStream>,
}

fn read_head(mut reader: BufReader<StdTcpStream>) -> anyhow::Result<Head> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line: {line:?}"))?;
    let mut length = None;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = Some(v.trim().parse()?);
            }
            if k.eq_ignore_ascii_case("transfer-encoding") {
                bail!("chunked responses are not read here");
            }
        }
    }
    Ok(Head {
        status,
        length,
        reader,
    })
}

/// Resets a process's peak resident size (VmHWM) to its current one
/// (Linux ≥ 4.0, own processes); false when it could not.
pub(crate) fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// Samples a process's resident memory at a fixed interval until stopped or
/// until the process ends: the highest VmRSS seen and the last VmHWM read
/// (the kernel's own peak, so nothing between two samples is missed).
pub(crate) struct Watch {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<(u64, u64)>,
}

impl Watch {
    pub(crate) fn start(pid: u32, every: Duration) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let (mut rss, mut hwm) = (0, 0);
            while !flag.load(Ordering::Relaxed) {
                // A process that has ended (zombie or reaped) has no Vm lines.
                let (Ok(r), Ok(h)) = (proc_kib(pid, "VmRSS"), proc_kib(pid, "VmHWM")) else {
                    break;
                };
                rss = rss.max(r);
                hwm = h;
                std::thread::sleep(every);
            }
            (rss, hwm)
        });
        Watch { stop, handle }
    }

    pub(crate) fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or((0, 0))
    }
}

/// A `thiqa serve` child process on a benchmark data directory; killed when dropped.
pub(crate) struct Server {
    child: std::process::Child,
    pub(crate) pid: u32,
    /// Operator console, `host:port`.
    pub(crate) addr: String,
}

impl Server {
    pub(crate) fn start(dir: &Path, env: &[(&str, String)]) -> anyhow::Result<Server> {
        let mut child = std::process::Command::new(crate::thiqa_binary()?)
            .args(["serve", "--data-dir"])
            .arg(dir)
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
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
        let Some(addr) = console else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the server did not start");
        };
        Ok(Server { child, pid, addr })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh benchmark database and an operator with a complete (second
/// factor passed) session whose CSRF token is [`CSRF`].
pub(crate) struct Fixture {
    pub(crate) store: Store,
    pub(crate) provider: ProviderId,
    pub(crate) token: String,
}

pub(crate) const CSRF: &str = "csrf";

async fn prepare(dir: &Path, roles: &[&str]) -> anyhow::Result<Fixture> {
    let location = DatabaseLocation::Sqlite {
        data_dir: dir.to_path_buf(),
    };
    prepare_at(&location, roles).await
}

/// The same fixture in the database at `location` (SQLite or PostgreSQL).
pub(crate) async fn prepare_at(
    location: &DatabaseLocation,
    roles: &[&str],
) -> anyhow::Result<Fixture> {
    let store = Store::open(location, Arc::new(SystemClock)).await?;
    let actor = Actor::system();
    let provider = store.create_provider("Bench", &actor).await?;
    let tenant = Tenant::Provider(provider);
    seed_tenant(&store, tenant, &actor).await?;
    let id = store
        .tenant(tenant)
        .create_account(
            NewAccount {
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
    for name in roles {
        let role = role_by_name(&store, tenant, name)
            .await?
            .ok_or_else(|| anyhow!("role {name}"))?;
        store.tenant(tenant).assign_role(id, role, &actor).await?;
    }
    let token = Token::generate()?;
    store
        .create_session(
            Directory::Operators,
            id,
            token.hash().as_str(),
            CSRF,
            true,
            SessionPolicy::default(),
            None,
            None,
        )
        .await?;
    Ok(Fixture {
        store,
        provider,
        token: token.expose().to_string(),
    })
}

/// Roles that read services and edit their assessment and evidence.
pub(crate) const COMPLIANCE_ROLES: &[&str] = &[PROVIDER_ADMIN_ROLE, "Responsable conformité"];

/// A service whose profile makes the most obligations applicable (every
/// model, level and all facts yes or all no are tried), every applicable
/// obligation assessed; returns it with the applicable obligations, in the
/// order the assessment page lists them.
pub(crate) async fn assessed_service(
    store: &Store,
    provider: ProviderId,
) -> anyhow::Result<(ServiceId, Vec<String>)> {
    let c = thiqa_catalog::dgssi_cloud_2025();
    let mut best: Option<(usize, Profile)> = None;
    for model in ServiceModel::ALL {
        for level in Level::ALL {
            for answer in [true, false] {
                let mut p = Profile::new(model, level);
                for f in c.facts() {
                    p.facts.insert(f.id.clone(), answer);
                }
                let n = applicable_ids(c, &p).len();
                if best.as_ref().is_none_or(|(m, _)| n > *m) {
                    best = Some((n, p));
                }
            }
        }
    }
    let (_, profile) = best.ok_or_else(|| anyhow!("empty catalog"))?;
    let facts = serde_json::to_string(&profile.facts)?;
    let actor = Actor::system();
    let id = store
        .provider(provider)
        .create_service(
            &NewService {
                name: "Service de mesure",
                description: "Service créé par thiqa-bench.",
                model: profile.model.as_str(),
                level: i64::from(profile.level.number()),
                facts_json: &facts,
            },
            &actor,
        )
        .await?;
    // The very computation the page makes.
    let service = store.provider(provider).service(id).await?;
    let applicable = applicable_ids(
        c,
        &profile_of(c, &service).map_err(|e| anyhow!("profile: {e:?}"))?,
    );
    let mut inputs = Vec::new();
    for (i, oid) in applicable.iter().enumerate() {
        let status = match i % 5 {
            0 => AssessmentStatus::PartiallyCompliant,
            1 => AssessmentStatus::NonCompliant,
            _ => AssessmentStatus::Compliant,
        };
        let input = AssessmentInput {
            status,
            statement: format!("Mise en œuvre décrite dans la procédure PR-{:03}.", i + 1),
            justification: String::new(),
            owner: ["conformite", "rssi", "exploitation"][i % 3].into(),
            next_review: if i % 4 == 0 {
                "2026-12-15".into()
            } else {
                "2027-06-30".into()
            },
        }
        .checked()
        .map_err(|e| anyhow!("{oid}: {e:?}"))?;
        inputs.push((oid.clone(), input));
    }
    store
        .provider(provider)
        .save_assessments(id, &inputs, &actor)
        .await?;
    Ok((id, applicable))
}

/// A `Vm…` field of a process's status (kB), from /proc (Linux): `VmRSS`
/// is the resident set now, `VmHWM` its peak (high-water mark).
pub(crate) fn proc_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("no {field} for {pid}"))
}

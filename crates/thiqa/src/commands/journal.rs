//! `thiqa journal …`: sign checkpoints of the tamper-evident journal of
//! security events, verify it from storage, and write and check
//! self-contained inclusion proofs (the latter offline, with only the
//! published verifier key).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use thiqa_app::sources::{self, ConfigAdmin, SourceInput};
use thiqa_app::Shell;
use thiqa_journal::{Event, NoteVerifier};
use thiqa_store::{InclusionBundle, JournalVerification};

use super::{load_existing_config, open_app, open_reading_store, open_store};
use crate::args::DataArgs;
use thiqa_domain::text::hex;

/// Logs at least this long get progress lines on stderr while verifying.
const PROGRESS_FROM: u64 = 100_000;

#[derive(clap::Args, Clone)]
pub struct OriginArg {
    /// Name of the log (checkpoint origin and key name); default: the
    /// configuration's `journal.origin` (the server's).
    #[arg(long)]
    pub origin: Option<String>,
}

impl OriginArg {
    /// The flag, else the configured origin, so the CLI and the server
    /// sign and verify as the same log.
    fn resolve(&self, config: &thiqa_server::config::Config) -> String {
        self.origin
            .clone()
            .unwrap_or_else(|| config.journal.origin.clone())
    }
}

#[derive(clap::Subcommand)]
pub enum JournalCommand {
    /// Sign a checkpoint of the journal now and print it (C2SP signed note).
    Checkpoint {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        origin: OriginArg,
    },
    /// Recompute the journal from storage and check every stored checkpoint;
    /// names the first altered row. Exit status 1 on any problem.
    Verify {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        origin: OriginArg,
        /// Trust this verifier key instead of the data directory's own key.
        #[arg(long, value_name = "VKEY")]
        key: Option<String>,
    },
    /// Write a self-contained proof that leaf N is in a signed checkpoint.
    Prove {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        origin: OriginArg,
        /// Leaf index (from 0).
        #[arg(long)]
        index: u64,
        /// Size of a stored checkpoint to prove against [default: the latest,
        /// signing a new one if it does not cover the leaf].
        #[arg(long)]
        size: Option<u64>,
        /// Proof file to write [default: standard output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a proof file offline, with only the verifier key. Exit status 1
    /// if it does not verify.
    VerifyProof {
        file: PathBuf,
        /// Verifier key, as printed by `thiqa journal key`.
        #[arg(long, value_name = "VKEY")]
        key: String,
    },
    /// Print the journal's verifier key (signed-note format), to publish.
    Key {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        origin: OriginArg,
    },
    /// Register, list and revoke the infrastructure event sources that post
    /// to POST /api/v1/journal/intake (console listener).
    #[command(subcommand)]
    Source(SourceCommand),
}

pub async fn run(cmd: JournalCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        JournalCommand::Source(cmd) => source(cmd).await,
        JournalCommand::Checkpoint { data, origin } => checkpoint(&data, &origin).await,
        JournalCommand::Verify { data, origin, key } => {
            verify(&data, &origin, key.as_deref()).await
        }
        JournalCommand::Prove {
            data,
            origin,
            index,
            size,
            out,
        } => prove(&data, &origin, index, size, out.as_deref()).await,
        JournalCommand::VerifyProof { file, key } => verify_proof(&file, &key),
        JournalCommand::Key { data, origin } => {
            // A read command: it never creates a key (a new one would not
            // be the key that signed this journal).
            let config = load_existing_config(&data)?;
            let store = open_reading_store(&config).await?;
            let signer = journal_signer(&config, &store, &origin.resolve(&config), false)
                .await?
                .ok_or_else(|| no_journal_key(&config))?;
            println!("{}", signer.verifier());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn checkpoint(data: &DataArgs, origin: &OriginArg) -> anyhow::Result<ExitCode> {
    let config = load_existing_config(data)?;
    let origin = &origin.resolve(&config);
    let store = open_store(&config).await?;
    let signer = created_journal_signer(&config, &store, origin).await?;
    let checkpoint = store.journal_sign_checkpoint(&signer).await?;
    print!("{}", checkpoint.note);
    Ok(ExitCode::SUCCESS)
}

async fn verify(
    data: &DataArgs,
    origin: &OriginArg,
    key: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let config = load_existing_config(data)?;
    let origin = &origin.resolve(&config);
    let store = open_reading_store(&config).await?;
    // The deployment's own key, never a new one: without a key the rows
    // are still recomputed, and any checkpoint is reported unverified.
    let trusted: Vec<NoteVerifier> = match key {
        Some(k) => vec![NoteVerifier::parse(k.trim()).context("--key is not a verifier key")?],
        None => match journal_signer(&config, &store, origin, false).await? {
            Some(signer) => vec![signer.verifier()],
            None => {
                eprintln!(
                    "{}; checkpoints cannot be checked without --key",
                    no_journal_key(&config)
                );
                Vec::new()
            }
        },
    };
    let mut next_report = PROGRESS_FROM;
    let mut progress = |read: u64, total: u64| {
        if total >= PROGRESS_FROM && (read >= next_report || read == total) {
            eprintln!("verified {read} of {total} leaves");
            next_report = read + PROGRESS_FROM;
        }
    };
    let result = store
        .journal_verify(origin, &trusted, &mut progress)
        .await?;
    print_verification(&result);
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_verification(v: &JournalVerification) {
    let r = &v.report;
    if v.is_ok() {
        println!(
            "journal OK: {} leaves, root {}, {} checkpoints verified (leaves 0..{} signed)",
            r.leaves,
            hex(&r.root),
            r.checkpoints_verified,
            r.verified_prefix
        );
        return;
    }
    for p in &r.problems {
        println!("PROBLEM: {p}");
    }
    if r.problems_omitted > 0 {
        println!("… and {} more problems", r.problems_omitted);
    }
    for p in &v.head_problems {
        println!("PROBLEM: {p}");
    }
    for p in &v.column_problems {
        println!("PROBLEM: {p}");
    }
    if v.column_problems_omitted > 0 {
        println!(
            "… and {} more rows whose columns differ from their leaf",
            v.column_problems_omitted
        );
    }
    match v.first_bad() {
        Some(at) => println!("first altered: {at}"),
        None => println!("first altered: unknown (checkpoints only)"),
    }
    println!(
        "journal NOT intact: {} rows read (head {}), {} checkpoints verified, leaves 0..{} proven by them",
        r.leaves, v.head.size, r.checkpoints_verified, r.verified_prefix
    );
}

async fn prove(
    data: &DataArgs,
    origin: &OriginArg,
    index: u64,
    size: Option<u64>,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let config = load_existing_config(data)?;
    let store = open_store(&config).await?;
    let signer = created_journal_signer(&config, &store, &origin.resolve(&config)).await?;
    if let Some(out) = out {
        if out.exists() {
            bail!("{} already exists", out.display());
        }
    }
    if size.is_none() {
        let covered = store
            .journal_latest_checkpoint()
            .await?
            .is_some_and(|c| index < c.size);
        if !covered {
            store.journal_sign_checkpoint(&signer).await?;
        }
    }
    let bundle = store.journal_prove(index, size).await?;
    // Never hand out a file that would not verify with our published key.
    bundle
        .verify(&signer.verifier())
        .context("the proof does not verify with this data directory's journal key")?;
    let text = bundle.to_json();
    match out {
        Some(path) => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| format!("creating {}", path.display()))?;
            f.write_all(text.as_bytes())?;
            eprintln!(
                "proof of leaf {index} in the checkpoint of {} leaves written to {}",
                bundle.tree_size,
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks one proof file, or an export's proofs file (one proof per line,
/// as `/journal/export/proofs` writes it): every proof must verify.
fn verify_proof(file: &Path, key: &str) -> anyhow::Result<ExitCode> {
    let key = NoteVerifier::parse(key.trim()).context("--key is not a verifier key")?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if let Ok(bundle) = InclusionBundle::from_json(&bytes) {
        return Ok(verify_one(&bundle, &key, true));
    }
    let text = String::from_utf8(bytes).context("the proofs file is not UTF-8")?;
    let (mut valid, mut invalid) = (0u64, 0u64);
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match InclusionBundle::from_json(line.as_bytes()) {
            Ok(bundle) => {
                if verify_one(&bundle, &key, false) == ExitCode::SUCCESS {
                    valid += 1;
                } else {
                    println!("  (line {})", n + 1);
                    invalid += 1;
                }
            }
            Err(e) => {
                println!("line {}: {e}", n + 1);
                invalid += 1;
            }
        }
    }
    if invalid == 0 && valid > 0 {
        println!("{valid} proofs valid, signed by {key}");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{invalid} proofs INVALID, {valid} valid");
        Ok(ExitCode::FAILURE)
    }
}

/// Verifies one bundle; `detail` prints the event (single-proof files).
fn verify_one(bundle: &InclusionBundle, key: &NoteVerifier, detail: bool) -> ExitCode {
    match bundle.verify(key) {
        Ok(ok) => {
            if detail {
                println!(
                    "proof valid: leaf {} is in the log {} of {} leaves (root {}), signed by {}",
                    ok.index,
                    ok.origin,
                    ok.tree_size,
                    hex(&ok.root),
                    key
                );
                match &ok.event {
                    Ok(event) => print_event(event),
                    Err(e) => println!("the leaf is not a Thiqa event: {e}"),
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("proof INVALID (leaf {}): {e}", bundle.index);
            ExitCode::FAILURE
        }
    }
}

fn print_event(e: &Event) {
    println!(
        "  time:     {} (received {})",
        e.event_time, e.received_time
    );
    println!("  source:   {}", e.source);
    println!(
        "  action:   {} ({:?}, {:?})",
        e.action, e.outcome, e.severity
    );
    println!("  actor:    {}", e.actor);
    println!("  target:   {}", e.target);
    if let Some(t) = &e.tenant {
        println!("  tenant:   {t}");
    }
    if let Some(a) = e.source_address {
        println!("  from:     {a}");
    }
    for (k, v) in &e.attributes {
        println!("  {k}: {v}");
    }
}

#[derive(clap::Subcommand)]
pub enum SourceCommand {
    /// Register an event source; prints its token once (only its hash is kept).
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// Source name, written in each of its events (e.g. hv/kvm-07).
        #[arg(long)]
        name: String,
        /// Id of a commanditaire organisation whose events it may tag (repeatable).
        #[arg(long = "organisation", value_name = "ID")]
        organisations: Vec<i64>,
        /// PEM certificate the source presents to the syslog listener
        /// (pinned by its SHA-256).
        #[arg(long, value_name = "PEM")]
        tls_client_cert: Option<PathBuf>,
    },
    /// Pin (or replace) the TLS client certificate of a source, for syslog.
    Certificate {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "PEM")]
        tls_client_cert: PathBuf,
    },
    /// List the event sources.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke an event source: its token stops working at once.
    Revoke {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        name: String,
    },
}

async fn source(cmd: SourceCommand) -> anyhow::Result<ExitCode> {
    let data = match &cmd {
        SourceCommand::Create { data, .. }
        | SourceCommand::List { data }
        | SourceCommand::Certificate { data, .. }
        | SourceCommand::Revoke { data, .. } => data.clone(),
    };
    let config = load_existing_config(&data)?;
    let (app, provider) = open_app(&config).await?;
    let admin = Shell::for_provider(provider).config_admin();
    match cmd {
        SourceCommand::Create {
            name,
            organisations,
            tls_client_cert,
            ..
        } => {
            let orgs: Vec<_> = organisations
                .into_iter()
                .map(thiqa_domain::OrganisationId)
                .collect();
            let input = SourceInput::check(&name, orgs).map_err(|_| {
                anyhow!("{name:?} is not a source name: 1 to 64 letters, digits and ._/:- starting with a letter or digit")
            })?;
            // Read before anything is stored: a bad file registers nothing.
            let fingerprint = tls_client_cert
                .as_deref()
                .map(thiqa_server::syslog::pem_certificate_fingerprint)
                .transpose()
                .map_err(|e| anyhow!(e))?;
            let created = sources::register(&app, &admin, &input).await?;
            if let Some(fp) = &fingerprint {
                sources::pin_certificate(&app, &admin, created.source.id, fp).await?;
                eprintln!("syslog client certificate pinned: sha256 {fp}");
            }
            eprintln!(
                "event source \"{name}\" registered (id {}); its token, shown once:",
                created.source.id
            );
            println!("{}", created.token.expose());
        }
        SourceCommand::Certificate {
            name,
            tls_client_cert,
            ..
        } => {
            let fp = thiqa_server::syslog::pem_certificate_fingerprint(&tls_client_cert)
                .map_err(|e| anyhow!(e))?;
            let s = live_source(&app, &admin, &name).await?;
            sources::pin_certificate(&app, &admin, s.id, &fp).await?;
            eprintln!("event source \"{name}\": syslog client certificate sha256 {fp}");
        }
        SourceCommand::List { .. } => {
            for s in sources::list(&app, &admin).await? {
                let orgs = s
                    .organisations
                    .iter()
                    .map(|o| o.0.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                println!(
                    "{}\t{}\t{}\torganisations=[{orgs}]",
                    s.id,
                    s.name,
                    if s.is_active() { "active" } else { "revoked" }
                );
            }
        }
        SourceCommand::Revoke { name, .. } => {
            let s = live_source(&app, &admin, &name).await?;
            sources::revoke(&app, &admin, s.id).await?;
            eprintln!("event source \"{name}\" revoked");
        }
    }
    app.store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The live source named `name`, or an error saying there is none.
async fn live_source(
    app: &thiqa_app::App,
    admin: &ConfigAdmin,
    name: &str,
) -> anyhow::Result<thiqa_store::IntakeSource> {
    match sources::live(app, admin, name).await {
        Err(thiqa_app::AppError::NotFound) => bail!("no live event source named {name:?}"),
        other => Ok(other?),
    }
}

/// The journal signer of `origin` where the configuration keeps the keys
/// (files, or sealed in the database); created only when `create`.
async fn journal_signer(
    config: &thiqa_server::config::Config,
    store: &thiqa_store::Store,
    origin: &str,
    create: bool,
) -> anyhow::Result<Option<thiqa_journal::NoteSigner>> {
    let custody = config.key_custody().map_err(|e| anyhow!(e))?;
    Ok(store
        .journal_signer(&custody, origin, create, &thiqa_store::instance_name())
        .await?)
}

/// The same, created when absent (signing commands).
async fn created_journal_signer(
    config: &thiqa_server::config::Config,
    store: &thiqa_store::Store,
    origin: &str,
) -> anyhow::Result<thiqa_journal::NoteSigner> {
    journal_signer(config, store, origin, true)
        .await?
        .ok_or_else(|| anyhow!("the journal key was not created"))
}

fn no_journal_key(config: &thiqa_server::config::Config) -> anyhow::Error {
    if config.keys.wrapping_key_file.is_some() {
        return anyhow!(
            "no journal key in the database: this journal was never signed (thiqa serve and thiqa journal checkpoint create it)"
        );
    }
    anyhow!(
        "no journal key in {}: the journal of this directory was never signed (thiqa serve and thiqa journal checkpoint create it)",
        config.data_dir.join(thiqa_store::JOURNAL_KEY_FILE).display()
    )
}

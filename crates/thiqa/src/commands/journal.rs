//! `thiqa journal …`: sign checkpoints of the tamper-evident journal of
//! security events, verify it from storage, and write and check
//! self-contained inclusion proofs (the latter offline, with only the
//! published verifier key).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use thiqa_journal::{Event, NoteVerifier};
use thiqa_store::{journal_signer, InclusionBundle, JournalVerification, DEFAULT_JOURNAL_ORIGIN};

use super::{load_config, open_store};
use crate::cli::DataArgs;

/// Logs at least this long get progress lines on stderr while verifying.
const PROGRESS_FROM: u64 = 100_000;

#[derive(clap::Args, Clone)]
pub struct OriginArg {
    /// Name of the log (checkpoint origin and key name).
    #[arg(long, default_value = DEFAULT_JOURNAL_ORIGIN)]
    pub origin: String,
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
}

pub async fn run(cmd: JournalCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        JournalCommand::Checkpoint { data, origin } => checkpoint(&data, &origin.origin).await,
        JournalCommand::Verify { data, origin, key } => {
            verify(&data, &origin.origin, key.as_deref()).await
        }
        JournalCommand::Prove {
            data,
            origin,
            index,
            size,
            out,
        } => prove(&data, &origin.origin, index, size, out.as_deref()).await,
        JournalCommand::VerifyProof { file, key } => verify_proof(&file, &key),
        JournalCommand::Key { data, origin } => {
            let config = load_config(&data, vec![])?;
            println!(
                "{}",
                journal_signer(&config.data_dir, &origin.origin)?.verifier()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn checkpoint(data: &DataArgs, origin: &str) -> anyhow::Result<ExitCode> {
    let config = load_config(data, vec![])?;
    let signer = journal_signer(&config.data_dir, origin)?;
    let store = open_store(&config).await?;
    let checkpoint = store.journal_sign_checkpoint(&signer).await?;
    print!("{}", checkpoint.note);
    Ok(ExitCode::SUCCESS)
}

async fn verify(data: &DataArgs, origin: &str, key: Option<&str>) -> anyhow::Result<ExitCode> {
    let config = load_config(data, vec![])?;
    let verifier = match key {
        Some(k) => NoteVerifier::parse(k.trim()).context("--key is not a verifier key")?,
        None => journal_signer(&config.data_dir, origin)?.verifier(),
    };
    let store = open_store(&config).await?;
    let mut next_report = PROGRESS_FROM;
    let mut progress = |read: u64, total: u64| {
        if total >= PROGRESS_FROM && (read >= next_report || read == total) {
            eprintln!("verified {read} of {total} leaves");
            next_report = read + PROGRESS_FROM;
        }
    };
    let result = store
        .journal_verify(origin, &[verifier], &mut progress)
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
    origin: &str,
    index: u64,
    size: Option<u64>,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let config = load_config(data, vec![])?;
    let signer = journal_signer(&config.data_dir, origin)?;
    let store = open_store(&config).await?;
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

fn verify_proof(file: &Path, key: &str) -> anyhow::Result<ExitCode> {
    let key = NoteVerifier::parse(key.trim()).context("--key is not a verifier key")?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let bundle = InclusionBundle::from_json(&bytes)?;
    match bundle.verify(&key) {
        Ok(ok) => {
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
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("proof INVALID: {e}");
            Ok(ExitCode::FAILURE)
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

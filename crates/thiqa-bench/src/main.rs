//! `thiqa-bench`: Thiqa's performance figures, each measured beside its
//! baseline in the same run, against the real `thiqa` binary (a child
//! process on a benchmark data directory). Kept out of the product binary:
//! operators never need it, and its set-up code writes fixtures directly.

mod backends;
mod intake;
mod journal;
mod load;
mod notices;
mod pages;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "thiqa-bench",
    version,
    about = "Thiqa's benchmarks (figures beside their baselines)"
)]
struct Cli {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Batched intake of 300-byte events into the journal on SQLite, beside plain inserts of the same rows.
    Intake(intake::IntakeBenchArgs),
    /// Inclusion proofs, full verification and a commanditaire's export on a 10-million-leaf journal, each beside its baseline.
    Journal(journal::JournalBenchArgs),
    /// A session-authenticated console page under concurrent load, and the server's memory.
    Console(pages::BenchArgs),
    /// The assessment page of a fully assessed service under concurrent load, beside /healthz.
    Assessment(pages::AssessmentArgs),
    /// `/me` and the assessment page at 20 and 50 clients on SQLite and PostgreSQL in one run, PostgreSQL beside SQLite.
    Backends(backends::BackendsArgs),
    /// Upload and download of a large evidence file: throughput and the server's peak memory, beside the disk.
    Evidence(pages::EvidenceArgs),
    /// One notice to 10,000 recipients in 1,000 organisations: commit time, SMTP delivery rate, memory, console p99 during delivery beside idle.
    Notices(notices::NoticesArgs),
    /// `thiqa dossier build` with large evidence: throughput and peak memory, beside a plain copy.
    Dossier(pages::DossierArgs),
}

/// The `thiqa` binary the benchmarks run: beside this one (both are built
/// into the same target directory), or `THIQA_BENCH_BINARY`.
pub(crate) fn thiqa_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("THIQA_BENCH_BINARY") {
        return Ok(PathBuf::from(path));
    }
    let me = std::env::current_exe()?;
    let beside = me.with_file_name(format!("thiqa{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        beside.is_file(),
        "no thiqa binary beside {} (build it: cargo build --release -p thiqa), or set THIQA_BENCH_BINARY",
        me.display()
    );
    Ok(beside)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            BenchCommand::Intake(args) => intake::intake(args).await,
            BenchCommand::Journal(args) => journal::journal(args).await,
            BenchCommand::Console(args) => pages::console(args).await,
            BenchCommand::Assessment(args) => pages::assessment(args).await,
            BenchCommand::Backends(args) => backends::backends(args).await,
            BenchCommand::Notices(args) => notices::notices(args).await,
            BenchCommand::Evidence(args) => pages::evidence(args).await,
            BenchCommand::Dossier(args) => pages::dossier(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

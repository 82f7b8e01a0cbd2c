//! Command-line interface. Every command that touches data takes the same
//! `--data-dir` / `THIQA_DATABASE_URL` as `serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::args::{DataArgs, OperatorCommand, ServeArgs};
use crate::commands::{catalog, data, dossier, journal, keys, operator, serve};

#[derive(Parser)]
#[command(
    name = "thiqa",
    version,
    about = "Obtain and keep the Moroccan cloud qualification (DGSSI, arrêté 3-17-25 of 1 August 2025)",
    after_help = "Examples:
  thiqa demo                                   run with demo data on ./thiqa-data (SQLite)
  thiqa serve --data-dir /var/lib/thiqa        run on the embedded database
  THIQA_DATABASE_URL=postgres://thiqa@db/thiqa thiqa serve --listen 0.0.0.0:443 \\
      --tls-cert cert.pem --tls-key key.pem    run on PostgreSQL, behind TLS
  echo \"$PASSWORD\" | thiqa operator create --username amal --password-stdin
  thiqa backup --out thiqa-2026-11-29.db       consistent copy while the server runs
  thiqa catalog applicable --model saas --level 2 --fact internal_development=no
  thiqa journal verify                         recompute the journal, name any altered row"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the customer portal (--listen) and the operator console (--admin-listen).
    Serve(ServeArgs),
    /// Like serve, with a demo provider, service, commanditaire and users loaded; prints URLs and credentials.
    Demo(ServeArgs),
    /// Manage operator accounts from the shell (bootstrap).
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Apply pending database migrations and list them.
    Migrate(DataArgs),
    /// Write one file holding a consistent copy of the database (SQLite),
    /// the signing keys and the evidence files, while the server runs.
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// File to write; must not exist. It holds the signing keys: keep it
        /// as safe as the data directory.
        #[arg(long)]
        out: PathBuf,
        /// Leave the journal and dossier signing keys out (keep them apart
        /// yourself; a restore then needs them in <data-dir>/keys first).
        #[arg(long)]
        without_keys: bool,
    },
    /// Browse the référentiel: list, show, applicable, compare, stats, search, export.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Build or verify the signed qualification dossier of a service.
    #[command(subcommand)]
    Dossier(dossier::DossierCommand),
    /// Sign, prove and verify the tamper-evident journal of security events.
    #[command(subcommand)]
    Journal(journal::JournalCommand),
    /// Manage the key that seals the signing keys in the database.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Prove a backup (parts, schema, journal, evidence), then put it in
    /// the data directory (server stopped); nothing changes if it fails.
    Restore {
        #[command(flatten)]
        data: DataArgs,
        /// Backup file made by `thiqa backup`.
        file: PathBuf,
    },
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::serve(args, false).await,
        Command::Demo(args) => serve::serve(args, true).await,
        Command::Operator(cmd) => operator::run(cmd).await,
        Command::Catalog(cmd) => catalog::run(cmd),
        Command::Dossier(cmd) => dossier::run(cmd).await,
        Command::Journal(cmd) => journal::run(cmd).await,
        Command::Keys(cmd) => keys::run(cmd),
        Command::Migrate(data) => data::migrate(data).await,
        Command::Backup {
            data,
            out,
            without_keys,
        } => data::backup(data, out, without_keys).await,
        Command::Restore { data, file } => data::restore(data, file).await,
    }
}

//! Command-line interface. Every command that touches data takes the same
//! `--data-dir` / `THIQA_DATABASE_URL` as `serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Catalog(crate::commands::catalog::CatalogCommand),
    /// Build or verify the signed qualification dossier of a service.
    #[command(subcommand)]
    Dossier(crate::commands::dossier::DossierCommand),
    /// Sign, prove and verify the tamper-evident journal of security events.
    #[command(subcommand)]
    Journal(crate::commands::journal::JournalCommand),
    /// Manage the key that seals the signing keys in the database.
    #[command(subcommand)]
    Keys(crate::commands::keys::KeysCommand),
    /// Prove a backup (parts, schema, journal, evidence), then put it in
    /// the data directory (server stopped); nothing changes if it fails.
    Restore {
        #[command(flatten)]
        data: DataArgs,
        /// Backup file made by `thiqa backup`.
        file: PathBuf,
    },
}

/// Where the data is, and the configuration file.
#[derive(Args, Clone, Default)]
pub struct DataArgs {
    /// Configuration file (TOML); environment variables THIQA_* override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory of the embedded SQLite database [default: ./thiqa-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Customer portal and public API address [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Operator console address [default: 127.0.0.1:8081]. Keep it off public networks.
    #[arg(long)]
    pub admin_listen: Option<SocketAddr>,
    /// PEM certificate chain for --listen.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --listen.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM certificate chain for --admin-listen.
    #[arg(long, requires = "admin_tls_key")]
    pub admin_tls_cert: Option<PathBuf>,
    /// PEM private key for --admin-listen.
    #[arg(long, requires = "admin_tls_cert")]
    pub admin_tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (not for production).
    #[arg(long)]
    pub insecure_http: bool,
    /// Log format.
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormatArg>,
    /// Start with a new, empty database in a data directory whose database
    /// is missing (refused otherwise: restore a backup instead).
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Subcommand)]
pub enum OperatorCommand {
    /// Create an operator account; prints the TOTP provisioning URI once.
    Create {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        username: String,
        /// Full name [default: the username].
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// Name of the provider, when this is the first account of a new installation.
        #[arg(long, default_value = "Prestataire")]
        provider: String,
        /// Built-in or custom role to give (repeatable). The first operator gets
        /// "Administrateur des comptes" when none is given.
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// Release a locked operator account.
    Unlock {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        username: String,
    },
    /// Issue a one-time password-reset link for an operator.
    ResetLink {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        username: String,
    },
}

//! The arguments commands share or take whole: where the data is, how
//! to serve, the operator commands. Parsed by clap from [`crate::cli`].

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

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

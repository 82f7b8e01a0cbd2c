//! Configuration: defaults, then an optional TOML file, then `THIQA_*`
//! environment variables, then command-line flags. Validated once at start;
//! a bad key or value is refused with a message naming it.

mod blobs;
mod delivery;
mod edge;
mod support;
mod syslog;

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

pub use blobs::{BlobBackend, BlobsConfig};
pub use delivery::{OutboxConfig, SmtpConfig, WebhooksConfig};
pub use edge::{ProxyNet, TrustedProxies, METRICS_TOKEN_MIN_CHARS};
pub use support::SupportConfig;
pub use syslog::SyslogConfig;

/// Every setting. Field names are the TOML keys; the environment variable
/// is `THIQA_` + the dotted key upper-cased with `.` → `_`
/// (`lockout.threshold` → `THIQA_LOCKOUT_THRESHOLD`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Customer portal and public API.
    pub listen: SocketAddr,
    /// Operator console and metrics; keep it off public networks (3.5.6).
    pub admin_listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite.
    #[serde(
        serialize_with = "expose_for_layering",
        deserialize_with = "secret_opt"
    )]
    pub database_url: Option<SecretString>,
    pub tls: TlsConfig,
    pub admin_tls: TlsConfig,
    /// Allows plain HTTP on a non-loopback address (prints a warning).
    pub insecure_http: bool,
    pub log_format: LogFormat,
    pub lockout: LockoutConfig,
    pub session: SessionConfig,
    pub password: PasswordConfig,
    pub rate_limit: RateLimitConfig,
    /// Shown as the issuer in authenticator apps.
    pub totp_issuer: String,
    /// Lifetime of password-reset and account set-up links, in minutes.
    pub reset_link_minutes: i64,
    /// Largest evidence file accepted, in MB.
    pub evidence_max_mb: u64,
    /// Most events in one intake batch (`POST /api/v1/journal/intake`).
    pub intake_max_events: u64,
    /// Largest intake batch body, in bytes (10 MiB by default).
    pub intake_max_bytes: u64,
    /// Base URLs used in links Thiqa prints (set-up links, demo output).
    pub public_url: Option<String>,
    pub admin_url: Option<String>,
    /// Reverse proxies (addresses or CIDR blocks) whose `Forwarded` or
    /// `X-Forwarded-For` header names the client; empty = the TCP peer is
    /// the client, whatever the headers say.
    pub trusted_proxies: TrustedProxies,
    /// Bearer token that `/metrics` requires; unset = no metrics served.
    #[serde(
        serialize_with = "expose_for_layering",
        deserialize_with = "secret_opt"
    )]
    pub metrics_token: Option<SecretString>,
    pub journal: JournalConfig,
    /// Correlation rules and alerts (3.8.9).
    pub alerts: AlertsConfig,
    /// Where evidence files are stored (local directory or S3).
    pub blobs: BlobsConfig,
    /// Syslog intake over TLS (off unless `syslog.listen` is set).
    pub syslog: SyslogConfig,
    /// Where the journal and dossier signing keys are kept.
    pub keys: KeysConfig,
    /// The mail relay for notices and account links (off unless `smtp.host`).
    pub smtp: SmtpConfig,
    /// Webhook calls to commanditaires' endpoints.
    pub webhooks: WebhooksConfig,
    /// Retries and leases of the outbox's sender.
    pub outbox: OutboxConfig,
    /// Delays of support access to a customer's data (3.5.7).
    pub support: SupportConfig,
}

/// Where the signing keys are kept. Unset: files under `<data_dir>/keys`
/// (one instance). Set: sealed in the database under this wrapping key, so
/// several instances on one PostgreSQL sign with the same keys without
/// sharing files (`thiqa keys new-wrapping-key FILE` writes one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// File holding the 256-bit wrapping key in hex (readable by Thiqa only).
    pub wrapping_key_file: Option<PathBuf>,
}

impl Config {
    /// Where the signing keys are, reading the wrapping key file if one is
    /// named (checked at load, so a bad file stops the start).
    pub fn key_custody(&self) -> Result<thiqa_store::KeyCustody, String> {
        match &self.keys.wrapping_key_file {
            None => Ok(thiqa_store::KeyCustody::files(&self.data_dir)),
            Some(path) => thiqa_store::KeyCustody::read_wrapping_key(path)
                .map(|key| thiqa_store::KeyCustody::database(&self.data_dir, key)),
        }
    }
}

/// The tamper-evident journal (3.8.6–3.8.8).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// The log's name in its checkpoints (C2SP origin), e.g. `cloud.example.ma/journal`.
    pub origin: String,
    /// Seconds between signed checkpoints while events come in.
    pub checkpoint_seconds: u64,
    /// How long event payloads are kept; never below 12 months (3.8.6).
    pub retention_days: u32,
}

/// Correlation rules and their alerts (3.8.9).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// A rule file (TOML, or the Sigma subset in `.yml`/`.yaml`,
    /// docs/correlation-rules.md); unset = the rules Thiqa ships.
    pub rules_file: Option<PathBuf>,
    /// Seconds between evaluations of the new journal events.
    pub interval_seconds: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            rules_file: None,
            interval_seconds: 60,
        }
    }
}

impl AlertsConfig {
    /// The rules in force: the file's, or the shipped ones.
    pub fn rules(&self) -> Result<thiqa_store::RuleSet, thiqa_store::RuleError> {
        match &self.rules_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| thiqa_store::RuleError {
                    rule: None,
                    field: None,
                    message: format!("cannot read {}: {e}", path.display()),
                })?;
                thiqa_store::RuleSet::parse_file(&path.to_string_lossy(), &text)
            }
            None => Ok(thiqa_store::RuleSet::defaults()),
        }
    }
}

/// 3.8.6: events are kept at least twelve months.
pub const MIN_RETENTION_DAYS: u32 = 365;

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            origin: thiqa_store::DEFAULT_JOURNAL_ORIGIN.into(),
            checkpoint_seconds: 300,
            retention_days: 400,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl TlsConfig {
    pub fn enabled(&self) -> bool {
        self.cert.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockoutConfig {
    pub threshold: u32,
    /// 0 = only an operator releases a locked account.
    pub release_after_minutes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    pub idle_minutes: i64,
    pub absolute_hours: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    pub min_length: usize,
    pub min_score: u8,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Login attempts allowed per source address per window.
    pub login_per_address: i64,
    /// Login attempts allowed per account name per window.
    pub login_per_account: i64,
    pub window_seconds: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".parse().expect("valid literal"),
            admin_listen: "127.0.0.1:8081".parse().expect("valid literal"),
            data_dir: PathBuf::from("./thiqa-data"),
            database_url: None,
            tls: TlsConfig::default(),
            admin_tls: TlsConfig::default(),
            insecure_http: false,
            log_format: LogFormat::Text,
            lockout: LockoutConfig::default(),
            session: SessionConfig::default(),
            password: PasswordConfig::default(),
            rate_limit: RateLimitConfig::default(),
            totp_issuer: "Thiqa".into(),
            reset_link_minutes: 60,
            evidence_max_mb: 50,
            intake_max_events: 10_000,
            intake_max_bytes: 10 << 20,
            public_url: None,
            admin_url: None,
            trusted_proxies: TrustedProxies::default(),
            metrics_token: None,
            journal: JournalConfig::default(),
            alerts: AlertsConfig::default(),
            blobs: BlobsConfig::default(),
            syslog: SyslogConfig::default(),
            keys: KeysConfig::default(),
            smtp: SmtpConfig::default(),
            webhooks: WebhooksConfig::default(),
            outbox: OutboxConfig::default(),
            support: SupportConfig::default(),
        }
    }
}

/// A C2SP checkpoint origin: one line, no spaces, and no `+` (the signed
/// note key name is `origin+hash+key`).
fn valid_origin(origin: &str) -> bool {
    !origin.is_empty()
        && origin.len() <= 200
        && origin.chars().all(|c| c.is_ascii_graphic() && c != '+')
}

/// A base URL for printed links: scheme, host, optional port and path,
/// nothing a browser could read as something else.
fn valid_base_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && r.len() <= 200
            && r.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']' | '/' | '_')
            })
    })
}

impl Default for LockoutConfig {
    fn default() -> Self {
        LockoutConfig {
            threshold: 5,
            release_after_minutes: 15,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_minutes: 30,
            absolute_hours: 12,
        }
    }
}

impl Default for PasswordConfig {
    fn default() -> Self {
        PasswordConfig {
            min_length: 12,
            min_score: 3,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            login_per_address: 30,
            login_per_account: 10,
            window_seconds: 300,
        }
    }
}

/// Used only to build the layered table; Debug stays redacted.
pub(crate) fn expose_for_layering<S: serde::Serializer>(
    v: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(secret) => s.serialize_some(secret.expose_secret()),
        None => s.serialize_none(),
    }
}

pub(crate) fn secret_opt<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.is_empty())
        .map(SecretString::from))
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

/// Command-line values, as TOML key → value; they win over everything.
pub type Overrides = Vec<(&'static str, toml::Value)>;

impl Config {
    /// The account lockout this configuration sets (3.5.6).
    pub fn lockout_policy(&self) -> thiqa_domain::LockoutPolicy {
        thiqa_domain::LockoutPolicy {
            threshold: self.lockout.threshold,
            release_after_s: self.lockout.release_after_minutes * 60,
        }
    }

    /// The use cases' parts over `store` with everything this
    /// configuration sets for them (evidence storage, key custody, lockout,
    /// sign-in rules): the one place the server and the command line build
    /// them, so neither runs with defaults the other does not.
    pub fn app(&self, store: thiqa_store::Store) -> Result<thiqa_app::App, String> {
        let blobs = self
            .blob_store()
            .map_err(|e| format!("evidence storage: {e}"))?;
        let keys = self.key_custody().map_err(|e| format!("keys: {e}"))?;
        let sign_in = self
            .sign_in_rules()
            .map_err(|e| format!("password settings: {e}"))?;
        Ok(thiqa_app::App::new(
            store,
            blobs,
            keys,
            self.lockout_policy(),
            sign_in,
        ))
    }

    /// How signing in works under this configuration: Argon2id's cost, the
    /// password policy, session lifetimes and the attempt limits.
    pub fn sign_in_rules(
        &self,
    ) -> Result<thiqa_app::signin::SignInRules, thiqa_crypto::CryptoError> {
        Ok(thiqa_app::signin::SignInRules {
            hasher: thiqa_crypto::password::PasswordHasher::new(
                thiqa_crypto::password::HashParams {
                    memory_kib: self.password.argon2_memory_kib,
                    iterations: self.password.argon2_iterations,
                    parallelism: self.password.argon2_parallelism,
                },
            )?,
            passwords: thiqa_crypto::strength::PasswordPolicy::new(
                self.password.min_length,
                128,
                self.password.min_score,
            )?,
            sessions: thiqa_store::SessionPolicy {
                idle_s: self.session.idle_minutes * 60,
                absolute_s: self.session.absolute_hours * 3600,
            },
            attempts: thiqa_app::signin::AttemptLimits {
                per_address: self.rate_limit.login_per_address,
                per_account: self.rate_limit.login_per_account,
                window_s: self.rate_limit.window_seconds,
            },
        })
    }

    /// The evidence store this configuration names (the server's, and the
    /// one `thiqa backup` and `thiqa restore` read and fill).
    pub fn blob_store(&self) -> Result<thiqa_blobs::BlobStore, String> {
        self.blobs.open(&self.data_dir, self.insecure_http)
    }

    /// Limits of one intake batch (`intake_max_events`, `intake_max_bytes`).
    pub fn intake_limits(&self) -> thiqa_store::IntakeLimits {
        thiqa_store::IntakeLimits {
            max_events: usize::try_from(self.intake_max_events).unwrap_or(usize::MAX),
            max_bytes: usize::try_from(self.intake_max_bytes).unwrap_or(usize::MAX),
            retention_days: self.journal.retention_days,
        }
    }

    /// Builds the configuration from its layers and validates it.
    pub fn load(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: Overrides,
    ) -> Result<Config, ConfigError> {
        let mut table =
            toml::Table::try_from(Config::default()).map_err(|e| ConfigError::Invalid {
                key: "defaults",
                message: e.to_string(),
            })?;
        let keys = leaf_keys(&table, "");
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            let from_file: toml::Table =
                text.parse()
                    .map_err(|e: toml::de::Error| ConfigError::File {
                        path: path.to_path_buf(),
                        message: e.message().to_string(),
                    })?;
            merge(&mut table, from_file);
            // Deserialise now, so an unknown key or bad type names the file.
            Config::deserialize(table.clone()).map_err(|e| ConfigError::File {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        }
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("THIQA_") else {
                continue;
            };
            let key = keys
                .iter()
                .find(|k| k.replace('.', "_").eq_ignore_ascii_case(rest))
                .ok_or_else(|| ConfigError::Env {
                    name: name.clone(),
                    message: "no such setting".into(),
                })?;
            set_path(&mut table, key, scalar(&value));
            Config::deserialize(table.clone()).map_err(|e| ConfigError::Env {
                name: name.clone(),
                message: e.to_string(),
            })?;
        }
        for (key, value) in overrides {
            set_path(&mut table, key, value);
        }
        let config = Config::deserialize(table).map_err(|e| ConfigError::Invalid {
            key: "command line",
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_string(),
            })
        };
        if self.lockout.threshold == 0 || self.lockout.threshold > 20 {
            return invalid(
                "lockout.threshold",
                "must be between 1 and 20 failed attempts",
            );
        }
        if self.lockout.release_after_minutes < 0 {
            return invalid(
                "lockout.release_after_minutes",
                "must be 0 (operator release only) or more",
            );
        }
        if self.session.idle_minutes < 1 || self.session.idle_minutes > 24 * 60 {
            return invalid("session.idle_minutes", "must be between 1 and 1440");
        }
        if self.session.absolute_hours < 1 || self.session.absolute_hours > 24 * 7 {
            return invalid("session.absolute_hours", "must be between 1 and 168");
        }
        if self.reset_link_minutes < 5 || self.reset_link_minutes > 7 * 24 * 60 {
            return invalid("reset_link_minutes", "must be between 5 and 10080");
        }
        if self.evidence_max_mb < 1 || self.evidence_max_mb > 100 * 1024 {
            return invalid("evidence_max_mb", "must be between 1 and 102400 (100 GB)");
        }
        if !(1..=1_000_000).contains(&self.intake_max_events) {
            return invalid("intake_max_events", "must be between 1 and 1000000");
        }
        if !(1024..=1 << 30).contains(&self.intake_max_bytes) {
            return invalid(
                "intake_max_bytes",
                "must be between 1024 and 1073741824 (1 GiB)",
            );
        }
        if self.journal.retention_days < MIN_RETENTION_DAYS {
            return invalid(
                "journal.retention_days",
                "must be at least 365: the référentiel (3.8.6) keeps security events 12 months",
            );
        }
        if self.journal.checkpoint_seconds < 1 || self.journal.checkpoint_seconds > 86_400 {
            return invalid("journal.checkpoint_seconds", "must be between 1 and 86400");
        }
        if self.alerts.interval_seconds < 5 || self.alerts.interval_seconds > 3600 {
            return invalid("alerts.interval_seconds", "must be between 5 and 3600");
        }
        if let Some((key, problem)) = self.syslog.problem() {
            return invalid(key, &problem);
        }
        if let Err((key, problem)) = self.smtp.settings() {
            return invalid(key, &problem);
        }
        // E-mails carry links to the portal: they must lead somewhere.
        if self.smtp.enabled() && self.public_url.is_none() && !self.listen.ip().is_loopback() {
            return invalid(
                "public_url",
                "e-mails link to the portal: set the address users reach it by",
            );
        }
        if let Err((key, problem)) = self.webhooks.settings() {
            return invalid(key, &problem);
        }
        if let Some((key, problem)) = self.outbox.problem() {
            return invalid(key, &problem);
        }
        if let Some((key, problem)) = self.support.problem() {
            return invalid(key, &problem);
        }
        if let Some(problem) = self.blobs.problem(self.insecure_http) {
            return invalid("blobs", &problem);
        }
        if let Err(e) = self.key_custody() {
            return invalid("keys.wrapping_key_file", &e);
        }
        if let Err(e) = self.alerts.rules() {
            return invalid("alerts.rules_file", &e.to_string());
        }
        if !valid_origin(&self.journal.origin) {
            return invalid(
                "journal.origin",
                "must be a non-empty name without spaces or '+', e.g. cloud.example.ma/journal",
            );
        }
        if self.rate_limit.window_seconds < 1
            || self.rate_limit.login_per_account < 1
            || self.rate_limit.login_per_address < 1
        {
            return invalid("rate_limit", "limits and window must be positive");
        }
        for (key, tls) in [("tls", &self.tls), ("admin_tls", &self.admin_tls)] {
            if tls.cert.is_some() != tls.key.is_some() {
                return invalid(key, "give both cert and key, or neither");
            }
        }
        if let Some(url) = &self.database_url {
            let url = url.expose_secret();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return invalid(
                    "database_url",
                    "must start with postgres:// (leave it unset for the embedded SQLite)",
                );
            }
        }
        if let Some(token) = &self.metrics_token {
            let token = token.expose_secret();
            if token.chars().count() < METRICS_TOKEN_MIN_CHARS
                || !token.chars().all(|c| c.is_ascii_graphic())
            {
                return invalid(
                    "metrics_token",
                    "must be at least 24 printable characters without spaces (e.g. `openssl rand -hex 24`)",
                );
            }
        }
        for (key, url) in [
            ("public_url", &self.public_url),
            ("admin_url", &self.admin_url),
        ] {
            if let Some(url) = url {
                if !valid_base_url(url) {
                    return invalid(
                        key,
                        "must be an absolute http:// or https:// URL such as https://cloud.example.ma",
                    );
                }
            }
        }
        if self.listen == self.admin_listen && self.listen.port() != 0 {
            return invalid(
                "admin_listen",
                "the operator console needs its own address, distinct from `listen`",
            );
        }
        Ok(())
    }

    /// Addresses served without TLS that are not loopback: refused unless
    /// `insecure_http` is set (3.6.2: flows must be encrypted).
    pub fn plain_http_exposures(&self) -> Vec<SocketAddr> {
        [
            (self.listen, &self.tls),
            (self.admin_listen, &self.admin_tls),
        ]
        .into_iter()
        .filter(|(addr, tls)| !tls.enabled() && !addr.ip().is_loopback())
        .map(|(addr, _)| addr)
        .collect()
    }
}

fn leaf_keys(table: &toml::Table, prefix: &str) -> Vec<String> {
    // Known keys include the optional ones that serialise to nothing.
    let mut keys = Vec::new();
    for (k, v) in table {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => keys.extend(leaf_keys(t, &path)),
            _ => keys.push(path),
        }
    }
    for optional in [
        "database_url",
        "public_url",
        "admin_url",
        "metrics_token",
        "tls.cert",
        "tls.key",
        "admin_tls.cert",
        "admin_tls.key",
        "alerts.rules_file",
        "keys.wrapping_key_file",
        BlobsConfig::OPTIONAL_KEYS[0],
        BlobsConfig::OPTIONAL_KEYS[1],
        SyslogConfig::OPTIONAL_KEYS[0],
        SyslogConfig::OPTIONAL_KEYS[1],
        SyslogConfig::OPTIONAL_KEYS[2],
        SmtpConfig::OPTIONAL_KEYS[0],
        SmtpConfig::OPTIONAL_KEYS[1],
        SmtpConfig::OPTIONAL_KEYS[2],
    ] {
        if !keys.iter().any(|k| k == optional) && (prefix.is_empty()) {
            keys.push(optional.to_string());
        }
    }
    keys
}

fn merge(base: &mut toml::Table, top: toml::Table) {
    for (k, v) in top {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge(b, t),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn set_path(table: &mut toml::Table, key: &str, value: toml::Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut t = table;
    for p in parts {
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        t = entry.as_table_mut().expect("just made a table");
    }
    t.insert(last.to_string(), value);
}

/// Environment values are strings; numbers and booleans are recognised so
/// `THIQA_LOCKOUT_THRESHOLD=3` means the number 3.
fn scalar(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    match raw {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_valid_and_loopback() {
        let c = Config::load(None, env(&[]), vec![]).unwrap();
        assert_eq!(c.lockout.threshold, 5);
        assert!(c.plain_http_exposures().is_empty());
    }

    #[test]
    fn intake_limits_come_from_their_keys() {
        let c = Config::load(None, env(&[]), vec![]).unwrap();
        assert_eq!(c.intake_limits(), thiqa_store::IntakeLimits::default());
        let c = Config::load(
            None,
            env(&[
                ("THIQA_INTAKE_MAX_EVENTS", "500"),
                ("THIQA_INTAKE_MAX_BYTES", "65536"),
            ]),
            vec![],
        )
        .unwrap();
        assert_eq!(
            (c.intake_limits().max_events, c.intake_limits().max_bytes),
            (500, 65_536)
        );
        for (name, key) in [
            ("THIQA_INTAKE_MAX_EVENTS", "intake_max_events"),
            ("THIQA_INTAKE_MAX_BYTES", "intake_max_bytes"),
        ] {
            let err = Config::load(None, env(&[(name, "0")]), vec![]).unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn a_mail_relay_needs_the_address_its_links_lead_to() {
        let relay = [
            ("THIQA_SMTP_HOST", "relay.banque.ma"),
            ("THIQA_LISTEN", "0.0.0.0:8443"),
            ("THIQA_INSECURE_HTTP", "true"),
        ];
        let err = Config::load(None, env(&relay), vec![]).unwrap_err();
        assert!(err.to_string().contains("public_url"), "{err}");
        let mut with_url = relay.to_vec();
        with_url.push(("THIQA_PUBLIC_URL", "https://confiance.banque.ma"));
        assert!(Config::load(None, env(&with_url), vec![]).is_ok());
        let err = Config::load(None, env(&[("THIQA_SMTP_SECURITY", "smtps")]), vec![]);
        assert!(err.is_ok(), "without a relay its settings are not read");
        let bad = [
            ("THIQA_SMTP_HOST", "127.0.0.1"),
            ("THIQA_SMTP_SECURITY", "smtps"),
        ];
        let err = Config::load(None, env(&bad), vec![]).unwrap_err();
        assert!(err.to_string().contains("smtp.security"), "{err}");
    }

    #[test]
    fn a_wrapping_key_file_puts_the_signing_keys_in_the_database() {
        let c = Config::load(None, env(&[]), vec![]).unwrap();
        assert!(!c.key_custody().unwrap().in_database());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wrap.key");
        thiqa_store::write_new_wrapping_key(&path).unwrap();
        let named = path.to_str().unwrap();
        let c = Config::load(
            None,
            env(&[("THIQA_KEYS_WRAPPING_KEY_FILE", named)]),
            vec![],
        )
        .unwrap();
        assert!(c.key_custody().unwrap().in_database());
        // A missing or malformed file stops the start, naming the setting.
        for content in [None, Some("not hex")] {
            let bad = dir.path().join("bad.key");
            let _ = std::fs::remove_file(&bad);
            if let Some(text) = content {
                std::fs::write(&bad, text).unwrap();
            }
            let err = Config::load(
                None,
                env(&[("THIQA_KEYS_WRAPPING_KEY_FILE", bad.to_str().unwrap())]),
                vec![],
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("keys.wrapping_key_file"), "{err}");
        }
    }

    #[test]
    fn alert_rules_come_from_the_shipped_file_or_a_named_one() {
        let c = Config::load(None, env(&[]), vec![]).unwrap();
        assert_eq!(c.alerts.interval_seconds, 60);
        assert_eq!(c.alerts.rules().unwrap(), thiqa_store::RuleSet::defaults());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rules.toml");
        std::fs::write(
            &file,
            "[[rule]]\nid = \"x\"\ntitle = \"x\"\nseverity = \"low\"\nmatch = { action = \"login\" }\nthreshold = 3\nwindow = \"1m\"\n",
        )
        .unwrap();
        let path = file.display().to_string();
        let c = Config::load(None, env(&[("THIQA_ALERTS_RULES_FILE", &path)]), vec![]).unwrap();
        assert_eq!(c.alerts.rules().unwrap().rules[0].id, "x");
        std::fs::write(&file, "[[rule]]\nid = \"x\"\nwindow = \"soon\"\n").unwrap();
        let err = Config::load(None, env(&[("THIQA_ALERTS_RULES_FILE", &path)]), vec![])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("alerts.rules_file") && err.contains("rule x"),
            "{err}"
        );
        let err =
            Config::load(None, env(&[("THIQA_ALERTS_INTERVAL_SECONDS", "1")]), vec![]).unwrap_err();
        assert!(err.to_string().contains("alerts.interval_seconds"), "{err}");
    }

    #[test]
    fn a_journal_retention_under_twelve_months_is_refused() {
        let err = Config::load(
            None,
            env(&[("THIQA_JOURNAL_RETENTION_DAYS", "180")]),
            vec![],
        )
        .unwrap_err();
        assert!(err.to_string().contains("journal.retention_days"), "{err}");
        assert!(err.to_string().contains("12 months"), "{err}");
        let c = Config::load(
            None,
            env(&[("THIQA_JOURNAL_RETENTION_DAYS", "730")]),
            vec![],
        )
        .unwrap();
        assert_eq!(c.journal.retention_days, 730);
    }

    #[test]
    fn environment_overrides_file_and_names_bad_keys() {
        let dir = std::env::temp_dir().join(format!("thiqa-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("thiqa.toml");
        std::fs::write(&file, "[lockout]\nthreshold = 7\n").unwrap();
        let c = Config::load(Some(&file), env(&[]), vec![]).unwrap();
        assert_eq!(c.lockout.threshold, 7);
        let c = Config::load(
            Some(&file),
            env(&[("THIQA_LOCKOUT_THRESHOLD", "3")]),
            vec![],
        )
        .unwrap();
        assert_eq!(c.lockout.threshold, 3);
        let err = Config::load(None, env(&[("THIQA_LOKOUT", "3")]), vec![]).unwrap_err();
        assert!(err.to_string().contains("THIQA_LOKOUT"), "{err}");
        let err =
            Config::load(None, env(&[("THIQA_LOCKOUT_THRESHOLD", "many")]), vec![]).unwrap_err();
        assert!(err.to_string().contains("THIQA_LOCKOUT_THRESHOLD"), "{err}");
        std::fs::write(&file, "[lockout]\nthreshhold = 7\n").unwrap();
        let err = Config::load(Some(&file), env(&[]), vec![]).unwrap_err();
        assert!(err.to_string().contains("threshhold"), "{err}");
        let err = Config::load(None, env(&[("THIQA_LOCKOUT_THRESHOLD", "0")]), vec![]).unwrap_err();
        assert!(err.to_string().contains("lockout.threshold"), "{err}");
    }

    #[test]
    fn the_database_url_never_shows_in_debug() {
        let c = Config::load(
            None,
            env(&[("THIQA_DATABASE_URL", "postgres://u:hunter2@db/thiqa")]),
            vec![],
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn trusted_proxies_come_from_a_list_or_a_comma_separated_variable() {
        let c = Config::load(None, env(&[]), vec![]).unwrap();
        assert!(c.trusted_proxies.is_empty());
        let c = Config::load(
            None,
            env(&[("THIQA_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")]),
            vec![],
        )
        .unwrap();
        assert!(c.trusted_proxies.trusts("10.9.9.9".parse().unwrap()));
        assert!(c.trusted_proxies.trusts("192.0.2.7".parse().unwrap()));
        assert!(!c.trusted_proxies.trusts("192.0.2.8".parse().unwrap()));
        let err = Config::load(
            None,
            env(&[("THIQA_TRUSTED_PROXIES", "10.0.0.0/99")]),
            vec![],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("THIQA_TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn a_short_metrics_token_or_a_strange_base_url_is_refused() {
        let err = Config::load(None, env(&[("THIQA_METRICS_TOKEN", "short")]), vec![])
            .unwrap_err()
            .to_string();
        assert!(err.contains("metrics_token"), "{err}");
        let c = Config::load(
            None,
            env(&[("THIQA_METRICS_TOKEN", "0123456789abcdef0123456789abcdef")]),
            vec![],
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
        for bad in [
            "javascript:alert(1)",
            "//x",
            "https://a b",
            "https://a\"x",
            "https://",
        ] {
            let err = Config::load(None, env(&[("THIQA_PUBLIC_URL", bad)]), vec![])
                .unwrap_err()
                .to_string();
            assert!(err.contains("public_url"), "{bad}: {err}");
        }
        let c = Config::load(
            None,
            env(&[("THIQA_PUBLIC_URL", "https://cloud.example.ma")]),
            vec![],
        )
        .unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://cloud.example.ma"));
    }

    #[test]
    fn plain_http_on_a_public_address_is_reported() {
        let c = Config::load(None, env(&[("THIQA_LISTEN", "0.0.0.0:8080")]), vec![]).unwrap();
        assert_eq!(c.plain_http_exposures().len(), 1);
    }
}

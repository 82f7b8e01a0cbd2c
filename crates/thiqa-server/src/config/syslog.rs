//! `[syslog]`: intake of RFC 5424 syslog messages over TLS (RFC 5425), beside
//! the NDJSON API. Off unless `listen` is set; TLS is mandatory and every
//! sender presents the client certificate pinned to its event source.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyslogConfig {
    /// Address of the listener, e.g. `0.0.0.0:6514` (the RFC 5425 port).
    pub listen: Option<SocketAddr>,
    /// The listener's certificate and key (PEM).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Largest message (octet-counted frame) accepted, in bytes.
    pub max_message_bytes: u64,
    /// Messages appended to the journal in one transaction at most; a
    /// batch is also written after 200 ms without a new message.
    pub batch_messages: u64,
}

impl Default for SyslogConfig {
    fn default() -> Self {
        SyslogConfig {
            listen: None,
            tls_cert: None,
            tls_key: None,
            max_message_bytes: 64 * 1024,
            batch_messages: 1000,
        }
    }
}

impl SyslogConfig {
    /// Keys that serialise to nothing by default (for `THIQA_*` lookup).
    pub const OPTIONAL_KEYS: [&'static str; 3] =
        ["syslog.listen", "syslog.tls_cert", "syslog.tls_key"];

    /// The problem with these settings, naming the key.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.listen.is_some() && (self.tls_cert.is_none() || self.tls_key.is_none()) {
            return Some((
                "syslog",
                "syslog intake is over TLS (RFC 5425): give tls_cert and tls_key with listen"
                    .into(),
            ));
        }
        if !(480..=1 << 20).contains(&self.max_message_bytes) {
            return Some((
                "syslog.max_message_bytes",
                "must be between 480 (RFC 5424's minimum) and 1048576".into(),
            ));
        }
        if !(1..=10_000).contains(&self.batch_messages) {
            return Some((
                "syslog.batch_messages",
                "must be between 1 and 10000".into(),
            ));
        }
        None
    }
}

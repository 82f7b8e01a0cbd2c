//! `[smtp]` and `[webhooks]`: how Thiqa's messages leave (notices, their
//! reminders, account links). Without `smtp.host`, no e-mail is sent: the
//! messages wait in the outbox (the notice's page counts them) until a relay
//! is configured; the portal inbox and webhooks work regardless.

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use thiqa_delivery::{SmtpSecurity, SmtpSettings, WebhookSettings};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// The relay; unset = no e-mail.
    pub host: Option<String>,
    pub port: u16,
    /// `starttls` (port 587), `tls` (port 465) or `none` (a relay on this
    /// host only; refused together with a password).
    pub security: String,
    pub username: Option<String>,
    #[serde(
        serialize_with = "super::expose_for_layering",
        deserialize_with = "super::secret_opt"
    )]
    pub password: Option<SecretString>,
    /// The sender, e.g. `Thiqa <no-reply@cloud.example.ma>`.
    pub from: String,
    pub timeout_seconds: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: None,
            port: 587,
            security: "starttls".into(),
            username: None,
            password: None,
            from: "Thiqa <no-reply@localhost>".into(),
            timeout_seconds: 20,
        }
    }
}

impl SmtpConfig {
    /// Keys that serialise to nothing by default (for `THIQA_*` lookup).
    pub const OPTIONAL_KEYS: [&'static str; 3] = ["smtp.host", "smtp.username", "smtp.password"];

    /// A relay is configured: e-mails are sent, one-time links e-mailed.
    pub fn enabled(&self) -> bool {
        self.host.as_deref().is_some_and(|h| !h.is_empty())
    }

    /// The relay's settings, or None when no relay is configured; Err names
    /// the key that is wrong.
    pub fn settings(&self) -> Result<Option<SmtpSettings>, (&'static str, String)> {
        let Some(host) = self.host.clone().filter(|_| self.enabled()) else {
            return Ok(None);
        };
        let security = match self.security.as_str() {
            "starttls" => SmtpSecurity::StartTls,
            "tls" => SmtpSecurity::Tls,
            "none" => SmtpSecurity::None,
            _ => return Err(("smtp.security", "must be starttls, tls or none".into())),
        };
        if !(1..=300).contains(&self.timeout_seconds) {
            return Err(("smtp.timeout_seconds", "must be between 1 and 300".into()));
        }
        let settings = SmtpSettings {
            host,
            port: self.port,
            security,
            username: self.username.clone(),
            password: self.password.clone(),
            from: self.from.clone(),
            timeout: Duration::from_secs(self.timeout_seconds),
        };
        // The mailer checks the rest (the sender, credentials in clear).
        thiqa_delivery::Mailer::new(&settings).map_err(|e| ("smtp", e.to_string()))?;
        Ok(Some(settings))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    pub timeout_seconds: u64,
    /// Admits `http://` and private addresses (tests, receivers on the
    /// provider's own network); off by default against SSRF.
    pub allow_private: bool,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            timeout_seconds: 15,
            allow_private: false,
        }
    }
}

impl WebhooksConfig {
    pub fn settings(&self) -> Result<WebhookSettings, (&'static str, String)> {
        if !(1..=120).contains(&self.timeout_seconds) {
            return Err((
                "webhooks.timeout_seconds",
                "must be between 1 and 120".into(),
            ));
        }
        Ok(WebhookSettings {
            timeout: Duration::from_secs(self.timeout_seconds),
            allow_private: self.allow_private,
        })
    }
}

/// `[outbox]`: how the sender retries and how long one instance holds
/// the messages it is sending.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// The wait after a first failure; each later one doubles (capped at
    /// 6 hours), with ±20 % jitter.
    pub first_retry_seconds: u64,
    /// Attempts in all before a message is given up (dead-lettered).
    pub max_attempts: u32,
    /// How long an instance holds the messages it leased; those of an
    /// instance that died are sent by another once it runs out.
    pub lease_seconds: u64,
    /// The most messages one instance sends per second: a relay's own
    /// limits, and the console staying responsive while 10,000 go out.
    pub max_per_second: u32,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            first_retry_seconds: thiqa_delivery::retry::FIRST_DELAY.as_secs(),
            max_attempts: thiqa_delivery::retry::MAX_ATTEMPTS,
            lease_seconds: 120,
            max_per_second: 300,
        }
    }
}

impl OutboxConfig {
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !(1..=3600).contains(&self.first_retry_seconds) {
            return Some((
                "outbox.first_retry_seconds",
                "must be between 1 and 3600".into(),
            ));
        }
        if !(1..=50).contains(&self.max_attempts) {
            return Some(("outbox.max_attempts", "must be between 1 and 50".into()));
        }
        if !(5..=3600).contains(&self.lease_seconds) {
            return Some(("outbox.lease_seconds", "must be between 5 and 3600".into()));
        }
        if !(1..=100_000).contains(&self.max_per_second) {
            return Some((
                "outbox.max_per_second",
                "must be between 1 and 100000".into(),
            ));
        }
        None
    }

    /// The wait after attempt `attempt` (1 for the first) failed: the
    /// delivery crate's schedule, scaled to the first wait configured.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let standard = thiqa_delivery::retry::next_attempt_delay(attempt);
        let scale =
            self.first_retry_seconds as f64 / thiqa_delivery::retry::FIRST_DELAY.as_secs_f64();
        standard.mul_f64(scale)
    }
}

//! E-mail over SMTP: lettre builds the MIME message and speaks SMTP, over
//! connections kept open to the relay between messages (`pool.rs`): opening
//! a TLS session and authenticating for every message would cap the rate,
//! and the outbox sends bursts (an incident notice to every member of every
//! organisation concerned).
//!
//! TLS is rustls with ring and the public web roots, TLS 1.2 at least, as
//! every TLS client of Thiqa. Credentials are never sent over a clear
//! connection: `security = "none"` is for a relay on the same host, or tests.

mod mail;
mod outcome;
mod pool;

use std::sync::Arc;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{CertificateStore, TlsParameters, TlsVersion};
use lettre::transport::smtp::extension::ClientId;
use rustls::pki_types::ServerName;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use zeroize::Zeroizing;

pub use mail::Mail;

use crate::{DeliveryError, SendError};
use pool::{Pool, Target, TargetTls};

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Clear text: only for a relay on the same host or in tests; refused
    /// together with credentials.
    None,
    /// Plain connection upgraded with STARTTLS (port 587); the upgrade is
    /// required, never skipped when the server does not offer it.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// The `[smtp]` table of the server's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    /// Kept out of `Debug` output and zeroed on drop by `SecretString`.
    #[serde(default)]
    pub password: Option<SecretString>,
    /// The sender, e.g. `Thiqa <no-reply@example.ma>`.
    pub from: String,
    /// For connecting (TCP and TLS); one whole send may take three times
    /// this before it is given up as transient.
    #[serde(
        rename = "timeout_seconds",
        with = "crate::seconds",
        default = "default_timeout"
    )]
    pub timeout: Duration,
}

fn default_timeout() -> Duration {
    Duration::from_secs(20)
}

/// Sends e-mails; cheap to clone (the pool is shared), one per process.
#[derive(Clone)]
pub struct Mailer {
    pool: Arc<Pool>,
    from: Mailbox,
    /// The whole of one send: lettre bounds no exchange once connected, and
    /// a relay that answers one byte at a time must still free the worker.
    deadline: Duration,
    /// Texts that must never reach an error message (the password and the
    /// forms in which lettre sends it).
    redact: Arc<[SecretString]>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Checks the settings; no connection is opened before the first send.
    pub fn new(settings: &SmtpSettings) -> Result<Mailer, DeliveryError> {
        let config = |text: String| DeliveryError::Config(format!("smtp: {text}"));
        let host = settings.host.trim();
        if host.is_empty() {
            return Err(config("host is empty".into()));
        }
        if settings.port == 0 {
            return Err(config("port must not be 0".into()));
        }
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| config(format!("from {:?} is not a mailbox: {e}", settings.from)))?;
        let credentials = match (&settings.username, &settings.password) {
            (None, None) => None,
            (Some(user), Some(password)) => Some(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            )),
            _ => return Err(config("username and password go together".into())),
        };
        if credentials.is_some() && settings.security == SmtpSecurity::None {
            return Err(config(
                "credentials over a clear connection are refused: use security = \"starttls\" or \"tls\"".into(),
            ));
        }
        let tls = match settings.security {
            SmtpSecurity::None => TargetTls::None,
            SmtpSecurity::StartTls => TargetTls::StartTls(
                TlsParameters::builder(host.to_owned())
                    .certificate_store(CertificateStore::WebpkiRoots)
                    .set_min_tls_version(TlsVersion::Tlsv12)
                    .build_rustls()
                    .map_err(|e| config(format!("TLS: {e}")))?,
            ),
            SmtpSecurity::Tls => {
                let client =
                    crate::tls::client_config().map_err(|e| config(format!("TLS: {e}")))?;
                let name = ServerName::try_from(host.to_owned()).map_err(|e| {
                    config(format!(
                        "host {host:?} cannot be checked in a certificate: {e}"
                    ))
                })?;
                TargetTls::Implicit(tokio_rustls::TlsConnector::from(Arc::new(client)), name)
            }
        };
        let target = Target {
            host: host.to_owned(),
            port: settings.port,
            connect_timeout: settings.timeout,
            hello: ClientId::Domain(from.email.domain().to_owned()),
            credentials,
            tls,
        };
        Ok(Mailer {
            pool: Arc::new(Pool::new(target)),
            from,
            deadline: settings.timeout.saturating_mul(3),
            redact: redactions(settings).into(),
        })
    }

    /// Sends one e-mail. Safe to call from many tasks at once: each takes an
    /// idle connection, or opens one.
    pub async fn send(&self, mail: &Mail) -> Result<(), SendError> {
        let message = mail.to_message(self.from.clone())?;
        let bytes = message.formatted();
        let sending = self.send_bytes(message.envelope(), &bytes);
        match tokio::time::timeout(self.deadline, sending).await {
            Ok(result) => result,
            Err(_elapsed) => Err(SendError::Transient(format!(
                "the SMTP relay did not finish within {} s",
                self.deadline.as_secs()
            ))),
        }
    }

    async fn send_bytes(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), SendError> {
        let mut conn = self
            .pool
            .take()
            .await
            .map_err(|e| outcome::connect_failure(&e, &self.redact))?;
        match conn.send(envelope, bytes).await {
            Ok(_response) => {
                self.pool.give_back(conn).await;
                Ok(())
            }
            // lettre has closed the connection already (QUIT, then close).
            Err(error) => Err(outcome::classify(&error, &self.redact)),
        }
    }
}

/// The password as typed and as AUTH PLAIN / LOGIN carry it (base64), so
/// that no error text can show it, whatever a relay echoes back.
fn redactions(settings: &SmtpSettings) -> Vec<SecretString> {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let (Some(user), Some(password)) = (&settings.username, &settings.password) else {
        return Vec::new();
    };
    let password = password.expose_secret();
    let plain = Zeroizing::new(format!("\0{user}\0{password}"));
    [
        password.to_owned(),
        b64(password.as_bytes()),
        b64(plain.as_bytes()),
    ]
    .into_iter()
    .map(SecretString::from)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml_text: &str) -> Result<SmtpSettings, toml::de::Error> {
        toml::from_str(toml_text)
    }

    #[test]
    fn settings_read_from_toml_with_a_secret_password() {
        let s = settings(
            r#"host = "smtp.example.ma"
port = 587
security = "starttls"
username = "thiqa"
password = "s3cret-Pa55"
from = "Thiqa <no-reply@example.ma>"
timeout_seconds = 15"#,
        )
        .expect("valid settings");
        assert_eq!(s.security, SmtpSecurity::StartTls);
        assert_eq!(s.timeout, Duration::from_secs(15));
        assert!(!format!("{s:?}").contains("s3cret"));
        let s = settings("host = \"h\"\nport = 25\nsecurity = \"none\"\nfrom = \"a@b.ma\"")
            .expect("defaults");
        assert_eq!(s.timeout, default_timeout());
        assert!(
            settings("host = \"h\"\nport = 25\nsecurity = \"ssl\"\nfrom = \"a@b.ma\"").is_err()
        );
        assert!(settings(
            "host = \"h\"\nport = 25\nsecurity = \"none\"\nfrom = \"a@b.ma\"\ntimeout_seconds = 0"
        )
        .is_err());
    }

    #[tokio::test]
    async fn bad_settings_are_named_and_credentials_never_go_in_clear() {
        let base = SmtpSettings {
            host: "127.0.0.1".into(),
            port: 25,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Thiqa <no-reply@example.ma>".into(),
            timeout: Duration::from_secs(5),
        };
        assert!(Mailer::new(&base).is_ok());
        let bad_from = SmtpSettings {
            from: "not a mailbox".into(),
            ..base.clone()
        };
        assert!(
            matches!(Mailer::new(&bad_from), Err(DeliveryError::Config(t)) if t.contains("from"))
        );
        let clear_password = SmtpSettings {
            username: Some("u".into()),
            password: Some(SecretString::from("pw-value")),
            ..base.clone()
        };
        let error = Mailer::new(&clear_password).expect_err("refused");
        assert!(error.to_string().contains("clear connection"));
        assert!(!error.to_string().contains("pw-value"));
        let half = SmtpSettings {
            username: Some("u".into()),
            ..base
        };
        assert!(Mailer::new(&half).is_err());
    }

    #[test]
    fn the_mailer_is_made_outside_a_runtime_and_for_every_security() {
        for security in [
            SmtpSecurity::None,
            SmtpSecurity::StartTls,
            SmtpSecurity::Tls,
        ] {
            let s = SmtpSettings {
                host: "smtp.example.ma".into(),
                port: 465,
                security,
                username: None,
                password: None,
                from: "no-reply@example.ma".into(),
                timeout: Duration::from_secs(5),
            };
            assert!(Mailer::new(&s).is_ok(), "{security:?}");
        }
    }
}

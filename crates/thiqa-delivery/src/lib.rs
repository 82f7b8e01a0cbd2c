//! Sends Thiqa's outgoing messages: e-mail over SMTP and signed webhooks.
//!
//! Why a crate of its own: delivery talks to the outside world (a mail relay,
//! URLs that customers choose) and must not drag a database, nor be dragged
//! by one. An outbox worker, elsewhere, reads one pending message, calls
//! [`Mailer::send`] or [`WebhookClient::post`], and records the outcome:
//! [`SendError::Transient`] is tried again after [`retry::next_attempt_delay`]
//! until [`retry::MAX_ATTEMPTS`], [`SendError::Permanent`] is dead-lettered at
//! once. Each message carries an idempotency key (the e-mail's Message-ID,
//! the webhook's `webhook-id`) so that a receiver can drop the duplicates that
//! at-least-once delivery implies.

mod error;
pub mod retry;
mod seconds;
pub mod smtp;
mod text;
mod tls;
pub mod webhook;

pub use error::{DeliveryError, SendError};
pub use smtp::{Mail, Mailer, SmtpSecurity, SmtpSettings};
pub use webhook::{
    check_url, sign, signature_header, verify, UrlProblem, VerifyError, WebhookClient,
    WebhookSecret, WebhookSettings,
};

//! Webhooks as the Standard Webhooks specification (standardwebhooks.com)
//! defines them, so that a customer verifies them with any of its libraries:
//! headers `webhook-id`, `webhook-timestamp`, `webhook-signature`, the
//! signature `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under a
//! `whsec_` secret, several signatures side by side while a secret rotates.
//!
//! The customer chooses the URL, so the client is also a way into Thiqa's own
//! network (SSRF): [`check_url`] refuses what is not a public https URL, and
//! at send time the addresses a name resolves to are filtered the same way.

mod client;
mod secret;
mod signature;
mod ssrf;

pub use client::{WebhookClient, WebhookSettings};
pub use secret::{SecretProblem, WebhookSecret};
pub use signature::{sign, signature_header, verify, VerifyError, DEFAULT_TOLERANCE_S};
pub use ssrf::{check_url, is_public_ip, UrlProblem, MAX_URL_LEN};

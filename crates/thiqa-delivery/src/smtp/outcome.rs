//! What an SMTP failure means for the outbox. Only a 5xx reply to this
//! message's own commands is final. Everything else may pass: no connection,
//! a time-out, TLS, a 4xx (greylisting), and any refusal while connecting
//! (greeting, STARTTLS, authentication), which is about Thiqa's settings or
//! address, not the message: dead-lettering every mail while an operator
//! fixes a password would lose them. For the same reason a 5xx that says
//! "authenticate first" is transient, and the text says what to fix.

use lettre::transport::smtp::Error;

use super::pool::ConnectError;
use crate::text::clean;
use crate::SendError;

/// RFC 4954 and RFC 5248 codes for "authentication needed / refused".
const AUTHENTICATION_CODES: [&str; 4] = ["530", "534", "535", "538"];

/// A failure of the message's own exchange (MAIL, RCPT, DATA).
pub(super) fn classify(error: &Error, secrets: &[&str]) -> SendError {
    let text = clean(&error.to_string(), secrets);
    match error.status() {
        Some(code) if error.is_permanent() => {
            if AUTHENTICATION_CODES.contains(&code.to_string().as_str()) {
                SendError::Transient(authentication(&text))
            } else {
                SendError::Permanent(format!("the SMTP relay refused the message: {text}"))
            }
        }
        Some(_) => SendError::Transient(format!("the SMTP relay deferred the message: {text}")),
        None if error.is_timeout() => {
            SendError::Transient(format!("the SMTP relay did not answer in time: {text}"))
        }
        None => SendError::Transient(format!("the SMTP relay could not be reached: {text}")),
    }
}

/// A failure before the message: always transient.
pub(super) fn connect_failure(error: &ConnectError, secrets: &[&str]) -> SendError {
    match error {
        ConnectError::Io(io) => SendError::Transient(format!(
            "the SMTP relay could not be reached: {}",
            clean(&io.to_string(), secrets)
        )),
        ConnectError::Smtp(smtp) => {
            let text = clean(&smtp.to_string(), secrets);
            let is_auth = smtp
                .status()
                .is_some_and(|code| AUTHENTICATION_CODES.contains(&code.to_string().as_str()));
            SendError::Transient(if is_auth {
                authentication(&text)
            } else {
                format!("the SMTP relay could not be used: {text}")
            })
        }
    }
}

fn authentication(text: &str) -> String {
    format!("the SMTP relay refused Thiqa's authentication (check smtp.username and smtp.password): {text}")
}

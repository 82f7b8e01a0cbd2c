//! What an SMTP failure means for the outbox. Only a 5xx reply to this
//! message's own commands is final. Everything else may pass: no connection,
//! a time-out, TLS, a 4xx (greylisting), and any refusal while connecting
//! (greeting, STARTTLS, authentication), which is about Thiqa's settings or
//! address, not the message: dead-lettering every mail while an operator
//! fixes a password would lose them. For the same reason a 5xx that says
//! "authenticate first" is transient, and the text says what to fix.

use lettre::transport::smtp::Error;
use secrecy::SecretString;

use super::pool::ConnectError;
use crate::text::clean;
use crate::SendError;

/// RFC 4954 and RFC 5248 codes for "authentication needed / refused" (all
/// 5xx).
const AUTHENTICATION_CODES: [&str; 4] = ["530", "534", "535", "538"];

/// A failure of the message's own exchange (MAIL, RCPT, DATA).
pub(super) fn classify(error: &Error, secrets: &[SecretString]) -> SendError {
    let text = clean(&error.to_string(), secrets);
    if is_authentication(error) {
        return SendError::Transient(authentication(&text));
    }
    match error.status() {
        Some(_) if error.is_permanent() => {
            SendError::Permanent(format!("the SMTP relay refused the message: {text}"))
        }
        Some(_) => SendError::Transient(format!("the SMTP relay deferred the message: {text}")),
        None if error.is_timeout() => {
            SendError::Transient(format!("the SMTP relay did not answer in time: {text}"))
        }
        None => SendError::Transient(format!("the SMTP relay could not be reached: {text}")),
    }
}

/// A failure before the message: always transient.
pub(super) fn connect_failure(error: &ConnectError, secrets: &[SecretString]) -> SendError {
    SendError::Transient(match error {
        ConnectError::Io(io) => format!(
            "the SMTP relay could not be reached: {}",
            clean(&io.to_string(), secrets)
        ),
        ConnectError::Smtp(smtp) if is_authentication(smtp) => {
            authentication(&clean(&smtp.to_string(), secrets))
        }
        ConnectError::Smtp(smtp) => format!(
            "the SMTP relay could not be used: {}",
            clean(&smtp.to_string(), secrets)
        ),
    })
}

fn is_authentication(error: &Error) -> bool {
    error
        .status()
        .is_some_and(|code| AUTHENTICATION_CODES.contains(&code.to_string().as_str()))
}

fn authentication(text: &str) -> String {
    format!("the SMTP relay refused Thiqa's authentication (check smtp.username and smtp.password): {text}")
}

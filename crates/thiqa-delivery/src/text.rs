//! Error text as the outbox stores it: one line, bounded, with no secret.
//! Replies from servers are attacker-influenced input (a customer's webhook
//! endpoint, a relay): they are cut and cleaned before anyone logs them.

/// Longest explanation kept; the rest of a server's reply is noise.
const MAX_CHARS: usize = 300;

use secrecy::{ExposeSecret, SecretString};

/// `text` on one line, at most [`MAX_CHARS`] characters, each of `secrets`
/// (non-empty ones) replaced by `[redacted]`.
pub(crate) fn clean(text: &str, secrets: &[SecretString]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().map(|s| s.expose_secret()) {
        if !secret.is_empty() {
            text = text.replace(secret, "[redacted]");
        }
    }
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    match trimmed.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::clean;
    use secrecy::SecretString;

    #[test]
    fn secrets_are_redacted_and_text_is_one_bounded_line() {
        let secrets = ["hunter2", ""].map(SecretString::from);
        assert_eq!(
            clean("535 bad\r\ncredentials hunter2", &secrets),
            "535 bad  credentials [redacted]"
        );
        let long = "é".repeat(1000);
        assert_eq!(clean(&long, &[]).chars().count(), 301);
    }
}

//! Password hashing and strength checks, run off the async runtime (Argon2id
//! takes tens of milliseconds of CPU on purpose).

use secrecy::SecretString;
use thiqa_crypto::strength::Problem;

use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::error::PageError;

/// Verifies a candidate against a stored hash, or against a dummy hash when
/// the account is unknown, so both cost the same time.
pub async fn verify(
    app: &AppState,
    stored: Option<String>,
    candidate: SecretString,
) -> Result<bool, PageError> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || app.hasher.verify_or_dummy(stored.as_deref(), &candidate))
        .await
        .map_err(|e| PageError::Internal(format!("hashing task: {e}")))
}

pub async fn hash(app: &AppState, password: SecretString) -> Result<String, PageError> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || app.hasher.hash(&password))
        .await
        .map_err(|e| PageError::Internal(format!("hashing task: {e}")))?
        .map_err(|e| PageError::Internal(e.to_string()))
}

/// Checks a new password against the policy; the reasons come back in the
/// user's language.
pub fn check_strength(
    app: &AppState,
    tr: &Tr,
    password: &SecretString,
    user_inputs: &[&str],
) -> Vec<String> {
    match app.password_policy.check(password, user_inputs) {
        Ok(()) => Vec::new(),
        Err(rejection) => rejection
            .problems()
            .iter()
            .map(|p| describe(tr, p))
            .collect(),
    }
}

/// English reasons, for the CLI and the API.
pub fn check_strength_en(
    app: &AppState,
    password: &SecretString,
    user_inputs: &[&str],
) -> Result<(), String> {
    app.password_policy
        .check(password, user_inputs)
        .map_err(|r| {
            r.problems()
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
}

fn describe(tr: &Tr, problem: &Problem) -> String {
    match problem {
        Problem::TooShort { min_chars } => tr.t1("pw-too-short", "min", &min_chars.to_string()),
        Problem::TooLong { max_chars } => tr.t1("pw-too-long", "max", &max_chars.to_string()),
        Problem::MatchesUserInput => tr.t("pw-matches-user"),
        Problem::TooGuessable { warning, .. } => {
            let mut text = tr.t("pw-too-guessable");
            if let Some(w) = warning {
                let key = format!("pw-warning-{}", w.code().replace('_', "-"));
                let hint = tr.t(&key);
                // Warnings without a translation fall back to zxcvbn's English.
                text.push(' ');
                text.push_str(if hint == key { "" } else { &hint });
                if hint == key {
                    text.push_str(&w.to_string());
                }
            }
            text
        }
    }
}

//! A refused password's reasons in the reader's language.

use thiqa_crypto::strength::Problem;

use crate::i18n::Tr;

/// One reason the password policy gave, in the reader's language.
pub fn describe(tr: &Tr, problem: &Problem) -> String {
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

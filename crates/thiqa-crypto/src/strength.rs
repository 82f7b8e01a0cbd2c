//! Password robustness policy — référentiel 3.5.5, "des systèmes qui (…)
//! évaluent leur robustesse lorsque l'authentification par mot de passe est
//! en place".
//!
//! Why this shape (NIST SP 800-63B §3.1.1.2, ANSSI guidance):
//! - Length is what matters most: at least 12 characters by default.
//! - A maximum (128 characters by default) bounds the work one request can
//!   cause: zxcvbn's matching grows faster than linearly with length, and it
//!   only reads the first 100 characters anyway. Argon2 itself prehashes the
//!   password, so its cost does not depend on the length.
//! - No composition rules ("one digit, one symbol"): they push users to
//!   `Password1!`. Instead zxcvbn estimates how guessable the password is
//!   against dictionaries, keyboard patterns, dates, l33t substitutions and
//!   the user's own data (user name, display name, e-mail), and we require a
//!   score of at least 3 of 4 ("safely unguessable: moderate protection from
//!   offline slow-hash scenario", < 10^10 guesses).
//! - A refusal lists every [`Problem`] as data with a stable code, so the UI
//!   explains it in French or English; `Display` gives an English rendering.

mod hints;

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

pub use hints::{Suggestion, Warning};

use crate::CryptoError;

/// Words every password is checked against, on top of the user's own: the
/// product's names, and the rows of the French AZERTY keyboard used in
/// Morocco, which zxcvbn's keyboard graphs (QWERTY, Dvorak, keypads) miss.
const CONTEXT_WORDS: [&str; 5] = ["thiqa", "dgssi", "azertyuiop", "qsdfghjklm", "wxcvbn"];

/// Password rules. Build with [`PasswordPolicy::new`] or `default()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_chars: usize,
    max_chars: usize,
    min_score: u8,
}

impl Default for PasswordPolicy {
    /// 12 to 128 characters, zxcvbn score at least 3.
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: 128,
            min_score: 3,
        }
    }
}

impl PasswordPolicy {
    /// A policy, refusing settings weaker than NIST SP 800-63B allows: a
    /// minimum under 8 characters, a maximum under 64, or a maximum below
    /// the minimum. `min_score` is zxcvbn's 0–4 scale; above 4 is refused.
    pub fn new(min_chars: usize, max_chars: usize, min_score: u8) -> Result<Self, CryptoError> {
        let reason = if min_chars < 8 {
            "the minimum length must be at least 8 characters"
        } else if max_chars < 64 {
            "the maximum length must allow at least 64 characters"
        } else if max_chars < min_chars {
            "the maximum length is below the minimum length"
        } else if min_score > 4 {
            "the minimum zxcvbn score is at most 4"
        } else {
            return Ok(Self {
                min_chars,
                max_chars,
                min_score,
            });
        };
        Err(CryptoError::InvalidPolicy(reason))
    }

    /// Shortest accepted length, in characters (Unicode scalar values).
    pub fn min_chars(&self) -> usize {
        self.min_chars
    }

    /// Longest accepted length, in characters.
    pub fn max_chars(&self) -> usize {
        self.max_chars
    }

    /// Lowest accepted zxcvbn score (0–4).
    pub fn min_score(&self) -> u8 {
        self.min_score
    }

    /// Accepts `password` or says every reason it is refused.
    ///
    /// `user_inputs` are the account's own words (user name, display name,
    /// e-mail): a password made of them is easy to guess for anyone who
    /// knows the user.
    pub fn check(&self, password: &SecretString, user_inputs: &[&str]) -> Result<(), Rejection> {
        let password = password.expose_secret();
        let length = password.chars().count();
        if length > self.max_chars {
            // Not analysed further: bounding the work is the point of the limit.
            return Err(Rejection {
                problems: vec![Problem::TooLong {
                    max_chars: self.max_chars,
                }],
            });
        }
        let mut problems = Vec::new();
        if length < self.min_chars {
            problems.push(Problem::TooShort {
                min_chars: self.min_chars,
            });
        }
        let lowered = password.to_lowercase();
        if user_inputs
            .iter()
            .any(|input| !input.trim().is_empty() && input.trim().to_lowercase() == lowered)
        {
            problems.push(Problem::MatchesUserInput);
        }
        let mut inputs: Vec<&str> = user_inputs.to_vec();
        inputs.extend(CONTEXT_WORDS);
        let estimate = zxcvbn::zxcvbn(password, &inputs);
        let score = u8::from(estimate.score());
        if score < self.min_score {
            let (warning, mut suggestions) = match estimate.feedback() {
                Some(feedback) => (
                    feedback.warning().map(Warning::from_zxcvbn),
                    feedback
                        .suggestions()
                        .iter()
                        .map(|s| Suggestion::from_zxcvbn(*s))
                        .collect(),
                ),
                None => (None, Vec::new()),
            };
            if suggestions.is_empty() {
                // zxcvbn gives no feedback from score 3 up; a policy asking
                // for 4 still owes the user a hint.
                suggestions.push(Suggestion::AddAnotherWord);
            }
            problems.push(Problem::TooGuessable {
                score,
                min_score: self.min_score,
                warning,
                suggestions,
            });
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Rejection { problems })
        }
    }
}

/// A refused password: one or more [`Problem`]s, never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    problems: Vec<Problem>,
}

impl Rejection {
    /// Every reason, most basic first.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The problems' machine codes, e.g. `["too_short", "too_guessable"]`.
    pub fn codes(&self) -> Vec<&'static str> {
        self.problems.iter().map(Problem::code).collect()
    }
}

impl fmt::Display for Rejection {
    /// English, one sentence per problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejection {}

/// One reason a password is refused. The variants hold no part of the
/// password, so a `Rejection` may be logged or sent to the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Fewer than `min_chars` characters.
    TooShort {
        /// The policy's minimum.
        min_chars: usize,
    },
    /// More than `max_chars` characters.
    TooLong {
        /// The policy's maximum.
        max_chars: usize,
    },
    /// The password is the user name, display name or e-mail (ignoring case).
    MatchesUserInput,
    /// zxcvbn estimates it too easy to guess.
    TooGuessable {
        /// zxcvbn's score, 0 (trivial) to 4 (very unguessable).
        score: u8,
        /// The policy's minimum score.
        min_score: u8,
        /// What is wrong, when zxcvbn can tell.
        warning: Option<Warning>,
        /// How to do better.
        suggestions: Vec<Suggestion>,
    },
}

impl Problem {
    /// Stable machine code, for message-file keys and API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::MatchesUserInput => "matches_user_input",
            Self::TooGuessable { .. } => "too_guessable",
        }
    }
}

impl fmt::Display for Problem {
    /// English rendering; other languages come from the message files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min_chars } => {
                write!(
                    f,
                    "The password is too short: use at least {min_chars} characters."
                )
            }
            Self::TooLong { max_chars } => {
                write!(
                    f,
                    "The password is too long: use at most {max_chars} characters."
                )
            }
            Self::MatchesUserInput => {
                f.write_str("The password must not be your user name, name or e-mail address.")
            }
            Self::TooGuessable {
                warning,
                suggestions,
                ..
            } => {
                f.write_str("The password is too easy to guess.")?;
                if let Some(warning) = warning {
                    write!(f, " {warning}")?;
                }
                for suggestion in suggestions {
                    write!(f, " {suggestion}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str, inputs: &[&str]) -> Result<(), Rejection> {
        PasswordPolicy::default().check(&SecretString::from(pw), inputs)
    }

    #[test]
    fn strong_passphrase_is_accepted() {
        assert_eq!(check("pivoine-orbite-tajine-97", &["karim"]), Ok(()));
    }

    #[test]
    fn password123_is_refused_as_short_and_common() {
        let err = check("password123", &[]).unwrap_err();
        assert_eq!(err.codes(), ["too_short", "too_guessable"]);
        let Problem::TooGuessable { score, warning, .. } = &err.problems()[1] else {
            panic!("expected a guessability problem: {err:?}");
        };
        assert!(*score < 3);
        assert!(warning.is_some(), "zxcvbn should name the weakness: {err}");
        assert!(err.to_string().starts_with("The password is too short"));
    }

    #[test]
    fn azerty_row_is_refused() {
        let err = check("azertyuiop", &[]).unwrap_err();
        assert!(err.codes().contains(&"too_short"), "{err:?}");
        // Long enough: zxcvbn alone scores this 3, but we teach it AZERTY rows.
        let err = check("azertyuiopqsdf", &[]).unwrap_err();
        assert_eq!(err.codes(), ["too_guessable"]);
        assert!(check("azertyuiop123456", &[]).is_err());
    }

    #[test]
    fn the_user_name_itself_is_refused() {
        let username = "karim.benali.rabat";
        let err = check("Karim.Benali.Rabat", &[username, "Karim Benali"]).unwrap_err();
        assert!(err.codes().contains(&"matches_user_input"), "{err:?}");
        assert!(err.codes().contains(&"too_guessable"), "{err:?}");
        // The same string is accepted for someone else: the inputs are what
        // make it guessable.
        assert_eq!(check("karim.benali.rabat", &["someone-else"]), Ok(()));
    }

    #[test]
    fn too_long_is_refused_without_analysis() {
        let long = "x".repeat(129);
        let err = check(&long, &[]).unwrap_err();
        assert_eq!(err.problems(), [Problem::TooLong { max_chars: 128 }]);
        // Length is counted in characters, not bytes: 100 "é" is 200 bytes, fine.
        assert!(check(&"é".repeat(100), &[])
            .unwrap_err()
            .codes()
            .iter()
            .all(|c| *c != "too_long"));
    }

    #[test]
    fn every_hint_has_a_code_and_english_text() {
        let err = check("qwertyuiop", &[]).unwrap_err();
        let Some(Problem::TooGuessable {
            warning,
            suggestions,
            ..
        }) = err.problems().last()
        else {
            panic!("{err:?}");
        };
        assert_eq!(warning.map(Warning::code), Some("top100_password"));
        assert!(!suggestions.is_empty());
        for s in suggestions {
            assert!(!s.code().is_empty() && s.to_string().ends_with('.'));
        }
        let spatial = check("zxcvbnm,./asdfghjkl", &[]).unwrap_err();
        assert!(spatial.to_string().contains("keys"), "{spatial}");
    }

    #[test]
    fn weak_policies_are_refused() {
        assert!(PasswordPolicy::new(6, 128, 3).is_err());
        assert!(PasswordPolicy::new(12, 32, 3).is_err());
        assert!(PasswordPolicy::new(12, 128, 5).is_err());
        assert_eq!(
            PasswordPolicy::new(12, 128, 3),
            Ok(PasswordPolicy::default())
        );
    }

    #[test]
    fn stricter_score_still_gives_a_hint() {
        let strict = PasswordPolicy::new(12, 128, 4).unwrap();
        let pw = SecretString::from("Marrakech2024!"); // zxcvbn score 3, no feedback
        assert_eq!(PasswordPolicy::default().check(&pw, &[]), Ok(()));
        let err = strict.check(&pw, &[]).unwrap_err();
        assert_eq!(
            err.problems(),
            [Problem::TooGuessable {
                score: 3,
                min_score: 4,
                warning: None,
                suggestions: vec![Suggestion::AddAnotherWord],
            }]
        );
    }
}

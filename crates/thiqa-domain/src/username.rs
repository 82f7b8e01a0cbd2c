//! Usernames are nominative account names (3.5.2): parsed once at the edge.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("the username is empty")]
    Empty,
    #[error("the username is longer than 64 characters")]
    TooLong,
    #[error("the username may only contain letters a-z, digits, '.', '-' and '_' and must start with a letter")]
    InvalidCharacters,
}

impl Username {
    pub const MAX_LEN: usize = 64;

    /// Lower-cases and checks the name: `a-z0-9._-`, starting with a letter.
    /// Lower-casing keeps "Amal" and "amal" from being two accounts.
    pub fn parse(raw: &str) -> Result<Username, UsernameError> {
        let name = raw.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(UsernameError::Empty);
        }
        if name.chars().count() > Self::MAX_LEN {
            return Err(UsernameError::TooLong);
        }
        let mut chars = name.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
        if !starts_with_letter || !rest_ok {
            return Err(UsernameError::InvalidCharacters);
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = UsernameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Username::parse(&s)
    }
}

impl From<Username> for String {
    fn from(u: Username) -> String {
        u.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(
            Username::parse("  Amal.Idrissi ").unwrap().as_str(),
            "amal.idrissi"
        );
        assert_eq!(Username::parse(""), Err(UsernameError::Empty));
        assert_eq!(
            Username::parse("1abc"),
            Err(UsernameError::InvalidCharacters)
        );
        assert_eq!(
            Username::parse("a b"),
            Err(UsernameError::InvalidCharacters)
        );
        assert_eq!(
            Username::parse("élodie"),
            Err(UsernameError::InvalidCharacters)
        );
        assert_eq!(
            Username::parse(&"a".repeat(65)),
            Err(UsernameError::TooLong)
        );
    }
}

//! Accounts of either directory (the provider's staff, an organisation's
//! members): what a new account must say of itself, and the one-time link
//! with which its holder sets a password. Nobody chooses a password for
//! someone else; creating an account and granting it rights are separate
//! acts (3.5.5).

use thiqa_crypto::token::Token;
use thiqa_domain::{Tenant, Username};
use thiqa_store::{Account, Actor, NewAccount};

use crate::{App, AppError};

/// The longest display name, in characters.
pub const DISPLAY_NAME_MAX: usize = 128;
/// The longest e-mail address, in bytes (RFC 5321).
pub const EMAIL_MAX: usize = 254;

/// What is wrong with a new account; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountProblem {
    /// Not a valid username (see [`Username::parse`]).
    Username,
    /// Empty or longer than [`DISPLAY_NAME_MAX`].
    DisplayName,
    /// Not an address (an `@`, no spaces, at most [`EMAIL_MAX`]).
    Email,
}

/// A new account's name, display name and optional e-mail, checked.
#[derive(Debug, Clone)]
pub struct AccountInput {
    username: Username,
    display_name: String,
    email: Option<String>,
}

impl AccountInput {
    pub fn check(
        username: &str,
        display_name: &str,
        email: &str,
    ) -> Result<AccountInput, Vec<AccountProblem>> {
        let mut problems = Vec::new();
        let username = Username::parse(username).ok();
        if username.is_none() {
            problems.push(AccountProblem::Username);
        }
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > DISPLAY_NAME_MAX {
            problems.push(AccountProblem::DisplayName);
        }
        let email = email.trim();
        let email_ok = email.is_empty()
            || (email.len() <= EMAIL_MAX
                && email.contains('@')
                && !email.contains(char::is_whitespace));
        if !email_ok {
            problems.push(AccountProblem::Email);
        }
        match username {
            Some(username) if problems.is_empty() => Ok(AccountInput {
                username,
                display_name: display_name.to_string(),
                email: Some(email.to_string()).filter(|e| !e.is_empty()),
            }),
            _ => Err(problems),
        }
    }

    pub fn username(&self) -> &Username {
        &self.username
    }

    /// The account to create in `tenant`'s directory, with no password
    /// and no second factor yet, speaking `language`.
    pub fn into_new(self, tenant: Tenant, language: &str) -> NewAccount {
        NewAccount {
            tenant,
            username: self.username.as_str().to_string(),
            display_name: self.display_name,
            email: self.email,
            password_hash: None,
            totp_secret: None,
            language: language.to_string(),
        }
    }
}

/// A one-time link's secret (shown once, only its hash is stored) and the
/// end of its validity (epoch seconds).
pub struct SetUpLink {
    pub token: Token,
    pub until: i64,
}

/// Issues a one-time set-password link for `account`, valid `ttl_s`
/// seconds, journaled by the store.
pub async fn issue_link(
    app: &App,
    account: &Account,
    ttl_s: i64,
    actor: &Actor,
) -> Result<SetUpLink, AppError> {
    let token = Token::generate().map_err(|e| AppError::Internal(e.to_string()))?;
    let until = app
        .store
        .create_password_reset(account, token.hash().as_str(), ttl_s, actor)
        .await?;
    Ok(SetUpLink { token, until })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_account_needs_a_username_a_name_and_at_most_a_plausible_address() {
        let ok = AccountInput::check(" Amina.B ", " Amina ", "").unwrap();
        assert_eq!(ok.username().as_str(), "amina.b");
        assert_eq!(ok.email, None);
        assert_eq!(
            AccountInput::check("", " ", "not an address").unwrap_err(),
            vec![
                AccountProblem::Username,
                AccountProblem::DisplayName,
                AccountProblem::Email
            ]
        );
        let long = format!("{}@x.ma", "a".repeat(EMAIL_MAX));
        assert_eq!(
            AccountInput::check("amina", "Amina", &long).unwrap_err(),
            vec![AccountProblem::Email]
        );
    }
}

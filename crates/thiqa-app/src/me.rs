//! What a signed account does for itself: read every right it holds, and
//! manage its personal API tokens (a token never carries more than its
//! owner holds; only its hash is kept).

use thiqa_crypto::token::Token;
use thiqa_domain::{ApiTokenId, Permission};
use thiqa_store::{ApiToken, HeldRight};

use crate::{App, AppError, Member};

/// The longest token name, in characters.
pub const TOKEN_NAME_MAX: usize = 80;
/// The longest validity of a token, in days.
pub const TOKEN_DAYS_MAX: i64 = 365;

/// What is wrong with a new token as typed; nothing is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProblem {
    /// Not a whole number of days from 1 to [`TOKEN_DAYS_MAX`].
    Days,
    /// Empty or longer than [`TOKEN_NAME_MAX`].
    Name,
    /// A scope the owner does not hold, or no permission at all (as typed).
    ScopeNotHeld(String),
}

/// A new token, checked against what its owner holds now.
#[derive(Debug, Clone)]
pub struct TokenInput {
    name: String,
    days: i64,
    scopes: Vec<Permission>,
}

impl TokenInput {
    /// `days` and `name` as typed; `scopes` are permission names, each of
    /// which the member must hold.
    pub fn check<'a>(
        member: &Member<'_>,
        name: &str,
        days: &str,
        scopes: impl IntoIterator<Item = &'a str>,
    ) -> Result<TokenInput, Vec<TokenProblem>> {
        let mut problems = Vec::new();
        let days = days
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=TOKEN_DAYS_MAX).contains(d));
        if days.is_none() {
            problems.push(TokenProblem::Days);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > TOKEN_NAME_MAX {
            problems.push(TokenProblem::Name);
        }
        let mut held = Vec::new();
        for scope in scopes {
            match Permission::parse(scope) {
                Some(p) if member.can(p) => held.push(p),
                _ => problems.push(TokenProblem::ScopeNotHeld(scope.to_string())),
            }
        }
        match days {
            Some(days) if problems.is_empty() => Ok(TokenInput {
                name: name.to_string(),
                days,
                scopes: held,
            }),
            _ => Err(problems),
        }
    }
}

/// The member's rights, each with the role that gives it (3.5.3).
pub async fn rights(app: &App, member: &Member<'_>) -> Result<Vec<HeldRight>, AppError> {
    let account = member.account();
    Ok(app
        .store
        .tenant(member.tenant())
        .rights_of(account.id)
        .await?)
}

/// The member's rights (each with the role that gives it) and tokens,
/// read side by side.
pub async fn own(
    app: &App,
    member: &Member<'_>,
) -> Result<(Vec<HeldRight>, Vec<ApiToken>), AppError> {
    let account = member.account();
    Ok(tokio::try_join!(rights(app, member), async {
        Ok(app.store.api_tokens(account).await?)
    },)?)
}

/// Creates a personal token; its value is returned once, only its hash
/// kept.
pub async fn create_token(
    app: &App,
    member: &Member<'_>,
    token: &TokenInput,
) -> Result<Token, AppError> {
    // Checked for the member who creates it, whoever checked the input.
    if token.scopes.iter().any(|p| !member.can(*p)) {
        return Err(AppError::Forbidden);
    }
    let secret = Token::generate_api().map_err(|e| AppError::Internal(e.to_string()))?;
    let expires = app.store.clock().now_s() + token.days * 86_400;
    app.store
        .create_api_token(
            member.account(),
            &token.name,
            secret.hash().as_str(),
            &token.scopes,
            expires,
            member.actor(),
        )
        .await?;
    Ok(secret)
}

/// Revokes one of the member's own tokens (another's id changes nothing).
pub async fn revoke_token(app: &App, member: &Member<'_>, id: ApiTokenId) -> Result<(), AppError> {
    Ok(app
        .store
        .revoke_api_token(member.account(), id, member.actor())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use thiqa_domain::PermissionSet;
    use thiqa_store::Actor;

    #[test]
    fn a_token_carries_only_what_its_owner_holds() {
        let account = crate::accounts::amina();
        let mut held = PermissionSet::new();
        held.insert(Permission::ServicesRead);
        let me = Member::signed(&account, &held, Actor::cli());
        let ok = TokenInput::check(&me, " ci ", "30", ["services.read"]).unwrap();
        assert_eq!((ok.name.as_str(), ok.days), ("ci", 30));
        assert_eq!(
            TokenInput::check(&me, "", "366", ["services.manage", "nope"]).unwrap_err(),
            vec![
                TokenProblem::Days,
                TokenProblem::Name,
                TokenProblem::ScopeNotHeld("services.manage".into()),
                TokenProblem::ScopeNotHeld("nope".into()),
            ]
        );
    }
}

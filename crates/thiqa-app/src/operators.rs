//! Operator accounts made from the server's shell (`thiqa operator
//! create`): the way in for the first operator, creating the provider and
//! its built-in roles when the installation has none, and more operators
//! with the roles named. The second factor is on from the start (3.5.6):
//! its secret and recovery codes come back to be shown once.

use secrecy::SecretString;
use thiqa_crypto::recovery;
use thiqa_crypto::totp::TotpSecret;
use thiqa_domain::{Directory, Tenant, Username};
use thiqa_store::{Actor, NewAccount, Refusal, SecondFactor};

use crate::signin::hash_password;
use crate::tenants::{role_by_name, seed_tenant, PROVIDER_ADMIN_ROLE};
use crate::{App, AppError};

/// An operator to create.
pub struct NewOperator<'a> {
    /// The provider's name, used only when the installation has none yet.
    pub provider_name: &'a str,
    pub username: &'a str,
    /// None: the username.
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub password: SecretString,
    /// Role names; none for the first operator gives it the provider
    /// administrator's role.
    pub roles: &'a [String],
}

/// An operator created, with what is shown once.
pub struct CreatedOperator {
    pub username: String,
    pub roles: Vec<String>,
    /// For the authenticator app.
    pub totp_secret: TotpSecret,
    /// One-time recovery codes (only their hashes are kept).
    pub recovery_codes: Vec<SecretString>,
}

/// Creates an operator with its password, second factor and roles, run
/// from the shell, in one transaction. Refused, with nothing created, for
/// an invalid username, a password the policy refuses, an unknown role or
/// roles whose rights are incompatible together.
pub async fn create_operator(app: &App, new: NewOperator<'_>) -> Result<CreatedOperator, AppError> {
    let username = Username::parse(new.username)
        .map_err(|e| AppError::Refused(Refusal::new("error-username", format!("username: {e}"))))?;
    let display_name = new.display_name.unwrap_or_else(|| username.to_string());
    app.sign_in
        .passwords
        .check(
            &new.password,
            &[
                username.as_str(),
                &display_name,
                new.email.as_deref().unwrap_or(""),
            ],
        )
        .map_err(|rejection| {
            AppError::Refused(Refusal::new(
                "error-password-refused",
                format!("password refused: {rejection}"),
            ))
        })?;
    let hash = hash_password(app, new.password).await?;
    let actor = Actor::cli();
    let provider = match app.store.default_provider().await? {
        Some((id, _)) => id,
        None => {
            let id = app.store.create_provider(new.provider_name, &actor).await?;
            seed_tenant(&app.store, Tenant::Provider(id), &actor).await?;
            id
        }
    };
    let tenant = Tenant::Provider(provider);
    let first = app.store.tenant(tenant).accounts().await?.is_empty();
    let roles: Vec<String> = if new.roles.is_empty() && first {
        vec![PROVIDER_ADMIN_ROLE.to_string()]
    } else {
        new.roles.to_vec()
    };
    let mut role_ids = Vec::new();
    for name in &roles {
        let id = role_by_name(&app.store, tenant, name)
            .await?
            .ok_or_else(|| {
                AppError::Refused(
                    Refusal::new("error-unknown-role", format!("no role named \"{name}\""))
                        .arg("name", name),
                )
            })?;
        role_ids.push(id);
    }
    let secret = TotpSecret::generate().map_err(|e| AppError::Internal(e.to_string()))?;
    let codes = recovery::generate(username.as_str(), recovery::DEFAULT_COUNT)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    // One transaction: the account, its second factor and its roles, the
    // roles' rights checked together (separation of duties) before commit.
    app.store
        .tenant(tenant)
        .create_account_with(
            NewAccount {
                username: username.to_string(),
                display_name,
                email: new.email,
                password_hash: Some(hash),
                totp_secret: None,
                language: "fr".into(),
            },
            Some(SecondFactor {
                secret: secrecy::ExposeSecret::expose_secret(&secret.to_base32()),
                last_step: 0,
                recovery_hashes: &codes.hashes,
            }),
            &role_ids,
            &actor,
        )
        .await?;
    Ok(CreatedOperator {
        username: username.to_string(),
        roles,
        totp_secret: secret,
        recovery_codes: codes.codes,
    })
}

/// The active operator `username`; NotFound otherwise.
async fn active_operator(app: &App, username: &str) -> Result<thiqa_store::Account, AppError> {
    app.store
        .account_by_username(Directory::Operators, username)
        .await?
        .filter(|a| a.is_active())
        .ok_or(AppError::NotFound)
}

/// Releases a locked operator from the shell: the way back when every
/// administrator is locked out (journaled).
pub async fn unlock_operator(app: &App, username: &str) -> Result<(), AppError> {
    let account = active_operator(app, username).await?;
    app.store.unlock_account(&account, &Actor::cli()).await?;
    Ok(())
}

/// A one-time link for operator `username` to set a new password, valid
/// `ttl_s` seconds (journaled).
pub async fn operator_reset_link(
    app: &App,
    username: &str,
    ttl_s: i64,
) -> Result<crate::accounts::SetUpLink, AppError> {
    let account = active_operator(app, username).await?;
    // The command line prints the link to whoever runs it.
    let shown = crate::accounts::LinkDelivery::Shown;
    crate::accounts::issue_link(app, &account, ttl_s, &Actor::cli(), &shown).await
}

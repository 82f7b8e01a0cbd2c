//! Accounts of either directory (the provider's staff, an organisation's
//! members): what a new account must say of itself, and the one-time link
//! with which its holder sets a password. Nobody chooses a password for
//! someone else; creating an account and granting it rights are separate
//! acts (3.5.5).

use thiqa_crypto::token::Token;
use thiqa_domain::{LockState, RoleId, Username};
use thiqa_store::{Account, Actor, HeldRight, LinkMail, NewAccount, Refusal, Role};

use crate::{App, AppError, Member, RightsKind};

/// Whether `s` is an e-mail address as Thiqa accepts one: an `@`, no
/// whitespace, at most [`EMAIL_MAX`] bytes (the mail server has the last
/// word).
pub fn is_email(s: &str) -> bool {
    s.len() <= EMAIL_MAX && s.contains('@') && !s.contains(char::is_whitespace)
}

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
        if !email.is_empty() && !is_email(email) {
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

    /// The account to create, with no password and no second factor yet,
    /// speaking `language`.
    pub fn into_new(self, language: &str) -> NewAccount {
        NewAccount {
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
    /// The address it was e-mailed to; then it is shown nowhere else.
    pub mailed_to: Option<String>,
}

/// How a one-time link reaches its holder.
pub enum LinkDelivery {
    /// Shown once to whoever issued it (the command line, or no mail relay).
    Shown,
    /// E-mailed to the account's address when it has one (the outbox row is
    /// committed with the link); `base` is the URL the link starts with.
    Mailed { base: String },
}

/// Issues a one-time set-password link for `account`, valid `ttl_s`
/// seconds, journaled by the store; e-mailed when `delivery` says so and
/// the account has an address, shown otherwise.
pub async fn issue_link(
    app: &App,
    account: &Account,
    ttl_s: i64,
    actor: &Actor,
    delivery: &LinkDelivery,
) -> Result<SetUpLink, AppError> {
    let token = Token::generate().map_err(|e| AppError::Internal(e.to_string()))?;
    let mail = match (delivery, &account.email) {
        (LinkDelivery::Mailed { base }, Some(email)) if !email.is_empty() => Some(LinkMail {
            address: email.clone(),
            url: format!("{}/reset/{}", base.trim_end_matches('/'), token.expose()),
        }),
        _ => None,
    };
    let until = app
        .store
        .create_password_reset(account, token.hash().as_str(), ttl_s, mail.as_ref(), actor)
        .await?;
    Ok(SetUpLink {
        token,
        until,
        mailed_to: mail.map(|m| m.address),
    })
}

/// Where an account stands, as its administrators see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    /// Signs in normally.
    Active,
    /// Created, its set-password link not used yet.
    AwaitingPassword,
    /// Too many failed sign-ins: refused until released (by the delay or
    /// an administrator).
    Locked,
    /// Removed from the directory; kept for the journal.
    Deregistered,
}

impl AccountState {
    /// The state of `account` at `now_s` under `lockout`.
    pub fn of(account: &Account, lockout: &thiqa_domain::LockoutPolicy, now_s: i64) -> Self {
        if !account.is_active() {
            AccountState::Deregistered
        } else if let LockState::Locked { .. } = lockout.state(account.locked_at, now_s) {
            AccountState::Locked
        } else if account.password_hash.is_none() {
            AccountState::AwaitingPassword
        } else {
            AccountState::Active
        }
    }
}

/// One account of the directory with where it stands.
pub struct Listed {
    pub account: Account,
    pub state: AccountState,
}

fn state_now(app: &App, account: &Account) -> AccountState {
    AccountState::of(account, &app.lockout, app.store.clock().now_s())
}

/// Who reads the directory's accounts: those who manage them and those who
/// grant them rights.
fn require_view(member: &Member<'_>) -> Result<(), AppError> {
    let dir = member.directory();
    member.require_any(&[dir.manage_accounts(), dir.approve_access()])
}

/// The directory's active accounts, by username, with their state.
pub async fn list(app: &App, member: &Member<'_>) -> Result<Vec<Listed>, AppError> {
    require_view(member)?;
    Ok(app
        .store
        .tenant(member.tenant())
        .accounts()
        .await?
        .into_iter()
        .filter(|a| a.is_active())
        .map(|account| Listed {
            state: state_now(app, &account),
            account,
        })
        .collect())
}

/// A new account and its holder's set-password link.
pub struct Created {
    pub account: Account,
    pub link: SetUpLink,
}

/// Creates an account in the member's directory (no password, no role)
/// speaking `language`, with a set-password link valid `link_ttl_s`
/// seconds. Refused when the username is taken.
pub async fn create(
    app: &App,
    member: &Member<'_>,
    input: AccountInput,
    language: &str,
    link_ttl_s: i64,
    delivery: &LinkDelivery,
) -> Result<Created, AppError> {
    let dir = member.directory();
    member.require(dir.manage_accounts())?;
    let new = input.into_new(language);
    // A taken name is the store's refusal, in the same words whatever the
    // reason.
    let tenant = app.store.tenant(member.tenant());
    let id = tenant.create_account(new, member.actor()).await?;
    let account = tenant.account(id).await?;
    let link = issue_link(app, &account, link_ttl_s, member.actor(), delivery).await?;
    Ok(Created { account, link })
}

/// One account as its administrators see it: its rights, the roles it
/// holds and those it could be given.
pub struct AccountDetail {
    pub account: Account,
    pub state: AccountState,
    /// Every right held, with the role that gives it.
    pub rights: Vec<HeldRight>,
    /// The roles held (id, name), by id.
    pub held_roles: Vec<(RoleId, String)>,
    /// The tenant's other roles.
    pub other_roles: Vec<Role>,
    /// Whether it is the member's own account (nobody changes its own
    /// roles or deregisters itself).
    pub is_self: bool,
}

/// The account `id` of the member's directory (NotFound for another
/// tenant's), its rights and roles, read side by side.
pub async fn detail(app: &App, member: &Member<'_>, id: i64) -> Result<AccountDetail, AppError> {
    require_view(member)?;
    let (account, rights, roles) = tokio::try_join!(
        app.store.tenant(member.tenant()).account(id),
        app.store.tenant(member.tenant()).rights_of(id),
        app.store.tenant(member.tenant()).roles(),
    )?;
    let mut held_roles: Vec<(RoleId, String)> = rights
        .iter()
        .map(|r| (r.role_id, r.role_name.clone()))
        .collect();
    held_roles.sort_by_key(|(id, _)| id.0);
    held_roles.dedup_by_key(|(id, _)| id.0);
    let other_roles = roles
        .into_iter()
        .filter(|r| !held_roles.iter().any(|(id, _)| *id == r.id))
        .collect();
    Ok(AccountDetail {
        state: state_now(app, &account),
        is_self: account.id == member.account().id,
        account,
        rights,
        held_roles,
        other_roles,
    })
}

/// Gives the account `id` the role `role` (the approval right). Refused
/// for one's own account, or when it would then hold an incompatible pair
/// or edit what it audits (checked by the store, in the same transaction).
pub async fn assign_role(
    app: &App,
    member: &Member<'_>,
    id: i64,
    role: RoleId,
) -> Result<(), AppError> {
    change_role(app, member, id, role, true).await
}

/// Takes the role `role` from the account `id` (the approval right).
pub async fn revoke_role(
    app: &App,
    member: &Member<'_>,
    id: i64,
    role: RoleId,
) -> Result<(), AppError> {
    change_role(app, member, id, role, false).await
}

async fn change_role(
    app: &App,
    member: &Member<'_>,
    id: i64,
    role: RoleId,
    assign: bool,
) -> Result<(), AppError> {
    member.require(member.directory().approve_access())?;
    let (store, tenant, actor) = (&app.store, member.tenant(), member.actor());
    if assign {
        store.tenant(tenant).assign_role(id, role, actor).await?;
    } else {
        store.tenant(tenant).revoke_role(id, role, actor).await?;
    }
    Ok(())
}

/// The account `id` of the member's directory, for one who manages them.
async fn managed(app: &App, member: &Member<'_>, id: i64) -> Result<Account, AppError> {
    member.require(member.directory().manage_accounts())?;
    Ok(app.store.tenant(member.tenant()).account(id).await?)
}

/// Releases a locked account and zeroes its failure counter.
pub async fn unlock(app: &App, member: &Member<'_>, id: i64) -> Result<(), AppError> {
    let account = managed(app, member, id).await?;
    Ok(app.store.unlock_account(&account, member.actor()).await?)
}

/// A new set-password link for the active account `id`, valid `ttl_s`
/// seconds (NotFound once deregistered).
pub async fn reset_link(
    app: &App,
    member: &Member<'_>,
    id: i64,
    ttl_s: i64,
    delivery: &LinkDelivery,
) -> Result<Created, AppError> {
    let account = managed(app, member, id).await?;
    if !account.is_active() {
        return Err(AppError::NotFound);
    }
    let link = issue_link(app, &account, ttl_s, member.actor(), delivery).await?;
    Ok(Created { account, link })
}

/// The refusal of deregistering one's own account.
fn own_deregistration() -> AppError {
    AppError::Rights {
        kind: RightsKind::OwnRights,
        refusal: Refusal::new(
            "error-deregister-self",
            "nobody may deregister their own account",
        ),
    }
}

/// Removes the account `id` from the directory: its sessions, tokens,
/// roles and links go; the account stays, renamed, for the journal.
/// Refused for one's own account.
pub async fn deregister(app: &App, member: &Member<'_>, id: i64) -> Result<(), AppError> {
    member.require(member.directory().manage_accounts())?;
    if id == member.account().id {
        return Err(own_deregistration());
    }
    let account = managed(app, member, id).await?;
    Ok(app
        .store
        .deregister_account(&account, member.actor())
        .await?)
}

/// An active operator account with no password yet, for tests.
#[cfg(test)]
pub(crate) fn amina() -> Account {
    Account {
        directory: thiqa_domain::Directory::Operators,
        id: 7,
        tenant: thiqa_domain::Tenant::Provider(thiqa_domain::ProviderId(1)),
        username: "amina".into(),
        display_name: "Amina".into(),
        email: None,
        password_hash: None,
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: None,
        failed_attempts: 0,
        locked_at: None,
        language: "fr".into(),
        status: thiqa_store::AccountStatus::Active,
        created_at: 0,
    }
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

    #[test]
    fn an_account_is_locked_until_released_then_waits_for_its_password() {
        use thiqa_domain::LockoutPolicy;
        use thiqa_store::AccountStatus;
        let lockout = LockoutPolicy {
            threshold: 5,
            release_after_s: 60,
        };
        let mut a = amina();
        a.failed_attempts = 5;
        a.locked_at = Some(100);
        let at = |a: &Account, now| AccountState::of(a, &lockout, now);
        assert_eq!(at(&a, 159), AccountState::Locked);
        assert_eq!(at(&a, 160), AccountState::AwaitingPassword);
        a.password_hash = Some("$argon2id$…".into());
        assert_eq!(at(&a, 160), AccountState::Active);
        a.status = AccountStatus::Deregistered;
        assert_eq!(at(&a, 120), AccountState::Deregistered);
    }
}

//! Commanditaire organisations, onboarded by the provider's staff
//! (`organisations.manage`) with their first administrator, who then
//! manages the organisation's own users in the customer portal (a separate
//! directory).

use thiqa_domain::{Directory, OrganisationId, Permission, Tenant};
use thiqa_store::{AssignmentError, Organisation};

use crate::accounts::{self, AccountInput, AccountProblem, SetUpLink};
use crate::tenants::{role_by_name, seed_tenant, ORG_ADMIN_ROLE};
use crate::{App, AppError, Member, Staff};

/// The longest organisation name, in characters.
pub const NAME_MAX: usize = 120;

/// What is wrong with an onboarding; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnboardingProblem {
    /// The organisation's name is empty or longer than [`NAME_MAX`].
    Name,
    /// What is wrong with its first administrator.
    Administrator(AccountProblem),
}

/// An organisation and its first administrator, checked.
#[derive(Debug, Clone)]
pub struct Onboarding {
    name: String,
    require_mfa: bool,
    administrator: AccountInput,
}

impl Onboarding {
    pub fn check(
        name: &str,
        require_mfa: bool,
        administrator: Result<AccountInput, Vec<AccountProblem>>,
    ) -> Result<Onboarding, Vec<OnboardingProblem>> {
        let name = name.trim();
        let mut problems = Vec::new();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            problems.push(OnboardingProblem::Name);
        }
        match administrator {
            Ok(administrator) if problems.is_empty() => Ok(Onboarding {
                name: name.to_string(),
                require_mfa,
                administrator,
            }),
            Ok(_) => Err(problems),
            Err(more) => {
                problems.extend(more.into_iter().map(OnboardingProblem::Administrator));
                Err(problems)
            }
        }
    }
}

/// The new organisation and its administrator's set-up link.
pub struct Onboarded {
    pub organisation: OrganisationId,
    pub link: SetUpLink,
}

/// Creates the organisation with its built-in roles and incompatible
/// pairs, its administrator (no password yet, the administrator role) and
/// a set-up link valid `link_ttl_s` seconds; the administrator speaks
/// `language` until it chooses another. Refused, before anything is
/// created, when the username is taken.
pub async fn onboard(
    app: &App,
    staff: &Staff<'_>,
    onboarding: Onboarding,
    language: &str,
    link_ttl_s: i64,
    delivery: &accounts::LinkDelivery,
) -> Result<Onboarded, AppError> {
    staff.require(Permission::OrganisationsManage)?;
    let username = onboarding.administrator.username().as_str();
    if !app
        .store
        .username_available(Directory::Customers, username)
        .await?
    {
        return Err(AppError::Refused(
            thiqa_store::username_unavailable_refusal(),
        ));
    }
    let actor = staff.actor();
    let organisation = app
        .store
        .provider(staff.provider())
        .create_organisation(&onboarding.name, onboarding.require_mfa, actor)
        .await?;
    let tenant = Tenant::Organisation(organisation);
    seed_tenant(&app.store, tenant, actor)
        .await
        .map_err(built_in)?;
    let new = onboarding.administrator.into_new(language);
    // The administrator and its role in one transaction.
    let roles: Vec<_> = role_by_name(&app.store, tenant, ORG_ADMIN_ROLE)
        .await?
        .into_iter()
        .collect();
    let scope = app.store.tenant(tenant);
    let id = scope
        .create_account_with(new, None, &roles, actor)
        .await
        .map_err(built_in)?;
    let account = scope.account(id).await?;
    let link = accounts::issue_link(app, &account, link_ttl_s, actor, delivery).await?;
    Ok(Onboarded { organisation, link })
}

/// The built-in roles and pairs never break a rule: a refusal while a new
/// organisation is set up is a defect, a storage failure stays one.
fn built_in(e: AssignmentError) -> AppError {
    match e {
        AssignmentError::Store(e) => e.into(),
        other => AppError::Internal(format!("built-in roles refused: {other}")),
    }
}

/// The provider's organisations, by name (`organisations.manage`).
pub async fn list(app: &App, staff: &Staff<'_>) -> Result<Vec<Organisation>, AppError> {
    staff.require(Permission::OrganisationsManage)?;
    Ok(app.store.provider(staff.provider()).organisations().await?)
}

/// The member's own organisation, for its administrators
/// (`org.users.manage`): Forbidden for anyone outside an organisation.
pub async fn own(app: &App, member: &Member<'_>) -> Result<Organisation, AppError> {
    administered(member)?;
    Ok(app.store.tenant(member.tenant()).organisation().await?)
}

/// Whether the organisation requires a second factor from all its users,
/// set by its administrators (`org.users.manage`); journaled.
pub async fn require_mfa(app: &App, member: &Member<'_>, required: bool) -> Result<(), AppError> {
    administered(member)?;
    Ok(app
        .store
        .tenant(member.tenant())
        .set_require_mfa(required, member.actor())
        .await?)
}

fn administered(member: &Member<'_>) -> Result<OrganisationId, AppError> {
    member.require(Permission::OrgUsersManage)?;
    match member.tenant() {
        Tenant::Organisation(id) => Ok(id),
        Tenant::Provider(_) => Err(AppError::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organisation_needs_a_name_and_a_valid_administrator() {
        let admin = || AccountInput::check("amina", "Amina", "");
        assert!(Onboarding::check(" Banque ", true, admin()).is_ok());
        assert_eq!(
            Onboarding::check(" ", false, admin()).unwrap_err(),
            vec![OnboardingProblem::Name]
        );
        let bad = AccountInput::check("", "Amina", "");
        assert_eq!(
            Onboarding::check(&"n".repeat(NAME_MAX + 1), false, bad).unwrap_err(),
            vec![
                OnboardingProblem::Name,
                OnboardingProblem::Administrator(AccountProblem::Username)
            ]
        );
    }
}

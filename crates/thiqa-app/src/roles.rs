//! Roles: named sets of permissions of one directory. Editing a role is
//! refused to its holders and when one of them would then hold an
//! incompatible pair; widening it with an administrative right waits for a
//! second person's approval (3.5.3). The store checks all of it in the
//! transaction that writes.

use thiqa_domain::{Permission, RoleId};
use thiqa_store::{Change, Role};

use crate::{App, AppError, Member};

/// The longest role name, in characters.
pub const NAME_MAX: usize = 80;
/// The longest description kept, in characters (the rest is cut).
pub const DESCRIPTION_MAX: usize = 300;

/// What is wrong with a role as typed; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleProblem {
    /// Empty or longer than [`NAME_MAX`].
    Name,
}

/// Permission names as typed (checkbox values), parsed; Err names the
/// first that Thiqa does not know.
pub fn parse_permissions<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Permission>, String> {
    names
        .into_iter()
        .map(|name| Permission::parse(name).ok_or_else(|| name.to_string()))
        .collect()
}

/// A new role, checked: its name (trimmed), description (trimmed, cut at
/// [`DESCRIPTION_MAX`]) and permissions (whether they belong to the
/// directory is the store's check, in the transaction that writes).
#[derive(Debug, Clone)]
pub struct RoleInput {
    name: String,
    description: String,
    permissions: Vec<Permission>,
}

impl RoleInput {
    pub fn check(
        name: &str,
        description: &str,
        permissions: Vec<Permission>,
    ) -> Result<RoleInput, Vec<RoleProblem>> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            return Err(vec![RoleProblem::Name]);
        }
        Ok(RoleInput {
            name: name.to_string(),
            description: description.trim().chars().take(DESCRIPTION_MAX).collect(),
            permissions,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }
}

/// The tenant's roles, by name, for those who define them, grant them or
/// manage accounts.
pub async fn list(app: &App, member: &Member<'_>) -> Result<Vec<Role>, AppError> {
    let dir = member.directory();
    member.require_any(&[
        dir.manage_roles(),
        dir.approve_access(),
        dir.manage_accounts(),
    ])?;
    Ok(app.store.tenant(member.tenant()).roles().await?)
}

/// Creates a role in the member's tenant. Refused when the name is taken
/// or a permission belongs to the other directory.
pub async fn create(app: &App, member: &Member<'_>, role: &RoleInput) -> Result<RoleId, AppError> {
    member.require(member.directory().manage_roles())?;
    Ok(app
        .store
        .tenant(member.tenant())
        .create_role(
            &role.name,
            &role.description,
            &role.permissions,
            false,
            member.actor(),
        )
        .await?)
}

/// Sets the permissions of `role`, edited from its `version` (Stale when
/// it changed since). Pending when it widens the role with an
/// administrative right: a second person decides.
pub async fn set_permissions(
    app: &App,
    member: &Member<'_>,
    role: RoleId,
    permissions: &[Permission],
    version: i64,
) -> Result<Change, AppError> {
    member.require(member.directory().manage_roles())?;
    Ok(app
        .store
        .tenant(member.tenant())
        .set_role_permissions_from(role, permissions, Some(version), member.actor())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_needs_a_name_and_known_permissions() {
        let perms = parse_permissions(["services.read"]).unwrap();
        let ok = RoleInput::check(" Auditeurs ", " Lecture ", perms).unwrap();
        assert_eq!(ok.name(), "Auditeurs");
        assert_eq!(ok.description(), "Lecture");
        assert_eq!(ok.permissions(), &[Permission::ServicesRead]);
        let long = "d".repeat(DESCRIPTION_MAX + 10);
        let cut = RoleInput::check("R", &long, vec![]).unwrap();
        assert_eq!(cut.description().chars().count(), DESCRIPTION_MAX);
        assert_eq!(
            parse_permissions(["services.read", "root"]).unwrap_err(),
            "root"
        );
        assert_eq!(
            RoleInput::check(" ", "", vec![]).unwrap_err(),
            vec![RoleProblem::Name]
        );
        assert_eq!(
            RoleInput::check(&"n".repeat(NAME_MAX + 1), "", vec![]).unwrap_err(),
            vec![RoleProblem::Name]
        );
    }
}

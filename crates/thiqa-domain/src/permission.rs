//! Named permissions. Roles are sets of these; least privilege means a new
//! account holds none until a role is assigned.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::directory::Directory;

macro_rules! permissions {
    ($($variant:ident = $name:literal, $dir:ident;)*) => {
        /// Every right Thiqa knows. The string form is stable: it is stored,
        /// shown in the rights listing and used in API token scopes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Permission {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Permission::$variant => $name,)* }
            }

            pub fn parse(s: &str) -> Option<Permission> {
                match s { $($name => Some(Permission::$variant),)* _ => None }
            }

            /// The directory whose accounts may hold this permission.
            pub fn directory(self) -> Directory {
                match self { $(Permission::$variant => Directory::$dir,)* }
            }
        }
    };
}

permissions! {
    // Provider side (operator console).
    CatalogRead = "catalog.read", Operators;
    ServicesRead = "services.read", Operators;
    ServicesManage = "services.manage", Operators;
    AssessmentEdit = "assessment.edit", Operators;
    AssessmentValidate = "assessment.validate", Operators;
    OperatorsManage = "operators.manage", Operators;
    AccessApprove = "access.approve", Operators;
    RolesManage = "roles.manage", Operators;
    SeparationManage = "separation.manage", Operators;
    OrganisationsManage = "organisations.manage", Operators;
    JournalRead = "journal.read", Operators;
    AuditsManage = "audits.manage", Operators;
    ConfigManage = "config.manage", Operators;
    // Support access to a commanditaire's data, only with its consent
    // (3.5.7): asking for it, and answering the bastion's questions.
    SupportRequest = "support.request", Operators;
    SupportEnforce = "support.enforce", Operators;
    // Commanditaire side (customer portal).
    PortalRead = "portal.read", Customers;
    OrgUsersManage = "org.users.manage", Customers;
    OrgAccessApprove = "org.access.approve", Customers;
    OrgRolesManage = "org.roles.manage", Customers;
    OrgJournalRead = "org.journal.read", Customers;
    OrgSupportConsent = "org.support.consent", Customers;
    OrgNoticesAnswer = "org.notices.answer", Customers;
}

impl Permission {
    /// Rights over rights: managing accounts, roles, the incompatible pairs,
    /// approvals, organisations, audits, configuration, and the portal's
    /// support consent (it lets provider staff in). Widening a role with one
    /// of these takes effect only once a second person approves (3.5.3).
    pub fn is_administrative(self) -> bool {
        use Permission::*;
        matches!(
            self,
            OperatorsManage
                | AccessApprove
                | RolesManage
                | SeparationManage
                | OrganisationsManage
                | AuditsManage
                | ConfigManage
                | OrgUsersManage
                | OrgAccessApprove
                | OrgRolesManage
                | OrgSupportConsent
        )
    }

    /// The right that approves access in a directory: assigning roles and
    /// the four-eyes approval of pending rights changes.
    pub fn approval_in(dir: Directory) -> Permission {
        dir.approve_access()
    }
}

/// The rights over a directory's own accounts, named once: the console
/// (provider staff) and the portal (an organisation's members) administer
/// their directories the same way, each with its own permissions.
impl Directory {
    /// Creating, unlocking and deregistering accounts, issuing their
    /// set-password links.
    pub const fn manage_accounts(self) -> Permission {
        match self {
            Directory::Operators => Permission::OperatorsManage,
            Directory::Customers => Permission::OrgUsersManage,
        }
    }

    /// Assigning and revoking roles, deciding four-eyes requests.
    pub const fn approve_access(self) -> Permission {
        match self {
            Directory::Operators => Permission::AccessApprove,
            Directory::Customers => Permission::OrgAccessApprove,
        }
    }

    /// Defining roles.
    pub const fn manage_roles(self) -> Permission {
        match self {
            Directory::Operators => Permission::RolesManage,
            Directory::Customers => Permission::OrgRolesManage,
        }
    }

    /// Declaring and removing incompatible pairs (an organisation's role
    /// managers do it there).
    pub const fn manage_separation(self) -> Permission {
        match self {
            Directory::Operators => Permission::SeparationManage,
            Directory::Customers => Permission::OrgRolesManage,
        }
    }

    /// Reading the directory's journal.
    pub const fn read_journal(self) -> Permission {
        match self {
            Directory::Operators => Permission::JournalRead,
            Directory::Customers => Permission::OrgJournalRead,
        }
    }
}

/// Described as what it serialises to: its stable name.
impl utoipa::PartialSchema for Permission {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Permission::ALL.iter().map(|p| p.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for Permission {}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions, ordered for stable display.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    pub fn insert(&mut self, p: Permission) {
        self.0.insert(p);
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        PermissionSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_name() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(*p));
        }
        assert_eq!(Permission::parse("root"), None);
    }

    #[test]
    fn the_approval_right_is_administrative_in_both_directories() {
        for dir in [Directory::Operators, Directory::Customers] {
            let p = Permission::approval_in(dir);
            assert!(p.is_administrative() && p.directory() == dir);
        }
        assert!(!Permission::CatalogRead.is_administrative());
    }
}

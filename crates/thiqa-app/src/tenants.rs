//! What a new provider or organisation starts with: built-in roles cut for
//! least privilege, and the default incompatible pairs (3.5.3).

use thiqa_domain::separation::default_pairs;
use thiqa_domain::{Directory, Permission, RoleId, Tenant};
use thiqa_store::{Actor, AssignmentError, Store, StoreError};

use Permission::*;

/// Built-in roles: (name, description, permissions). No role holds both
/// sides of a default pair.
fn builtin_roles(dir: Directory) -> Vec<(&'static str, &'static str, Vec<Permission>)> {
    match dir {
        Directory::Operators => vec![
            (
                "Administrateur des comptes",
                "Crée les comptes opérateurs et les organisations commanditaires ; définit les rôles.",
                vec![OperatorsManage, OrganisationsManage, RolesManage, CatalogRead, ServicesRead, JournalRead],
            ),
            (
                "Approbateur des accès",
                "Attribue et retire les rôles (séparé de la gestion des comptes, 3.5.5).",
                vec![AccessApprove, CatalogRead, ServicesRead, JournalRead],
            ),
            (
                "RSSI",
                "Valide les évaluations, définit les droits incompatibles, organise les audits, lit le journal.",
                vec![AssessmentValidate, SeparationManage, ConfigManage, AuditsManage, CatalogRead, ServicesRead, JournalRead],
            ),
            (
                "Responsable conformité",
                "Déclare les services et renseigne l'auto-évaluation.",
                vec![ServicesManage, ServicesRead, AssessmentEdit, CatalogRead],
            ),
            ("Lecteur", "Consulte le référentiel et les services.", vec![CatalogRead, ServicesRead]),
            (
                SUPPORT_ROLE,
                "Demande l'accès aux données d'un commanditaire, qui y consent ou non (3.5.7).",
                vec![SupportRequest, CatalogRead, ServicesRead],
            ),
            (
                BASTION_ROLE,
                "Compte du bastion ou du PAM : demande si un accès du support est accordé et enregistre les sessions (3.5.7).",
                vec![SupportEnforce],
            ),
        ],
        Directory::Customers => vec![
            (
                "Administrateur de l'organisation",
                "Gère les comptes des utilisateurs de l'organisation et ses rôles.",
                vec![OrgUsersManage, OrgRolesManage, PortalRead, OrgJournalRead, OrgNoticesAnswer],
            ),
            (
                "Approbateur des accès",
                "Attribue et retire les rôles des utilisateurs de l'organisation.",
                vec![OrgAccessApprove, PortalRead],
            ),
            (
                "Auditeur interne",
                "Consulte le portail et les événements de l'organisation.",
                vec![PortalRead, OrgJournalRead],
            ),
            ("Utilisateur", "Consulte le portail de confiance.", vec![PortalRead, OrgSupportConsent]),
        ],
    }
}

pub const PROVIDER_ADMIN_ROLE: &str = "Administrateur des comptes";
pub const PROVIDER_APPROVER_ROLE: &str = "Approbateur des accès";
pub const ORG_ADMIN_ROLE: &str = "Administrateur de l'organisation";
pub const ORG_APPROVER_ROLE: &str = "Approbateur des accès";
/// The provider's support engineers (0024_support_access.sql gives the
/// role to providers created before it).
pub const SUPPORT_ROLE: &str = "Support technique";
/// The account the provider's bastion or PAM calls the support API with.
pub const BASTION_ROLE: &str = "Bastion du support";

/// Creates the built-in roles and default pairs of a new tenant.
pub async fn seed_tenant(
    store: &Store,
    tenant: Tenant,
    actor: &Actor,
) -> Result<(), AssignmentError> {
    let dir = tenant.directory();
    for (first, second, reason) in default_pairs()
        .into_iter()
        .filter(|(a, _, _)| a.directory() == dir)
    {
        store
            .tenant(tenant)
            .add_incompatible_pair(first, second, reason, actor)
            .await?;
    }
    for (name, description, perms) in builtin_roles(dir) {
        store
            .tenant(tenant)
            .create_role(name, description, &perms, true, actor)
            .await?;
    }
    Ok(())
}

/// The tenant's role of that name (built-in roles are found by name).
pub async fn role_by_name(
    store: &Store,
    tenant: Tenant,
    name: &str,
) -> Result<Option<RoleId>, StoreError> {
    Ok(store
        .tenant(tenant)
        .roles()
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use thiqa_domain::separation::check;
    use thiqa_domain::{IncompatiblePair, PairId};

    #[test]
    fn no_builtin_role_breaks_a_default_pair() {
        let pairs: Vec<IncompatiblePair> = default_pairs()
            .into_iter()
            .map(|(first, second, reason)| IncompatiblePair {
                id: PairId(0),
                first,
                second,
                reason: reason.into(),
            })
            .collect();
        for dir in [Directory::Operators, Directory::Customers] {
            for (name, _, perms) in builtin_roles(dir) {
                let held = perms.iter().copied().collect();
                assert!(
                    check(&held, &pairs).is_ok(),
                    "built-in role {name} breaks a pair"
                );
                assert!(
                    perms.iter().all(|p| p.directory() == dir),
                    "role {name} mixes directories"
                );
            }
        }
    }
}

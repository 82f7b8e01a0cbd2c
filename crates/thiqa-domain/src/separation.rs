//! Separation of duties (référentiel 3.5.3, 3.5.5): a list of permission pairs
//! no single account may hold together, checked whenever rights change.

use serde::{Deserialize, Serialize};

use crate::ids::PairId;
use crate::permission::{Permission, PermissionSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncompatiblePair {
    pub id: PairId,
    pub first: Permission,
    pub second: Permission,
    /// Why these rights must be held by different people.
    pub reason: String,
}

impl IncompatiblePair {
    pub fn is_held_by(&self, held: &PermissionSet) -> bool {
        held.contains(self.first) && held.contains(self.second)
    }
}

/// The refusal names the pair, so the person assigning the role sees why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "incompatible permissions: {first} and {second} may not be held by the same account ({reason})"
)]
pub struct SeparationViolation {
    pub first: Permission,
    pub second: Permission,
    pub reason: String,
}

/// Returns the first pair the given permissions would violate.
pub fn check(held: &PermissionSet, pairs: &[IncompatiblePair]) -> Result<(), SeparationViolation> {
    match pairs.iter().find(|p| p.is_held_by(held)) {
        Some(p) => Err(SeparationViolation {
            first: p.first,
            second: p.second,
            reason: p.reason.clone(),
        }),
        None => Ok(()),
    }
}

/// The pairs a new installation starts with; operators may edit the list.
/// The first is the référentiel's own example (3.5.5): managing accounts is
/// separate from approving access.
pub fn default_pairs() -> Vec<(Permission, Permission, &'static str)> {
    vec![
        (
            Permission::OperatorsManage,
            Permission::AccessApprove,
            "account management separate from access approval (3.5.5)",
        ),
        (
            Permission::AssessmentEdit,
            Permission::AssessmentValidate,
            "who writes an assessment does not validate it",
        ),
        (
            Permission::SeparationManage,
            Permission::AccessApprove,
            "who grants access does not define the incompatibilities",
        ),
        (
            Permission::OrgUsersManage,
            Permission::OrgAccessApprove,
            "account management separate from access approval (3.5.5)",
        ),
        (
            Permission::SupportRequest,
            Permission::SupportEnforce,
            "who asks for support access does not answer the bastion nor record its sessions (3.5.7)",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: Permission, b: Permission) -> IncompatiblePair {
        IncompatiblePair {
            id: PairId(1),
            first: a,
            second: b,
            reason: "test".into(),
        }
    }

    #[test]
    fn holding_both_sides_of_a_pair_is_refused_naming_the_pair() {
        let pairs = [pair(Permission::OperatorsManage, Permission::AccessApprove)];
        let held: PermissionSet = [Permission::OperatorsManage, Permission::AccessApprove]
            .into_iter()
            .collect();
        let err = check(&held, &pairs).unwrap_err();
        assert!(err
            .to_string()
            .contains("operators.manage and access.approve"));
    }

    #[test]
    fn one_side_only_is_allowed() {
        let pairs = [pair(Permission::OperatorsManage, Permission::AccessApprove)];
        let held: PermissionSet = [Permission::OperatorsManage, Permission::CatalogRead]
            .into_iter()
            .collect();
        assert!(check(&held, &pairs).is_ok());
    }
}

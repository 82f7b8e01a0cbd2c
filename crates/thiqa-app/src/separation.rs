//! The editable list of incompatible permissions (3.5.3): no account may
//! hold both of a pair. Declaring one is refused while accounts hold both;
//! removing one waits for a second person's approval.

use thiqa_domain::{IncompatiblePair, PairId, Permission};
use thiqa_store::Change;

use crate::{App, AppError, Member};

/// The longest reason, in characters.
pub const REASON_MAX: usize = 300;

/// What is wrong with a pair as typed; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairProblem {
    /// Not a permission Thiqa knows (as typed).
    UnknownPermission(String),
    /// No reason, or longer than [`REASON_MAX`].
    Reason,
}

/// A pair to declare, checked.
#[derive(Debug, Clone)]
pub struct PairInput {
    first: Permission,
    second: Permission,
    reason: String,
}

impl PairInput {
    pub fn check(first: &str, second: &str, reason: &str) -> Result<PairInput, Vec<PairProblem>> {
        let mut problems = Vec::new();
        let mut parse = |s: &str| {
            let p = Permission::parse(s);
            if p.is_none() {
                problems.push(PairProblem::UnknownPermission(s.to_string()));
            }
            p
        };
        let (first, second) = (parse(first), parse(second));
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > REASON_MAX {
            problems.push(PairProblem::Reason);
        }
        match (first, second) {
            (Some(first), Some(second)) if problems.is_empty() => Ok(PairInput {
                first,
                second,
                reason: reason.to_string(),
            }),
            _ => Err(problems),
        }
    }
}

/// The tenant's pairs, for those who define, grant or check rights.
pub async fn pairs(app: &App, member: &Member<'_>) -> Result<Vec<IncompatiblePair>, AppError> {
    let dir = member.directory();
    member.require_any(&[
        dir.manage_separation(),
        dir.approve_access(),
        dir.manage_roles(),
    ])?;
    Ok(app
        .store
        .tenant(member.tenant())
        .incompatible_pairs()
        .await?)
}

/// Declares a pair. Refused when accounts already hold both, or the pair
/// is one permission or mixes directories.
pub async fn add(app: &App, member: &Member<'_>, pair: &PairInput) -> Result<PairId, AppError> {
    member.require(member.directory().manage_separation())?;
    Ok(app
        .store
        .tenant(member.tenant())
        .add_incompatible_pair(pair.first, pair.second, &pair.reason, member.actor())
        .await?)
}

/// Asks to remove the pair `id`: Pending, a second person decides.
pub async fn remove(app: &App, member: &Member<'_>, id: PairId) -> Result<Change, AppError> {
    member.require(member.directory().manage_separation())?;
    Ok(app
        .store
        .tenant(member.tenant())
        .remove_incompatible_pair(id, member.actor())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_needs_two_known_permissions_and_a_reason() {
        assert!(PairInput::check("access.approve", "operators.manage", " 3.5.3 ").is_ok());
        assert_eq!(
            PairInput::check("root", "operators.manage", " ").unwrap_err(),
            vec![
                PairProblem::UnknownPermission("root".into()),
                PairProblem::Reason
            ]
        );
        let long = "r".repeat(REASON_MAX + 1);
        assert_eq!(
            PairInput::check("access.approve", "operators.manage", &long).unwrap_err(),
            vec![PairProblem::Reason]
        );
    }
}

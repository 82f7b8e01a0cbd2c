//! What a use case answers when it does not do what was asked. The edges
//! turn each kind into their own form (a page, an API error, a CLI message);
//! only `Internal` hides its cause from the user.

use thiqa_store::{AssignmentError, Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing of that id in the caller's tenant (another tenant's id is
    /// answered the same way, so ids reveal nothing).
    #[error("not found")]
    NotFound,
    /// The caller may not do this.
    #[error("forbidden")]
    Forbidden,
    /// A rule refused the change; nothing was saved.
    #[error("{}", .0.english())]
    Refused(Refusal),
    /// The change was made from an older version of what it edits; nothing
    /// was saved (the edge shows what is there now).
    #[error("{}", .0.english())]
    Stale(Refusal),
    /// A change to rights was refused (the rules of 3.5.3 and 3.5.5):
    /// nothing was changed. The kind says which rule, for the edge's status.
    #[error("{}", .refusal.english())]
    Rights { kind: RightsKind, refusal: Refusal },
    /// The storage failed (unreachable, full…); nothing was saved.
    #[error(transparent)]
    Store(StoreError),
    /// A signing key is unusable (wrong wrapping key, unreadable file).
    #[error("key {place}: {message}")]
    Key { place: String, message: String },
    /// A defect or corrupt data: logged with its cause, never shown.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(r) => AppError::Refused(r),
            StoreError::Stale(r) => AppError::Stale(r),
            other => AppError::Store(other),
        }
    }
}

/// Which rule refused a change to rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RightsKind {
    /// One acts on one's own rights (nobody grants itself a right): the
    /// edges answer "forbidden".
    OwnRights,
    /// An account would hold an incompatible pair, or a pair is declared
    /// that accounts already hold both sides of.
    Separation,
    /// An auditor would hold a right that edits the service it audits.
    AuditorIndependence,
    /// The request makes no sense (a permission of another directory, a
    /// pair of one permission, a request already decided…).
    Invalid,
}

impl From<AssignmentError> for AppError {
    /// The one wording of every rights refusal: a message key with its
    /// arguments, and its English sentence. Storage errors stay errors.
    fn from(e: AssignmentError) -> Self {
        let english = e.to_string();
        let (kind, refusal) = match e {
            AssignmentError::Separation(v) => (
                RightsKind::Separation,
                Refusal::new("refusal-separation", english)
                    .arg("pair", format!("{} / {}", v.first, v.second))
                    .arg("reason", v.reason),
            ),
            AssignmentError::AlreadyViolated(names) => (
                RightsKind::Separation,
                Refusal::new("refusal-pair-already-held", english).arg("names", names),
            ),
            AssignmentError::SelfChange(s) => (
                RightsKind::OwnRights,
                Refusal::new(s.message_key(), english),
            ),
            AssignmentError::Auditor(v) => (
                RightsKind::AuditorIndependence,
                Refusal::new("error-auditor-independence", english)
                    .arg("auditor", v.auditor)
                    .arg("service", v.service)
                    .arg("engagement", v.engagement)
                    .arg("permission", v.permission),
            ),
            AssignmentError::Invalid(r) => (RightsKind::Invalid, r),
            AssignmentError::Store(e) => return e.into(),
        };
        AppError::Rights { kind, refusal }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thiqa_domain::{Permission, SeparationViolation};
    use thiqa_store::{AuditorViolation, SelfChange};

    /// Each rights refusal keeps its kind (the edges' status) and its
    /// English sentence; a storage failure stays one.
    #[test]
    fn rights_refusals_keep_their_kind() {
        let kind = |e: AssignmentError| match AppError::from(e) {
            AppError::Rights { kind, refusal } => Some((kind, refusal.key)),
            _ => None,
        };
        let separation = AssignmentError::Separation(SeparationViolation {
            first: Permission::AccessApprove,
            second: Permission::OperatorsManage,
            reason: "3.5.3".into(),
        });
        assert_eq!(
            kind(separation),
            Some((RightsKind::Separation, "refusal-separation"))
        );
        assert_eq!(
            kind(AssignmentError::AlreadyViolated("amal".into())),
            Some((RightsKind::Separation, "refusal-pair-already-held"))
        );
        assert_eq!(
            kind(AssignmentError::SelfChange(SelfChange::HeldRole)),
            Some((RightsKind::OwnRights, "error-self-role"))
        );
        let auditor = AssignmentError::Auditor(AuditorViolation {
            auditor: "nadia".into(),
            permission: "assessment.edit".into(),
            engagement: 4,
            service: "IaaS".into(),
        });
        assert_eq!(
            kind(auditor),
            Some((
                RightsKind::AuditorIndependence,
                "error-auditor-independence"
            ))
        );
        let invalid = Refusal::new("refusal-permission-directory", "no");
        assert_eq!(
            kind(AssignmentError::Invalid(invalid)),
            Some((RightsKind::Invalid, "refusal-permission-directory"))
        );
        assert!(matches!(
            AppError::from(AssignmentError::Store(StoreError::NotFound)),
            AppError::NotFound
        ));
    }
}

//! Why a change to rights is refused: the one error type of every rights
//! change (roles, assignments, incompatible pairs, four-eyes requests, audit
//! engagements) and the refusals it names. Its own module because the rights
//! transaction that checks the invariant (`rights_guard.rs`) and every kind
//! of change built on it return it.

use thiqa_domain::separation::SeparationViolation;

use crate::error::{Refusal, StoreError};

/// Why an account may not make a change to its own rights (items 2 and 3
/// of the review: nobody grants a right to itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfChange {
    /// Assigning or revoking one's own roles.
    OwnAssignment,
    /// Editing a role one holds.
    HeldRole,
    /// Approving one's own request.
    OwnRequest,
    /// Approving the widening of a role one holds.
    GrantsSelf,
    /// Inviting oneself to audit (an auditor is independent of whoever
    /// invites it).
    OwnAudit,
}

impl SelfChange {
    /// Message id in the locale files.
    pub fn message_key(self) -> &'static str {
        match self {
            SelfChange::OwnAssignment => "error-self-assignment",
            SelfChange::HeldRole => "error-self-role",
            SelfChange::OwnRequest => "error-self-approval",
            SelfChange::GrantsSelf => "error-self-grant",
            SelfChange::OwnAudit => "error-self-audit",
        }
    }
}

impl std::fmt::Display for SelfChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SelfChange::OwnAssignment => "nobody may change their own role assignments",
            SelfChange::HeldRole => "nobody may change a role they hold",
            SelfChange::OwnRequest => "a request must be approved by another account",
            SelfChange::GrantsSelf => "nobody may approve a change that widens their own rights",
            SelfChange::OwnAudit => "nobody may invite themselves to audit",
        })
    }
}

/// An auditor would hold a right that edits the service it audits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{auditor} audits \"{service}\" (audit engagement {engagement}) and cannot hold {permission}, \
     which edits the audited service, while the engagement runs"
)]
pub struct AuditorViolation {
    pub auditor: String,
    pub permission: String,
    pub engagement: i64,
    pub service: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AssignmentError {
    #[error(transparent)]
    Separation(#[from] SeparationViolation),
    /// Users holding both sides of a pair one wants to declare.
    #[error("these accounts already hold both permissions: {0}")]
    AlreadyViolated(String),
    #[error("{0}")]
    Invalid(Refusal),
    /// An account acting on its own rights (nobody grants itself a right).
    #[error("{0}")]
    SelfChange(SelfChange),
    /// An auditor would hold a right that edits the service it audits.
    #[error(transparent)]
    Auditor(#[from] AuditorViolation),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AssignmentError {
    fn from(e: sqlx::Error) -> Self {
        AssignmentError::Store(StoreError::Database(e))
    }
}

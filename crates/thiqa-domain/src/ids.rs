//! Newtype ids so that a service id can never be passed where an
//! organisation id is expected: the store takes and returns them, the use
//! cases pass them on, and the web edge parses them straight from the path
//! (`Path<(ServiceId, EvidenceId)>`). Accounts are not among them: an account is
//! named by its directory and its id together (`Account::directory`,
//! `Account::id`), the two directories being separate tables.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// The cloud provider (prestataire) whose staff are operators.
    ProviderId,
    /// A commanditaire (customer) organisation.
    OrganisationId,
    RoleId,
    ServiceId,
    ApiTokenId,
    PairId,
    /// A piece of evidence attached to a service (and its versions).
    EvidenceId,
    /// An auditor's finding on a service.
    FindingId,
    /// An item of a service's action plan.
    ActionId,
    /// An auditor's engagement on one service.
    EngagementId,
    /// A site where a service's data lives (3.15.2).
    SiteId,
    /// A source of infrastructure events (intake).
    SourceId,
    /// A correlation alert.
    AlertId,
    /// A request for a right awaiting a second person's approval.
    RightsRequestId,
    /// A commanditaire's contract on one service (3.15.1).
    ContractId,
    /// A notice from the provider to its commanditaires (3.8.2, 3.11.1…).
    NoticeId,
    /// An organisation's webhook endpoint.
    WebhookId,
    /// An operator's request for access to a commanditaire's data, and the
    /// grant it becomes once consented (3.5.7).
    SupportRequestId,
    /// A supervised jump host declared for support from abroad (3.5.7.e).
    JumpHostId,
);

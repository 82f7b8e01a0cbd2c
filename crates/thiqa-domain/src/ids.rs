//! Newtype ids so that an operator id can never be passed where an
//! organisation id is expected.

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
    /// A member of the provider's staff.
    OperatorId,
    /// A user inside a commanditaire organisation.
    CustomerUserId,
    RoleId,
    ServiceId,
    ApiTokenId,
    PairId,
);

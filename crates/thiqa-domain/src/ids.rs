//! Newtype ids so that a service id can never be passed where an
//! organisation id is expected. Accounts are not among them: an account is
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
);

//! Tenant scope in the store's types. Tenant data is reached only through
//! a scope value: `store.provider(p)` for what a provider owns (services and
//! everything under them, organisations, engagements, intake sources),
//! `store.tenant(t)` for what each directory's tenant administers (accounts,
//! roles, incompatible pairs, rights requests, alerts). Every read and write
//! under a scope is bound to its tenant in SQL, so an id of another tenant
//! answers NotFound; there is no unscoped reader of tenant data outside this
//! crate.
//!
//! Who may make a scope: the application layer (`thiqa-app`), from an
//! authenticated context whose tenant comes from the account, never from the
//! request. The HTTP edge and the command line are held to that by clippy
//! (`disallowed-methods` in their `clippy.toml`); the few places that resolve
//! a caller before any context exists say so where they allow it.

use thiqa_domain::{ProviderId, Tenant};

use crate::Store;

/// What one provider owns.
#[derive(Clone, Copy)]
pub struct ProviderScope<'s> {
    pub(crate) store: &'s Store,
    pub(crate) provider: ProviderId,
}

/// What one tenant (a provider or an organisation) administers in its own
/// directory.
#[derive(Clone, Copy)]
pub struct TenantScope<'s> {
    pub(crate) store: &'s Store,
    pub(crate) tenant: Tenant,
}

impl Store {
    /// The data of provider `provider`.
    pub fn provider(&self, provider: ProviderId) -> ProviderScope<'_> {
        ProviderScope {
            store: self,
            provider,
        }
    }

    /// The directory data of tenant `tenant`.
    pub fn tenant(&self, tenant: Tenant) -> TenantScope<'_> {
        TenantScope {
            store: self,
            tenant,
        }
    }
}

impl ProviderScope<'_> {
    pub fn id(self) -> ProviderId {
        self.provider
    }
}

impl TenantScope<'_> {
    pub fn id(self) -> Tenant {
        self.tenant
    }
}

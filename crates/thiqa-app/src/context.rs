//! Who acts, and for which tenant. A context is made by the edge only after
//! it authenticated the caller (a signed console session, a command line on
//! the server); the tenant comes from the account, never from the request.
//! A scope ([`ServiceScope`], [`DossierSigner`]) is made only by an access
//! check here, so a use case that takes one cannot be reached without it.

use thiqa_domain::{Directory, Permission, PermissionSet, ProviderId, ServiceId, Tenant};
use thiqa_store::{Account, Actor, Engagement};

use crate::sources::ConfigAdmin;
use crate::{App, AppError};

/// Forbidden unless `held` has at least one of `ps`.
fn required(held: &PermissionSet, ps: &[Permission]) -> Result<(), AppError> {
    if ps.iter().any(|p| held.contains(*p)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A member of a provider's staff, signed in to the console (password and
/// second factor checked by the edge), with the rights of its roles.
pub struct Staff<'a> {
    provider: ProviderId,
    account: i64,
    permissions: &'a PermissionSet,
    actor: Actor,
}

impl<'a> Staff<'a> {
    /// For the edge, once the session is verified.
    pub fn signed(
        provider: ProviderId,
        account: i64,
        permissions: &'a PermissionSet,
        actor: Actor,
    ) -> Staff<'a> {
        Staff {
            provider,
            account,
            permissions,
            actor,
        }
    }

    pub fn provider(&self) -> ProviderId {
        self.provider
    }

    /// The staff member's account id.
    pub fn account(&self) -> i64 {
        self.account
    }

    /// The provider's directory, where the staff's accounts live.
    pub fn tenant(&self) -> Tenant {
        Tenant::Provider(self.provider)
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(p)
    }

    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        required(self.permissions, &[p])
    }

    pub(crate) fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// An account signed in to its own directory: a provider's staff member in
/// the console, an organisation's member in the portal. What it administers
/// (accounts, roles, incompatible pairs, approvals) is its own tenant's, and
/// the permission each act needs is named by its directory
/// ([`Directory::manage_accounts`] and the like), so one use case serves
/// both.
pub struct Member<'a> {
    account: &'a Account,
    permissions: &'a PermissionSet,
    actor: Actor,
}

impl<'a> Member<'a> {
    /// For the edge, once the session (or API token) is verified;
    /// `permissions` are what it may do now (a token's narrowed scopes).
    pub fn signed(
        account: &'a Account,
        permissions: &'a PermissionSet,
        actor: Actor,
    ) -> Member<'a> {
        Member {
            account,
            permissions,
            actor,
        }
    }

    /// The tenant whose directory the account belongs to.
    pub fn tenant(&self) -> Tenant {
        self.account.tenant
    }

    pub fn directory(&self) -> Directory {
        self.account.tenant.directory()
    }

    /// The signed account.
    pub fn account(&self) -> &Account {
        self.account
    }

    pub fn permissions(&self) -> &PermissionSet {
        self.permissions
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(p)
    }

    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        required(self.permissions, &[p])
    }

    /// Forbidden unless it holds at least one of `ps`.
    pub fn require_any(&self, ps: &[Permission]) -> Result<(), AppError> {
        required(self.permissions, ps)
    }

    pub(crate) fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// Someone with a shell on the server (the `thiqa` command), acting for
/// one provider: whoever can read the data directory can do as much.
pub struct Shell {
    provider: ProviderId,
    actor: Actor,
}

impl Shell {
    pub fn for_provider(provider: ProviderId) -> Shell {
        Shell {
            provider,
            actor: Actor::cli(),
        }
    }

    pub fn dossier_signer(&self) -> DossierSigner {
        DossierSigner {
            provider: self.provider,
            actor: self.actor.clone(),
        }
    }

    pub fn config_admin(&self) -> ConfigAdmin {
        ConfigAdmin {
            provider: self.provider,
            actor: self.actor.clone(),
        }
    }
}

/// How a reader reaches a service.
pub enum Access {
    /// The provider's staff, through `services.read`.
    Staff,
    /// An external auditor, through its engagement on that very service,
    /// active now.
    Auditor(Engagement),
}

impl Access {
    /// The engagement, when the reader is the service's auditor.
    pub fn engagement(&self) -> Option<&Engagement> {
        match self {
            Access::Staff => None,
            Access::Auditor(e) => Some(e),
        }
    }
}

/// Proven read access to one service id within one provider: the right to
/// read is checked when the scope is made; whether the id names one of the
/// provider's services is answered by the reads under it, every one of
/// which is scoped by the provider (another provider's id is NotFound), so
/// a page costs no extra round trip for it.
pub struct ServiceScope {
    provider: ProviderId,
    service: ServiceId,
    access: Access,
    actor: Actor,
}

impl ServiceScope {
    pub fn provider(&self) -> ProviderId {
        self.provider
    }

    pub fn service(&self) -> ServiceId {
        self.service
    }

    pub fn access(&self) -> &Access {
        &self.access
    }

    pub fn into_access(self) -> Access {
        self.access
    }

    pub(crate) fn actor(&self) -> &Actor {
        &self.actor
    }

    pub(crate) fn tenant(&self) -> Tenant {
        Tenant::Provider(self.provider)
    }
}

/// An external auditor at work on one service, under its engagement active
/// now: made only by [`Staff::auditing`].
pub struct AuditorScope {
    provider: ProviderId,
    service: ServiceId,
    engagement: Engagement,
    actor: Actor,
}

impl AuditorScope {
    pub fn provider(&self) -> ProviderId {
        self.provider
    }

    pub fn service(&self) -> ServiceId {
        self.service
    }

    pub fn engagement(&self) -> &Engagement {
        &self.engagement
    }

    pub(crate) fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// Who may sign a dossier in the provider's name: the RSSI's act
/// (`assessment.validate`), or the command line.
pub struct DossierSigner {
    provider: ProviderId,
    actor: Actor,
}

impl DossierSigner {
    pub(crate) fn provider(&self) -> ProviderId {
        self.provider
    }

    pub(crate) fn actor(&self) -> &Actor {
        &self.actor
    }
}

impl Staff<'_> {
    /// Read access to `service`: with `services.read`, any of the
    /// provider's services; else only one the account audits now under an
    /// active engagement. Forbidden otherwise.
    pub async fn service(&self, app: &App, service: ServiceId) -> Result<ServiceScope, AppError> {
        let access = if self.can(Permission::ServicesRead) {
            Access::Staff
        } else {
            match app
                .store
                .provider(self.provider)
                .active_engagement(service, self.account)
                .await?
            {
                Some(e) => Access::Auditor(e),
                None => return Err(AppError::Forbidden),
            }
        };
        Ok(ServiceScope {
            provider: self.provider,
            service,
            access,
            actor: self.actor.clone(),
        })
    }

    /// The account as the auditor of `service` under the engagement active
    /// now, or Forbidden: recording and closing findings is the auditor's
    /// alone.
    pub async fn auditing(&self, app: &App, service: ServiceId) -> Result<AuditorScope, AppError> {
        let engagement = app
            .store
            .provider(self.provider)
            .active_engagement(service, self.account)
            .await?
            .ok_or(AppError::Forbidden)?;
        Ok(AuditorScope {
            provider: self.provider,
            service,
            engagement,
            actor: self.actor.clone(),
        })
    }

    /// The provider's configuration, for holders of `config.manage`.
    pub fn config_admin(&self) -> Result<ConfigAdmin, AppError> {
        self.require(Permission::ConfigManage)?;
        Ok(ConfigAdmin {
            provider: self.provider,
            actor: self.actor.clone(),
        })
    }

    /// The dossier signer, for holders of `assessment.validate`.
    pub fn dossier_signer(&self) -> Result<DossierSigner, AppError> {
        self.require(Permission::AssessmentValidate)?;
        Ok(DossierSigner {
            provider: self.provider,
            actor: self.actor.clone(),
        })
    }

    /// The services the account may list: all of the provider's with
    /// `services.read`, else those of its active engagements (Forbidden
    /// when there are none).
    pub async fn visible_services(&self, app: &App) -> Result<Vec<thiqa_store::Service>, AppError> {
        let all = app.store.provider(self.provider).services().await?;
        if self.can(Permission::ServicesRead) {
            return Ok(all);
        }
        let now = app.store.clock().now_s();
        let engaged: Vec<ServiceId> = app
            .store
            .provider(self.provider)
            .engagements_of_auditor(self.account)
            .await?
            .into_iter()
            .filter(|e| e.is_active(now))
            .map(|e| e.service_id)
            .collect();
        if engaged.is_empty() {
            return Err(AppError::Forbidden);
        }
        Ok(all
            .into_iter()
            .filter(|s| engaged.contains(&s.id))
            .collect())
    }
}

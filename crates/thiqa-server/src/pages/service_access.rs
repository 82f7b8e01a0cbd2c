//! Who may read one service: the provider's staff through their roles
//! (`services.read`), or an external auditor through an engagement on that
//! very service that is active now. Every read-only service page asks here,
//! so an auditor's access stops at the service and at the end date.

use thiqa_domain::{Permission, ProviderId, ServiceId};
use thiqa_store::{Engagement, Service};

use crate::auth::realm::Console;
use crate::auth::visit::Signed;
use crate::state::AppState;
use crate::web::error::PageError;

/// How the signed operator reaches the service.
pub enum Access {
    Staff,
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

/// Read access to `service`, or Forbidden. The provider is the signed
/// account's own, never taken from the request.
pub async fn read_access(
    app: &AppState,
    me: &Signed<Console>,
    service: ServiceId,
) -> Result<(ProviderId, Access), PageError> {
    let provider = me.provider()?;
    if me.can(Permission::ServicesRead) {
        return Ok((provider, Access::Staff));
    }
    match app
        .store
        .active_engagement(provider, service, me.account.id)
        .await?
    {
        Some(e) => Ok((provider, Access::Auditor(e))),
        None => Err(PageError::Forbidden),
    }
}

/// The engagement under which the signed operator audits `service` now,
/// or Forbidden: recording and closing findings is the auditor's alone.
pub async fn auditor_access(
    app: &AppState,
    me: &Signed<Console>,
    service: ServiceId,
) -> Result<(ProviderId, Engagement), PageError> {
    let provider = me.provider()?;
    app.store
        .active_engagement(provider, service, me.account.id)
        .await?
        .map(|e| (provider, e))
        .ok_or(PageError::Forbidden)
}

/// The services the signed operator may list: all of the provider's with
/// `services.read`, else those of its active engagements (Forbidden when
/// there are none, as before engagements existed).
pub async fn visible_services(
    app: &AppState,
    me: &Signed<Console>,
) -> Result<Vec<Service>, PageError> {
    let provider = me.provider()?;
    let all = app.store.services(provider).await?;
    if me.can(Permission::ServicesRead) {
        return Ok(all);
    }
    let now = app.store.clock().now_s();
    let engaged: Vec<i64> = app
        .store
        .engagements_of_auditor(provider, me.account.id)
        .await?
        .into_iter()
        .filter(|e| e.is_active(now))
        .map(|e| e.service_id)
        .collect();
    if engaged.is_empty() {
        return Err(PageError::Forbidden);
    }
    Ok(all
        .into_iter()
        .filter(|s| engaged.contains(&s.id.0))
        .collect())
}

//! Who may read one service: the rule is the use cases'
//! (`thiqa_app::Staff::service`); these helpers give the console's pages
//! the provider and the way in (staff or auditor under an engagement).

use thiqa_app::Access;
use thiqa_domain::{ProviderId, ServiceId};
use thiqa_store::Service;

use crate::auth::visit::Signed;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::error::PageError;

/// Read access to `service`, or Forbidden. The provider is the signed
/// account's own, never taken from the request.
pub async fn read_access(
    app: &AppState,
    me: &Signed<Console>,
    service: ServiceId,
) -> Result<(ProviderId, Access), PageError> {
    let scope = me.staff()?.service(app, service).await?;
    Ok((scope.provider(), scope.into_access()))
}

/// The services the signed operator may list.
pub async fn visible_services(
    app: &AppState,
    me: &Signed<Console>,
) -> Result<Vec<Service>, PageError> {
    Ok(me.staff()?.visible_services(app).await?)
}

//! Four-eyes approvals (3.5.3): the rights changes waiting for a second
//! person (removing an incompatible pair, widening a role with an
//! administrative right), approved or rejected by another account holding
//! the approval right. The store refuses one's own request and a change
//! that widens the decider's own rights.

use thiqa_domain::RightsRequestId;
use thiqa_store::RightsRequest;

use crate::{App, AppError, Member};

/// The tenant's requests, pending first, for those who file them (role
/// and pair managers) and those who decide them.
pub async fn requests(app: &App, member: &Member<'_>) -> Result<Vec<RightsRequest>, AppError> {
    let dir = member.directory();
    member.require_any(&[
        dir.approve_access(),
        dir.manage_roles(),
        dir.manage_separation(),
    ])?;
    Ok(app.store.tenant(member.tenant()).rights_requests().await?)
}

/// Approves (applies) or rejects the pending request `id`.
pub async fn decide(
    app: &App,
    member: &Member<'_>,
    id: RightsRequestId,
    approve: bool,
) -> Result<(), AppError> {
    member.require(member.directory().approve_access())?;
    Ok(app
        .store
        .tenant(member.tenant())
        .decide_rights_request(id, approve, member.actor())
        .await?)
}

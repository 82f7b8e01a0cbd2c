//! Four-eyes approval (3.5.3) of the rights changes that could undo the
//! separation of duties: removing an incompatible pair, widening a role with
//! an administrative permission. An account's change of that kind becomes a
//! pending request; a *different* account holding the approval right
//! approves it (the change is applied then, in the same transaction, under
//! the invariant of `rights_guard.rs`) or rejects it. Both names are kept on
//! the request and in the journal.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{PairId, Permission, RightsRequestId, RoleId};

use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::rights_error::{AssignmentError, SelfChange};
use crate::rights_guard::{account_of, RightsTx};
use crate::role_permissions::{join, write_role_permissions};
use crate::scope::TenantScope;
use crate::versions::{self, Key};

#[derive(Debug, Clone, Serialize)]
pub struct RightsRequest {
    pub id: RightsRequestId,
    /// `role.update` or `separation.remove`.
    pub kind: String,
    pub role_id: Option<i64>,
    /// For `role.update`: the role's version when the request was filed.
    pub role_version: Option<i64>,
    pub pair_id: Option<i64>,
    /// For `role.update`: the role's whole new permission set.
    pub permissions: Vec<Permission>,
    pub summary: String,
    pub requested_by_id: i64,
    pub requested_by: String,
    pub requested_at: i64,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

/// The change a request carries.
pub(crate) enum Requested<'a> {
    RoleUpdate(RoleId, &'a [Permission]),
    PairRemoval(PairId),
}

const SELECT: &str =
    "SELECT id, kind, role_id, role_version, pair_id, permissions, summary, requested_by_id, \
     requested_by, requested_at, status, decided_by, decided_at FROM rights_requests";

fn from_row(r: &sqlx::any::AnyRow) -> Result<RightsRequest, StoreError> {
    let perms: String = r.try_get("permissions")?;
    Ok(RightsRequest {
        id: RightsRequestId(r.try_get("id")?),
        kind: r.try_get("kind")?,
        role_id: r.try_get("role_id")?,
        role_version: r.try_get("role_version")?,
        pair_id: r.try_get("pair_id")?,
        permissions: perms.split(',').filter_map(Permission::parse).collect(),
        summary: r.try_get("summary")?,
        requested_by_id: r.try_get("requested_by_id")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        status: r.try_get("status")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
    })
}

/// Files a request inside the rights transaction `r`, journaled with the
/// requester's name; returns its id.
pub(crate) async fn file_request(
    r: &mut RightsTx,
    what: Requested<'_>,
    summary: &str,
    requester: i64,
    actor: &Actor,
    now_s: i64,
) -> Result<i64, StoreError> {
    let tenant = r.tenant();
    let (kind, tid) = tenant.parts();
    let (action, role, pair, perms) = match what {
        Requested::RoleUpdate(role, perms) => ("role.update", Some(role.0), None, join(perms)),
        Requested::PairRemoval(pair) => ("separation.remove", None, Some(pair.0), String::new()),
    };
    // The version the approval will have to find (read under the rights
    // lock, after the requester's own version check).
    let role_version: Option<i64> = match role {
        Some(id) => Some(
            sqlx::query_scalar("SELECT version FROM roles WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *r.w.tx)
                .await?,
        ),
        None => None,
    };
    let perms = perms.replace(", ", ",");
    // The same change already waiting from the same person (a form sent
    // twice, two tabs): the request stands once, so approvers never decide
    // it twice. Another person's identical request stays a request of its
    // own, so who asked is never lost. Read under the rights lock, so two
    // concurrent filings cannot both miss it. The new filing was checked
    // against the role as it now is, so the request now expects this
    // version (the filing's own claim moved it).
    let pending: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM rights_requests WHERE tenant_kind = $1 AND tenant_id = $2 \
         AND status = 'pending' AND kind = $3 AND role_id IS NOT DISTINCT FROM $4 \
         AND pair_id IS NOT DISTINCT FROM $5 AND permissions = $6 AND requested_by_id = $7 \
         ORDER BY id LIMIT 1",
    )
    .bind(kind)
    .bind(tid)
    .bind(action)
    .bind(role)
    .bind(pair)
    .bind(&perms)
    .bind(requester)
    .fetch_optional(&mut *r.w.tx)
    .await?;
    let (id, again) = match pending {
        Some(id) => {
            sqlx::query("UPDATE rights_requests SET role_version = $1 WHERE id = $2")
                .bind(role_version)
                .bind(id)
                .execute(&mut *r.w.tx)
                .await?;
            (id, "; sent again while pending")
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO rights_requests (tenant_kind, tenant_id, kind, role_id, role_version, \
                 pair_id, permissions, summary, requested_by_id, requested_by, requested_at, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending') RETURNING id",
            )
            .bind(kind)
            .bind(tid)
            .bind(action)
            .bind(role)
            .bind(role_version)
            .bind(pair)
            .bind(&perms)
            .bind(summary)
            .bind(requester)
            .bind(&actor.name)
            .bind(now_s)
            .fetch_one(&mut *r.w.tx)
            .await?;
            (id, "")
        }
    };
    // Every filing is journaled, a repeated one too.
    r.w.event(
        actor,
        &NewEvent::success("rights.request")
            .target(format!("request:{id}"))
            .tenant(tenant)
            .details(format!(
                "{action}: {summary}; requested by {}{again}",
                actor.name
            )),
    )
    .await?;
    Ok(id)
}

impl TenantScope<'_> {
    /// The tenant's requests, pending first, newest first.
    pub async fn rights_requests(self) -> Result<Vec<RightsRequest>, StoreError> {
        let tenant = self.tenant;
        let (kind, tid) = tenant.parts();
        let sql = format!(
            "{SELECT} WHERE tenant_kind = $1 AND tenant_id = $2 \
             ORDER BY CASE status WHEN 'pending' THEN 0 ELSE 1 END, id DESC LIMIT 200"
        );
        let rows = sqlx::query(&sql)
            .bind(kind)
            .bind(tid)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Approves (applying the change) or rejects a pending request. The
    /// decider must be another account of the tenant holding the approval
    /// right; approving the widening of a role the decider holds is refused
    /// too (nobody grants a right to itself).
    pub async fn decide_rights_request(
        self,
        id: RightsRequestId,
        approve: bool,
        actor: &Actor,
    ) -> Result<(), AssignmentError> {
        let id = id.0;
        let tenant = self.tenant;
        let verb = if approve {
            "rights.approve"
        } else {
            "rights.reject"
        };
        let event = NewEvent::failure(verb)
            .target(format!("request:{id}"))
            .tenant(tenant);
        let result: Result<(), AssignmentError> = async {
            let mut r = self.rights_tx().await?;
            let (kind, tid) = tenant.parts();
            let sql = format!("{SELECT} WHERE id = $1 AND tenant_kind = $2 AND tenant_id = $3");
            let row = sqlx::query(&sql)
                .bind(id)
                .bind(kind)
                .bind(tid)
                .fetch_optional(&mut *r.w.tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let req = from_row(&row)?;
            if req.status != "pending" {
                return Err(StoreError::Conflict(
                    crate::Refusal::new(
                        "refusal-request-decided",
                        format!("request {id} is already {}", req.status),
                    )
                    .arg("id", id),
                )
                .into());
            }
            let approval = Permission::approval_in(tenant.directory());
            let Some(me) = account_of(actor, tenant) else {
                return Err(AssignmentError::Invalid(
                    crate::Refusal::new(
                        "refusal-request-decider",
                        format!(
                            "only an account of this tenant holding {approval} decides requests"
                        ),
                    )
                    .arg("permission", approval),
                ));
            };
            if !r.holds(me, approval).await? {
                return Err(AssignmentError::Invalid(
                    crate::Refusal::new(
                        "refusal-request-decider",
                        format!("{} does not hold {approval}", actor.name),
                    )
                    .arg("permission", approval),
                ));
            }
            if approve {
                if me == req.requested_by_id {
                    return Err(AssignmentError::SelfChange(SelfChange::OwnRequest));
                }
                apply(&mut r, &req, me).await?;
            }
            let status = if approve { "approved" } else { "rejected" };
            sqlx::query(
                "UPDATE rights_requests SET status = $1, decided_by_id = $2, decided_by = $3, \
                 decided_at = $4 WHERE id = $5 AND status = 'pending'",
            )
            .bind(status)
            .bind(me)
            .bind(&actor.name)
            .bind(self.store.clock.now_s())
            .bind(id)
            .execute(&mut *r.w.tx)
            .await?;
            // The applied change carries its own action; a rejection is
            // journaled as such. Both name requester and decider.
            let action = match (approve, req.kind.as_str()) {
                (false, _) => "rights.reject",
                (true, "role.update") => "role.update",
                (true, _) => "separation.remove",
            };
            r.w.event(
                actor,
                &NewEvent::success(action)
                    .target(format!("request:{id}"))
                    .tenant(tenant)
                    .details(format!(
                        "{}; requested by {}, {status} by {}",
                        req.summary, req.requested_by, actor.name
                    )),
            )
            .await?;
            r.commit().await
        }
        .await;
        self.store.settle(actor, event, result).await
    }
}

/// Applies an approved request's change inside `r`.
async fn apply(
    r: &mut RightsTx,
    req: &RightsRequest,
    approver: i64,
) -> Result<(), AssignmentError> {
    let gone = || {
        StoreError::Conflict(
            crate::Refusal::new(
                "refusal-request-gone",
                format!("request {}: its object no longer exists", req.id),
            )
            .arg("id", req.id),
        )
    };
    match (req.kind.as_str(), req.role_id, req.pair_id) {
        ("role.update", Some(role), _) => {
            if r.holds_role(approver, role).await? {
                return Err(AssignmentError::SelfChange(SelfChange::GrantsSelf));
            }
            // Applied only to the role as it was asked about: an edit made
            // since would otherwise be silently undone.
            let key = [("id", Key::Int(role))];
            if !versions::claim(&mut r.w, "roles", &key, req.role_version).await? {
                return Err(StoreError::Conflict(
                    crate::Refusal::new(
                        "refusal-request-role-changed",
                        format!(
                            "request {}: the role was changed after the request was filed; reject it and ask again",
                            req.id
                        ),
                    )
                    .arg("id", req.id),
                )
                .into());
            }
            write_role_permissions(r, RoleId(role), &req.permissions).await?;
        }
        ("separation.remove", _, Some(pair)) => {
            let (kind, tid) = r.tenant().parts();
            let done = sqlx::query(
                    "DELETE FROM incompatible_pairs WHERE id = $1 AND tenant_kind = $2 AND tenant_id = $3",
                )
                .bind(pair)
                .bind(kind)
                .bind(tid)
                .execute(&mut *r.w.tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(gone().into());
            }
        }
        _ => return Err(gone().into()),
    }
    Ok(())
}

//! The separation-of-duties invariant (3.5.3) made structural. Every change
//! to roles, role permissions, assignments, incompatible pairs or audit
//! engagements runs in a [`RightsTx`]: it serialises the tenant's rights
//! changes (so two changes cannot each pass the check and together break it)
//! and commits only after checking, inside the transaction, that
//! - no account holds both permissions of any incompatible pair, and
//! - no auditor of a current or upcoming engagement holds a right that
//!   edits the audited service.
//!
//! A broken invariant rolls the whole change back.

use sqlx::Row;
use thiqa_domain::separation::SeparationViolation;
use thiqa_domain::{Directory, Permission, Tenant};

use crate::connect::{Store, WriteTx};
use crate::directory_tables::tables;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent, Outcome};
use crate::rights_error::{AssignmentError, AuditorViolation};
use crate::scope::TenantScope;

/// Rights an auditor must not hold while its engagement runs: they edit
/// the audited service (its profile, assessment, evidence, action plan,
/// answers to findings) or validate it, and whoever does so cannot also
/// audit it (independence of the audit). Checked structurally at every
/// rights change and invitation, in the rights transaction below.
pub const AUDITOR_INCOMPATIBLE: [Permission; 3] = [
    Permission::AssessmentEdit,
    Permission::AssessmentValidate,
    Permission::ServicesManage,
];

/// A write transaction holding the tenant's rights lock.
pub(crate) struct RightsTx {
    pub w: WriteTx,
    tenant: Tenant,
    now_s: i64,
    /// Violations already in the data when the change began (a database
    /// from before a rule was enforced everywhere): the change is refused
    /// only for a violation it adds, so an old one never blocks every
    /// other rights change of the tenant, a revocation that mends it least
    /// of all. `/separation` and the audits pages show what remains.
    already: Vec<Violation>,
}

/// One broken rule, comparable before and after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Violation {
    Pair {
        holder: String,
        violation: SeparationViolation,
    },
    Auditor(AuditorViolation),
}

impl Store {
    /// Hands a rights change's result back, journaling a refusal first (in
    /// its own transaction: the change itself was rolled back). Storage
    /// failures are not refusals and are not journaled.
    pub(crate) async fn settle<T>(
        &self,
        actor: &Actor,
        event: NewEvent,
        result: Result<T, AssignmentError>,
    ) -> Result<T, AssignmentError> {
        match result {
            Err(err) if !matches!(err, AssignmentError::Store(_)) => {
                let details = match &event.details {
                    Some(d) => format!("{d}: {err}"),
                    None => err.to_string(),
                };
                self.record_event(actor, event.details(details)).await?;
                Err(err)
            }
            other => other,
        }
    }
}

impl TenantScope<'_> {
    /// Begins a rights change of `tenant`. The no-op update locks the
    /// tenant's row until commit on PostgreSQL (a non-key update, so foreign
    /// key checks elsewhere are not blocked); SQLite has one writer anyway.
    pub(crate) async fn rights_tx(self) -> Result<RightsTx, StoreError> {
        let tenant = self.tenant;
        let mut w = self.store.write().await?;
        let sql = match tenant {
            Tenant::Provider(_) => "UPDATE providers SET name = name WHERE id = $1",
            Tenant::Organisation(_) => "UPDATE organisations SET name = name WHERE id = $1",
        };
        sqlx::query(sql)
            .bind(tenant.parts().1)
            .execute(&mut *w.tx)
            .await?;
        let mut r = RightsTx {
            w,
            tenant,
            now_s: self.store.clock.now_s(),
            already: Vec::new(),
        };
        r.already = r.violations().await?;
        Ok(r)
    }
}

/// Whether `actor` is an account of the tenant's own directory (not the
/// command line, not Thiqa itself, not an operator seeding an organisation).
pub(crate) fn account_of(actor: &Actor, tenant: Tenant) -> Option<i64> {
    actor
        .id
        .filter(|_| actor.directory == Some(tenant.directory()))
}

/// The success event of a change whose refusal `event` describes.
pub(crate) fn succeeded(event: &NewEvent) -> NewEvent {
    NewEvent {
        outcome: Outcome::Success,
        ..event.clone()
    }
}

impl RightsTx {
    /// Commits when the invariant holds; otherwise rolls back (the
    /// transaction is dropped) and names the first violation.
    pub async fn commit(mut self) -> Result<(), AssignmentError> {
        let added = self
            .violations()
            .await?
            .into_iter()
            .find(|v| !self.already.contains(v));
        match added {
            Some(Violation::Pair { holder, violation }) => {
                Err(AssignmentError::Separation(SeparationViolation {
                    reason: format!("{} — {holder}", violation.reason),
                    ..violation
                }))
            }
            Some(Violation::Auditor(v)) => Err(AssignmentError::Auditor(v)),
            None => {
                self.w.commit().await?;
                Ok(())
            }
        }
    }

    /// Every violation of both rules, as of this transaction.
    async fn violations(&mut self) -> Result<Vec<Violation>, StoreError> {
        let mut all: Vec<Violation> = self
            .pair_violations()
            .await?
            .into_iter()
            .map(|(holder, violation)| Violation::Pair { holder, violation })
            .collect();
        all.extend(
            self.auditor_violations()
                .await?
                .into_iter()
                .map(Violation::Auditor),
        );
        Ok(all)
    }

    pub fn tenant(&self) -> Tenant {
        self.tenant
    }

    /// Whether `user_id` holds `role_id`, as of this transaction.
    pub async fn holds_role(&mut self, user_id: i64, role_id: i64) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE user_id = $1 AND role_id = $2",
            tables(self.tenant.directory()).roles
        );
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(user_id)
            .bind(role_id)
            .fetch_one(&mut *self.w.tx)
            .await?;
        Ok(n > 0)
    }

    /// Whether `user_id` holds `permission` through any role, as of this
    /// transaction.
    pub async fn holds(
        &mut self,
        user_id: i64,
        permission: Permission,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} a JOIN role_permissions p ON p.role_id = a.role_id \
             WHERE a.user_id = $1 AND p.permission = $2",
            tables(self.tenant.directory()).roles
        );
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(user_id)
            .bind(permission.as_str())
            .fetch_one(&mut *self.w.tx)
            .await?;
        Ok(n > 0)
    }

    /// Every (account, pair) where the account holds both permissions.
    async fn pair_violations(&mut self) -> Result<Vec<(String, SeparationViolation)>, StoreError> {
        let t = tables(self.tenant.directory());
        let (kind, tid) = self.tenant.parts();
        let sql = format!(
            "SELECT u.username, p.first_permission, p.second_permission, p.reason \
             FROM incompatible_pairs p \
             JOIN role_permissions rp1 ON rp1.permission = p.first_permission \
             JOIN {assign} a1 ON a1.role_id = rp1.role_id \
             JOIN {assign} a2 ON a2.user_id = a1.user_id \
             JOIN role_permissions rp2 ON rp2.role_id = a2.role_id \
                  AND rp2.permission = p.second_permission \
             JOIN {users} u ON u.id = a1.user_id AND u.{col} = $2 \
             WHERE p.tenant_kind = $1 AND p.tenant_id = $2 \
             ORDER BY p.id, u.username",
            assign = t.roles,
            users = t.users,
            col = t.tenant_col,
        );
        let rows = sqlx::query(&sql)
            .bind(kind)
            .bind(tid)
            .fetch_all(&mut *self.w.tx)
            .await?;
        rows.iter()
            .map(|r| {
                let perm = |col: &str| -> Result<Permission, StoreError> {
                    let name: String = r.try_get(col)?;
                    Permission::parse(&name)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown permission {name}")))
                };
                Ok((
                    r.try_get("username")?,
                    SeparationViolation {
                        first: perm("first_permission")?,
                        second: perm("second_permission")?,
                        reason: r.try_get("reason")?,
                    },
                ))
            })
            .collect()
    }

    /// The first auditor of a current or upcoming engagement (not revoked,
    /// not over) holding a right that edits the audited service. Upcoming
    /// engagements count: a right granted before the start would otherwise
    /// be held once the engagement begins.
    async fn auditor_violations(&mut self) -> Result<Vec<AuditorViolation>, StoreError> {
        let Tenant::Provider(provider) = self.tenant else {
            return Ok(Vec::new());
        };
        debug_assert_eq!(self.tenant.directory(), Directory::Operators);
        // Names of compile-time constants, never user input.
        let rights = AUDITOR_INCOMPATIBLE
            .iter()
            .map(|p| format!("'{}'", p.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT o.username, e.id, s.name, rp.permission \
             FROM audit_engagements e JOIN operators o ON o.id = e.auditor_id \
             JOIN services s ON s.id = e.service_id \
             JOIN operator_role_assignments a ON a.user_id = e.auditor_id \
             JOIN role_permissions rp ON rp.role_id = a.role_id \
             WHERE e.provider_id = $1 AND e.revoked_at IS NULL AND e.expires_at > $2 \
             AND rp.permission IN ({rights}) ORDER BY e.id, rp.permission"
        );
        let rows = sqlx::query(&sql)
            .bind(provider.0)
            .bind(self.now_s)
            .fetch_all(&mut *self.w.tx)
            .await?;
        rows.iter()
            .map(|r| -> Result<AuditorViolation, StoreError> {
                Ok(AuditorViolation {
                    auditor: r.try_get(0)?,
                    engagement: r.try_get(1)?,
                    service: r.try_get(2)?,
                    permission: r.try_get(3)?,
                })
            })
            .collect()
    }
}

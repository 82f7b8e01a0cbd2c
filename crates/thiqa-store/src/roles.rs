//! Roles, their permissions, who holds them, and the incompatible pairs.
//! Every change runs in a rights transaction (`rights_guard.rs`) that checks
//! the separation-of-duties invariant (3.5.3) before it commits.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{IncompatiblePair, PairId, Permission, PermissionSet, RoleId, Tenant};

use crate::auth_cache::CacheKey;
use crate::connect::WriteTx;
use crate::directory_tables::tables;
use crate::error::{Refusal, StoreError};
use crate::events::{Actor, NewEvent};
use crate::rights_error::{AssignmentError, SelfChange};
use crate::rights_guard::{account_of, succeeded};
use crate::rights_requests::{file_request, Requested};
use crate::role_permissions::{join, write_role_permissions};
use crate::scope::TenantScope;
use crate::versions::{self, Key};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    pub permissions: Vec<Permission>,
    /// Bumped by every change of its permissions; an edit names the version
    /// it was made from.
    pub version: i64,
}

/// One right held: which permission, on which object, through which role.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct HeldRight {
    pub permission: Permission,
    /// `*` = the whole tenant; later `service:<id>` for one service.
    pub scope: String,
    pub role_id: RoleId,
    pub role_name: String,
}

/// What became of a rights change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Applied,
    /// Waiting for a second person's approval: the request's id.
    Pending(i64),
}

fn check_directory(tenant: Tenant, perms: &[Permission]) -> Result<(), AssignmentError> {
    if let Some(p) = perms.iter().find(|p| p.directory() != tenant.directory()) {
        return Err(AssignmentError::Invalid(
            Refusal::new(
                "refusal-permission-directory",
                format!("permission {p} cannot be given in this directory"),
            )
            .arg("permission", p),
        ));
    }
    Ok(())
}

impl TenantScope<'_> {
    /// The permissions account `user_id` of this tenant holds through all
    /// its roles (none for another tenant's account).
    pub async fn permissions_of(self, user_id: i64) -> Result<PermissionSet, StoreError> {
        Ok(self
            .rights_of(user_id)
            .await?
            .into_iter()
            .map(|r| r.permission)
            .collect())
    }

    /// Every right account `user_id` of this tenant holds, with its object
    /// and role (3.5.3). The roles are the tenant's: another tenant's
    /// account holds none here.
    pub async fn rights_of(self, user_id: i64) -> Result<Vec<HeldRight>, StoreError> {
        let store = self.store;
        let key = CacheKey::Rights(self.tenant, user_id);
        if let Some(rights) = store.auth_cache.get::<Vec<HeldRight>>(&key) {
            return Ok(rights.as_ref().clone());
        }
        let epoch = store.auth_cache.epoch();
        let t = tables(self.tenant.directory());
        let sql = format!(
            "SELECT p.permission, a.scope, r.id, r.name FROM {} a \
             JOIN roles r ON r.id = a.role_id JOIN role_permissions p ON p.role_id = r.id \
             WHERE a.user_id = $1 AND r.tenant_kind = $2 AND r.tenant_id = $3 \
             ORDER BY p.permission, r.name",
            t.roles
        );
        let (kind, tid) = self.tenant.parts();
        let rows = store
            .read(&sql, &[user_id.into(), kind.into(), tid.into()])
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let name: String = r.get("permission")?;
            // A permission name this version does not know grants nothing.
            if let Some(permission) = Permission::parse(&name) {
                out.push(HeldRight {
                    permission,
                    scope: r.get("scope")?,
                    role_id: RoleId(r.get("id")?),
                    role_name: r.get("name")?,
                });
            }
        }
        if let Some(epoch) = epoch {
            store.auth_cache.keep(epoch, key, out.clone());
        }
        Ok(out)
    }
}

impl TenantScope<'_> {
    pub async fn create_role(
        self,
        name: &str,
        description: &str,
        permissions: &[Permission],
        builtin: bool,
        actor: &Actor,
    ) -> Result<RoleId, AssignmentError> {
        let tenant = self.tenant;
        check_directory(tenant, permissions)?;
        let (kind, tid) = tenant.parts();
        let mut r = self.rights_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO roles (tenant_kind, tenant_id, name, description, builtin, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(kind)
        .bind(tid)
        .bind(name)
        .bind(description)
        .bind(i64::from(builtin))
        .bind(self.store.clock.now_s())
        .fetch_one(&mut *r.w.tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on(
                e,
                crate::Refusal::exists("refusal-exists-role", "role", name),
            )
        })?;
        write_role_permissions(&mut r, RoleId(id), permissions).await?;
        r.w.event(
            actor,
            &NewEvent::success("role.create")
                .target(format!("role:{id}"))
                .tenant(tenant)
                .details(format!("{name}: {}", join(permissions))),
        )
        .await?;
        r.commit().await?;
        Ok(RoleId(id))
    }

    pub async fn roles(self) -> Result<Vec<Role>, StoreError> {
        let tenant = self.tenant;
        let (kind, tid) = tenant.parts();
        let rows = sqlx::query(
            "SELECT r.id, r.name, r.description, r.builtin, r.version, p.permission FROM roles r \
             LEFT JOIN role_permissions p ON p.role_id = r.id \
             WHERE r.tenant_kind = $1 AND r.tenant_id = $2 ORDER BY r.name, r.id, p.permission",
        )
        .bind(kind)
        .bind(tid)
        .fetch_all(&self.store.pool)
        .await?;
        let mut roles: Vec<Role> = Vec::new();
        for r in &rows {
            let id = RoleId(r.try_get("id")?);
            if roles.last().is_none_or(|last| last.id != id) {
                roles.push(Role {
                    id,
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    builtin: r.try_get::<i64, _>("builtin")? != 0,
                    permissions: Vec::new(),
                    version: r.try_get("version")?,
                });
            }
            let perm: Option<String> = r.try_get("permission")?;
            if let Some(p) = perm.as_deref().and_then(Permission::parse) {
                if let Some(last) = roles.last_mut() {
                    last.permissions.push(p);
                }
            }
        }
        Ok(roles)
    }

    pub async fn role(self, id: RoleId) -> Result<Role, StoreError> {
        self.roles()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// Gives a role to an account of the same tenant. Refused when the
    /// account is the actor's own, or when an incompatible pair or an
    /// auditor's independence would then be broken.
    pub async fn assign_role(
        self,
        user_id: i64,
        role_id: RoleId,
        actor: &Actor,
    ) -> Result<(), AssignmentError> {
        self.change_assignment(user_id, role_id, true, actor).await
    }

    /// Takes a role away; never one's own.
    pub async fn revoke_role(
        self,
        user_id: i64,
        role_id: RoleId,
        actor: &Actor,
    ) -> Result<(), AssignmentError> {
        self.change_assignment(user_id, role_id, false, actor).await
    }

    async fn change_assignment(
        self,
        user_id: i64,
        role_id: RoleId,
        grant: bool,
        actor: &Actor,
    ) -> Result<(), AssignmentError> {
        let tenant = self.tenant;
        let account = self.account(user_id).await?;
        if grant && !account.is_active() {
            return Err(AssignmentError::Invalid(Refusal::new(
                "refusal-account-deregistered",
                "the account is deregistered",
            )));
        }
        let role = self.role(role_id).await?;
        let event = NewEvent::failure(if grant { "role.assign" } else { "role.revoke" })
            .target(account.event_target())
            .tenant(tenant)
            .details(format!("role {}", role.name));
        let result: Result<(), AssignmentError> = async {
            if account_of(actor, tenant) == Some(user_id) {
                return Err(AssignmentError::SelfChange(SelfChange::OwnAssignment));
            }
            let mut r = self.rights_tx().await?;
            let assignments = tables(tenant.directory()).roles;
            if grant {
                insert_assignment(
                    &mut r.w,
                    tenant,
                    (user_id, &account.username),
                    &role,
                    actor,
                    self.store.clock.now_s(),
                )
                .await?;
            } else {
                let sql = format!("DELETE FROM {assignments} WHERE user_id = $1 AND role_id = $2");
                let done = sqlx::query(&sql)
                    .bind(user_id)
                    .bind(role_id.0)
                    .execute(&mut *r.w.tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound.into());
                }
            }
            r.w.event(actor, &succeeded(&event)).await?;
            r.commit().await
        }
        .await;
        self.store.settle(actor, event, result).await
    }

    /// Replaces a role's permissions. An account never edits a role it
    /// holds; when an account widens a role with an administrative
    /// permission the change waits for a second person's approval
    /// (`rights_requests.rs`). Refused when a holder would then break the
    /// invariant of `rights_guard.rs`.
    pub async fn set_role_permissions(
        self,
        role_id: RoleId,
        permissions: &[Permission],
        actor: &Actor,
    ) -> Result<Change, AssignmentError> {
        self.set_role_permissions_from(role_id, permissions, None, actor)
            .await
    }

    /// `set_role_permissions` for an edit made from `version` of the role
    /// (None: whatever it is now); `Stale` if it changed meanwhile.
    pub async fn set_role_permissions_from(
        self,
        role_id: RoleId,
        permissions: &[Permission],
        version: Option<i64>,
        actor: &Actor,
    ) -> Result<Change, AssignmentError> {
        let tenant = self.tenant;
        check_directory(tenant, permissions)?;
        let role = self.role(role_id).await?;
        // The summary's "before" is this read: it must be the version edited.
        let expected = version.unwrap_or(role.version);
        let stale = || {
            AssignmentError::Store(versions::stale(
                "refusal-stale-role",
                &role.name,
                &format!("role {}", role.name),
            ))
        };
        if expected != role.version {
            return Err(stale());
        }
        let summary = format!(
            "{}: {} -> {}",
            role.name,
            join(&role.permissions),
            join(permissions)
        );
        let event = NewEvent::failure("role.update")
            .target(format!("role:{}", role_id.0))
            .tenant(tenant)
            .details(summary.clone());
        let result: Result<Change, AssignmentError> = async {
            let mut r = self.rights_tx().await?;
            // Nothing changed the role since it was read (the bump locks it).
            let key = [("id", Key::Int(role_id.0))];
            if !versions::claim(&mut r.w, "roles", &key, Some(expected)).await? {
                return Err(stale());
            }
            if let Some(me) = account_of(actor, tenant) {
                if r.holds_role(me, role_id.0).await? {
                    return Err(AssignmentError::SelfChange(SelfChange::HeldRole));
                }
                let widens = permissions
                    .iter()
                    .any(|p| p.is_administrative() && !role.permissions.contains(p));
                if widens {
                    let what = Requested::RoleUpdate(role_id, permissions);
                    let now = self.store.clock.now_s();
                    let id = file_request(&mut r, what, &summary, me, actor, now).await?;
                    r.commit().await?;
                    return Ok(Change::Pending(id));
                }
            }
            write_role_permissions(&mut r, role_id, permissions).await?;
            r.w.event(actor, &succeeded(&event)).await?;
            r.commit().await?;
            Ok(Change::Applied)
        }
        .await;
        self.store.settle(actor, event, result).await
    }

    pub async fn incompatible_pairs(self) -> Result<Vec<IncompatiblePair>, StoreError> {
        let tenant = self.tenant;
        let (kind, tid) = tenant.parts();
        let rows = sqlx::query(
            "SELECT id, first_permission, second_permission, reason FROM incompatible_pairs \
             WHERE tenant_kind = $1 AND tenant_id = $2 ORDER BY id",
        )
        .bind(kind)
        .bind(tid)
        .fetch_all(&self.store.pool)
        .await?;
        let mut pairs = Vec::with_capacity(rows.len());
        for r in &rows {
            let first: String = r.try_get("first_permission")?;
            let second: String = r.try_get("second_permission")?;
            if let (Some(first), Some(second)) =
                (Permission::parse(&first), Permission::parse(&second))
            {
                pairs.push(IncompatiblePair {
                    id: PairId(r.try_get("id")?),
                    first,
                    second,
                    reason: r.try_get("reason")?,
                });
            }
        }
        Ok(pairs)
    }

    /// Declares a new incompatible pair; refused (naming the accounts) while
    /// someone holds both, so the list never describes a state already broken.
    pub async fn add_incompatible_pair(
        self,
        first: Permission,
        second: Permission,
        reason: &str,
        actor: &Actor,
    ) -> Result<PairId, AssignmentError> {
        let tenant = self.tenant;
        if first == second {
            return Err(AssignmentError::Invalid(Refusal::new(
                "refusal-pair-itself",
                "a permission cannot be incompatible with itself",
            )));
        }
        check_directory(tenant, &[first, second])?;
        let mut offenders = Vec::new();
        for account in self.accounts().await? {
            let held = self.permissions_of(account.id).await?;
            if held.contains(first) && held.contains(second) {
                offenders.push(account.username);
            }
        }
        if !offenders.is_empty() {
            return Err(AssignmentError::AlreadyViolated(offenders.join(", ")));
        }
        let (a, b) = if first <= second {
            (first, second)
        } else {
            (second, first)
        };
        let (kind, tid) = tenant.parts();
        let mut r = self.rights_tx().await?;
        let id = insert_pair(&mut r.w, kind, tid, a, b, reason, self.store.clock.now_s()).await?;
        r.w.event(
            actor,
            &NewEvent::success("separation.add")
                .target(format!("pair:{id}"))
                .tenant(tenant)
                .details(format!("{a} / {b}: {reason}")),
        )
        .await?;
        r.commit().await?;
        Ok(PairId(id))
    }

    /// Removes a pair. An account's removal waits for a second person's
    /// approval (`rights_requests.rs`); the command line removes at once.
    pub async fn remove_incompatible_pair(
        self,
        id: PairId,
        actor: &Actor,
    ) -> Result<Change, AssignmentError> {
        let tenant = self.tenant;
        let pair = self
            .store
            .tenant(tenant)
            .incompatible_pairs()
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(StoreError::NotFound)?;
        let summary = format!("{} / {}: {}", pair.first, pair.second, pair.reason);
        let mut r = self.rights_tx().await?;
        if let Some(me) = account_of(actor, tenant) {
            let now = self.store.clock.now_s();
            let req =
                file_request(&mut r, Requested::PairRemoval(id), &summary, me, actor, now).await?;
            r.commit().await?;
            return Ok(Change::Pending(req));
        }
        let (kind, tid) = tenant.parts();
        let done = sqlx::query(
            "DELETE FROM incompatible_pairs WHERE id = $1 AND tenant_kind = $2 AND tenant_id = $3",
        )
        .bind(id.0)
        .bind(kind)
        .bind(tid)
        .execute(&mut *r.w.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        r.w.event(
            actor,
            &NewEvent::success("separation.remove")
                .target(format!("pair:{}", id.0))
                .tenant(tenant)
                .details(summary),
        )
        .await?;
        r.commit().await?;
        Ok(Change::Applied)
    }
}

async fn insert_pair(
    w: &mut WriteTx,
    kind: &str,
    tid: i64,
    a: Permission,
    b: Permission,
    reason: &str,
    now: i64,
) -> Result<i64, AssignmentError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incompatible_pairs (tenant_kind, tenant_id, first_permission, second_permission, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(kind)
    .bind(tid)
    .bind(a.as_str())
    .bind(b.as_str())
    .bind(reason)
    .bind(now)
    .fetch_one(&mut *w.tx)
    .await
    .map_err(|e| {
        StoreError::conflict_on(
            e,
            crate::Refusal::new(
                "refusal-exists-pair",
                format!("the pair {a} / {b} already exists"),
            )
            .arg("first", a)
            .arg("second", b),
        )
    })?;
    Ok(id)
}

/// Gives `role` to the account (`id`, `username`) of `tenant` inside `w`
/// (a rights transaction, which checks the invariants before it commits).
pub(crate) async fn insert_assignment(
    w: &mut WriteTx,
    tenant: Tenant,
    (user_id, username): (i64, &str),
    role: &Role,
    actor: &Actor,
    now: i64,
) -> Result<(), StoreError> {
    let assignments = tables(tenant.directory()).roles;
    let sql = format!(
        "INSERT INTO {assignments} (user_id, role_id, scope, granted_by, granted_at) \
         VALUES ($1, $2, '*', $3, $4)"
    );
    sqlx::query(&sql)
        .bind(user_id)
        .bind(role.id.0)
        .bind(&actor.name)
        .bind(now)
        .execute(&mut *w.tx)
        .await
        .map_err(|e| {
            let english = format!("role {} for {username} already exists", role.name);
            StoreError::conflict_on(
                e,
                crate::Refusal::new("refusal-exists-assignment", english)
                    .arg("role", &role.name)
                    .arg("username", username),
            )
        })?;
    Ok(())
}

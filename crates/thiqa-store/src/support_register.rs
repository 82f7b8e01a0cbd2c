//! What support access stands on, declared by the provider: the vetting
//! record of each operator (3.3.1, until the personnel register exists)
//! and the supervised jump hosts through which support from abroad comes
//! at level 1 (3.5.7.e). Both journaled for the provider.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{JumpHostId, Tenant};

use crate::connect::WriteTx;
use crate::error::{Refusal, StoreError};
use crate::events::{Actor, NewEvent};
use crate::scope::ProviderScope;
use crate::support::operator_of;

/// An operator's vetting record.
#[derive(Debug, Clone, Serialize)]
pub struct Vetting {
    /// Where the checks are filed.
    pub reference: String,
    /// YYYY-MM-DD.
    pub vetted_on: String,
    pub recorded_at: i64,
    pub recorded_by: String,
}

/// An operator of the provider and its vetting record, if any.
#[derive(Debug, Clone, Serialize)]
pub struct VettingRow {
    pub operator_id: i64,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub vetting: Option<Vetting>,
}

/// A jump host the provider declared.
#[derive(Debug, Clone, Serialize)]
pub struct JumpHost {
    pub id: JumpHostId,
    pub name: String,
    pub description: String,
    pub created_at: i64,
    pub created_by: String,
    pub retired_at: Option<i64>,
    pub retired_by: Option<String>,
}

fn vetting_from(r: &sqlx::any::AnyRow) -> Result<Option<Vetting>, StoreError> {
    let Some(reference) = r.try_get::<Option<String>, _>("reference")? else {
        return Ok(None);
    };
    Ok(Some(Vetting {
        reference,
        vetted_on: r.try_get("vetted_on")?,
        recorded_at: r.try_get("recorded_at")?,
        recorded_by: r.try_get("recorded_by")?,
    }))
}

const JUMP_HOST_SELECT: &str = "SELECT id, name, description, created_at, created_by, \
     retired_at, retired_by FROM support_jump_hosts";

fn jump_host_from(r: &sqlx::any::AnyRow) -> Result<JumpHost, StoreError> {
    Ok(JumpHost {
        id: JumpHostId(r.try_get("id")?),
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        retired_at: r.try_get("retired_at")?,
        retired_by: r.try_get("retired_by")?,
    })
}

impl ProviderScope<'_> {
    /// The username of operator `operator` of this provider; NotFound for
    /// another provider's.
    pub async fn operator_username(self, operator: i64) -> Result<String, StoreError> {
        let username: Option<String> =
            sqlx::query_scalar("SELECT username FROM operators WHERE id = $1 AND provider_id = $2")
                .bind(operator)
                .bind(self.provider.0)
                .fetch_optional(&self.store.pool)
                .await?;
        username.ok_or(StoreError::NotFound)
    }

    /// Every operator of the provider with its vetting record, by username.
    pub async fn vetting_register(self) -> Result<Vec<VettingRow>, StoreError> {
        sqlx::query(
            "SELECT op.id, op.username, op.display_name, op.status, v.reference, v.vetted_on, \
             v.recorded_at, v.recorded_by FROM operators op \
             LEFT JOIN operator_vetting v ON v.operator_id = op.id \
             WHERE op.provider_id = $1 ORDER BY op.username",
        )
        .bind(self.provider.0)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(VettingRow {
                operator_id: r.try_get("id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                active: r.try_get::<String, _>("status")? == "active",
                vetting: vetting_from(r)?,
            })
        })
        .collect()
    }

    /// The vetting record of operator `operator` of this provider.
    pub async fn vetting(self, operator: i64) -> Result<Option<Vetting>, StoreError> {
        let row = sqlx::query(
            "SELECT reference, vetted_on, recorded_at, recorded_by FROM operator_vetting \
             WHERE operator_id = $1 AND provider_id = $2",
        )
        .bind(operator)
        .bind(self.provider.0)
        .fetch_optional(&self.store.pool)
        .await?;
        match row {
            Some(r) => vetting_from(&r),
            None => Ok(None),
        }
    }

    /// The username of operator `operator` of this provider, read in the
    /// write transaction `w`; NotFound for another provider's.
    async fn operator_in(self, w: &mut WriteTx, operator: i64) -> Result<String, StoreError> {
        let username: Option<String> =
            sqlx::query_scalar("SELECT username FROM operators WHERE id = $1 AND provider_id = $2")
                .bind(operator)
                .bind(self.provider.0)
                .fetch_optional(&mut *w.tx)
                .await?;
        username.ok_or(StoreError::NotFound)
    }

    /// Records (or replaces) the vetting record of operator `operator`;
    /// NotFound for another provider's operator, refused for the actor's
    /// own (nobody records its own vetting, whatever the path). Journaled.
    pub async fn record_vetting(
        self,
        operator: i64,
        reference: &str,
        vetted_on: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let username = self.operator_in(&mut w, operator).await?;
        if operator_of(actor) == Some(operator) {
            return Err(StoreError::refused(
                "refusal-vetting-self",
                "nobody records its own vetting",
            ));
        }
        sqlx::query(
            "INSERT INTO operator_vetting (operator_id, provider_id, reference, vetted_on, \
             recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (operator_id) DO UPDATE SET reference = excluded.reference, \
             vetted_on = excluded.vetted_on, recorded_at = excluded.recorded_at, \
             recorded_by = excluded.recorded_by",
        )
        .bind(operator)
        .bind(self.provider.0)
        .bind(reference)
        .bind(vetted_on)
        .bind(w.now_ms)
        .bind(&actor.name)
        .execute(&mut *w.tx)
        .await?;
        w.event(
            actor,
            &NewEvent::success("support.vetting.record")
                .target(format!("operators:{username}"))
                .tenant(Tenant::Provider(self.provider))
                .details(format!("3.3.1 checks passed on {vetted_on}: {reference}")),
        )
        .await?;
        w.commit().await
    }

    /// Withdraws the vetting record of operator `operator`: from now on
    /// its grants let it in nowhere. Journaled.
    pub async fn withdraw_vetting(self, operator: i64, actor: &Actor) -> Result<(), StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let username = self.operator_in(&mut w, operator).await?;
        let gone = sqlx::query("DELETE FROM operator_vetting WHERE operator_id = $1")
            .bind(operator)
            .execute(&mut *w.tx)
            .await?;
        if gone.rows_affected() != 1 {
            return Err(StoreError::refused(
                "refusal-vetting-none",
                "this operator has no vetting record",
            ));
        }
        w.event(
            actor,
            &NewEvent::success("support.vetting.withdraw")
                .target(format!("operators:{username}"))
                .tenant(Tenant::Provider(self.provider)),
        )
        .await?;
        w.commit().await
    }

    /// The provider's jump hosts, still declared first, by name.
    pub async fn jump_hosts(self) -> Result<Vec<JumpHost>, StoreError> {
        let sql = format!(
            "{JUMP_HOST_SELECT} WHERE provider_id = $1 \
             ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, name"
        );
        sqlx::query(&sql)
            .bind(self.provider.0)
            .fetch_all(&self.store.pool)
            .await?
            .iter()
            .map(jump_host_from)
            .collect()
    }

    /// One jump host of this provider; NotFound for another's.
    pub async fn jump_host(self, id: JumpHostId) -> Result<JumpHost, StoreError> {
        let sql = format!("{JUMP_HOST_SELECT} WHERE id = $1 AND provider_id = $2");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(self.provider.0)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        jump_host_from(&row)
    }

    /// Declares a supervised jump host; its name is unique. Journaled.
    pub async fn add_jump_host(
        self,
        name: &str,
        description: &str,
        actor: &Actor,
    ) -> Result<JumpHostId, StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO support_jump_hosts (provider_id, name, description, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(self.provider.0)
        .bind(name)
        .bind(description)
        .bind(w.now_ms)
        .bind(&actor.name)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on(
                e,
                Refusal::exists("refusal-jump-host-exists", "jump host", name),
            )
        })?;
        w.event(
            actor,
            &NewEvent::success("support.jump-host.add")
                .target(format!("jump-host:{id}"))
                .tenant(Tenant::Provider(self.provider))
                .details(format!("{name}: {description}")),
        )
        .await?;
        w.commit().await?;
        Ok(JumpHostId(id))
    }

    /// Retires a jump host: grants through it let nobody in any more.
    pub async fn retire_jump_host(self, id: JumpHostId, actor: &Actor) -> Result<(), StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let changed = sqlx::query(
            "UPDATE support_jump_hosts SET retired_at = $1, retired_by = $2 \
             WHERE id = $3 AND provider_id = $4 AND retired_at IS NULL",
        )
        .bind(w.now_ms)
        .bind(&actor.name)
        .bind(id.0)
        .bind(self.provider.0)
        .execute(&mut *w.tx)
        .await?;
        if changed.rows_affected() != 1 {
            self.jump_host(id).await?;
            return Err(StoreError::refused(
                "refusal-jump-host-retired",
                "this jump host is already retired",
            ));
        }
        w.event(
            actor,
            &NewEvent::success("support.jump-host.retire")
                .target(format!("jump-host:{}", id.0))
                .tenant(Tenant::Provider(self.provider)),
        )
        .await?;
        w.commit().await
    }
}

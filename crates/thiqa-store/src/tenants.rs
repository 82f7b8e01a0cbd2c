//! The provider and the commanditaire organisations.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{OrganisationId, ProviderId, Tenant};

use crate::connect::Store;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};

#[derive(Debug, Clone, Serialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub provider_id: ProviderId,
    pub name: String,
    /// The organisation requires a second factor from all its users.
    pub require_mfa: bool,
}

impl Store {
    pub async fn create_provider(
        &self,
        name: &str,
        actor: &Actor,
    ) -> Result<ProviderId, StoreError> {
        let mut w = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO providers (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(self.clock.now_s())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on(
                e,
                crate::Refusal::exists("refusal-exists-provider", "provider", name),
            )
        })?;
        let id = ProviderId(id);
        w.event(
            actor,
            &NewEvent::success("provider.create")
                .target(name)
                .tenant(Tenant::Provider(id)),
        )
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// The provider this installation serves (the first one created).
    /// The provider's name, as printed on its reports.
    pub async fn provider_name(&self, id: ProviderId) -> Result<String, StoreError> {
        sqlx::query_scalar("SELECT name FROM providers WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn default_provider(&self) -> Result<Option<(ProviderId, String)>, StoreError> {
        let row = sqlx::query("SELECT id, name FROM providers ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((ProviderId(r.try_get("id")?), r.try_get("name")?)))
            .transpose()
    }

    pub async fn create_organisation(
        &self,
        provider: ProviderId,
        name: &str,
        require_mfa: bool,
        actor: &Actor,
    ) -> Result<OrganisationId, StoreError> {
        let mut w = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (provider_id, name, require_mfa, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(provider.0)
        .bind(name)
        .bind(i64::from(require_mfa))
        .bind(self.clock.now_s())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on(
                e,
                crate::Refusal::exists("refusal-exists-organisation", "organisation", name),
            )
        })?;
        w.event(
            actor,
            &NewEvent::success("organisation.create")
                .target(name)
                .tenant(Tenant::Provider(provider)),
        )
        .await?;
        w.commit().await?;
        Ok(OrganisationId(id))
    }

    /// Requires (or stops requiring) a second factor from every user of the
    /// organisation; journaled.
    pub async fn set_organisation_mfa(
        &self,
        id: OrganisationId,
        require: bool,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query("UPDATE organisations SET require_mfa = $1 WHERE id = $2")
            .bind(i64::from(require))
            .bind(id.0)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        w.event(
            actor,
            &NewEvent::success("organisation.mfa_policy")
                .target(format!("organisation:{}", id.0))
                .tenant(Tenant::Organisation(id))
                .details(if require {
                    "second factor required"
                } else {
                    "second factor optional"
                }),
        )
        .await?;
        w.commit().await
    }

    /// One of `provider`'s commanditaires, named by an operator (NotFound
    /// for another provider's, so nothing tells them apart from none).
    pub async fn organisation_of(
        &self,
        provider: ProviderId,
        id: OrganisationId,
    ) -> Result<Organisation, StoreError> {
        match self.organisation(id).await? {
            o if o.provider_id == provider => Ok(o),
            _ => Err(StoreError::NotFound),
        }
    }

    pub async fn organisation(&self, id: OrganisationId) -> Result<Organisation, StoreError> {
        let row = sqlx::query(
            "SELECT id, provider_id, name, require_mfa FROM organisations WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        organisation_from(&row)
    }

    pub async fn organisations(
        &self,
        provider: ProviderId,
    ) -> Result<Vec<Organisation>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, provider_id, name, require_mfa FROM organisations WHERE provider_id = $1 ORDER BY name",
        )
        .bind(provider.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(organisation_from).collect()
    }
}

fn organisation_from(row: &sqlx::any::AnyRow) -> Result<Organisation, StoreError> {
    Ok(Organisation {
        id: OrganisationId(row.try_get("id")?),
        provider_id: ProviderId(row.try_get("provider_id")?),
        name: row.try_get("name")?,
        require_mfa: row.try_get::<i64, _>("require_mfa")? != 0,
    })
}

//! The provider, commanditaire organisations and declared services.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{OrganisationId, ProviderId, ServiceId, Tenant};

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

/// What a new service is declared with.
#[derive(Debug, Clone, Copy)]
pub struct NewService<'a> {
    pub provider: ProviderId,
    pub name: &'a str,
    pub description: &'a str,
    pub model: &'a str,
    pub level: i64,
    /// JSON object: fact id → yes/no.
    pub facts_json: &'a str,
}

/// A cloud service the provider qualifies. Its facts answer the catalog's
/// applicability questions (JSON object fact id → bool).
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: ServiceId,
    pub provider_id: ProviderId,
    pub name: String,
    pub description: String,
    pub model: String,
    pub level: i64,
    pub facts: String,
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
        .map_err(|e| StoreError::conflict_on(e, &format!("provider {name}")))?;
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
        .map_err(|e| StoreError::conflict_on(e, &format!("organisation {name}")))?;
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

    pub async fn create_service(
        &self,
        new: &NewService<'_>,
        actor: &Actor,
    ) -> Result<ServiceId, StoreError> {
        let NewService {
            provider,
            name,
            description,
            model,
            level,
            facts_json,
        } = *new;
        let now = self.clock.now_s();
        let mut w = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO services (provider_id, name, description, model, level, facts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(provider.0)
        .bind(name)
        .bind(description)
        .bind(model)
        .bind(level)
        .bind(facts_json)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| StoreError::conflict_on(e, &format!("service {name}")))?;
        w.event(
            actor,
            &NewEvent::success("service.create")
                .target(format!("service:{id}"))
                .tenant(Tenant::Provider(provider))
                .details(format!("{name} ({model}, level {level})")),
        )
        .await?;
        w.commit().await?;
        Ok(ServiceId(id))
    }

    pub async fn services(&self, provider: ProviderId) -> Result<Vec<Service>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, provider_id, name, description, model, level, facts FROM services \
             WHERE provider_id = $1 ORDER BY name",
        )
        .bind(provider.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Service {
                    id: ServiceId(r.try_get("id")?),
                    provider_id: ProviderId(r.try_get("provider_id")?),
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    model: r.try_get("model")?,
                    level: r.try_get("level")?,
                    facts: r.try_get("facts")?,
                })
            })
            .collect()
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

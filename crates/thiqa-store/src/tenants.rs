//! The provider and the commanditaire organisations.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{OrganisationId, ProviderId, Tenant};

use crate::connect::Store;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::scope::{ProviderScope, TenantScope};

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

    pub async fn default_provider(&self) -> Result<Option<(ProviderId, String)>, StoreError> {
        let row = sqlx::query("SELECT id, name FROM providers ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((ProviderId(r.try_get("id")?), r.try_get("name")?)))
            .transpose()
    }
}

impl ProviderScope<'_> {
    /// The provider this installation serves (the first one created).
    /// The provider's name, as printed on its reports.
    pub async fn name(self) -> Result<String, StoreError> {
        let id = self.provider;
        sqlx::query_scalar("SELECT name FROM providers WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn create_organisation(
        self,
        name: &str,
        require_mfa: bool,
        actor: &Actor,
    ) -> Result<OrganisationId, StoreError> {
        let provider = self.provider;
        let mut w = self.store.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (provider_id, name, require_mfa, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(provider.0)
        .bind(name)
        .bind(i64::from(require_mfa))
        .bind(self.store.clock.now_s())
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

    /// One of `provider`'s commanditaires, named by an operator (NotFound
    /// for another provider's, so nothing tells them apart from none).
    pub async fn organisation(self, id: OrganisationId) -> Result<Organisation, StoreError> {
        let provider = self.provider;
        match self
            .store
            .tenant(Tenant::Organisation(id))
            .organisation()
            .await?
        {
            o if o.provider_id == provider => Ok(o),
            _ => Err(StoreError::NotFound),
        }
    }

    pub async fn organisations(self) -> Result<Vec<Organisation>, StoreError> {
        let provider = self.provider;
        let rows = sqlx::query(
            "SELECT id, provider_id, name, require_mfa FROM organisations WHERE provider_id = $1 ORDER BY name",
        )
        .bind(provider.0)
        .fetch_all(&self.store.pool)
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

impl TenantScope<'_> {
    /// The organisation this scope is; NotFound for a provider.
    pub(crate) fn organisation_id(self) -> Result<OrganisationId, StoreError> {
        match self.tenant {
            Tenant::Organisation(id) => Ok(id),
            Tenant::Provider(_) => Err(StoreError::NotFound),
        }
    }

    /// Requires (or stops requiring) a second factor from every member of
    /// this organisation (3.5.6 leaves it to the commanditaire); journaled.
    /// NotFound for a provider.
    pub async fn set_require_mfa(self, require: bool, actor: &Actor) -> Result<(), StoreError> {
        let id = self.organisation_id()?;
        let mut w = self.store.write().await?;
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

    /// The organisation this tenant is; NotFound for a provider.
    pub async fn organisation(self) -> Result<Organisation, StoreError> {
        let id = self.organisation_id()?;
        let row = sqlx::query(
            "SELECT id, provider_id, name, require_mfa FROM organisations WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        organisation_from(&row)
    }
}

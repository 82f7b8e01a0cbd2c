//! The cloud services a provider qualifies: their profile (model, level,
//! answers to the catalog's questions) and their sites (3.15.2). The store
//! keeps the profile as given; the web edge validates it against the catalog.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{ProviderId, ServiceId, SiteId, Tenant};

use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::reads::ReadRow;
use crate::scope::ProviderScope;
use crate::versions::{self, Key};
use crate::Tx;

/// What a new service is declared with, and what a profile change sets.
#[derive(Debug, Clone, Copy)]
pub struct NewService<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// `iaas`, `paas` or `saas`.
    pub model: &'a str,
    pub level: i64,
    /// JSON object: fact id → yes/no.
    pub facts_json: &'a str,
}

/// A cloud service the provider qualifies.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: ServiceId,
    pub provider_id: ProviderId,
    pub name: String,
    pub description: String,
    pub model: String,
    pub level: i64,
    pub facts: String,
    pub updated_at: i64,
    /// Bumped by every change; an edit names the version it was made from.
    pub version: i64,
}

/// A data centre where the service's data is stored or processed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Site {
    pub id: SiteId,
    pub name: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl Site {
    /// "name, city (country)", as customers are told where their data lives.
    pub fn label(&self) -> String {
        format!("{}, {} ({})", self.name, self.city, self.country)
    }
}

pub(crate) const SERVICE_COLUMNS: &str =
    "id, provider_id, name, description, model, level, facts, updated_at, version";

/// One service of this provider, read inside a write transaction that
/// must see its own changes (outside one, [`Store::service`]).
async fn service_in(
    tx: &mut Tx<'_>,
    provider: ProviderId,
    id: ServiceId,
) -> Result<Service, StoreError> {
    let sql = format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id = $1 AND provider_id = $2");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(provider.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    service_from(ReadRow::from_any(&row)?)
}

/// A service from its row, whichever driver read it.
pub(crate) fn service_from(mut r: ReadRow) -> Result<Service, StoreError> {
    Ok(Service {
        id: ServiceId(r.take("id")?),
        provider_id: ProviderId(r.take("provider_id")?),
        name: r.take("name")?,
        description: r.take("description")?,
        model: r.take("model")?,
        level: r.take("level")?,
        facts: r.take("facts")?,
        updated_at: r.take("updated_at")?,
        version: r.take("version")?,
    })
}

impl ProviderScope<'_> {
    pub async fn create_service(
        self,
        new: &NewService<'_>,
        actor: &Actor,
    ) -> Result<ServiceId, StoreError> {
        let provider = self.provider;
        let now = self.store.clock.now_s();
        let mut w = self.store.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO services (provider_id, name, description, model, level, facts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(provider.0)
        .bind(new.name)
        .bind(new.description)
        .bind(new.model)
        .bind(new.level)
        .bind(new.facts_json)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| StoreError::conflict_on(e, service_exists(new.name)))?;
        w.event(
            actor,
            &NewEvent::success("service.create")
                .target(format!("service:{id}"))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "{} ({}, level {}) {}",
                    new.name, new.model, new.level, new.facts_json
                )),
        )
        .await?;
        w.commit().await?;
        Ok(ServiceId(id))
    }

    /// Changes a service's description and profile, edited from `version`;
    /// returns the service as it was, so the caller can show what the change
    /// did to applicability. `Stale` if someone changed it meanwhile.
    pub async fn update_service(
        self,
        id: ServiceId,
        new: &NewService<'_>,
        version: i64,
        actor: &Actor,
    ) -> Result<Service, StoreError> {
        let provider = self.provider;
        let mut w = self.store.write().await?;
        let key = [
            ("id", Key::Int(id.0)),
            ("provider_id", Key::Int(provider.0)),
        ];
        let claimed = versions::claim(&mut w, "services", &key, Some(version)).await?;
        let mut before = service_in(&mut w.tx, provider, id).await?;
        if !claimed {
            return Err(versions::stale(
                "refusal-stale-service",
                &before.name,
                &format!("service {}", before.name),
            ));
        }
        before.version -= 1;
        sqlx::query(
            "UPDATE services SET name = $1, description = $2, model = $3, level = $4, facts = $5, updated_at = $6 \
             WHERE id = $7 AND provider_id = $8",
        )
        .bind(new.name)
        .bind(new.description)
        .bind(new.model)
        .bind(new.level)
        .bind(new.facts_json)
        .bind(self.store.clock.now_s())
        .bind(id.0)
        .bind(provider.0)
        .execute(&mut *w.tx)
        .await
        .map_err(|e| StoreError::conflict_on(e, service_exists(new.name)))?;
        w.event(
            actor,
            &NewEvent::success("service.update")
                .target(format!("service:{}", id.0))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "{} ({}, level {}) {} -> {} ({}, level {}) {}",
                    before.name,
                    before.model,
                    before.level,
                    before.facts,
                    new.name,
                    new.model,
                    new.level,
                    new.facts_json
                )),
        )
        .await?;
        w.commit().await?;
        Ok(before)
    }
    pub async fn services(self) -> Result<Vec<Service>, StoreError> {
        let provider = self.provider;
        let sql =
            format!("SELECT {SERVICE_COLUMNS} FROM services WHERE provider_id = $1 ORDER BY name");
        let rows = self.store.read(&sql, &[provider.0.into()]).await?;
        rows.into_iter().map(service_from).collect()
    }

    /// One service of this provider (NotFound for another provider's).
    pub async fn service(self, id: ServiceId) -> Result<Service, StoreError> {
        let provider = self.provider;
        let sql =
            format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id = $1 AND provider_id = $2");
        let row = self
            .store
            .read(&sql, &[id.0.into(), provider.0.into()])
            .await?;
        service_from(row.into_iter().next().ok_or(StoreError::NotFound)?)
    }

    pub async fn sites(self, service: ServiceId) -> Result<Vec<Site>, StoreError> {
        let provider = self.provider;
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.city, s.country FROM service_sites s JOIN services v ON v.id = s.service_id \
             WHERE s.service_id = $1 AND v.provider_id = $2 ORDER BY s.country, s.city, s.name",
        )
        .bind(service.0)
        .bind(provider.0)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Site {
                    id: SiteId(r.try_get("id")?),
                    name: r.try_get("name")?,
                    city: r.try_get("city")?,
                    country: r.try_get("country")?,
                })
            })
            .collect()
    }

    pub async fn add_site(
        self,
        service: ServiceId,
        name: &str,
        city: &str,
        country: &str,
        actor: &Actor,
    ) -> Result<SiteId, StoreError> {
        let provider = self.provider;
        self.service(service).await?;
        let mut w = self.store.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO service_sites (service_id, name, city, country, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(service.0)
        .bind(name)
        .bind(city)
        .bind(country)
        .bind(self.store.clock.now_s())
        .fetch_one(&mut *w.tx)
        .await?;
        w.event(
            actor,
            &NewEvent::success("service.site_add")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!("{name}, {city} ({country})")),
        )
        .await?;
        w.commit().await?;
        Ok(SiteId(id))
    }

    pub async fn remove_site(
        self,
        service: ServiceId,
        site: SiteId,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let site = site.0;
        let provider = self.provider;
        self.service(service).await?;
        let mut w = self.store.write().await?;
        let done = sqlx::query("DELETE FROM service_sites WHERE id = $1 AND service_id = $2")
            .bind(site)
            .bind(service.0)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        w.event(
            actor,
            &NewEvent::success("service.site_remove")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!("site {site}")),
        )
        .await?;
        w.commit().await
    }
}

fn service_exists(name: &str) -> crate::Refusal {
    crate::Refusal::exists("refusal-exists-service", "service", name)
}

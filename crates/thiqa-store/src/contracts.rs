//! Contracts: which commanditaire organisation uses which service of the
//! provider, since when, at which level, with its data on which of the
//! service's sites (3.15.2) and whom to call (security, technical,
//! billing). Each contract carries the service agreement checklist of
//! 3.15.1: for every clause the text requires, whether the signed
//! agreement has it, where, and the signed document as evidence.
//!
//! The provider's staff manage contracts (`store.provider(p)`); an
//! organisation reads the ones it holds (`store.tenant(t)`).

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{ContractId, EvidenceId, OrganisationId, ServiceId, SiteId, Tenant};

use crate::error::{Refusal, StoreError};
use crate::events::{Actor, NewEvent};
use crate::scope::{ProviderScope, TenantScope};
use crate::services::Site;

/// The roles of a customer's contacts, in the order they are shown.
pub const CONTACT_ROLES: [&str; 3] = ["security", "technical", "billing"];

/// A customer contact on a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Contact {
    /// One of [`CONTACT_ROLES`].
    pub role: String,
    pub name: String,
    pub email: String,
}

/// What a new contract is made of; the use cases check it first.
#[derive(Debug, Clone)]
pub struct NewContract {
    pub organisation: OrganisationId,
    pub service: ServiceId,
    pub reference: String,
    pub level: i64,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub sites: Vec<SiteId>,
    pub contacts: Vec<Contact>,
}

/// A contract as listed, with the names of both sides.
#[derive(Debug, Clone, Serialize)]
pub struct Contract {
    pub id: ContractId,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub service_id: ServiceId,
    pub service_name: String,
    pub reference: String,
    pub level: i64,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub created_at: i64,
    pub created_by: String,
}

/// A clause of the checklist as recorded (clauses never recorded are
/// missing).
#[derive(Debug, Clone, Serialize)]
pub struct ClauseRecord {
    pub clause_id: String,
    pub present: bool,
    pub reference: String,
    pub evidence: Option<EvidenceId>,
    pub updated_at: i64,
    pub updated_by: String,
}

/// One contract with its sites, contacts and recorded clauses.
#[derive(Debug, Clone)]
pub struct ContractDetail {
    pub contract: Contract,
    /// Where this customer's data lives (3.15.2).
    pub sites: Vec<Site>,
    pub contacts: Vec<Contact>,
    pub clauses: Vec<ClauseRecord>,
}

/// A clause as an operator records it.
#[derive(Debug, Clone)]
pub struct ClauseState {
    pub present: bool,
    pub reference: String,
    pub evidence: Option<EvidenceId>,
}

const CONTRACT_SELECT: &str = "SELECT c.id, c.organisation_id, o.name AS organisation_name, \
     c.service_id, s.name AS service_name, c.reference, c.level, c.starts_on, c.ends_on, \
     c.created_at, c.created_by FROM contracts c \
     JOIN organisations o ON o.id = c.organisation_id JOIN services s ON s.id = c.service_id";

fn contract_from(r: &sqlx::any::AnyRow) -> Result<Contract, StoreError> {
    Ok(Contract {
        id: ContractId(r.try_get("id")?),
        organisation_id: OrganisationId(r.try_get("organisation_id")?),
        organisation_name: r.try_get("organisation_name")?,
        service_id: ServiceId(r.try_get("service_id")?),
        service_name: r.try_get("service_name")?,
        reference: r.try_get("reference")?,
        level: r.try_get("level")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

impl ProviderScope<'_> {
    /// Records a contract between one of this provider's organisations and
    /// one of its services. Refused when the level is above the service's,
    /// a site is not the service's, or the reference is taken; NotFound for
    /// another provider's organisation or service.
    pub async fn create_contract(
        self,
        new: &NewContract,
        actor: &Actor,
    ) -> Result<ContractId, StoreError> {
        let provider = self.provider;
        let organisation = self.organisation(new.organisation).await?;
        let service = self.service(new.service).await?;
        if new.level > service.level {
            return Err(StoreError::Conflict(
                Refusal::new(
                    "refusal-contract-level",
                    format!(
                        "service {} is qualified at level {} only",
                        service.name, service.level
                    ),
                )
                .arg("service", &service.name)
                .arg("level", service.level),
            ));
        }
        let sites = self.sites(new.service).await?;
        if !new
            .sites
            .iter()
            .all(|s| sites.iter().any(|own| own.id == *s))
        {
            return Err(StoreError::refused(
                "refusal-contract-site",
                "a site is not one of the service's",
            ));
        }
        let now = self.store.clock.now_s();
        let mut w = self.store.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contracts (provider_id, organisation_id, service_id, reference, level, \
             starts_on, ends_on, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
        )
        .bind(provider.0)
        .bind(new.organisation.0)
        .bind(new.service.0)
        .bind(&new.reference)
        .bind(new.level)
        .bind(&new.starts_on)
        .bind(&new.ends_on)
        .bind(now)
        .bind(&actor.name)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on(
                e,
                Refusal::new(
                    "refusal-contract-reference",
                    format!("a contract {} already exists", new.reference),
                )
                .arg("reference", &new.reference),
            )
        })?;
        for site in &new.sites {
            sqlx::query("INSERT INTO contract_sites (contract_id, site_id) VALUES ($1, $2)")
                .bind(id)
                .bind(site.0)
                .execute(&mut *w.tx)
                .await?;
        }
        for c in &new.contacts {
            sqlx::query(
                "INSERT INTO contract_contacts (contract_id, role, name, email) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(&c.role)
            .bind(&c.name)
            .bind(&c.email)
            .execute(&mut *w.tx)
            .await?;
        }
        let event = NewEvent::success("contract.create")
            .target(format!("contract:{id}"))
            .tenant(Tenant::Provider(provider))
            .details(format!(
                "{} — {} uses {} at level {} from {}",
                new.reference, organisation.name, service.name, new.level, new.starts_on
            ));
        w.event(actor, &event).await?;
        // The customer's own journal shows it too.
        let theirs = event.tenant(Tenant::Organisation(new.organisation));
        w.event(actor, &theirs).await?;
        w.commit().await?;
        Ok(ContractId(id))
    }

    /// The provider's contracts, by organisation then reference; only
    /// those of `service` when given.
    pub async fn contracts(self, service: Option<ServiceId>) -> Result<Vec<Contract>, StoreError> {
        let sql = format!(
            "{CONTRACT_SELECT} WHERE c.provider_id = $1 AND ($2 IS NULL OR c.service_id = $2) \
             ORDER BY o.name, c.reference"
        );
        let rows = sqlx::query(&sql)
            .bind(self.provider.0)
            .bind(service.map(|s| s.0))
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(contract_from).collect()
    }

    /// One contract of this provider with its sites, contacts and
    /// recorded clauses; NotFound for another provider's.
    pub async fn contract(self, id: ContractId) -> Result<ContractDetail, StoreError> {
        let sql = format!("{CONTRACT_SELECT} WHERE c.id = $1 AND c.provider_id = $2");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(self.provider.0)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        detail_of(self.store, contract_from(&row)?).await
    }

    /// Records what the signed agreement of contract `id` says about one
    /// clause; the evidence, when given, must be of the contract's service.
    pub async fn set_clause(
        self,
        id: ContractId,
        clause_id: &str,
        state: &ClauseState,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        // The contract's service and reference, this provider's only.
        let row = sqlx::query(
            "SELECT service_id, reference FROM contracts WHERE id = $1 AND provider_id = $2",
        )
        .bind(id.0)
        .bind(self.provider.0)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let service = ServiceId(row.try_get("service_id")?);
        let reference: String = row.try_get("reference")?;
        if let Some(evidence) = state.evidence {
            self.evidence_item(service, evidence).await?;
        }
        let now = self.store.clock.now_s();
        let mut w = self.store.write().await?;
        sqlx::query(
            "INSERT INTO contract_clauses (contract_id, clause_id, present, reference, evidence_id, \
             updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (contract_id, clause_id) DO UPDATE SET present = excluded.present, \
             reference = excluded.reference, evidence_id = excluded.evidence_id, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(id.0)
        .bind(clause_id)
        .bind(i64::from(state.present))
        .bind(&state.reference)
        .bind(state.evidence.map(|e| e.0))
        .bind(now)
        .bind(&actor.name)
        .execute(&mut *w.tx)
        .await?;
        let event = NewEvent::success("contract.clause")
            .target(format!("contract:{}", id.0))
            .tenant(Tenant::Provider(self.provider))
            .details(format!(
                "{} {}: {}{}",
                reference,
                clause_id,
                if state.present { "present" } else { "missing" },
                match state.evidence {
                    Some(e) => format!(", evidence {e}"),
                    None => String::new(),
                }
            ));
        w.event(actor, &event).await?;
        w.commit().await
    }
}

impl TenantScope<'_> {
    /// The contracts this organisation holds, each with its sites,
    /// contacts and clauses; none for a provider.
    pub async fn contracts_held(self) -> Result<Vec<ContractDetail>, StoreError> {
        let Tenant::Organisation(org) = self.tenant else {
            return Ok(Vec::new());
        };
        let sql = format!("{CONTRACT_SELECT} WHERE c.organisation_id = $1 ORDER BY c.reference");
        let rows = sqlx::query(&sql)
            .bind(org.0)
            .fetch_all(&self.store.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(detail_of(self.store, contract_from(r)?).await?);
        }
        Ok(out)
    }
}

/// The sites, contacts and clauses of a contract already read in scope.
async fn detail_of(store: &crate::Store, contract: Contract) -> Result<ContractDetail, StoreError> {
    let id = contract.id.0;
    let sites = sqlx::query(
        "SELECT s.id, s.name, s.city, s.country FROM contract_sites cs \
         JOIN service_sites s ON s.id = cs.site_id WHERE cs.contract_id = $1 ORDER BY s.name",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Site {
            id: SiteId(r.try_get("id")?),
            name: r.try_get("name")?,
            city: r.try_get("city")?,
            country: r.try_get("country")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    let contacts =
        sqlx::query("SELECT role, name, email FROM contract_contacts WHERE contract_id = $1")
            .bind(id)
            .fetch_all(&store.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Contact {
                    role: r.try_get("role")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
    let clauses = sqlx::query(
        "SELECT clause_id, present, reference, evidence_id, updated_at, updated_by \
         FROM contract_clauses WHERE contract_id = $1 ORDER BY clause_id",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(ClauseRecord {
            clause_id: r.try_get("clause_id")?,
            present: r.try_get::<i64, _>("present")? != 0,
            reference: r.try_get("reference")?,
            evidence: r.try_get::<Option<i64>, _>("evidence_id")?.map(EvidenceId),
            updated_at: r.try_get("updated_at")?,
            updated_by: r.try_get("updated_by")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(ContractDetail {
        contract,
        sites,
        contacts,
        clauses,
    })
}

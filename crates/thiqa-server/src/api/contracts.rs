//! Contracts over the API, in both realms: the provider's staff read every
//! contract of the provider (`organisations.manage` or `services.read`), a
//! commanditaire's token reads the contracts its organisation holds
//! (`portal.read`). Each comes with where the customer's data lives
//! (3.15.2), its contacts and the service-agreement checklist (3.15.1).

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use thiqa_app::contracts;
use thiqa_domain::{ContractId, Directory, OrganisationId, ServiceId};
use thiqa_store::{Contact, ContractDetail, Site};
use utoipa::ToSchema;

use crate::api::caller::ApiCaller;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::error::ApiError;

/// One clause of the agreement as recorded.
#[derive(Serialize, ToSchema)]
pub struct ClauseView {
    /// The obligation or item of 3.15.1 it answers.
    clause_id: String,
    present: bool,
    /// Where in the agreement.
    reference: String,
}

/// A contract with its sites, contacts and checklist.
#[derive(Serialize, ToSchema)]
pub struct ContractView {
    id: ContractId,
    reference: String,
    organisation_id: OrganisationId,
    organisation: String,
    service_id: ServiceId,
    service: String,
    /// The qualification level the customer's data needs.
    level: i64,
    /// YYYY-MM-DD.
    starts_on: String,
    ends_on: Option<String>,
    /// Where the customer's data lives (3.15.2).
    sites: Vec<Site>,
    contacts: Vec<Contact>,
    /// The clauses recorded; a required clause not listed is missing.
    clauses: Vec<ClauseView>,
    /// How many of the clauses 3.15.1 requires of the service are present.
    clauses_present: usize,
    clauses_required: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Contracts {
    contracts: Vec<ContractView>,
}

fn view(d: ContractDetail, (present, required): (usize, usize)) -> ContractView {
    let c = d.contract;
    ContractView {
        id: c.id,
        reference: c.reference,
        organisation_id: c.organisation_id,
        organisation: c.organisation_name,
        service_id: c.service_id,
        service: c.service_name,
        level: c.level,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        sites: d.sites,
        contacts: d.contacts,
        clauses: d
            .clauses
            .into_iter()
            .map(|r| ClauseView {
                clause_id: r.clause_id,
                present: r.present,
                reference: r.reference,
            })
            .collect(),
        clauses_present: present,
        clauses_required: required,
    }
}

#[utoipa::path(get, path = "/contracts", responses((status = 200, body = Contracts)),
    summary = "Contracts: the provider's (operators) or the organisation's own (commanditaires)")]
pub async fn list<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
) -> Result<Json<Contracts>, ApiError> {
    let out = match R::DIR {
        Directory::Operators => contracts::listed(&app, &caller.staff()?).await?,
        Directory::Customers => contracts::held(&app, &caller.member()).await?,
    };
    let out = out
        .into_iter()
        .map(|c| view(c.detail, c.coverage))
        .collect();
    Ok(Json(Contracts { contracts: out }))
}

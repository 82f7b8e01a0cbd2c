//! Contracts between the provider and its commanditaires (3.15.1, 3.15.2):
//! which organisation uses which service, since when, at which level, with
//! its data on which sites and whom to call; and, per contract, the service
//! agreement checklist: every clause article 3.15.1 requires of this
//! service (the catalog's obligations and items of the article that apply
//! to the service's profile), present or missing, where in the agreement,
//! and the signed document as evidence, so a gap shows before the auditor
//! finds it.
//!
//! The provider's staff manage contracts (`organisations.manage`) and read
//! them with `services.read` too; a commanditaire's members see the
//! contracts their organisation holds in the portal (`portal.read`).

use std::collections::hash_map::{Entry, HashMap};

use thiqa_catalog::{Catalog, Subject};
use thiqa_domain::{ContractId, EvidenceId, OrganisationId, Permission, ServiceId, SiteId};

use thiqa_store::{
    ClauseRecord, ClauseState, Contact, Contract, ContractDetail, NewContract, ProviderScope,
    Service, Site,
};

use crate::services::profile_of;
use crate::{App, AppError, Member, Staff};

/// The article whose clauses make the checklist.
pub const CONVENTION_ARTICLE: &str = "3.15.1";

/// The longest reference, name or clause location, in characters.
pub const TEXT_MAX: usize = 200;

/// What is wrong with a submitted contract; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractProblem {
    /// No organisation or service chosen.
    Parties,
    /// The reference is empty or too long.
    Reference,
    /// The level is not 1 or 2.
    Level,
    /// The start is not a date, or the end is not a date after it.
    Dates,
    /// A contact has a name without an e-mail address (or the reverse), or
    /// an address that is not one.
    Contact(&'static str),
}

/// The contract form as typed.
pub struct ContractText<'a> {
    pub organisation: &'a str,
    pub service: &'a str,
    pub reference: &'a str,
    pub level: &'a str,
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub sites: Vec<&'a str>,
    /// (role, name, e-mail) for each of [`thiqa_store::CONTACT_ROLES`].
    pub contacts: Vec<(&'static str, &'a str, &'a str)>,
}

/// A contract checked field by field.
pub struct ContractInput(NewContract);

fn fits(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= TEXT_MAX
}

impl ContractInput {
    /// Checks every field and names every problem.
    pub fn check(t: ContractText<'_>) -> Result<ContractInput, Vec<ContractProblem>> {
        let mut problems = Vec::new();
        let organisation = t.organisation.trim().parse::<i64>().ok();
        let service = t.service.trim().parse::<i64>().ok();
        if organisation.is_none() || service.is_none() {
            problems.push(ContractProblem::Parties);
        }
        let reference = t.reference.trim();
        if !fits(reference) {
            problems.push(ContractProblem::Reference);
        }
        let level = match t.level.trim() {
            "1" => 1,
            "2" => 2,
            _ => {
                problems.push(ContractProblem::Level);
                0
            }
        };
        let (starts, ends) = (t.starts_on.trim(), t.ends_on.trim());
        let dated = thiqa_domain::assessment::is_iso_date(starts)
            && (ends.is_empty() || (thiqa_domain::assessment::is_iso_date(ends) && ends > starts));
        if !dated {
            problems.push(ContractProblem::Dates);
        }
        let mut sites = Vec::new();
        for s in t.sites {
            match s.trim().parse::<i64>() {
                Ok(id) => sites.push(SiteId(id)),
                Err(_) => problems.push(ContractProblem::Parties),
            }
        }
        let mut contacts = Vec::new();
        for (role, name, email) in t.contacts {
            let (name, email) = (name.trim(), email.trim());
            match (name.is_empty(), email.is_empty()) {
                (true, true) => {}
                (false, false) if fits(name) && fits(email) && crate::accounts::is_email(email) => {
                    contacts.push(Contact {
                        role: role.to_string(),
                        name: name.to_string(),
                        email: email.to_string(),
                    })
                }
                _ => problems.push(ContractProblem::Contact(role)),
            }
        }
        if !problems.is_empty() {
            problems.dedup();
            return Err(problems);
        }
        Ok(ContractInput(NewContract {
            organisation: OrganisationId(organisation.unwrap_or_default()),
            service: ServiceId(service.unwrap_or_default()),
            reference: reference.to_string(),
            level,
            starts_on: starts.to_string(),
            ends_on: Some(ends.to_string()).filter(|e| !e.is_empty()),
            sites,
            contacts,
        }))
    }
}

/// Records a contract (`organisations.manage`); journaled for the provider
/// and for the organisation.
pub async fn create(
    app: &App,
    staff: &Staff<'_>,
    input: &ContractInput,
) -> Result<ContractId, AppError> {
    staff.require(Permission::OrganisationsManage)?;
    Ok(app
        .store
        .provider(staff.provider())
        .create_contract(&input.0, staff.actor())
        .await?)
}

fn require_read(staff: &Staff<'_>) -> Result<(), AppError> {
    if staff.can(Permission::OrganisationsManage) || staff.can(Permission::ServicesRead) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The provider's contracts, with what a new one may name: its
/// organisations and its services with their sites.
pub struct ContractsOverview {
    pub contracts: Vec<Contract>,
    pub organisations: Vec<(OrganisationId, String)>,
    pub services: Vec<(ServiceId, String, i64, Vec<Site>)>,
}

/// The contracts page (`organisations.manage` or `services.read`).
pub async fn overview(app: &App, staff: &Staff<'_>) -> Result<ContractsOverview, AppError> {
    require_read(staff)?;
    let scope = app.store.provider(staff.provider());
    let (contracts, organisations, services) = tokio::try_join!(
        scope.contracts(None),
        scope.organisations(),
        scope.services()
    )?;
    let mut with_sites = Vec::with_capacity(services.len());
    for s in services {
        let sites = scope.sites(s.id).await?;
        with_sites.push((s.id, s.name, s.level, sites));
    }
    Ok(ContractsOverview {
        contracts,
        organisations: organisations.into_iter().map(|o| (o.id, o.name)).collect(),
        services: with_sites,
    })
}

/// One line of the agreement checklist.
#[derive(Debug, Clone)]
pub struct ChecklistLine {
    /// The obligation or item of 3.15.1 the clause answers.
    pub clause_id: String,
    /// What was recorded, if anything (nothing recorded: missing).
    pub record: Option<ClauseRecord>,
}

impl ChecklistLine {
    pub fn present(&self) -> bool {
        self.record.as_ref().is_some_and(|r| r.present)
    }
}

/// A contract with its checklist and the service's
/// evidence it may cite.
pub struct ContractView {
    pub detail: ContractDetail,
    pub checklist: Vec<ChecklistLine>,
    /// The service's evidence (id, title), to cite as the signed document.
    pub evidence: Vec<(EvidenceId, String)>,
    /// The notices sent under this contract, newest first: evidence that
    /// the customer was told (3.8.2, 3.11.1, 3.15.2…).
    pub notices: Vec<thiqa_store::Notice>,
}

impl ContractView {
    /// How many clauses the agreement is known to have, of how many.
    pub fn coverage(&self) -> (usize, usize) {
        coverage_of(&self.checklist)
    }
}

/// The clauses 3.15.1 requires of a service with this profile, in the
/// text's order: each applicable obligation of the article, or its
/// applicable items when it has some.
pub fn required_clauses(c: &Catalog, profile: &thiqa_catalog::Profile) -> Vec<String> {
    let decisions = c.applicability(profile);
    let applies = |id: &str| decisions.iter().any(|d| d.id == id && d.applicable);
    let mut out = Vec::new();
    let Some(article) = c.article(CONVENTION_ARTICLE) else {
        return out;
    };
    for o in &article.obligations {
        if !applies(&o.id) {
            continue;
        }
        let items: Vec<&String> = decisions
            .iter()
            .filter(|d| d.applicable)
            .filter(|d| matches!(&d.subject, Subject::Item { obligation } if *obligation == o.id))
            .map(|d| &d.id)
            .collect();
        if items.is_empty() {
            out.push(o.id.clone());
        } else {
            out.extend(items.into_iter().cloned());
        }
    }
    out
}

/// The checklist of `detail`: each clause 3.15.1 requires of its service
/// (with this profile) beside what was recorded for it.
fn checklist_of(
    c: &Catalog,
    service: &Service,
    detail: &ContractDetail,
) -> Result<Vec<ChecklistLine>, AppError> {
    let profile = profile_of(c, service)?;
    Ok(required_clauses(c, &profile)
        .into_iter()
        .map(|clause_id| ChecklistLine {
            record: detail
                .clauses
                .iter()
                .find(|r| r.clause_id == clause_id)
                .cloned(),
            clause_id,
        })
        .collect())
}

/// How many of `checklist`'s clauses are present, of how many.
fn coverage_of(checklist: &[ChecklistLine]) -> (usize, usize) {
    let present = checklist.iter().filter(|l| l.present()).count();
    (present, checklist.len())
}

async fn view_of(
    app: &App,
    staff: &Staff<'_>,
    detail: ContractDetail,
) -> Result<ContractView, AppError> {
    let scope = app.store.provider(staff.provider());
    let service_id = detail.contract.service_id;
    let (service, evidence, notices) = tokio::try_join!(
        scope.service(service_id),
        scope.evidence(service_id, None),
        scope.notices_of_contract(detail.contract.id)
    )?;
    let checklist = checklist_of(app.catalog, &service, &detail)?;
    Ok(ContractView {
        detail,
        checklist,
        evidence: evidence.into_iter().map(|e| (e.id, e.title)).collect(),
        notices,
    })
}

/// One contract of the provider with its checklist (`organisations.manage`
/// or `services.read`); NotFound for another provider's.
pub async fn view(app: &App, staff: &Staff<'_>, id: ContractId) -> Result<ContractView, AppError> {
    require_read(staff)?;
    let detail = app.store.provider(staff.provider()).contract(id).await?;
    view_of(app, staff, detail).await
}

/// A clause as the operator records it, checked.
pub struct ClauseInput {
    clause_id: String,
    state: ClauseState,
}

/// What is wrong with a recorded clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClauseProblem {
    /// Not a clause 3.15.1 requires of this service.
    Unknown,
    /// The location in the agreement is too long.
    Reference,
    /// The evidence is not a number.
    Evidence,
}

impl ClauseInput {
    pub fn check(
        clause_id: &str,
        present: bool,
        reference: &str,
        evidence: &str,
    ) -> Result<ClauseInput, ClauseProblem> {
        let reference = reference.trim();
        if reference.chars().count() > TEXT_MAX {
            return Err(ClauseProblem::Reference);
        }
        let evidence = match evidence.trim() {
            "" => None,
            e => Some(EvidenceId(e.parse().map_err(|_| ClauseProblem::Evidence)?)),
        };
        Ok(ClauseInput {
            clause_id: clause_id.to_string(),
            state: ClauseState {
                present,
                reference: reference.to_string(),
                evidence,
            },
        })
    }
}

/// Records one clause of contract `id` (`organisations.manage`); refused
/// for a clause 3.15.1 does not require of the contract's service.
pub async fn set_clause(
    app: &App,
    staff: &Staff<'_>,
    id: ContractId,
    input: &ClauseInput,
) -> Result<(), AppError> {
    staff.require(Permission::OrganisationsManage)?;
    let view = view(app, staff, id).await?;
    if !view
        .checklist
        .iter()
        .any(|l| l.clause_id == input.clause_id)
    {
        return Err(AppError::Refused(
            thiqa_store::Refusal::new(
                "refusal-contract-clause",
                format!("{} is not a clause this agreement needs", input.clause_id),
            )
            .arg("clause", &input.clause_id),
        ));
    }
    Ok(app
        .store
        .provider(staff.provider())
        .set_clause(id, &input.clause_id, &input.state, staff.actor())
        .await?)
}

/// A contract with where its data lives and how many of the clauses
/// 3.15.1 requires the agreement is known to have: what the portal and the
/// API list.
pub struct CheckedContract {
    pub detail: ContractDetail,
    /// (present, required)
    pub coverage: (usize, usize),
}

/// Each contract's coverage, the services of `scope` read once each.
async fn checked(
    app: &App,
    scope: ProviderScope<'_>,
    details: Vec<ContractDetail>,
) -> Result<Vec<CheckedContract>, AppError> {
    let mut services: HashMap<ServiceId, Service> = HashMap::new();
    let mut out = Vec::with_capacity(details.len());
    for detail in details {
        let id = detail.contract.service_id;
        let service = match services.entry(id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(scope.service(id).await?),
        };
        let checklist = checklist_of(app.catalog, service, &detail)?;
        out.push(CheckedContract {
            coverage: coverage_of(&checklist),
            detail,
        });
    }
    Ok(out)
}

/// The provider's contracts with their coverage, for the API
/// (`organisations.manage` or `services.read`).
pub async fn listed(app: &App, staff: &Staff<'_>) -> Result<Vec<CheckedContract>, AppError> {
    require_read(staff)?;
    let scope = app.store.provider(staff.provider());
    let mut details = Vec::new();
    for c in scope.contracts(None).await? {
        details.push(scope.contract(c.id).await?);
    }
    checked(app, scope, details).await
}

/// The contracts the member's organisation holds, for the portal and its
/// API (`portal.read`); none for a provider's staff.
pub async fn held(app: &App, member: &Member<'_>) -> Result<Vec<CheckedContract>, AppError> {
    member.require(Permission::PortalRead)?;
    let tenant = app.store.tenant(member.tenant());
    let held = tenant.contracts_held().await?;
    if held.is_empty() {
        return Ok(Vec::new());
    }
    // The services are the organisation's provider's, named by the
    // organisation's own contracts.
    let provider = app.store.provider(tenant.organisation().await?.provider_id);
    checked(app, provider, held).await
}

//! Contracts with commanditaires (3.15.1, 3.15.2): the console's list and
//! form, one contract with its service-agreement checklist, and the
//! portal's view of the contracts an organisation holds.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::contracts::{
    self, CheckedContract, ClauseInput, ClauseProblem, ContractInput, ContractProblem,
    ContractText, ContractView, ContractsOverview,
};
use thiqa_app::AppError;
use thiqa_catalog::Catalog;
use thiqa_domain::{ContractId, Permission};
use thiqa_store::{Contact, Site, CONTACT_ROLES};

use crate::auth::visit::Signed;
use crate::i18n::{Lang, Tr};
use crate::realm::{Console, Portal};
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, values, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

/// The text of a clause of 3.15.1 in the reader's language: an item's own
/// sentence, or an obligation's title.
fn clause_text(c: &Catalog, id: &str, lang: Lang) -> String {
    let pick = |fr: &str, en: &str| thiqa_catalog::Lang::from(lang).pick(fr, en).to_string();
    if let Some(o) = c.obligation(id) {
        return pick(&o.title_fr, &o.title_en);
    }
    c.items()
        .find(|(_, i)| i.id == id)
        .map_or_else(|| id.to_string(), |(_, i)| pick(&i.text_fr, &i.text_en))
}

/// The contract form as typed, kept when it is refused.
#[derive(Default)]
pub struct Typed {
    organisation: String,
    service: String,
    reference: String,
    level: String,
    starts_on: String,
    ends_on: String,
    sites: Vec<String>,
    /// (role, name, e-mail) for each contact role.
    contacts: Vec<(&'static str, String, String)>,
}

impl Typed {
    fn empty() -> Typed {
        Typed {
            level: "1".into(),
            contacts: CONTACT_ROLES
                .iter()
                .map(|r| (*r, String::new(), String::new()))
                .collect(),
            ..Typed::default()
        }
    }

    fn from_form(pairs: &[(String, String)]) -> Typed {
        let get = |k: &str| field(pairs, k);
        Typed {
            organisation: get("organisation"),
            service: get("service"),
            reference: get("reference"),
            level: get("level"),
            starts_on: get("starts_on"),
            ends_on: get("ends_on"),
            sites: values(pairs, "site").map(str::to_string).collect(),
            contacts: CONTACT_ROLES
                .iter()
                .map(|r| (*r, get(&format!("{r}_name")), get(&format!("{r}_email"))))
                .collect(),
        }
    }

    fn has_site(&self, id: &i64) -> bool {
        self.sites.iter().any(|s| s == &id.to_string())
    }
}

/// One contract as listed.
pub struct ContractRow {
    id: i64,
    reference: String,
    organisation: String,
    service: String,
    level: i64,
    period: String,
}

/// A service a new contract may name, with its sites.
pub struct ServiceChoice {
    id: i64,
    name: String,
    level: i64,
    /// (id, "name, city (country)")
    sites: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ContractsPage<'a> {
    chrome: Chrome<'a>,
    contracts: Vec<ContractRow>,
    organisations: Vec<(i64, String)>,
    services: Vec<ServiceChoice>,
    can_manage: bool,
    typed: Typed,
    errors: Vec<String>,
}

fn period(tr: &Tr, starts: &str, ends: &Option<String>) -> String {
    match ends {
        Some(e) => format!("{starts} → {e}"),
        None => tr.t1("contract-since", "date", starts),
    }
}

fn contact_label(tr: &Tr, role: &str) -> String {
    tr.t(&format!("contract-contact-{role}"))
}

async fn list_with(
    app: &AppState,
    me: &Signed<Console>,
    typed: Typed,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let ContractsOverview {
        contracts,
        organisations,
        services,
    } = contracts::overview(app, &staff).await?;
    let tr = me.tr(app);
    render(
        status,
        &ContractsPage {
            contracts: contracts
                .into_iter()
                .map(|c| ContractRow {
                    id: c.id.0,
                    period: period(&tr, &c.starts_on, &c.ends_on),
                    reference: c.reference,
                    organisation: c.organisation_name,
                    service: c.service_name,
                    level: c.level,
                })
                .collect(),
            organisations: organisations.into_iter().map(|(id, n)| (id.0, n)).collect(),
            services: services
                .into_iter()
                .map(|(id, name, level, sites)| ServiceChoice {
                    id: id.0,
                    name,
                    level,
                    sites: sites.into_iter().map(|s| (s.id.0, s.label())).collect(),
                })
                .collect(),
            can_manage: staff.can(Permission::OrganisationsManage),
            chrome: Chrome::new::<Console>(app, &me.visit, "/contracts"),
            typed,
            errors,
        },
    )
}

pub async fn list(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    list_with(&app, &me, Typed::empty(), vec![], StatusCode::OK).await
}

fn contract_problem(tr: &Tr, p: &ContractProblem) -> String {
    match p {
        ContractProblem::Parties => tr.t("error-contract-parties"),
        ContractProblem::Reference => tr.t("error-contract-reference"),
        ContractProblem::Level => tr.t("error-contract-level"),
        ContractProblem::Dates => tr.t("error-contract-dates"),
        ContractProblem::Contact(role) => tr.t1(
            "error-contract-contact",
            "contact",
            &contact_label(tr, role),
        ),
    }
}

pub async fn create(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::OrganisationsManage)?;
    let typed = Typed::from_form(&pairs);
    let text = ContractText {
        organisation: &typed.organisation,
        service: &typed.service,
        reference: &typed.reference,
        level: &typed.level,
        starts_on: &typed.starts_on,
        ends_on: &typed.ends_on,
        sites: typed.sites.iter().map(String::as_str).collect(),
        contacts: typed
            .contacts
            .iter()
            .map(|(r, n, e)| (*r, n.as_str(), e.as_str()))
            .collect(),
    };
    let input = match ContractInput::check(text) {
        Ok(i) => i,
        Err(problems) => {
            let tr = me.tr(&app);
            let errors = problems.iter().map(|p| contract_problem(&tr, p)).collect();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return list_with(&app, &me, typed, errors, status).await;
        }
    };
    match contracts::create(&app, &me.staff()?, &input).await {
        Ok(id) => Ok(confirmed(&format!("/contracts/{id}"), Notice::Added)),
        Err(AppError::Refused(r)) => {
            let m = me.tr(&app).refusal(&r);
            list_with(&app, &me, typed, vec![m], StatusCode::CONFLICT).await
        }
        // An organisation or service that is not the provider's is named
        // like a mistyped one: nothing tells them apart from none.
        Err(AppError::NotFound) => {
            let m = contract_problem(&me.tr(&app), &ContractProblem::Parties);
            list_with(&app, &me, typed, vec![m], StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One line of the checklist as shown.
pub struct ClauseRow {
    id: String,
    text: String,
    present: bool,
    reference: String,
    evidence: Option<i64>,
    /// "by whom, when" once recorded.
    recorded: Option<String>,
}

impl ClauseRow {
    fn is_cited(&self, evidence: &i64) -> bool {
        self.evidence == Some(*evidence)
    }
}

fn coverage(tr: &Tr, (present, required): (usize, usize)) -> String {
    tr.t2(
        "contract-coverage",
        ("present", &present.to_string()),
        ("required", &required.to_string()),
    )
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage<'a> {
    chrome: Chrome<'a>,
    id: i64,
    reference: String,
    organisation: String,
    service_id: i64,
    service: String,
    level: i64,
    period: String,
    /// "name, city (country)"
    sites: Vec<String>,
    /// (role label, name, e-mail)
    contacts: Vec<(String, String, String)>,
    clauses: Vec<ClauseRow>,
    /// (id, title, kind, sent) of the notices sent under the contract.
    notices: Vec<(i64, String, String, String)>,
    /// "n of m required clauses present"
    coverage: String,
    evidence: Vec<(i64, String)>,
    can_manage: bool,
    /// A refused clause: its id and the message, shown beside it.
    refused: Option<(String, String)>,
    /// A refusal about no line of the checklist, shown above it.
    top_error: Option<String>,
}

fn contacts_of(tr: &Tr, contacts: &[Contact]) -> Vec<(String, String, String)> {
    CONTACT_ROLES
        .iter()
        .filter_map(|role| contacts.iter().find(|c| c.role == *role))
        .map(|c| (contact_label(tr, &c.role), c.name.clone(), c.email.clone()))
        .collect()
}

async fn detail_with(
    app: &AppState,
    me: &Signed<Console>,
    id: ContractId,
    refused: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let view: ContractView = contracts::view(app, &staff, id).await?;
    let tr = me.tr(app);
    let lang = me.visit.lang;
    let c = &view.detail.contract;
    let (refused, top_error) = match refused {
        Some((id, m)) if !view.checklist.iter().any(|l| l.clause_id == id) => (None, Some(m)),
        other => (other, None),
    };
    render(
        status,
        &ContractPage {
            id: c.id.0,
            reference: c.reference.clone(),
            organisation: c.organisation_name.clone(),
            service_id: c.service_id.0,
            service: c.service_name.clone(),
            level: c.level,
            period: period(&tr, &c.starts_on, &c.ends_on),
            sites: view.detail.sites.iter().map(Site::label).collect(),
            contacts: contacts_of(&tr, &view.detail.contacts),
            clauses: view
                .checklist
                .iter()
                .map(|l| ClauseRow {
                    text: clause_text(app.catalog, &l.clause_id, lang),
                    present: l.present(),
                    reference: l
                        .record
                        .as_ref()
                        .map_or(String::new(), |r| r.reference.clone()),
                    evidence: l.record.as_ref().and_then(|r| r.evidence).map(|e| e.0),
                    recorded: l.record.as_ref().map(|r| {
                        format!(
                            "{}, {}",
                            r.updated_by,
                            thiqa_app::time::format_utc(r.updated_at)
                        )
                    }),
                    id: l.clause_id.clone(),
                })
                .collect(),
            coverage: coverage(&tr, view.coverage()),
            notices: view
                .notices
                .iter()
                .map(|n| {
                    (
                        n.id.0,
                        n.title.clone(),
                        thiqa_app::notices::kind_title(&n.kind, lang.into()),
                        thiqa_app::time::format_utc(n.created_at / 1000),
                    )
                })
                .collect(),
            evidence: view
                .evidence
                .iter()
                .map(|(id, t)| (id.0, t.clone()))
                .collect(),
            can_manage: staff.can(Permission::OrganisationsManage),
            chrome: Chrome::new::<Console>(app, &me.visit, "/contracts"),
            refused,
            top_error,
        },
    )
}

pub async fn detail(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ContractId>,
) -> Result<Response, PageError> {
    detail_with(&app, &me, id, None, StatusCode::OK).await
}

fn clause_problem(tr: &Tr, p: &ClauseProblem) -> String {
    match p {
        ClauseProblem::Unknown => tr.t("error-contract-clause"),
        ClauseProblem::Reference => tr.t("error-contract-clause-reference"),
        ClauseProblem::Evidence => tr.t("error-contract-clause-evidence"),
    }
}

pub async fn set_clause(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, clause)): Path<(ContractId, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::OrganisationsManage)?;
    let input = ClauseInput::check(
        &clause,
        field(&pairs, "present") == "on",
        &field(&pairs, "reference"),
        &field(&pairs, "evidence"),
    );
    let refusal = match input {
        Err(p) => clause_problem(&me.tr(&app), &p),
        Ok(input) => match contracts::set_clause(&app, &me.staff()?, id, &input).await {
            Ok(()) => {
                return Ok(confirmed(
                    &format!("/contracts/{id}#clause-{clause}"),
                    Notice::Saved,
                ))
            }
            Err(AppError::Refused(r)) => me.tr(&app).refusal(&r),
            Err(e) => return Err(e.into()),
        },
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    detail_with(&app, &me, id, Some((clause, refusal)), status).await
}

/// A contract as its commanditaire sees it.
pub struct HeldRow {
    reference: String,
    service: String,
    level: i64,
    period: String,
    sites: Vec<String>,
    contacts: Vec<(String, String, String)>,
    coverage: String,
}

#[derive(Template)]
#[template(path = "portal_contracts.html")]
struct HeldPage<'a> {
    chrome: Chrome<'a>,
    contracts: Vec<HeldRow>,
}

/// The portal's contracts page (`portal.read`).
pub async fn held(State(app): State<AppState>, me: Signed<Portal>) -> Result<Response, PageError> {
    let held: Vec<CheckedContract> = contracts::held(&app, &me.member()).await?;
    let tr = me.tr(&app);
    render(
        StatusCode::OK,
        &HeldPage {
            contracts: held
                .into_iter()
                .map(|h| {
                    let c = &h.detail.contract;
                    HeldRow {
                        reference: c.reference.clone(),
                        service: c.service_name.clone(),
                        level: c.level,
                        period: period(&tr, &c.starts_on, &c.ends_on),
                        sites: h.detail.sites.iter().map(Site::label).collect(),
                        contacts: contacts_of(&tr, &h.detail.contacts),
                        coverage: coverage(&tr, h.coverage),
                    }
                })
                .collect(),
            chrome: Chrome::new::<Portal>(&app, &me.visit, "/contracts"),
        },
    )
}

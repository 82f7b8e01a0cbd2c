//! The console's support access requests (3.5.7): the provider's list with
//! each request's state now, the form an operator asks with (the contract,
//! why, the ticket, the resources, when and how long, from where), and one
//! request with the customer's answer, the sessions the bastion recorded,
//! and the operator's own "done" (withdraw or close).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::support::{self, register, SupportInput, SupportProblem, SupportText};
use thiqa_app::time::format_utc;
use thiqa_app::AppError;
use thiqa_domain::support::SupportState;
use thiqa_domain::{Permission, SupportRequestId};
use thiqa_store::{SupportDetail, SupportRequest, SupportSession};

use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::{refused, PageError};
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

/// A request as listed, in both realms.
pub struct RequestRow {
    pub id: i64,
    pub organisation: String,
    pub service: String,
    pub operator: String,
    pub ticket: String,
    /// "from — to"
    pub window: String,
    /// `pending`, `active`… (the state now), and its label.
    pub state: &'static str,
    pub state_label: String,
}

/// The window of a request as people read it.
fn window(r: &SupportRequest) -> String {
    format!(
        "{} — {}",
        format_utc(r.starts_at / 1000),
        format_utc(r.ends_at / 1000)
    )
}

/// A state as people read it.
fn state_label(tr: &Tr, state: SupportState) -> String {
    tr.t(&format!("support-state-{}", state.as_str()))
}

/// The requests as listed at `now_ms`, in both realms.
pub fn rows(tr: &Tr, requests: &[SupportRequest], now_ms: i64) -> Vec<RequestRow> {
    requests
        .iter()
        .map(|r| {
            let state = r.state(now_ms);
            RequestRow {
                id: r.id.0,
                organisation: r.organisation_name.clone(),
                service: r.service_name.clone(),
                operator: r.operator_name.clone(),
                ticket: r.ticket.clone(),
                window: window(r),
                state: state.as_str(),
                state_label: state_label(tr, state),
            }
        })
        .collect()
}

/// "who — when", for the steps of a request (and of a jump host).
pub fn by_when(who: &Option<String>, at: Option<i64>) -> Option<String> {
    at.map(|at| {
        format!(
            "{} — {}",
            who.as_deref().unwrap_or_default(),
            format_utc(at / 1000)
        )
    })
}

/// A session the bastion recorded, as shown.
pub struct SessionRow {
    pub reference: String,
    pub jump_host: String,
    pub started: String,
    pub ended: Option<String>,
}

fn session_rows(sessions: &[SupportSession]) -> Vec<SessionRow> {
    sessions
        .iter()
        .map(|s| SessionRow {
            reference: s.reference.clone(),
            jump_host: s.jump_host.clone().unwrap_or_default(),
            started: format!("{} — {}", s.started_by, format_utc(s.started_at / 1000)),
            ended: by_when(&s.ended_by, s.ended_at),
        })
        .collect()
}

/// One request as both realms show it (support_facts.html): its state at
/// the instant shown and every step, with the sessions under it.
pub struct RequestView {
    pub r: SupportRequest,
    pub state: SupportState,
    pub state_label: String,
    pub window: String,
    pub requested: String,
    pub answer_by: String,
    pub answered: Option<String>,
    pub revoked: Option<String>,
    pub closed: Option<String>,
    pub sessions: Vec<SessionRow>,
}

impl RequestView {
    pub fn new(tr: &Tr, d: SupportDetail, now_ms: i64) -> RequestView {
        let r = d.request;
        let state = r.state(now_ms);
        RequestView {
            state,
            state_label: state_label(tr, state),
            window: window(&r),
            requested: format!(
                "{} — {}",
                r.operator_name,
                format_utc(r.requested_at / 1000)
            ),
            answer_by: format_utc(r.answer_by / 1000),
            answered: by_when(&r.answered_by, r.answered_at),
            revoked: by_when(&r.revoked_by, r.revoked_at),
            closed: by_when(&r.closed_by, r.closed_at),
            sessions: session_rows(&d.sessions),
            r,
        }
    }
}

#[derive(Template)]
#[template(path = "support.html")]
struct ListPage<'a> {
    chrome: Chrome<'a>,
    requests: Vec<RequestRow>,
    can_request: bool,
    can_vet: bool,
}

pub async fn list(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let all = support::list(&app, &staff).await?;
    let now_ms = app.store.clock().now_ms();
    render(
        StatusCode::OK,
        &ListPage {
            requests: rows(&me.tr(&app), &all, now_ms),
            can_request: staff.can(Permission::SupportRequest),
            can_vet: staff.can(Permission::OperatorsManage),
            chrome: Chrome::new::<Console>(&app, &me.visit, "/support"),
        },
    )
}

#[derive(Template)]
#[template(path = "support_form.html")]
struct FormPage<'a> {
    chrome: Chrome<'a>,
    /// (id, label, chosen)
    contracts: Vec<(i64, String, bool)>,
    /// (id, name, chosen)
    jump_hosts: Vec<(i64, String, bool)>,
    /// The requester's own vetting: "date (reference)", or None.
    vetting: Option<String>,
    reason: String,
    ticket: String,
    resources: String,
    abroad: bool,
    country: String,
    starts_at: String,
    hours: String,
    max_hours: u32,
    request_hours: u32,
    errors: Vec<String>,
}

fn problem_key(p: SupportProblem) -> &'static str {
    match p {
        SupportProblem::Contract => "error-support-contract",
        SupportProblem::Reason => "error-support-reason",
        SupportProblem::Ticket => "error-support-ticket",
        SupportProblem::Resources => "error-support-resources",
        SupportProblem::Location => "error-support-location",
        SupportProblem::Country => "error-support-country",
        SupportProblem::JumpHost => "error-support-jump-host",
        SupportProblem::Start => "error-support-start",
        SupportProblem::Duration => "error-support-duration",
    }
}

async fn form_with(
    app: &AppState,
    me: &Signed<Console>,
    typed: &[(String, String)],
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let ((contracts, hosts), vetting) = tokio::try_join!(
        support::form_choices(app, &staff),
        register::own_vetting(app, &staff)
    )?;
    let tr = me.tr(app);
    let chosen = |name: &str, id: i64| field(typed, name) == id.to_string();
    let hours = field(typed, "hours");
    render(
        status,
        &FormPage {
            contracts: contracts
                .iter()
                .map(|c| {
                    let label = tr.t2(
                        "support-contract-choice",
                        (
                            "contract",
                            &format!(
                                "{} — {} ({})",
                                c.organisation_name, c.service_name, c.reference
                            ),
                        ),
                        ("level", &c.level.to_string()),
                    );
                    (c.id.0, label, chosen("contract", c.id.0))
                })
                .collect(),
            jump_hosts: hosts
                .iter()
                .map(|j| (j.id.0, j.name.clone(), chosen("jump_host", j.id.0)))
                .collect(),
            vetting: vetting.map(|v| format!("{} ({})", v.vetted_on, v.reference)),
            reason: field(typed, "reason"),
            ticket: field(typed, "ticket"),
            resources: field(typed, "resources"),
            abroad: field(typed, "location") == "abroad",
            country: field(typed, "country"),
            starts_at: field(typed, "starts_at"),
            hours: if hours.is_empty() { "4".into() } else { hours },
            max_hours: app.config.support.grant_max_hours,
            request_hours: app.config.support.request_hours,
            errors,
            chrome: Chrome::new::<Console>(app, &me.visit, "/support"),
        },
    )
}

pub async fn new_form(
    State(app): State<AppState>,
    me: Signed<Console>,
) -> Result<Response, PageError> {
    me.require(Permission::SupportRequest)?;
    form_with(&app, &me, &[], vec![], StatusCode::OK).await
}

pub async fn create(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::SupportRequest)?;
    let tr = me.tr(&app);
    let [contract, reason, ticket, resources, location, country, jump_host, starts_at, hours] = [
        "contract",
        "reason",
        "ticket",
        "resources",
        "location",
        "country",
        "jump_host",
        "starts_at",
        "hours",
    ]
    .map(|name| field(&pairs, name));
    let text = SupportText {
        contract: &contract,
        reason: &reason,
        ticket: &ticket,
        resources: &resources,
        location: &location,
        country: &country,
        jump_host: &jump_host,
        starts_at: &starts_at,
        hours: &hours,
    };
    let settings = app.config.support.settings();
    let input = match SupportInput::check(&text, &settings) {
        Ok(i) => i,
        Err(problems) => {
            let errors = problems.iter().map(|p| tr.t(problem_key(*p))).collect();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return form_with(&app, &me, &pairs, errors, status).await;
        }
    };
    match support::request(&app, &me.staff()?, &input, &settings).await {
        Ok(id) => Ok(confirmed(&format!("/support/{id}"), Notice::Added)),
        // Another provider's contract or jump host is named like a
        // mistyped one.
        Err(AppError::NotFound) => {
            let m = tr.t("error-support-contract");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            form_with(&app, &me, &pairs, vec![m], status).await
        }
        Err(e) => {
            let (status, m) = refused(&tr, e)?;
            form_with(&app, &me, &pairs, vec![m], status).await
        }
    }
}

#[derive(Template)]
#[template(path = "support_request.html")]
struct DetailPage<'a> {
    chrome: Chrome<'a>,
    v: RequestView,
    /// The requester may withdraw or close it now.
    can_close: bool,
    error: Option<String>,
}

async fn detail_with(
    app: &AppState,
    me: &Signed<Console>,
    id: SupportRequestId,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let d = support::view(app, &staff, id).await?;
    let v = RequestView::new(&me.tr(app), d, app.store.clock().now_ms());
    render(
        status,
        &DetailPage {
            can_close: v.r.operator_id == staff.account()
                && staff.can(Permission::SupportRequest)
                && (v.state.is_live_grant() || v.state == SupportState::Pending),
            v,
            error,
            chrome: Chrome::new::<Console>(app, &me.visit, "/support"),
        },
    )
}

pub async fn detail(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<SupportRequestId>,
) -> Result<Response, PageError> {
    detail_with(&app, &me, id, None, StatusCode::OK).await
}

pub async fn close(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<SupportRequestId>,
) -> Result<Response, PageError> {
    match support::close(&app, &me.staff()?, id).await {
        Ok(()) => Ok(confirmed(&format!("/support/{id}"), Notice::Removed)),
        Err(e) => {
            let (status, m) = refused(&me.tr(&app), e)?;
            detail_with(&app, &me, id, Some(m), status).await
        }
    }
}

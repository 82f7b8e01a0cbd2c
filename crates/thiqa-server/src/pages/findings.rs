//! A service's audit findings. The auditor (through an active engagement)
//! records findings per obligation and closes them; the provider's staff
//! who edit the assessment answer them; everyone who may read the service
//! sees them.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::findings::{self, FindingInput, FindingProblem};
use thiqa_app::AppError;
use thiqa_domain::{FindingId, Permission, ServiceId};
use thiqa_store::FINDING_SEVERITIES;

use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{edited_version, field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;
use thiqa_app::time::iso_date;

pub struct Row {
    pub id: FindingId,
    pub obligation_id: String,
    pub severity_key: &'static str,
    pub severity: String,
    pub description: String,
    pub recorded: String,
    pub status_key: &'static str,
    pub closed: bool,
    pub response: String,
    pub responded: String,
    pub closure_note: String,
    pub closed_line: String,
    /// The version its answer and closure forms edit.
    pub version: i64,
    /// What its answer and closure fields hold: the stored answer and an
    /// empty note, or what the user typed in a refused form.
    pub response_draft: String,
    pub note_draft: String,
}

/// What the user typed in a refused form, shown again where it was typed,
/// with the reason beside it.
pub enum Draft {
    Nothing,
    New {
        obligation: String,
        severity: String,
        description: String,
    },
    Response {
        finding: FindingId,
        text: String,
    },
    Note {
        finding: FindingId,
        text: String,
    },
}

impl Draft {
    /// Where the errors go: the finding's card, the new-finding form (0),
    /// or the top of the page (-1).
    fn place(&self) -> i64 {
        match self {
            Draft::Nothing => -1,
            Draft::New { .. } => 0,
            Draft::Response { finding, .. } | Draft::Note { finding, .. } => finding.0,
        }
    }
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage<'a> {
    chrome: Chrome<'a>,
    service_id: i64,
    service_name: String,
    /// "firm — until date" when the reader audits the service.
    engagement: Option<String>,
    rows: Vec<Row>,
    open: usize,
    is_auditor: bool,
    can_respond: bool,
    severities: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    error_at: i64,
    new_obligation: String,
    new_severity: String,
    new_description: String,
}

pub fn severity_key(s: &str) -> &'static str {
    match s {
        "observation" => "finding-observation",
        "minor" => "finding-minor",
        _ => "finding-major",
    }
}

fn status_key(s: &str) -> &'static str {
    match s {
        "open" => "finding-open",
        "responded" => "finding-responded",
        _ => "finding-closed",
    }
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    errors: Vec<String>,
    draft: &Draft,
    status: StatusCode,
) -> Result<Response, PageError> {
    let scope = me.staff()?.service(app, id).await?;
    let list = findings::of_service(app, &scope).await?;
    let access = scope.access();
    let who_when = |who: &Option<String>, at: Option<i64>| match (who, at) {
        (Some(w), Some(t)) => format!("{w}, {}", format_utc(t)),
        _ => String::new(),
    };
    let rows: Vec<Row> = list
        .findings
        .into_iter()
        .map(|f| Row {
            response_draft: match draft {
                Draft::Response { finding, text } if *finding == f.id => text.clone(),
                _ => f.response.clone(),
            },
            note_draft: match draft {
                Draft::Note { finding, text } if *finding == f.id => text.clone(),
                _ => String::new(),
            },
            severity_key: severity_key(&f.severity),
            status_key: status_key(&f.status),
            closed: f.is_closed(),
            recorded: format!("{}, {}", f.recorded_by, format_utc(f.recorded_at)),
            responded: who_when(&f.responded_by, f.responded_at),
            closed_line: who_when(&f.closed_by, f.closed_at),
            id: f.id,
            obligation_id: f.obligation_id,
            severity: f.severity,
            description: f.description,
            response: f.response,
            closure_note: f.closure_note,
            version: f.version,
        })
        .collect();
    render(
        status,
        &FindingsPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/services"),
            service_id: id.0,
            service_name: list.service_name,
            engagement: access
                .engagement()
                .map(|e| format!("{} — {}", e.firm, iso_date(e.expires_at - 1))),
            open: rows.iter().filter(|r| !r.closed).count(),
            rows,
            is_auditor: access.engagement().is_some(),
            can_respond: me.can(Permission::AssessmentEdit),
            severities: FINDING_SEVERITIES
                .iter()
                .map(|s| (*s, severity_key(s)))
                .collect(),
            errors,
            error_at: draft.place(),
            new_obligation: match draft {
                Draft::New { obligation, .. } => obligation.clone(),
                _ => String::new(),
            },
            new_severity: match draft {
                Draft::New { severity, .. } => severity.clone(),
                _ => String::new(),
            },
            new_description: match draft {
                Draft::New { description, .. } => description.clone(),
                _ => String::new(),
            },
        },
    )
}

pub async fn list(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
) -> Result<Response, PageError> {
    page_with(&app, &me, id, vec![], &Draft::Nothing, StatusCode::OK).await
}

/// Shows the page again with the problem when the use case refuses the
/// step (e.g. the finding was closed meanwhile).
async fn after(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    result: Result<(), AppError>,
    draft: &Draft,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(confirmed(
            &format!("/services/{}/findings", id.0),
            match draft {
                Draft::New { .. } => Notice::Added,
                _ => Notice::Saved,
            },
        )),
        Err(AppError::Refused(r)) => {
            let m = me.tr(app).refusal(&r);
            page_with(app, me, id, vec![m], draft, StatusCode::CONFLICT).await
        }
        // The page shows the finding as it now is, with what the user
        // typed still in its field; nothing was changed.
        Err(AppError::Stale(r)) => {
            let m = me.tr(app).refusal(&r);
            let error = format!("{m}. {}", me.tr(app).t("error-edit-stale"));
            page_with(app, me, id, vec![error], draft, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

fn problem_message(tr: &Tr, p: &FindingProblem) -> String {
    match p {
        FindingProblem::UnknownObligation(o) => tr.t1("error-unknown-obligation", "id", o),
        FindingProblem::Severity => tr.t("error-finding-severity"),
        FindingProblem::Text => tr.t1("error-finding-text", "max", &findings::TEXT_MAX.to_string()),
    }
}

/// The page again, with what was typed and its problems (422).
async fn refused(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    problems: &[FindingProblem],
    draft: &Draft,
) -> Result<Response, PageError> {
    let tr = me.tr(app);
    let errors = problems.iter().map(|p| problem_message(&tr, p)).collect();
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    page_with(app, me, id, errors, draft, status).await
}

pub async fn record(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let auditor = me.staff()?.auditing(&app, id).await?;
    let (obligation, severity, description) = (
        field(&pairs, "obligation"),
        field(&pairs, "severity"),
        field(&pairs, "description"),
    );
    let input = FindingInput::check(app.catalog, &obligation, &severity, &description);
    let draft = Draft::New {
        obligation,
        severity,
        description,
    };
    let input = match input {
        Ok(input) => input,
        Err(problems) => return refused(&app, &me, id, &problems, &draft).await,
    };
    let result = findings::record(&app, &auditor, &input).await.map(|_| ());
    after(&app, &me, id, result, &draft).await
}

pub async fn respond(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, fid)): Path<(ServiceId, FindingId)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let version = edited_version(&me.tr(&app), &field(&pairs, "version"))?;
    let response = field(&pairs, "response");
    let result = match findings::required_text(&response) {
        Ok(()) => Some(findings::respond(&app, &me.staff()?, id, fid, &response, version).await),
        Err(_) => None,
    };
    let draft = Draft::Response {
        finding: fid,
        text: response,
    };
    match result {
        Some(result) => after(&app, &me, id, result, &draft).await,
        None => refused(&app, &me, id, &[FindingProblem::Text], &draft).await,
    }
}

pub async fn close(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, fid)): Path<(ServiceId, FindingId)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let auditor = me.staff()?.auditing(&app, id).await?;
    let version = edited_version(&me.tr(&app), &field(&pairs, "version"))?;
    let note = field(&pairs, "note");
    let result = match findings::optional_text(&note) {
        Ok(()) => Some(findings::close(&app, &auditor, fid, &note, version).await),
        Err(_) => None,
    };
    let draft = Draft::Note {
        finding: fid,
        text: note,
    };
    match result {
        Some(result) => after(&app, &me, id, result, &draft).await,
        None => refused(&app, &me, id, &[FindingProblem::Text], &draft).await,
    }
}

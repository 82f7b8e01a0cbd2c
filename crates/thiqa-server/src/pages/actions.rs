//! A service's action plan: actions with owner and due date that close the
//! gaps of named obligations; overdue ones stand out.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::actions::{self, ActionInput, ActionProblem, ActionText, PlannedAction};
use thiqa_app::AppError;
use thiqa_domain::{ActionId, FindingId, Permission, ServiceId};
use thiqa_store::ACTION_STATUSES;

use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{edited_version, field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

pub struct Row {
    pub id: ActionId,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub due_date: String,
    pub overdue: bool,
    pub status: String,
    pub obligations: Vec<String>,
    pub findings: Vec<FindingId>,
    /// The version its status form edits.
    pub version: i64,
}

#[derive(Template)]
#[template(path = "actions.html")]
struct ActionsPage<'a> {
    chrome: Chrome<'a>,
    service_id: i64,
    service_name: String,
    items: Vec<Row>,
    statuses: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    form: ActionForm,
    errors: Vec<String>,
}

/// The new-action form: empty, with the obligation or finding pre-filled
/// when reached from one ("plan an action for this"), or refused with
/// everything typed and its problems inside it.
#[derive(Default, Clone)]
pub struct ActionForm {
    pub refused: bool,
    pub title: String,
    pub description: String,
    pub obligations: String,
    pub findings: String,
    pub owner: String,
    pub due_date: String,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    form: ActionForm,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let scope = me.staff()?.service(app, id).await?;
    let plan = actions::plan_of(app, &scope).await?;
    let items = plan
        .actions
        .into_iter()
        .map(|PlannedAction { item: a, overdue }| Row {
            overdue,
            id: a.id,
            title: a.title,
            description: a.description,
            owner: a.owner,
            due_date: a.due_date,
            status: a.status,
            obligations: a.obligations,
            findings: a.findings,
            version: a.version,
        })
        .collect();
    render(
        status,
        &ActionsPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/services"),
            service_id: id.0,
            service_name: plan.service_name,
            items,
            statuses: ACTION_STATUSES
                .iter()
                .map(|s| (*s, status_key(s)))
                .collect(),
            can_edit: me.can(Permission::AssessmentEdit),
            form,
            errors,
        },
    )
}

fn status_key(s: &str) -> &'static str {
    match s {
        "open" => "action-open",
        "in_progress" => "action-in-progress",
        "done" => "action-done",
        _ => "action-cancelled",
    }
}

pub async fn list(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let query = q
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(&q).ok())
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let form = ActionForm {
        obligations: param("o")
            .filter(|v| app.catalog.obligation(v).is_some())
            .unwrap_or_default(),
        findings: param("f")
            .filter(|v| v.parse::<i64>().is_ok())
            .unwrap_or_default(),
        ..ActionForm::default()
    };
    page_with(&app, &me, id, form, vec![], StatusCode::OK).await
}

/// The message of one problem of the new-action form.
fn problem_message(tr: &Tr, p: &ActionProblem) -> String {
    match p {
        ActionProblem::Title => tr.t("error-action-title"),
        ActionProblem::Description => tr.t1(
            "error-too-long",
            "field",
            &format!("description ({})", actions::DESCRIPTION_MAX),
        ),
        ActionProblem::Owner => tr.t1(
            "error-too-long",
            "field",
            &format!("owner ({})", actions::OWNER_MAX),
        ),
        ActionProblem::NoObligation => tr.t("error-evidence-obligations"),
        ActionProblem::UnknownObligation(o) => tr.t1("error-unknown-obligation", "id", o),
        ActionProblem::Finding(f) => tr.t1("error-action-finding", "id", f),
        ActionProblem::Due => tr.t("error-action-due"),
    }
}

pub async fn create(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let get = |k: &str| field(&pairs, k);
    let typed = ActionForm {
        refused: true,
        title: get("title"),
        description: get("description"),
        obligations: get("obligations"),
        findings: get("findings"),
        owner: get("owner"),
        due_date: get("due_date"),
    };
    let text = ActionText {
        title: &typed.title,
        description: &typed.description,
        owner: &typed.owner,
        obligations: &typed.obligations,
        findings: &typed.findings,
        due_date: &typed.due_date,
    };
    let refused = |errors, status| page_with(&app, &me, id, typed.clone(), errors, status);
    let input = match ActionInput::check(app.catalog, text) {
        Ok(input) => input,
        Err(problems) => {
            let tr = me.tr(&app);
            let errors = problems.iter().map(|p| problem_message(&tr, p)).collect();
            return refused(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match actions::plan(&app, &me.staff()?, id, &input).await {
        Ok(_) => Ok(confirmed(
            &format!("/services/{}/actions", id.0),
            Notice::Added,
        )),
        Err(AppError::Refused(r)) => {
            let m = me.tr(&app).refusal(&r);
            refused(vec![m], StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn set_status(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, aid)): Path<(ServiceId, ActionId)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let status = field(&pairs, "status");
    let tr = me.tr(&app);
    if !actions::is_status(&status) {
        return Err(PageError::BadRequest(tr.t1(
            "error-query-param",
            "param",
            "status",
        )));
    }
    let version = edited_version(&tr, field(&pairs, "version").as_str())?;
    let service = id;
    match actions::set_status(&app, &me.staff()?, service, aid, &status, version).await {
        Ok(()) => Ok(confirmed(&format!("/services/{id}/actions"), Notice::Saved)),
        // The list shows the status as it now is; nothing was changed.
        Err(AppError::Stale(r)) => {
            let m = tr.refusal(&r);
            let error = format!("{m}. {} ({status})", tr.t("error-edit-stale"));
            page_with(
                &app,
                &me,
                service,
                ActionForm::default(),
                vec![error],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

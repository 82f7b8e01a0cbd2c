//! A service's action plan: actions with owner and due date that close the
//! gaps of named obligations; overdue ones stand out.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_domain::{Permission, ServiceId};
use thiqa_store::{NewAction, StoreError, ACTION_STATUSES};

use crate::auth::realm::Console;
use crate::auth::visit::Signed;
use crate::pages::service_access::read_access;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{edited_version, field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::iso_date;

pub struct Row {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub due_date: String,
    pub overdue: bool,
    pub status: String,
    pub obligations: Vec<String>,
    pub findings: Vec<i64>,
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
#[derive(Default)]
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
    let (provider, _) = read_access(app, me, id).await?;
    let service = app.store.service(provider, id).await?;
    let today = iso_date(app.store.clock().now_s());
    let items = app
        .store
        .actions(provider, id)
        .await?
        .into_iter()
        .map(|a| Row {
            overdue: a.due_date < today && matches!(a.status.as_str(), "open" | "in_progress"),
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
            service_name: service.name,
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
    Path(id): Path<i64>,
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
    page_with(&app, &me, ServiceId(id), form, vec![], StatusCode::OK).await
}

pub async fn create(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let provider = me.provider()?;
    let id = ServiceId(id);
    let tr = me.tr(&app);
    let get = |k: &str| field(&pairs, k);
    let mut errors = vec![];
    let title = get("title");
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(tr.t("error-action-title"));
    }
    let description = get("description");
    if description.chars().count() > 5000 {
        errors.push(tr.t1("error-too-long", "field", "description (5000)"));
    }
    let owner: String = get("owner").chars().take(120).collect();
    let obligations: Vec<String> = get("obligations")
        .split([' ', ',', ';'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if obligations.is_empty() {
        errors.push(tr.t("error-evidence-obligations"));
    }
    let mut findings = vec![];
    for f in get("findings")
        .split([' ', ',', ';'])
        .filter(|s| !s.is_empty())
    {
        match f.trim_start_matches('#').parse::<i64>() {
            Ok(n) => findings.push(n),
            Err(_) => errors.push(tr.t1("error-action-finding", "id", f)),
        }
    }
    for o in &obligations {
        if app.catalog.obligation(o).is_none() {
            errors.push(tr.t1("error-unknown-obligation", "id", o));
        }
    }
    let due = get("due_date");
    // The one date rule of the domain (YYYY-MM-DD, a real day).
    let due_ok = !due.is_empty() && thiqa_domain::assessment::is_iso_date(&due);
    if !due_ok {
        errors.push(tr.t("error-action-due"));
    }
    let typed = || ActionForm {
        refused: true,
        title: get("title"),
        description: get("description"),
        obligations: get("obligations"),
        findings: get("findings"),
        owner: get("owner"),
        due_date: get("due_date"),
    };
    if !errors.is_empty() {
        return page_with(
            &app,
            &me,
            id,
            typed(),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let new = NewAction {
        title,
        description,
        owner,
        due_date: due,
        obligations,
        findings,
    };
    match app
        .store
        .create_action(provider, id, &new, &me.actor())
        .await
    {
        Ok(_) => Ok(confirmed(
            &format!("/services/{}/actions", id.0),
            Notice::Added,
        )),
        Err(thiqa_store::StoreError::Conflict(r)) => {
            let m = me.tr(&app).refusal(&r);
            page_with(&app, &me, id, typed(), vec![m], StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn set_status(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, aid)): Path<(i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let status = pairs
        .iter()
        .find(|(k, _)| k == "status")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if !ACTION_STATUSES.contains(&status.as_str()) {
        return Err(PageError::BadRequest(me.tr(&app).t1(
            "error-query-param",
            "param",
            "status",
        )));
    }
    let tr = me.tr(&app);
    let version = edited_version(&tr, field(&pairs, "version").as_str())?;
    let provider = me.provider()?;
    let service = ServiceId(id);
    match app
        .store
        .set_action_status(provider, service, aid, &status, version, &me.actor())
        .await
    {
        Ok(()) => Ok(confirmed(&format!("/services/{id}/actions"), Notice::Saved)),
        // The list shows the status as it now is; nothing was changed.
        Err(StoreError::Stale(r)) => {
            let m = me.tr(&app).refusal(&r);
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

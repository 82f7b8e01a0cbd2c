//! Event sources of the provider's infrastructure (référentiel 3.8.6,
//! 3.8.7): register one (name, the commanditaires it may tag; its token is
//! shown once), list them, revoke one. Requires `config.manage`. The
//! sources post their events to `POST /api/v1/journal/intake`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::sources::{self, SourceInput, SourceProblem};
use thiqa_app::AppError;
use thiqa_domain::{OrganisationId, Permission, SourceId};

use crate::auth::visit::Signed;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;

/// Where this page lives.
pub const PATH: &str = "/journal/sources";

pub struct SourceRow {
    pub id: SourceId,
    pub name: String,
    /// Names of the commanditaires it may tag ("" when none).
    pub organisations: String,
    pub created_by: String,
    pub created: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "journal_sources.html")]
struct SourcesPage<'a> {
    chrome: Chrome<'a>,
    rows: Vec<SourceRow>,
    /// (id, name) of the provider's commanditaires.
    organisations: Vec<(i64, String)>,
    /// (source name, token) just created: shown this once.
    new_token: Option<(String, String)>,
    /// The new-source form as typed when refused: name, commanditaires.
    typed: (String, Vec<i64>),
    errors: Vec<String>,
    /// Address of the intake endpoint, for the instructions.
    intake_url: String,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    new_token: Option<(String, String)>,
    typed: (String, Vec<i64>),
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let admin = me.staff()?.config_admin()?;
    let (sources, organisations) = sources::overview(app, &admin).await?;
    let organisations: Vec<(i64, String)> = organisations
        .into_iter()
        .map(|o| (o.id.0, o.name))
        .collect();
    let name_of = |id: OrganisationId| {
        organisations
            .iter()
            .find(|(o, _)| *o == id.0)
            .map_or_else(|| id.0.to_string(), |(_, n)| n.clone())
    };
    let rows = sources
        .into_iter()
        .map(|s| SourceRow {
            organisations: s
                .organisations
                .iter()
                .map(|o| name_of(*o))
                .collect::<Vec<_>>()
                .join(", "),
            id: s.id,
            name: s.name,
            created_by: s.created_by,
            created: format_utc(s.created_at),
            revoked: s.revoked_at.map(format_utc),
        })
        .collect();
    let base = app.config.admin_url.clone().unwrap_or_default();
    render(
        status,
        &SourcesPage {
            chrome: Chrome::new::<Console>(app, &me.visit, PATH),
            rows,
            organisations,
            new_token,
            typed,
            errors,
            intake_url: format!("{}/api/v1/journal/intake", base.trim_end_matches('/')),
        },
    )
}

pub async fn page(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    me.require(Permission::ConfigManage)?;
    let typed = (String::new(), vec![]);
    page_with(&app, &me, None, typed, vec![], StatusCode::OK).await
}

/// Registers a source; its token is on the answer page only.
pub async fn create(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let admin = me.staff()?.config_admin()?;
    let tr = me.tr(&app);
    let mut organisations = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "organisation") {
        let id = v.trim().parse::<i64>().map_err(|_| {
            PageError::BadRequest(tr.t1("error-query-param", "param", "organisation"))
        })?;
        organisations.push(OrganisationId(id));
    }
    let name = field(&pairs, "name");
    let typed = (name.clone(), organisations.iter().map(|o| o.0).collect());
    let input = match SourceInput::check(&name, organisations) {
        Ok(input) => input,
        Err(SourceProblem::Name) => {
            let errors = vec![tr.t("error-source-name")];
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page_with(&app, &me, None, typed, errors, status).await;
        }
    };
    match sources::register(&app, &admin, &input).await {
        Ok(created) => {
            let shown = Some((created.source.name, created.token.expose().to_string()));
            let empty = (String::new(), vec![]);
            page_with(&app, &me, shown, empty, vec![], StatusCode::CREATED).await
        }
        Err(AppError::Refused(r)) => {
            let m = tr.refusal(&r);
            page_with(&app, &me, None, typed, vec![m], StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<SourceId>,
) -> Result<Response, PageError> {
    sources::revoke(&app, &me.staff()?.config_admin()?, id).await?;
    Ok(confirmed(PATH, Notice::Removed))
}

//! Event sources of the provider's infrastructure (référentiel 3.8.6,
//! 3.8.7): register one (name, the commanditaires it may tag; its token is
//! shown once), list them, revoke one. Requires `config.manage`. The
//! sources post their events to `POST /api/v1/journal/intake`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_domain::{OrganisationId, Permission};
use thiqa_store::{valid_source_name, StoreError};

use crate::auth::realm::Console;
use crate::auth::visit::Signed;
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
    pub id: i64,
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
    errors: Vec<String>,
    /// Address of the intake endpoint, for the instructions.
    intake_url: String,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    new_token: Option<(String, String)>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let provider = me.provider()?;
    let organisations: Vec<(i64, String)> = app
        .store
        .organisations(provider)
        .await?
        .into_iter()
        .map(|o| (o.id.0, o.name))
        .collect();
    let name_of = |id: OrganisationId| {
        organisations
            .iter()
            .find(|(o, _)| *o == id.0)
            .map_or_else(|| id.0.to_string(), |(_, n)| n.clone())
    };
    let rows = app
        .store
        .intake_sources(provider)
        .await?
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
            errors,
            intake_url: format!("{}/api/v1/journal/intake", base.trim_end_matches('/')),
        },
    )
}

pub async fn page(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    me.require(Permission::ConfigManage)?;
    page_with(&app, &me, None, vec![], StatusCode::OK).await
}

/// Registers a source; its token is on the answer page only.
pub async fn create(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::ConfigManage)?;
    let provider = me.provider()?;
    let tr = me.tr(&app);
    let name = field(&pairs, "name");
    if !valid_source_name(&name) {
        return page_with(
            &app,
            &me,
            None,
            vec![tr.t("error-source-name")],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut organisations = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "organisation") {
        let id = v.trim().parse::<i64>().map_err(|_| {
            PageError::BadRequest(tr.t1("error-query-param", "param", "organisation"))
        })?;
        organisations.push(OrganisationId(id));
    }
    match app
        .store
        .create_intake_source(provider, &name, &organisations, &me.actor())
        .await
    {
        Ok(created) => {
            page_with(
                &app,
                &me,
                Some((name, created.token.expose().to_string())),
                vec![],
                StatusCode::CREATED,
            )
            .await
        }
        Err(StoreError::Conflict(r)) => {
            let m = me.tr(&app).refusal(&r);
            page_with(&app, &me, None, vec![m], StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    me.require(Permission::ConfigManage)?;
    app.store
        .revoke_intake_source(me.provider()?, id, &me.actor())
        .await?;
    Ok(confirmed(PATH, Notice::Removed))
}

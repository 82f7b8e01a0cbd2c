//! The supervised jump hosts (postes de rebond) through which support from
//! abroad comes at level 1 (3.5.7.e, 3.15.2.f): declared and retired by
//! holders of `config.manage`, read by the provider's staff. A grant that
//! names a retired jump host lets nobody in.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::support::register;
use thiqa_app::time::format_utc;
use thiqa_domain::{JumpHostId, Permission};

use crate::auth::visit::Signed;
use crate::pages::support::by_when;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::{refused, PageError};
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

pub struct HostLine {
    id: i64,
    name: String,
    description: String,
    declared: String,
    retired: Option<String>,
}

#[derive(Template)]
#[template(path = "support_jump_hosts.html")]
struct HostsPage<'a> {
    chrome: Chrome<'a>,
    hosts: Vec<HostLine>,
    can_manage: bool,
    name: String,
    description: String,
    error: Option<String>,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    typed: &[(String, String)],
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let hosts = register::jump_hosts(app, &staff)
        .await?
        .into_iter()
        .map(|j| HostLine {
            id: j.id.0,
            declared: format!("{} — {}", j.created_by, format_utc(j.created_at / 1000)),
            retired: by_when(&j.retired_by, j.retired_at),
            name: j.name,
            description: j.description,
        })
        .collect();
    render(
        status,
        &HostsPage {
            hosts,
            can_manage: staff.can(Permission::ConfigManage),
            name: field(typed, "name"),
            description: field(typed, "description"),
            error,
            chrome: Chrome::new::<Console>(app, &me.visit, "/support"),
        },
    )
}

pub async fn page(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    page_with(&app, &me, &[], None, StatusCode::OK).await
}

pub async fn add(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let name = field(&pairs, "name");
    let description = field(&pairs, "description");
    match register::add_jump_host(&app, &me.staff()?, &name, &description).await {
        Ok(_) => Ok(confirmed("/support/jump-hosts", Notice::Added)),
        Err(e) => {
            let (status, m) = refused(&me.tr(&app), e)?;
            page_with(&app, &me, &pairs, Some(m), status).await
        }
    }
}

pub async fn retire(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<JumpHostId>,
) -> Result<Response, PageError> {
    match register::retire_jump_host(&app, &me.staff()?, id).await {
        Ok(()) => Ok(confirmed("/support/jump-hosts", Notice::Removed)),
        Err(e) => {
            let (status, m) = refused(&me.tr(&app), e)?;
            page_with(&app, &me, &[], Some(m), status).await
        }
    }
}

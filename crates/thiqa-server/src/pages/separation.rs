//! The editable list of incompatible permissions (3.5.3).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use thiqa_domain::{PairId, Permission};
use thiqa_store::Change;

use crate::auth::realm::Realm;
use crate::auth::visit::Signed;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

#[derive(Template)]
#[template(path = "separation.html")]
struct SeparationPage<'a> {
    chrome: Chrome<'a>,
    pairs: Vec<(i64, String, String, String)>,
    permissions: Vec<&'static str>,
    can_manage: bool,
    error: Option<String>,
}

async fn page_with<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let pairs = app
        .store
        .incompatible_pairs(me.tenant())
        .await?
        .into_iter()
        .map(|p| (p.id.0, p.first.to_string(), p.second.to_string(), p.reason))
        .collect();
    render(
        status,
        &SeparationPage {
            chrome: Chrome::new::<R>(app, &me.visit, "/separation"),
            pairs,
            permissions: Permission::ALL
                .iter()
                .filter(|p| p.directory() == R::DIR)
                .map(|p| p.as_str())
                .collect(),
            can_manage: me.can(R::MANAGE_SEPARATION),
            error,
        },
    )
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    // Those who define, grant or check rights read the list; nobody else.
    if !(me.can(R::MANAGE_SEPARATION) || me.can(R::APPROVE_ACCESS) || me.can(R::MANAGE_ROLES)) {
        return Err(PageError::Forbidden);
    }
    page_with(&app, &me, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct PairForm {
    #[serde(default)]
    first: String,
    #[serde(default)]
    second: String,
    #[serde(default)]
    reason: String,
}

pub async fn add<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Form(form): Form<PairForm>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_SEPARATION)?;
    let parse = |s: &str| {
        Permission::parse(s).ok_or_else(|| {
            PageError::BadRequest(me.tr(&app).t1("error-unknown-permission", "permission", s))
        })
    };
    let (first, second) = (parse(&form.first)?, parse(&form.second)?);
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 300 {
        let msg = me.tr(&app).t("error-separation-reason");
        return page_with(&app, &me, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match app
        .store
        .add_incompatible_pair(me.tenant(), first, second, reason, &me.actor())
        .await
    {
        Ok(_) => Ok(confirmed("/separation", Notice::Added)),
        Err(thiqa_store::AssignmentError::Store(e)) => Err(e.into()),
        Err(e) => page_with(&app, &me, Some(e.to_string()), StatusCode::CONFLICT).await,
    }
}

pub async fn remove<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_SEPARATION)?;
    // An account's removal waits for a second person (four eyes).
    match app
        .store
        .remove_incompatible_pair(me.tenant(), PairId(id), &me.actor())
        .await?
    {
        Change::Applied => Ok(confirmed("/separation", Notice::Removed)),
        // A second person decides; the requester may not open /approvals.
        Change::Pending(_) => Ok(confirmed("/separation", Notice::AwaitingApproval)),
    }
}

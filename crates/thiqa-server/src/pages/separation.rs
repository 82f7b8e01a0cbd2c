//! The editable list of incompatible permissions (3.5.3).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use thiqa_app::separation::{self, PairInput, PairProblem};
use thiqa_domain::{PairId, Permission};
use thiqa_store::Change;

use crate::auth::visit::Signed;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::{refused, PageError};
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
    /// A refused pair: the problem, inside the form showing what was typed.
    error: Option<String>,
    typed: PairForm,
}

async fn page_with<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    typed: PairForm,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let pairs = separation::pairs(app, &me.member())
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
            typed,
        },
    )
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    // Those who define, grant or check rights read the list; nobody else.
    page_with(&app, &me, PairForm::default(), None, StatusCode::OK).await
}

/// The pair form as typed.
#[derive(Default, Deserialize)]
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
    let tr = me.tr(&app);
    let pair = match PairInput::check(&form.first, &form.second, &form.reason) {
        Ok(pair) => pair,
        Err(problems) => {
            // A name that is no option of the form is a forged request.
            let mut messages = Vec::new();
            for p in &problems {
                match p {
                    PairProblem::UnknownPermission(p) => {
                        let m = tr.t1("error-unknown-permission", "permission", p);
                        return Err(PageError::BadRequest(m));
                    }
                    PairProblem::Reason => messages.push(tr.t("error-separation-reason")),
                }
            }
            let msg = messages.join(" ");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page_with(&app, &me, form, Some(msg), status).await;
        }
    };
    match separation::add(&app, &me.member(), &pair).await {
        Ok(_) => Ok(confirmed("/separation", Notice::Added)),
        Err(e) => {
            let (status, msg) = refused(&tr, e)?;
            page_with(&app, &me, form, Some(msg), status).await
        }
    }
}

pub async fn remove<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<PairId>,
) -> Result<Response, PageError> {
    // An account's removal waits for a second person (four eyes).
    match separation::remove(&app, &me.member(), id).await? {
        Change::Applied => Ok(confirmed("/separation", Notice::Removed)),
        // A second person decides; the requester may not open /approvals.
        Change::Pending(_) => Ok(confirmed("/separation", Notice::AwaitingApproval)),
    }
}

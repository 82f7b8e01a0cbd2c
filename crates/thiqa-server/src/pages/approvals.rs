//! Four-eyes approvals (3.5.3): the rights changes waiting for a second
//! person (removing an incompatible pair, widening a role with an
//! administrative permission), approved or rejected by another account
//! holding the approval right.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::approvals;
use thiqa_domain::RightsRequestId;

use crate::auth::visit::Signed;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::{refused, PageError};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;

pub struct RequestRow {
    pub id: RightsRequestId,
    pub kind_key: &'static str,
    pub summary: String,
    pub requested: String,
    pub pending: bool,
    pub status_key: &'static str,
    pub decided: String,
    /// The signed account filed it: it may not approve it.
    pub own: bool,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage<'a> {
    chrome: Chrome<'a>,
    rows: Vec<RequestRow>,
    can_decide: bool,
    error: Option<String>,
}

async fn page_with<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let rows = approvals::requests(app, &me.member())
        .await?
        .into_iter()
        .map(|r| RequestRow {
            id: r.id,
            kind_key: if r.kind == "role.update" {
                "approval-kind-role"
            } else {
                "approval-kind-pair"
            },
            requested: format!("{}, {}", r.requested_by, format_utc(r.requested_at)),
            pending: r.status == "pending",
            status_key: match r.status.as_str() {
                "pending" => "approval-pending",
                "approved" => "approval-approved",
                _ => "approval-rejected",
            },
            decided: match (&r.decided_by, r.decided_at) {
                (Some(who), Some(at)) => format!("{who}, {}", format_utc(at)),
                _ => String::new(),
            },
            own: r.requested_by_id == me.account.id,
            summary: r.summary,
        })
        .collect();
    render(
        status,
        &ApprovalsPage {
            chrome: Chrome::new::<R>(app, &me.visit, "/approvals"),
            rows,
            can_decide: me.can(R::APPROVE_ACCESS),
            error,
        },
    )
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    page_with(&app, &me, None, StatusCode::OK).await
}

async fn decide<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    id: RightsRequestId,
    approve: bool,
) -> Result<Response, PageError> {
    match approvals::decide(app, &me.member(), id, approve).await {
        Ok(()) => Ok(confirmed("/approvals", Notice::Decided)),
        Err(e) => {
            let (status, msg) = refused(&me.tr(app), e)?;
            page_with(app, me, Some(msg), status).await
        }
    }
}

pub async fn approve<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<RightsRequestId>,
) -> Result<Response, PageError> {
    decide(&app, &me, id, true).await
}

pub async fn reject<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<RightsRequestId>,
) -> Result<Response, PageError> {
    decide(&app, &me, id, false).await
}

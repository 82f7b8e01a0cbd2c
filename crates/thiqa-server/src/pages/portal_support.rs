//! The portal's support access requests (3.5.7): every request for access
//! to the organisation's own data, with its state now and the sessions
//! recorded under it (`portal.read`); its members holding
//! `org.support.consent` grant or refuse a pending one, saying why when
//! they refuse, and revoke a grant at any moment.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::support;
use thiqa_app::AppError;
use thiqa_domain::support::SupportState;
use thiqa_domain::{Permission, SupportRequestId};

use crate::auth::visit::Signed;
use crate::pages::support::{rows, RequestRow, RequestView};
use crate::realm::Portal;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::{refused, PageError};
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

#[derive(Template)]
#[template(path = "portal_support.html")]
struct ListPage<'a> {
    chrome: Chrome<'a>,
    requests: Vec<RequestRow>,
    can_consent: bool,
}

pub async fn list(State(app): State<AppState>, me: Signed<Portal>) -> Result<Response, PageError> {
    let all = support::received(&app, &me.member()).await?;
    let now_ms = app.store.clock().now_ms();
    render(
        StatusCode::OK,
        &ListPage {
            requests: rows(&me.tr(&app), &all, now_ms),
            can_consent: me.can(Permission::OrgSupportConsent),
            chrome: Chrome::new::<Portal>(&app, &me.visit, "/support"),
        },
    )
}

#[derive(Template)]
#[template(path = "portal_support_request.html")]
struct DetailPage<'a> {
    chrome: Chrome<'a>,
    v: RequestView,
    can_answer: bool,
    can_revoke: bool,
    comment: String,
    error: Option<String>,
}

async fn detail_with(
    app: &AppState,
    me: &Signed<Portal>,
    id: SupportRequestId,
    typed_comment: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let d = support::received_one(app, &me.member(), id).await?;
    let v = RequestView::new(&me.tr(app), d, app.store.clock().now_ms());
    let consent = me.can(Permission::OrgSupportConsent);
    render(
        status,
        &DetailPage {
            can_answer: consent && v.state == SupportState::Pending,
            can_revoke: consent && v.state.is_live_grant(),
            v,
            comment: typed_comment,
            error,
            chrome: Chrome::new::<Portal>(app, &me.visit, "/support"),
        },
    )
}

pub async fn detail(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Path(id): Path<SupportRequestId>,
) -> Result<Response, PageError> {
    detail_with(&app, &me, id, String::new(), None, StatusCode::OK).await
}

/// Back to the request once `done`; on a refusal, the request again with
/// the reason and the comment as typed.
async fn after(
    app: &AppState,
    me: &Signed<Portal>,
    id: SupportRequestId,
    comment: String,
    result: Result<(), AppError>,
    done: Notice,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(confirmed(&format!("/support/{id}"), done)),
        Err(e) => {
            let (status, m) = refused(&me.tr(app), e)?;
            detail_with(app, me, id, comment, Some(m), status).await
        }
    }
}

pub async fn answer(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Path(id): Path<SupportRequestId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let grant = match field(&pairs, "answer").as_str() {
        "grant" => true,
        "refuse" => false,
        _ => {
            // Another organisation's request is not found before the
            // answer is judged.
            support::received_one(&app, &me.member(), id).await?;
            return Err(PageError::BadRequest(me.tr(&app).t("error-support-answer")));
        }
    };
    let comment = field(&pairs, "comment");
    let result = support::answer(&app, &me.member(), id, grant, &comment).await;
    after(&app, &me, id, comment, result, Notice::Decided).await
}

pub async fn revoke(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Path(id): Path<SupportRequestId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let comment = field(&pairs, "comment");
    let result = support::revoke(&app, &me.member(), id, &comment).await;
    after(&app, &me, id, comment, result, Notice::Removed).await
}

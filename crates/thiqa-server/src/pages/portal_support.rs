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
use thiqa_app::time::format_utc;
use thiqa_app::AppError;
use thiqa_domain::support::SupportState;
use thiqa_domain::{Permission, SupportRequestId};
use thiqa_store::SupportRequest;

use crate::auth::visit::Signed;
use crate::pages::support::{by_when, row, session_rows, window, RequestRow, SessionRow};
use crate::realm::Portal;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
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
    let tr = me.tr(&app);
    let now_ms = app.store.clock().now_ms();
    render(
        StatusCode::OK,
        &ListPage {
            requests: all.iter().map(|r| row(&tr, r, now_ms)).collect(),
            can_consent: me.can(Permission::OrgSupportConsent),
            chrome: Chrome::new::<Portal>(&app, &me.visit, "/support"),
        },
    )
}

#[derive(Template)]
#[template(path = "portal_support_request.html")]
struct DetailPage<'a> {
    chrome: Chrome<'a>,
    r: SupportRequest,
    state: &'static str,
    state_label: String,
    window: String,
    requested: String,
    answer_by: String,
    answered: Option<String>,
    revoked: Option<String>,
    closed: Option<String>,
    sessions: Vec<SessionRow>,
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
    let now_ms = app.store.clock().now_ms();
    let r = d.request;
    let state = r.state(now_ms);
    let consent = me.can(Permission::OrgSupportConsent);
    render(
        status,
        &DetailPage {
            state: state.as_str(),
            state_label: me.tr(app).t(&format!("support-state-{}", state.as_str())),
            window: window(&r),
            requested: format!(
                "{} — {}",
                r.operator_name,
                format_utc(r.requested_at / 1000)
            ),
            answer_by: format_utc(r.answer_by / 1000),
            answered: by_when(&r.answered_by, r.answered_at),
            revoked: by_when(&r.revoked_by, r.revoked_at),
            closed: by_when(&r.closed_by, r.closed_at),
            sessions: session_rows(&d.sessions),
            can_answer: consent && state == SupportState::Pending,
            can_revoke: consent && state.is_live_grant(),
            comment: typed_comment,
            r,
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

async fn after(
    app: &AppState,
    me: &Signed<Portal>,
    id: SupportRequestId,
    comment: String,
    result: Result<(), AppError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(confirmed(&format!("/support/{id}"), Notice::Saved)),
        Err(AppError::Refused(r)) => {
            let m = me.tr(app).refusal(&r);
            detail_with(app, me, id, comment, Some(m), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
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
    after(&app, &me, id, comment, result).await
}

pub async fn revoke(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Path(id): Path<SupportRequestId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let comment = field(&pairs, "comment");
    let result = support::revoke(&app, &me.member(), id, &comment).await;
    after(&app, &me, id, comment, result).await
}

//! The portal's notices inbox: what the provider announced to the
//! organisation, and its answer (acknowledgement, or consent given or
//! refused with a comment), plus each member's choice of also getting
//! notices by e-mail.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::notices;
use thiqa_app::time::format_utc;
use thiqa_app::AppError;
use thiqa_domain::{NoticeId, Permission};
use thiqa_store::NoticeAnswer;

use crate::auth::visit::Signed;
use crate::realm::Portal;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

/// One notice of the inbox.
pub struct InboxRow {
    id: i64,
    title: String,
    kind: String,
    sent: String,
    answer_by: String,
    state: String,
    asks: String,
}

#[derive(Template)]
#[template(path = "portal_notices.html")]
struct InboxPage<'a> {
    chrome: Chrome<'a>,
    notices: Vec<InboxRow>,
    email: bool,
}

pub async fn inbox(State(app): State<AppState>, me: Signed<Portal>) -> Result<Response, PageError> {
    let member = me.member();
    let (all, email) = tokio::try_join!(
        notices::inbox(&app, &member),
        notices::email_preference(&app, &member)
    )?;
    let lang = me.visit.lang.into();
    render(
        StatusCode::OK,
        &InboxPage {
            notices: all
                .into_iter()
                .map(|r| InboxRow {
                    id: r.notice.id.0,
                    kind: notices::kind_title(&r.notice.kind, lang),
                    sent: format_utc(r.notice.created_at / 1000),
                    answer_by: format_utc(r.notice.answer_by / 1000),
                    asks: r.notice.answer.clone(),
                    state: r.state,
                    title: r.notice.title,
                })
                .collect(),
            email,
            chrome: Chrome::new::<Portal>(&app, &me.visit, "/notices"),
        },
    )
}

pub async fn set_email(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let email = field(&pairs, "email") == "on";
    notices::set_email_preference(&app, &me.member(), email).await?;
    Ok(confirmed("/notices", Notice::Saved))
}

#[derive(Template)]
#[template(path = "portal_notice.html")]
struct ReceivedPage<'a> {
    chrome: Chrome<'a>,
    id: i64,
    title: String,
    kind: String,
    sent: String,
    answer_by: String,
    late: bool,
    asks: String,
    services: Vec<String>,
    fields: Vec<(String, String)>,
    state: String,
    /// What is expected, or what was answered.
    state_label: String,
    answered: Option<String>,
    comment: String,
    open: bool,
    can_answer: bool,
    error: Option<String>,
}

async fn received_with(
    app: &AppState,
    me: &Signed<Portal>,
    id: NoticeId,
    typed_comment: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let notices::ReceivedView {
        received: r,
        services,
    } = notices::received(app, &me.member(), id).await?;
    let lang = me.visit.lang.into();
    let n = &r.notice;
    let now_ms = app.store.clock().now_ms();
    render(
        status,
        &ReceivedPage {
            id: n.id.0,
            title: n.title.clone(),
            kind: notices::kind_title(&n.kind, lang),
            sent: format_utc(n.created_at / 1000),
            answer_by: format_utc(n.answer_by / 1000),
            late: r.state == "pending" && n.answer_by < now_ms,
            asks: n.answer.clone(),
            services,
            fields: notices::fields_of(n, lang),
            answered: r.answered_at.map(|at| {
                format!(
                    "{} — {}",
                    r.answered_by.clone().unwrap_or_default(),
                    format_utc(at / 1000)
                )
            }),
            comment: typed_comment.unwrap_or_else(|| r.comment.clone().unwrap_or_default()),
            state_label: me.tr(app).t(&if r.state == "pending" {
                format!("notice-asks-{}", n.answer)
            } else {
                format!("notice-state-{}", r.state)
            }),
            state: r.state.clone(),
            open: n.status == "open",
            can_answer: me.can(Permission::OrgNoticesAnswer),
            error,
            chrome: Chrome::new::<Portal>(app, &me.visit, "/notices"),
        },
    )
}

pub async fn received(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Path(id): Path<NoticeId>,
) -> Result<Response, PageError> {
    received_with(&app, &me, id, None, None, StatusCode::OK).await
}

pub async fn answer(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Path(id): Path<NoticeId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let tr = me.tr(&app);
    let answer = match field(&pairs, "answer").as_str() {
        "acknowledge" => NoticeAnswer::Acknowledge,
        "accept" => NoticeAnswer::Accept,
        "refuse" => NoticeAnswer::Refuse,
        _ => return Err(PageError::BadRequest(tr.t("error-notice-answer"))),
    };
    let comment = field(&pairs, "comment");
    match notices::answer(&app, &me.member(), id, answer, &comment).await {
        Ok(()) => Ok(confirmed(&format!("/notices/{id}"), Notice::Saved)),
        Err(AppError::Refused(r)) => {
            let m = tr.refusal(&r);
            received_with(&app, &me, id, Some(comment), Some(m), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

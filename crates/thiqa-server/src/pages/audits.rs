//! Audit engagements: the RSSI (`audits.manage`) invites an external PASSI
//! auditor to one service for a period and can end it early; every other
//! console account sees the engagements it holds itself ("my audits").

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::audits::{self, Invitation, InvitationProblem, InvitationText};
use thiqa_app::AppError;
use thiqa_domain::{EngagementId, Permission, ServiceId};
use thiqa_store::Engagement;

use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::iso_date;

pub struct Row {
    pub id: EngagementId,
    pub service_id: ServiceId,
    pub service_name: String,
    pub auditor: String,
    pub firm: String,
    pub from: String,
    /// Last day of access (inclusive), as typed at invitation.
    pub until: String,
    pub state_key: &'static str,
    pub active: bool,
}

fn row(e: Engagement, now: i64) -> Row {
    let state_key = if e.revoked_at.is_some() {
        "audit-state-revoked"
    } else if now < e.starts_at {
        "audit-state-upcoming"
    } else if now >= e.expires_at {
        "audit-state-expired"
    } else {
        "audit-state-active"
    };
    Row {
        active: e.is_active(now),
        id: e.id,
        service_id: e.service_id,
        service_name: e.service_name,
        auditor: e.auditor_username,
        firm: e.firm,
        from: iso_date(e.starts_at),
        until: iso_date(e.expires_at - 1),
        state_key,
    }
}

#[derive(Template)]
#[template(path = "audits.html")]
struct AuditsPage<'a> {
    chrome: Chrome<'a>,
    can_manage: bool,
    rows: Vec<Row>,
    /// (id, username, display name) of the provider's active accounts.
    auditors: Vec<(i64, String, String)>,
    services: Vec<(i64, String)>,
    today: String,
    errors: Vec<String>,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let view = audits::view(app, &me.staff()?).await?;
    let now = app.store.clock().now_s();
    render(
        status,
        &AuditsPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/audits"),
            can_manage: view.can_manage,
            rows: view.engagements.into_iter().map(|e| row(e, now)).collect(),
            auditors: view.auditors,
            services: view.services,
            today: iso_date(now),
            errors,
        },
    )
}

pub async fn list(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    page_with(&app, &me, vec![], StatusCode::OK).await
}

fn problem_message(tr: &Tr, p: &InvitationProblem) -> String {
    match p {
        InvitationProblem::Auditor => tr.t("error-audit-auditor"),
        InvitationProblem::Service => tr.t("error-audit-service"),
        InvitationProblem::Firm => tr.t("error-audit-firm"),
        InvitationProblem::Period => tr.t1(
            "error-audit-period",
            "days",
            &audits::MAX_ENGAGEMENT_DAYS.to_string(),
        ),
        InvitationProblem::SelfAudit => tr.t("error-audit-self"),
    }
}

pub async fn invite(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AuditsManage)?;
    let staff = me.staff()?;
    let get = |k: &str| field(&pairs, k);
    let (auditor, service, firm, from, until) = (
        get("auditor"),
        get("service"),
        get("firm"),
        get("from"),
        get("until"),
    );
    let text = InvitationText {
        auditor: &auditor,
        service: &service,
        firm: &firm,
        from: &from,
        until: &until,
    };
    let invitation = match Invitation::check(staff.account(), text) {
        Ok(i) => i,
        Err(problems) => {
            let tr = me.tr(&app);
            let errors = problems.iter().map(|p| problem_message(&tr, p)).collect();
            return page_with(&app, &me, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match audits::invite(&app, &staff, &invitation).await {
        Ok(_) => Ok(confirmed("/audits", Notice::Added)),
        Err(AppError::Refused(r)) => {
            let m = me.tr(&app).refusal(&r);
            page_with(&app, &me, vec![m], StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<EngagementId>,
) -> Result<Response, PageError> {
    audits::revoke(&app, &me.staff()?, id).await?;
    Ok(confirmed("/audits", Notice::Removed))
}

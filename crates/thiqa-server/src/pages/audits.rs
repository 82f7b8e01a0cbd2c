//! Audit engagements: the RSSI (`audits.manage`) invites an external PASSI
//! auditor to one service for a period and can end it early; every other
//! console account sees the engagements it holds itself ("my audits").

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_domain::assessment::iso_date_start;
use thiqa_domain::{Permission, ServiceId};
use thiqa_store::{Engagement, NewEngagement};

use crate::auth::realm::Console;
use crate::auth::visit::Signed;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::iso_date;

/// The longest engagement one invitation grants: an audit campaign, not a
/// standing access (renewed by a new invitation, which is journaled).
const MAX_ENGAGEMENT_DAYS: i64 = 366;

pub struct Row {
    pub id: i64,
    pub service_id: i64,
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
    let provider = me.provider()?;
    let now = app.store.clock().now_s();
    let can_manage = me.can(Permission::AuditsManage);
    let engagements = if can_manage {
        app.store.engagements(provider, None).await?
    } else {
        app.store
            .engagements_of_auditor(provider, me.account.id)
            .await?
    };
    let (auditors, services) = if can_manage {
        let accounts = app.store.accounts_of(me.tenant()).await?;
        let services = app.store.services(provider).await?;
        (
            accounts
                .into_iter()
                .filter(|a| a.is_active() && a.id != me.account.id)
                .map(|a| (a.id, a.username, a.display_name))
                .collect(),
            services.into_iter().map(|s| (s.id.0, s.name)).collect(),
        )
    } else {
        (vec![], vec![])
    };
    render(
        status,
        &AuditsPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/audits"),
            can_manage,
            rows: engagements.into_iter().map(|e| row(e, now)).collect(),
            auditors,
            services,
            today: iso_date(now),
            errors,
        },
    )
}

pub async fn list(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    page_with(&app, &me, vec![], StatusCode::OK).await
}

pub async fn invite(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AuditsManage)?;
    let provider = me.provider()?;
    let tr = me.tr(&app);
    let get = |k: &str| field(&pairs, k);
    let mut errors = vec![];
    let auditor_id = get("auditor").parse::<i64>().ok();
    let service_id = get("service").parse::<i64>().ok();
    if auditor_id.is_none() {
        errors.push(tr.t("error-audit-auditor"));
    }
    if service_id.is_none() {
        errors.push(tr.t("error-audit-service"));
    }
    let firm = get("firm");
    if firm.is_empty() || firm.chars().count() > 200 {
        errors.push(tr.t("error-audit-firm"));
    }
    let starts_at = iso_date_start(&get("from"));
    // The end date is the last day of access, so access ends at the
    // following midnight (UTC).
    let expires_at = iso_date_start(&get("until")).map(|d| d + 86_400);
    let period = match (starts_at, expires_at) {
        (Some(s), Some(e)) if e > s && e - s <= MAX_ENGAGEMENT_DAYS * 86_400 => Some((s, e)),
        _ => None,
    };
    if period.is_none() {
        errors.push(tr.t1(
            "error-audit-period",
            "days",
            &MAX_ENGAGEMENT_DAYS.to_string(),
        ));
    }
    if auditor_id == Some(me.account.id) {
        errors.push(tr.t("error-audit-self"));
    }
    let (Some(auditor_id), Some(service), Some((starts_at, expires_at)), true) =
        (auditor_id, service_id, period, errors.is_empty())
    else {
        return page_with(&app, &me, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let new = NewEngagement {
        service: ServiceId(service),
        auditor_id,
        firm,
        starts_at,
        expires_at,
    };
    match app
        .store
        .create_engagement(provider, &new, &me.actor())
        .await
    {
        Ok(_) => Ok(confirmed("/audits", Notice::Added)),
        Err(thiqa_store::StoreError::Conflict(r)) => {
            let m = me.tr(&app).refusal(&r);
            page_with(&app, &me, vec![m], StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    me.require(Permission::AuditsManage)?;
    app.store
        .revoke_engagement(me.provider()?, id, &me.actor())
        .await?;
    Ok(confirmed("/audits", Notice::Removed))
}

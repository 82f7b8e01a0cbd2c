//! The vetting register of the provider's operators (3.3.1), until the
//! personnel register exists: its account administrators
//! (`operators.manage`) record where each operator's checks are filed and
//! when they were passed, or withdraw the record. Support access to a
//! customer's data is asked for, granted and let in only for a vetted
//! operator (3.5.7.d.2).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::support::register;
use thiqa_app::time::format_utc;
use thiqa_domain::Permission;

use crate::auth::visit::Signed;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::{refused, PageError};
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

/// One operator of the register as shown.
pub struct VettingLine {
    id: i64,
    username: String,
    display_name: String,
    active: bool,
    /// "date — reference (by whom, when)", or None when not vetted.
    vetting: Option<String>,
    /// What the form shows: typed values after a refusal, else the record.
    reference: String,
    vetted_on: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "support_vetting.html")]
struct VettingPage<'a> {
    chrome: Chrome<'a>,
    lines: Vec<VettingLine>,
    me: i64,
}

/// The page; after a refusal, operator `typed.0`'s form keeps what was
/// typed and shows why.
async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    typed: Option<(i64, String, String, String)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let rows = register::vetting_register(app, &staff).await?;
    let lines = rows
        .into_iter()
        .map(|r| {
            let mine = typed.as_ref().filter(|t| t.0 == r.operator_id);
            let (reference, vetted_on) = match (mine, &r.vetting) {
                (Some(t), _) => (t.1.clone(), t.2.clone()),
                (None, Some(v)) => (v.reference.clone(), v.vetted_on.clone()),
                (None, None) => (String::new(), String::new()),
            };
            VettingLine {
                id: r.operator_id,
                vetting: r.vetting.as_ref().map(|v| {
                    format!(
                        "{} — {} ({}, {})",
                        v.vetted_on,
                        v.reference,
                        v.recorded_by,
                        format_utc(v.recorded_at / 1000)
                    )
                }),
                username: r.username,
                display_name: r.display_name,
                active: r.active,
                reference,
                vetted_on,
                error: mine.map(|t| t.3.clone()),
            }
        })
        .collect();
    render(
        status,
        &VettingPage {
            lines,
            me: me.account.id,
            chrome: Chrome::new::<Console>(app, &me.visit, "/support"),
        },
    )
}

pub async fn page(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    me.require(Permission::OperatorsManage)?;
    page_with(&app, &me, None, StatusCode::OK).await
}

pub async fn record(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let reference = field(&pairs, "reference");
    let vetted_on = field(&pairs, "vetted_on");
    let result = register::record_vetting(&app, &me.staff()?, id, &reference, &vetted_on).await;
    match result {
        Ok(()) => Ok(confirmed("/support/vetting", Notice::Saved)),
        Err(e) => {
            let (status, m) = refused(&me.tr(&app), e)?;
            page_with(&app, &me, Some((id, reference, vetted_on, m)), status).await
        }
    }
}

pub async fn withdraw(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    match register::withdraw_vetting(&app, &me.staff()?, id).await {
        Ok(()) => Ok(confirmed("/support/vetting", Notice::Removed)),
        Err(e) => {
            let (status, m) = refused(&me.tr(&app), e)?;
            page_with(
                &app,
                &me,
                Some((id, String::new(), String::new(), m)),
                status,
            )
            .await
        }
    }
}

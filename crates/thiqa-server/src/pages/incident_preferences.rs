//! The portal's incident notification preferences (3.12.2): for each
//! severity of the provider's scale, which members are told and how.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::incident_preferences::{self, PreferenceProblem, Preferences, CHANNELS, SEVERITIES};
use thiqa_app::AppError;
use thiqa_domain::Permission;

use crate::auth::visit::Signed;
use crate::realm::Portal;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

/// One member's row: (severity, chosen channel or "none") per column.
pub struct MemberRow {
    id: i64,
    name: String,
    has_email: bool,
    cells: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "incident_preferences.html")]
struct PreferencesPage<'a> {
    chrome: Chrome<'a>,
    severities: &'static [&'static str],
    channels: &'static [&'static str],
    members: Vec<MemberRow>,
    can_edit: bool,
    errors: Vec<String>,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Portal>,
    typed: Option<&[(String, String)]>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let prefs: Preferences = incident_preferences::read(app, &me.member()).await?;
    // A refused form shows what was chosen, not what is stored.
    let shown = |severity: &str, user: i64| -> String {
        let key = format!("p.{severity}.{user}");
        match typed.and_then(|t| t.iter().find(|(k, _)| *k == key)) {
            Some((_, v)) => v.clone(),
            None => prefs.channel(severity, user).unwrap_or("none").to_string(),
        }
    };
    let members = prefs
        .members
        .iter()
        .map(|(id, name, has_email)| MemberRow {
            id: *id,
            name: name.clone(),
            has_email: *has_email,
            cells: SEVERITIES.iter().map(|s| (*s, shown(s, *id))).collect(),
        })
        .collect();
    render(
        status,
        &PreferencesPage {
            chrome: Chrome::new::<Portal>(app, &me.visit, "/incident-preferences"),
            severities: &SEVERITIES,
            channels: &CHANNELS,
            members,
            can_edit: me.can(Permission::OrgUsersManage),
            errors,
        },
    )
}

pub async fn page(State(app): State<AppState>, me: Signed<Portal>) -> Result<Response, PageError> {
    page_with(&app, &me, None, vec![], StatusCode::OK).await
}

pub async fn save(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::OrgUsersManage)?;
    let tr = me.tr(&app);
    let refused = match incident_preferences::check(&pairs) {
        Err(PreferenceProblem::Field(f)) => tr.t1("error-incident-preference", "field", &f),
        Ok(chosen) => match incident_preferences::save(&app, &me.member(), &chosen).await {
            Ok(()) => return Ok(confirmed("/incident-preferences", Notice::Saved)),
            Err(AppError::Refused(r)) => tr.refusal(&r),
            Err(e) => return Err(e.into()),
        },
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    page_with(&app, &me, Some(&pairs), vec![refused], status).await
}

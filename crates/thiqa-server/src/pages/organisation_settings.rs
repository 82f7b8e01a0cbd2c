//! A commanditaire's own settings in the portal: whether every user of the
//! organisation must pass a second factor (3.5.5: MFA offered to SaaS end
//! users; the organisation decides).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use thiqa_app::organisations;
use thiqa_domain::Permission;

use crate::auth::visit::Signed;
use crate::realm::Portal;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::notice::{confirmed, Notice};
use crate::web::ok;

#[derive(Template)]
#[template(path = "organisation_settings.html")]
struct SettingsPage<'a> {
    chrome: Chrome<'a>,
    name: String,
    require_mfa: bool,
}

pub async fn page(State(app): State<AppState>, me: Signed<Portal>) -> Result<Response, PageError> {
    let org = organisations::own(&app, &me.member()).await?;
    ok(&SettingsPage {
        chrome: Chrome::new::<Portal>(&app, &me.visit, "/organisation"),
        name: org.name,
        require_mfa: org.require_mfa,
    })
}

#[derive(Deserialize)]
pub struct SettingsForm {
    require_mfa: String,
}

pub async fn update(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    me.require(Permission::OrgUsersManage)?;
    let require = match form.require_mfa.as_str() {
        "yes" => true,
        "no" => false,
        other => {
            return Err(PageError::BadRequest(format!(
                "require_mfa must be yes or no, not {other}"
            )))
        }
    };
    organisations::require_mfa(&app, &me.member(), require).await?;
    Ok(confirmed("/organisation", Notice::Saved))
}

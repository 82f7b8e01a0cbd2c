//! Commanditaire organisations, created by the provider's operators with
//! their first administrator (who then manages the organisation's users in
//! the customer portal, a separate directory).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::accounts::AccountInput;
use thiqa_app::organisations::{self, Onboarding, OnboardingProblem};
use thiqa_app::AppError;
use thiqa_domain::Permission;

use crate::auth::visit::Signed;
use crate::links::portal_base;
use crate::pages::accounts::account_problem;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, Form};
use crate::web::render;

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage<'a> {
    chrome: Chrome<'a>,
    organisations: Vec<(String, bool)>,
    link: Option<String>,
    /// What the form shows: empty (MFA required by default), or what was
    /// typed when it was refused.
    typed: Typed,
    errors: Vec<String>,
}

/// The onboarding form as typed.
pub struct Typed {
    name: String,
    require_mfa: bool,
    username: String,
    display_name: String,
    email: String,
}

impl Default for Typed {
    fn default() -> Self {
        Typed {
            name: String::new(),
            require_mfa: true,
            username: String::new(),
            display_name: String::new(),
            email: String::new(),
        }
    }
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    link: Option<String>,
    typed: Typed,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let organisations = organisations::list(app, &me.staff()?)
        .await?
        .into_iter()
        .map(|o| (o.name, o.require_mfa))
        .collect();
    render(
        status,
        &OrganisationsPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/organisations"),
            organisations,
            link,
            typed,
            errors,
        },
    )
}

pub async fn page(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    me.require(Permission::OrganisationsManage)?;
    page_with(&app, &me, None, Typed::default(), vec![], StatusCode::OK).await
}

pub async fn create(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::OrganisationsManage)?;
    // Checked before anything is created: the administrator's set-up link
    // is built on the portal's configured address.
    let Some(portal) = portal_base(&app) else {
        return Err(PageError::Conflict(
            crate::web::error::NO_BASE_URL_CODE.into(),
        ));
    };
    let get = |k: &str| field(&pairs, k);
    let typed = Typed {
        name: get("name"),
        require_mfa: get("require_mfa") == "on",
        username: get("username"),
        display_name: get("display_name"),
        email: get("email"),
    };
    let administrator = AccountInput::check(&typed.username, &typed.display_name, &typed.email);
    let onboarding = match Onboarding::check(&typed.name, typed.require_mfa, administrator) {
        Ok(o) => o,
        Err(problems) => {
            let tr = me.tr(&app);
            let errors = problems
                .iter()
                .map(|p| match p {
                    OnboardingProblem::Name => tr.t("error-organisation-name"),
                    OnboardingProblem::Administrator(p) => account_problem(&tr, p),
                })
                .collect();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page_with(&app, &me, None, typed, errors, status).await;
        }
    };
    let ttl_s = app.config.reset_link_minutes * 60;
    let lang = me.visit.lang.code();
    let delivery = crate::links::link_delivery(&app, &portal);
    match organisations::onboard(&app, &me.staff()?, onboarding, lang, ttl_s, &delivery).await {
        Ok(done) => {
            // E-mailed: the page says where, and shows no link.
            let link = match &done.link.mailed_to {
                Some(email) => me.tr(&app).t1("link-mailed", "email", email),
                None => format!("{portal}/reset/{}", done.link.token.expose()),
            };
            let status = StatusCode::CREATED;
            page_with(&app, &me, Some(link), Typed::default(), vec![], status).await
        }
        Err(AppError::Refused(r)) => {
            let m = me.tr(&app).refusal(&r);
            page_with(&app, &me, None, typed, vec![m], StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

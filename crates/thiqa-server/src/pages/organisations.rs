//! Commanditaire organisations, created by the provider's operators with
//! their first administrator (who then manages the organisation's users in
//! the customer portal, a separate directory).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_crypto::token::Token;
use thiqa_domain::{Directory, Permission, Tenant};
use thiqa_store::NewAccount;

use crate::auth::realm::Console;
use crate::auth::visit::Signed;
use crate::links::portal_base;
use crate::pages::accounts::{validate_new, CreateForm};
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::render;
use thiqa_app::tenants::{role_by_name, seed_tenant, ORG_ADMIN_ROLE};

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage<'a> {
    chrome: Chrome<'a>,
    organisations: Vec<(String, bool)>,
    link: Option<String>,
    errors: Vec<String>,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    link: Option<String>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let Tenant::Provider(provider) = me.tenant() else {
        return Err(PageError::Forbidden);
    };
    let organisations = app
        .store
        .organisations(provider)
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
            errors,
        },
    )
}

pub async fn page(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    me.require(Permission::OrganisationsManage)?;
    page_with(&app, &me, None, vec![], StatusCode::OK).await
}

pub async fn create(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::OrganisationsManage)?;
    let Tenant::Provider(provider) = me.tenant() else {
        return Err(PageError::Forbidden);
    };
    // Checked before anything is created: the administrator's set-up link
    // is built on the portal's configured address.
    let Some(portal) = portal_base(&app) else {
        return Err(PageError::Conflict(crate::links::NO_BASE_URL_CODE.into()));
    };
    let tr = me.tr(&app);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let name = get("name");
    let form = CreateForm {
        username: get("username"),
        display_name: get("display_name"),
        email: get("email"),
    };
    let mut errors = vec![];
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(tr.t("error-organisation-name"));
    }
    let username = match validate_new(&tr, &form) {
        Ok(u) => Some(u),
        Err(mut e) => {
            errors.append(&mut e);
            None
        }
    };
    let Some(username) = username.filter(|_| errors.is_empty()) else {
        return page_with(&app, &me, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !app
        .store
        .username_available(Directory::Customers, username.as_str())
        .await?
    {
        let errors = vec![tr.t("error-username-unavailable")];
        return page_with(&app, &me, None, errors, StatusCode::CONFLICT).await;
    }
    let require_mfa = get("require_mfa") == "on";
    let actor = me.actor();
    let org = match app
        .store
        .create_organisation(provider, &name, require_mfa, &actor)
        .await
    {
        Ok(org) => org,
        Err(thiqa_store::StoreError::Conflict(r)) => {
            let m = me.tr(&app).refusal(&r);
            return page_with(&app, &me, None, vec![m], StatusCode::CONFLICT).await;
        }
        Err(e) => return Err(e.into()),
    };
    let tenant = Tenant::Organisation(org);
    seed_tenant(&app.store, tenant, &actor).await?;
    let id = app
        .store
        .create_account(
            Directory::Customers,
            NewAccount {
                tenant,
                username: username.as_str().to_string(),
                display_name: form.display_name.clone(),
                email: Some(form.email.clone()).filter(|e| !e.is_empty()),
                password_hash: None,
                totp_secret: None,
                language: me.visit.lang.code().to_string(),
            },
            &actor,
        )
        .await?;
    if let Some(role) = role_by_name(&app.store, tenant, ORG_ADMIN_ROLE).await? {
        app.store.assign_role(tenant, id, role, &actor).await?;
    }
    let account = app.store.account(Directory::Customers, id).await?;
    let token = Token::generate().map_err(|e| PageError::Internal(e.to_string()))?;
    app.store
        .create_password_reset(
            &account,
            token.hash().as_str(),
            app.config.reset_link_minutes * 60,
            &actor,
        )
        .await?;
    let link = format!("{portal}/reset/{}", token.expose());
    page_with(&app, &me, Some(link), vec![], StatusCode::CREATED).await
}

//! Account administration, the same for both realms: operators manage the
//! provider's staff, an organisation's administrators its users. Creating
//! accounts and granting rights are separate permissions (3.5.5).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use thiqa_app::accounts::{self, AccountInput, AccountProblem, SetUpLink};
use thiqa_domain::RoleId;
use thiqa_store::{Account, HeldRight};

use crate::auth::realm::Realm;
use crate::auth::visit::Signed;
use crate::links::BaseUrl;
use crate::pages::approvals::refusal;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::notice::{confirmed, Notice};
use crate::web::{ok, render};
use thiqa_app::time::format_utc;

pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub state_key: &'static str,
    pub mfa: bool,
}

/// A right as the rights table shows it.
pub struct RightRow {
    pub permission: String,
    pub label_key: String,
    pub object: String,
    pub role_name: String,
}

impl From<&HeldRight> for RightRow {
    fn from(r: &HeldRight) -> Self {
        RightRow {
            permission: r.permission.as_str().to_string(),
            label_key: format!("perm-{}", r.permission.as_str().replace('.', "-")),
            object: if r.scope == "*" {
                "*".into()
            } else {
                r.scope.clone()
            },
            role_name: r.role_name.clone(),
        }
    }
}

fn state_key(app: &AppState, a: &Account) -> &'static str {
    if !a.is_active() {
        return "state-deregistered";
    }
    match app.lockout.state(a.locked_at, app.store.clock().now_s()) {
        thiqa_domain::LockState::Locked { .. } => "state-locked",
        _ if a.password_hash.is_none() => "state-awaiting-password",
        _ => "state-active",
    }
}

#[derive(Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct ListPage<'a> {
    chrome: Chrome<'a>,
    title_key: &'static str,
    accounts: Vec<AccountRow>,
    can_create: bool,
    form: CreateForm,
    errors: Vec<String>,
}

fn title_key<R: Realm>() -> &'static str {
    match R::DIR {
        thiqa_domain::Directory::Operators => "nav-accounts",
        thiqa_domain::Directory::Customers => "nav-users",
    }
}

async fn list_page<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    form: CreateForm,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let accounts = app
        .store
        .accounts_of(me.tenant())
        .await?
        .iter()
        .filter(|a| a.is_active())
        .map(|a| AccountRow {
            id: a.id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            state_key: state_key(app, a),
            mfa: a.totp_enabled,
        })
        .collect();
    render(
        status,
        &ListPage {
            chrome: Chrome::new::<R>(app, &me.visit, "/accounts"),
            title_key: title_key::<R>(),
            accounts,
            can_create: me.can(R::MANAGE_ACCOUNTS),
            form,
            errors,
        },
    )
}

fn require_view<R: Realm>(me: &Signed<R>) -> Result<(), PageError> {
    if me.can(R::MANAGE_ACCOUNTS) || me.can(R::APPROVE_ACCESS) {
        Ok(())
    } else {
        Err(PageError::Forbidden)
    }
}

pub async fn list<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    require_view(&me)?;
    list_page(&app, &me, CreateForm::default(), vec![], StatusCode::OK).await
}

/// The message of one problem of a new account.
pub fn account_problem(tr: &crate::i18n::Tr, p: &AccountProblem) -> String {
    match p {
        AccountProblem::Username => tr.t("error-username"),
        AccountProblem::DisplayName => tr.t("error-display-name"),
        AccountProblem::Email => tr.t("error-email"),
    }
}

/// Checks a new account's fields; each problem is named in the user's language.
pub fn validate_new(tr: &crate::i18n::Tr, form: &CreateForm) -> Result<AccountInput, Vec<String>> {
    AccountInput::check(&form.username, &form.display_name, &form.email)
        .map_err(|problems| problems.iter().map(|p| account_problem(tr, p)).collect())
}

pub async fn create<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    base: BaseUrl,
    Form(form): Form<CreateForm>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_ACCOUNTS)?;
    let tr = me.tr(&app);
    let input = match validate_new(&tr, &form) {
        Ok(input) => input,
        Err(errors) => {
            return list_page(&app, &me, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    };
    let new = input.into_new(me.tenant(), me.visit.lang.code());
    let created = app.store.create_account(R::DIR, new, &me.actor()).await;
    let id = match created {
        Ok(id) => id,
        Err(thiqa_store::StoreError::Conflict(_)) => {
            // The same words whatever the reason (taken here, in another
            // organisation, reserved): nothing about other tenants leaks.
            let errors = vec![tr.t("error-username-unavailable")];
            return list_page(&app, &me, form, errors, StatusCode::CONFLICT).await;
        }
        Err(e) => return Err(e.into()),
    };
    let account = app.store.account(R::DIR, id).await?;
    issue_link(&app, &me, &account, &base).await
}

#[derive(Template)]
#[template(path = "link_issued.html")]
struct LinkPage<'a> {
    chrome: Chrome<'a>,
    id: i64,
    username: String,
    link: String,
    until: String,
}

/// Issues a one-time set-password link and shows it once, to be handed to
/// the person (e-mail delivery comes with the notifications issue).
async fn issue_link<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    account: &Account,
    base: &BaseUrl,
) -> Result<Response, PageError> {
    let ttl_s = app.config.reset_link_minutes * 60;
    let SetUpLink { token, until } = accounts::issue_link(app, account, ttl_s, &me.actor()).await?;
    ok(&LinkPage {
        chrome: Chrome::new::<R>(app, &me.visit, "/accounts"),
        id: account.id,
        username: account.username.clone(),
        link: format!("{}/reset/{}", base.0, token.expose()),
        until: format_utc(until),
    })
}

#[derive(Template)]
#[template(path = "account.html")]
struct DetailPage<'a> {
    chrome: Chrome<'a>,
    back_key: &'static str,
    id: i64,
    username: String,
    display_name: String,
    email: String,
    state_key: &'static str,
    mfa: bool,
    failed_attempts: i64,
    active: bool,
    locked: bool,
    is_self: bool,
    rights: Vec<RightRow>,
    held_roles: Vec<(i64, String)>,
    other_roles: Vec<(i64, String)>,
    can_approve: bool,
    can_manage: bool,
    error: Option<String>,
}

async fn detail_page<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    require_view(me)?;
    let account = app.store.account_in_tenant(me.tenant(), id).await?;
    let rights = app.store.rights_of(R::DIR, id).await?;
    let mut held: Vec<(i64, String)> = rights
        .iter()
        .map(|r| (r.role_id.0, r.role_name.clone()))
        .collect();
    held.sort();
    held.dedup();
    let other_roles = app
        .store
        .roles(me.tenant())
        .await?
        .into_iter()
        .filter(|r| !held.iter().any(|(id, _)| *id == r.id.0))
        .map(|r| (r.id.0, r.name))
        .collect();
    let page = DetailPage {
        chrome: Chrome::new::<R>(app, &me.visit, "/accounts"),
        back_key: title_key::<R>(),
        id,
        username: account.username.clone(),
        display_name: account.display_name.clone(),
        email: account.email.clone().unwrap_or_default(),
        state_key: state_key(app, &account),
        mfa: account.totp_enabled,
        failed_attempts: account.failed_attempts,
        active: account.is_active(),
        locked: account.locked_at.is_some(),
        is_self: account.id == me.account.id,
        rights: rights.iter().map(RightRow::from).collect(),
        held_roles: held,
        other_roles,
        // Nobody assigns or revokes their own roles.
        can_approve: me.can(R::APPROVE_ACCESS)
            && account.is_active()
            && account.id != me.account.id,
        can_manage: me.can(R::MANAGE_ACCOUNTS),
        error,
    };
    render(status, &page)
}

pub async fn detail<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    detail_page(&app, &me, id, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role_id: i64,
}

pub async fn assign<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> Result<Response, PageError> {
    me.require(R::APPROVE_ACCESS)?;
    match app
        .store
        .assign_role(me.tenant(), id, RoleId(form.role_id), &me.actor())
        .await
    {
        Ok(()) => Ok(confirmed(&format!("/accounts/{id}"), Notice::Saved)),
        Err(e) => {
            let (status, msg) = refusal(&me.tr(&app), e)?;
            detail_page(&app, &me, id, Some(msg), status).await
        }
    }
}

pub async fn revoke<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path((id, role)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    me.require(R::APPROVE_ACCESS)?;
    match app
        .store
        .revoke_role(me.tenant(), id, RoleId(role), &me.actor())
        .await
    {
        Ok(()) => Ok(confirmed(&format!("/accounts/{id}"), Notice::Removed)),
        Err(e) => {
            let (status, msg) = refusal(&me.tr(&app), e)?;
            detail_page(&app, &me, id, Some(msg), status).await
        }
    }
}

pub async fn unlock<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_ACCOUNTS)?;
    let account = app.store.account_in_tenant(me.tenant(), id).await?;
    app.store.unlock_account(&account, &me.actor()).await?;
    Ok(confirmed(&format!("/accounts/{id}"), Notice::Saved))
}

pub async fn reset_link<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    base: BaseUrl,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_ACCOUNTS)?;
    let account = app.store.account_in_tenant(me.tenant(), id).await?;
    if !account.is_active() {
        return Err(PageError::NotFound);
    }
    issue_link(&app, &me, &account, &base).await
}

pub async fn deregister<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_ACCOUNTS)?;
    if id == me.account.id {
        return Err(PageError::BadRequest(
            me.tr(&app).t("error-deregister-self"),
        ));
    }
    let account = app.store.account_in_tenant(me.tenant(), id).await?;
    app.store.deregister_account(&account, &me.actor()).await?;
    Ok(confirmed("/accounts", Notice::Removed))
}

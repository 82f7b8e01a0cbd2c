//! Account administration, the same for both realms: operators manage the
//! provider's staff, an organisation's administrators its users. Creating
//! accounts and granting rights are separate permissions (3.5.5).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use thiqa_app::accounts::{self, AccountInput, AccountProblem, AccountState, Created, Listed};
use thiqa_app::AppError;
use thiqa_domain::RoleId;
use thiqa_store::HeldRight;

use crate::auth::visit::Signed;
use crate::links::BaseUrl;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::{refused, PageError};
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

fn state_key(state: AccountState) -> &'static str {
    match state {
        AccountState::Active => "state-active",
        AccountState::AwaitingPassword => "state-awaiting-password",
        AccountState::Locked => "state-locked",
        AccountState::Deregistered => "state-deregistered",
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
    let accounts = accounts::list(app, &me.member())
        .await?
        .into_iter()
        .map(|Listed { account: a, state }| AccountRow {
            id: a.id,
            username: a.username,
            display_name: a.display_name,
            state_key: state_key(state),
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

pub async fn list<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
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
    let ttl_s = app.config.reset_link_minutes * 60;
    let lang = me.visit.lang.code();
    let delivery = crate::links::link_delivery(&app, &base.0);
    match accounts::create(&app, &me.member(), input, lang, ttl_s, &delivery).await {
        Ok(created) => link_page(&app, &me, created, &base),
        Err(AppError::Refused(r)) => {
            let errors = vec![tr.refusal(&r)];
            list_page(&app, &me, form, errors, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "link_issued.html")]
struct LinkPage<'a> {
    chrome: Chrome<'a>,
    id: i64,
    username: String,
    /// Shown once when it was not e-mailed.
    link: Option<String>,
    /// Where it was e-mailed instead.
    mailed: Option<String>,
    until: String,
}

/// Shows a one-time set-password link once, to be handed to the person,
/// or says where it was e-mailed (then it is shown nowhere).
fn link_page<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    Created { account, link }: Created,
    base: &BaseUrl,
) -> Result<Response, PageError> {
    ok(&LinkPage {
        chrome: Chrome::new::<R>(app, &me.visit, "/accounts"),
        id: account.id,
        username: account.username,
        mailed: link
            .mailed_to
            .as_ref()
            .map(|email| me.tr(app).t1("link-mailed", "email", email)),
        link: link
            .mailed_to
            .is_none()
            .then(|| format!("{}/reset/{}", base.0, link.token.expose())),
        until: format_utc(link.until),
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
    /// A refused revocation, above the roles held.
    error: Option<String>,
    /// A refused assignment, inside its form, with the role chosen.
    assign_error: Option<String>,
    chosen_role: i64,
}

/// A refused change of the account's roles: where its message goes.
enum RoleRefusal {
    /// Beside the assignment form, with the role chosen kept.
    Assign(i64, String),
    /// Above the roles held.
    Revoke(String),
}

async fn detail_page<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    id: i64,
    refusal: Option<RoleRefusal>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let d = accounts::detail(app, &me.member(), id).await?;
    let a = &d.account;
    // Nobody assigns or revokes their own roles.
    let can_approve = me.can(R::APPROVE_ACCESS) && a.is_active() && !d.is_self;
    let (error, assign_error, chosen_role) = match refusal {
        None => (None, None, 0),
        Some(RoleRefusal::Assign(role, m)) if can_approve => (None, Some(m), role),
        Some(RoleRefusal::Assign(_, m) | RoleRefusal::Revoke(m)) => (Some(m), None, 0),
    };
    let page = DetailPage {
        chrome: Chrome::new::<R>(app, &me.visit, "/accounts"),
        back_key: title_key::<R>(),
        id,
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        email: a.email.clone().unwrap_or_default(),
        state_key: state_key(d.state),
        mfa: a.totp_enabled,
        failed_attempts: a.failed_attempts,
        active: a.is_active(),
        locked: a.locked_at.is_some(),
        is_self: d.is_self,
        rights: d.rights.iter().map(RightRow::from).collect(),
        held_roles: d.held_roles.into_iter().map(|(r, n)| (r.0, n)).collect(),
        other_roles: d
            .other_roles
            .into_iter()
            .map(|r| (r.id.0, r.name))
            .collect(),
        can_approve,
        can_manage: me.can(R::MANAGE_ACCOUNTS),
        error,
        assign_error,
        chosen_role,
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
    let role = RoleId(form.role_id);
    match accounts::assign_role(&app, &me.member(), id, role).await {
        Ok(()) => Ok(confirmed(&format!("/accounts/{id}"), Notice::Saved)),
        Err(e) => {
            let (status, msg) = refused(&me.tr(&app), e)?;
            let refusal = RoleRefusal::Assign(role.0, msg);
            detail_page(&app, &me, id, Some(refusal), status).await
        }
    }
}

pub async fn revoke<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path((id, role)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    me.require(R::APPROVE_ACCESS)?;
    match accounts::revoke_role(&app, &me.member(), id, RoleId(role)).await {
        Ok(()) => Ok(confirmed(&format!("/accounts/{id}"), Notice::Removed)),
        Err(e) => {
            let (status, msg) = refused(&me.tr(&app), e)?;
            let refusal = RoleRefusal::Revoke(msg);
            detail_page(&app, &me, id, Some(refusal), status).await
        }
    }
}

pub async fn unlock<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    accounts::unlock(&app, &me.member(), id).await?;
    Ok(confirmed(&format!("/accounts/{id}"), Notice::Saved))
}

pub async fn reset_link<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    base: BaseUrl,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let ttl_s = app.config.reset_link_minutes * 60;
    let delivery = crate::links::link_delivery(&app, &base.0);
    let issued = accounts::reset_link(&app, &me.member(), id, ttl_s, &delivery).await?;
    link_page(&app, &me, issued, &base)
}

pub async fn deregister<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    match accounts::deregister(&app, &me.member(), id).await {
        Ok(()) => Ok(confirmed("/accounts", Notice::Removed)),
        // One's own account: a request that makes no sense, as before.
        Err(AppError::Rights { refusal, .. }) => {
            Err(PageError::BadRequest(me.tr(&app).refusal(&refusal)))
        }
        Err(e) => Err(e.into()),
    }
}

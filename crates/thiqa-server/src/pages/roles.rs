//! Roles: named sets of permissions. Editing a role is refused to its
//! holders and when one of them would then hold an incompatible pair;
//! widening it with an administrative right waits for approval.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_domain::{Permission, RoleId};
use thiqa_store::{AssignmentError, Change, StoreError};

use crate::auth::realm::Realm;
use crate::auth::visit::Signed;
use crate::pages::approvals::refusal;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{edited_version, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

pub struct RoleView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    /// (name, label key, held)
    pub permissions: Vec<(String, String, bool)>,
    /// The version its form edits.
    pub version: i64,
}

pub fn label_key(p: Permission) -> String {
    format!("perm-{}", p.as_str().replace('.', "-"))
}

fn realm_permissions<R: Realm>() -> impl Iterator<Item = Permission> {
    Permission::ALL
        .iter()
        .copied()
        .filter(|p| p.directory() == R::DIR)
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage<'a> {
    chrome: Chrome<'a>,
    roles: Vec<RoleView>,
    /// The creation form's boxes: (name, label key, ticked).
    all_permissions: Vec<(String, String, bool)>,
    can_manage: bool,
    error: Option<String>,
    /// Which form the error is about: a role's id, or 0 for the creation
    /// form; the message is shown there, beside what was typed.
    error_form: i64,
    new_name: String,
    new_description: String,
}

/// What the user typed in a refused form, shown again as typed.
struct Typed<'a> {
    /// The role edited, or None for the creation form.
    role: Option<i64>,
    name: &'a str,
    description: &'a str,
    permissions: &'a [Permission],
}

async fn roles_page<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    roles_page_typed(app, me, error, None, status).await
}

async fn roles_page_typed<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    error: Option<String>,
    typed: Option<Typed<'_>>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let typed_for = |role: Option<i64>| typed.as_ref().filter(|t| t.role == role);
    let roles = app
        .store
        .roles(me.tenant())
        .await?
        .into_iter()
        .map(|r| RoleView {
            id: r.id.0,
            permissions: realm_permissions::<R>()
                .map(|p| {
                    let ticked = match typed_for(Some(r.id.0)) {
                        Some(t) => t.permissions.contains(&p),
                        None => r.permissions.contains(&p),
                    };
                    (p.as_str().to_string(), label_key(p), ticked)
                })
                .collect(),
            name: r.name,
            description: r.description,
            builtin: r.builtin,
            version: r.version,
        })
        .collect();
    render(
        status,
        &RolesPage {
            chrome: Chrome::new::<R>(app, &me.visit, "/roles"),
            roles,
            all_permissions: realm_permissions::<R>()
                .map(|p| {
                    let ticked = typed_for(None).is_some_and(|t| t.permissions.contains(&p));
                    (p.as_str().to_string(), label_key(p), ticked)
                })
                .collect(),
            can_manage: me.can(R::MANAGE_ROLES),
            error,
            error_form: match &typed {
                Some(t) => t.role.unwrap_or(0),
                None => -1,
            },
            new_name: typed_for(None).map_or("", |t| t.name).to_string(),
            new_description: typed_for(None).map_or("", |t| t.description).to_string(),
        },
    )
}

pub async fn list<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    if !(me.can(R::MANAGE_ROLES) || me.can(R::APPROVE_ACCESS) || me.can(R::MANAGE_ACCOUNTS)) {
        return Err(PageError::Forbidden);
    }
    roles_page(&app, &me, None, StatusCode::OK).await
}

/// Checkbox forms repeat the `permission` field: read them as pairs.
fn permissions_from(
    tr: &crate::i18n::Tr<'_>,
    pairs: &[(String, String)],
) -> Result<Vec<Permission>, PageError> {
    pairs
        .iter()
        .filter(|(k, _)| k == "permission")
        .map(|(_, v)| {
            Permission::parse(v).ok_or_else(|| {
                PageError::BadRequest(tr.t1("error-unknown-permission", "permission", v))
            })
        })
        .collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub async fn create<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_ROLES)?;
    let name = field(&pairs, "name").trim();
    let perms = permissions_from(&me.tr(&app), &pairs)?;
    let description: String = field(&pairs, "description")
        .trim()
        .chars()
        .take(300)
        .collect();
    let typed = Typed {
        role: None,
        name,
        description: &description,
        permissions: &perms,
    };
    if name.is_empty() || name.chars().count() > 80 {
        let msg = me.tr(&app).t("error-role-name");
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return roles_page_typed(&app, &me, Some(msg), Some(typed), status).await;
    }
    match app
        .store
        .create_role(me.tenant(), name, &description, &perms, false, &me.actor())
        .await
    {
        Ok(_) => Ok(confirmed("/roles", Notice::Added)),
        Err(thiqa_store::AssignmentError::Store(thiqa_store::StoreError::Conflict(r))) => {
            let m = me.tr(&app).refusal(&r);
            roles_page_typed(&app, &me, Some(m), Some(typed), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn update<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_ROLES)?;
    let tr = me.tr(&app);
    let version = edited_version(&tr, field(&pairs, "version"))?;
    let perms = permissions_from(&me.tr(&app), &pairs)?;
    match app
        .store
        .set_role_permissions_from(me.tenant(), RoleId(id), &perms, Some(version), &me.actor())
        .await
    {
        Ok(Change::Applied) => Ok(confirmed("/roles", Notice::Saved)),
        // Widened with an administrative right: a second person decides.
        // The requester may not open /approvals: back to the roles, told.
        Ok(Change::Pending(_)) => Ok(confirmed("/roles", Notice::AwaitingApproval)),
        // The page shows the role as it now is; the message names what was
        // asked, which was not saved.
        Err(AssignmentError::Store(StoreError::Stale(r))) => {
            let m = me.tr(&app).refusal(&r);
            let asked: Vec<&str> = perms.iter().map(|p| p.as_str()).collect();
            let msg = format!("{m}. {} ({})", tr.t("error-edit-stale"), asked.join(", "));
            roles_page(&app, &me, Some(msg), StatusCode::CONFLICT).await
        }
        // Refused (separation of duties, the actor's own role…): the form
        // shows the boxes as ticked, with the reason beside them.
        Err(e) => {
            let (status, msg) = refusal(&me.tr(&app), e)?;
            let typed = Typed {
                role: Some(id),
                name: "",
                description: "",
                permissions: &perms,
            };
            roles_page_typed(&app, &me, Some(msg), Some(typed), status).await
        }
    }
}

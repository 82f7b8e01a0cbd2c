//! Roles: named sets of permissions. Editing a role is refused to its
//! holders and when one of them would then hold an incompatible pair;
//! widening it with an administrative right waits for approval.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use thiqa_domain::{Permission, RoleId};
use thiqa_store::{AssignmentError, Change, StoreError};

use crate::auth::realm::Realm;
use crate::auth::visit::Signed;
use crate::pages::approvals::refusal;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{edited_version, Form};
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
    all_permissions: Vec<(String, String)>,
    can_manage: bool,
    error: Option<String>,
}

async fn roles_page<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let roles = app
        .store
        .roles(me.tenant())
        .await?
        .into_iter()
        .map(|r| RoleView {
            id: r.id.0,
            permissions: realm_permissions::<R>()
                .map(|p| {
                    (
                        p.as_str().to_string(),
                        label_key(p),
                        r.permissions.contains(&p),
                    )
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
                .map(|p| (p.as_str().to_string(), label_key(p)))
                .collect(),
            can_manage: me.can(R::MANAGE_ROLES),
            error,
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
    if name.is_empty() || name.chars().count() > 80 {
        let msg = me.tr(&app).t("error-role-name");
        return roles_page(&app, &me, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let perms = permissions_from(&me.tr(&app), &pairs)?;
    let description: String = field(&pairs, "description")
        .trim()
        .chars()
        .take(300)
        .collect();
    match app
        .store
        .create_role(me.tenant(), name, &description, &perms, false, &me.actor())
        .await
    {
        Ok(_) => Ok(Redirect::to("/roles").into_response()),
        Err(thiqa_store::AssignmentError::Store(thiqa_store::StoreError::Conflict(m))) => {
            roles_page(&app, &me, Some(m), StatusCode::CONFLICT).await
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
        Ok(Change::Applied) => Ok(Redirect::to("/roles").into_response()),
        // Widened with an administrative right: a second person decides.
        Ok(Change::Pending(_)) => Ok(Redirect::to("/approvals").into_response()),
        // The page shows the role as it now is; the message names what was
        // asked, which was not saved.
        Err(AssignmentError::Store(StoreError::Stale(m))) => {
            let asked: Vec<&str> = perms.iter().map(|p| p.as_str()).collect();
            let msg = format!("{m}. {} ({})", tr.t("error-edit-stale"), asked.join(", "));
            roles_page(&app, &me, Some(msg), StatusCode::CONFLICT).await
        }
        Err(e) => {
            let (status, msg) = refusal(&me.tr(&app), e)?;
            roles_page(&app, &me, Some(msg), status).await
        }
    }
}

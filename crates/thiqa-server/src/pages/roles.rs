//! Roles: named sets of permissions. Editing a role is refused to its
//! holders and when one of them would then hold an incompatible pair;
//! widening it with an administrative right waits for approval.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::roles::{self, RoleInput, RoleProblem};
use thiqa_app::AppError;
use thiqa_domain::{Permission, RoleId};
use thiqa_store::Change;

use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::{refused, PageError};
use crate::web::forms::{edited_version, field, values, Form};
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
    role: Option<RoleId>,
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
    let typed_for = |role: Option<RoleId>| typed.as_ref().filter(|t| t.role == role);
    let roles = roles::list(app, &me.member())
        .await?
        .into_iter()
        .map(|r| RoleView {
            id: r.id.0,
            permissions: realm_permissions::<R>()
                .map(|p| {
                    let ticked = match typed_for(Some(r.id)) {
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
                Some(t) => t.role.map_or(0, |r| r.0),
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
    roles_page(&app, &me, None, StatusCode::OK).await
}

/// The ticked permissions; a name that is no box of the form is a forged
/// request, not a mistake to correct in the form.
fn ticked_permissions(
    tr: &Tr<'_>,
    pairs: &[(String, String)],
) -> Result<Vec<Permission>, PageError> {
    roles::parse_permissions(values(pairs, "permission"))
        .map_err(|v| PageError::BadRequest(tr.t1("error-unknown-permission", "permission", &v)))
}

pub async fn create<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_ROLES)?;
    let tr = me.tr(&app);
    let (name, description) = (field(&pairs, "name"), field(&pairs, "description"));
    let typed = |permissions| Typed {
        role: None,
        name: &name,
        description: &description,
        permissions,
    };
    let perms = ticked_permissions(&tr, &pairs)?;
    let role = match RoleInput::check(&name, &description, perms.clone()) {
        Ok(role) => role,
        Err(problems) => {
            let msg = problems
                .iter()
                .map(|p| match p {
                    RoleProblem::Name => tr.t("error-role-name"),
                })
                .collect::<Vec<_>>()
                .join(" ");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return roles_page_typed(&app, &me, Some(msg), Some(typed(&perms)), status).await;
        }
    };
    match roles::create(&app, &me.member(), &role).await {
        Ok(_) => Ok(confirmed("/roles", Notice::Added)),
        // Refused (a name taken, a right of the other directory): the form
        // as typed, with the reason inside it.
        Err(e) => {
            let (status, msg) = refused(&tr, e)?;
            let typed = typed(role.permissions());
            roles_page_typed(&app, &me, Some(msg), Some(typed), status).await
        }
    }
}

pub async fn update<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<RoleId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(R::MANAGE_ROLES)?;
    let tr = me.tr(&app);
    let version = edited_version(&tr, &field(&pairs, "version"))?;
    let perms = ticked_permissions(&tr, &pairs)?;
    match roles::set_permissions(&app, &me.member(), id, &perms, version).await {
        Ok(Change::Applied) => Ok(confirmed("/roles", Notice::Saved)),
        // Widened with an administrative right: a second person decides.
        // The requester may not open /approvals: back to the roles, told.
        Ok(Change::Pending(_)) => Ok(confirmed("/roles", Notice::AwaitingApproval)),
        // The page shows the role as it now is; the message names what was
        // asked, which was not saved.
        Err(AppError::Stale(r)) => {
            let m = tr.refusal(&r);
            let asked: Vec<&str> = perms.iter().map(|p| p.as_str()).collect();
            let msg = format!("{m}. {} ({})", tr.t("error-edit-stale"), asked.join(", "));
            roles_page(&app, &me, Some(msg), StatusCode::CONFLICT).await
        }
        // Refused (separation of duties, the actor's own role…): the form
        // shows the boxes as ticked, with the reason beside them.
        Err(e) => {
            let (status, msg) = refused(&tr, e)?;
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

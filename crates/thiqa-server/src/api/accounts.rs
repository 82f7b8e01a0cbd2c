//! Accounts, rights, roles and incompatible pairs over the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use thiqa_app::accounts::{self, AccountInput, AccountProblem, AccountState, Listed};
use thiqa_app::roles;
use thiqa_app::separation::{self, PairInput, PairProblem, REASON_MAX};
use thiqa_domain::{IncompatiblePair, PairId, Permission, RoleId};
use thiqa_store::Role;
use utoipa::ToSchema;

use crate::api::caller::{ApiCaller, ApiJson};
use crate::api::{created, Rights};
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::error::ApiError;

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("not an id: {raw}")))
}

/// An active account of the caller's tenant.
#[derive(Serialize, ToSchema)]
pub struct AccountSummary {
    id: i64,
    username: String,
    display_name: String,
    email: Option<String>,
    mfa_enabled: bool,
    locked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Accounts {
    accounts: Vec<AccountSummary>,
}

/// An id path parameter: a number (anything else answers 400).
const ID: &str = "the account's id";

#[utoipa::path(get, path = "/accounts", responses((status = 200, body = Accounts)),
    summary = "Accounts of the caller's tenant")]
pub async fn list<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
) -> Result<Json<Accounts>, ApiError> {
    let accounts = accounts::list(&app, &caller.member())
        .await?
        .into_iter()
        .map(|Listed { account: a, state }| AccountSummary {
            id: a.id,
            locked: state == AccountState::Locked,
            username: a.username,
            display_name: a.display_name,
            email: a.email,
            mfa_enabled: a.totp_enabled,
        })
        .collect();
    Ok(Json(Accounts { accounts }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountBody {
    #[schema(pattern = "^[a-z][a-z0-9._-]{0,63}$")]
    username: String,
    #[schema(min_length = 1, max_length = 128)]
    display_name: String,
    #[serde(default)]
    #[schema(format = Email)]
    email: Option<String>,
}

/// The new account, and the one-time link that sets its password.
#[derive(Serialize, ToSchema)]
pub struct CreatedAccount {
    id: i64,
    username: String,
    setup_link: String,
    /// Unix time, seconds.
    setup_link_expires_at: i64,
}

/// Creates an account with no password and no role; the answer carries the
/// one-time set-up link to hand to the person.
#[utoipa::path(post, path = "/accounts", request_body = inline(NewAccountBody),
    responses((status = 201, body = CreatedAccount)),
    summary = "Create an account (no password, no role); returns a one-time set-up link")]
pub async fn create<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    base: crate::links::BaseUrl,
    ApiJson(body): ApiJson<NewAccountBody>,
) -> Result<(StatusCode, Json<CreatedAccount>), ApiError> {
    let member = caller.member();
    let input = AccountInput::check(
        &body.username,
        &body.display_name,
        body.email.as_deref().unwrap_or(""),
    )
    .map_err(|problems| {
        let named: Vec<&str> = problems
            .iter()
            .map(|p| match p {
                AccountProblem::Username => "username: not a valid username",
                AccountProblem::DisplayName => "display_name: 1 to 128 characters",
                AccountProblem::Email => "email: not an e-mail address",
            })
            .collect();
        ApiError::bad_request(named.join("; "))
    })?;
    let ttl_s = app.config.reset_link_minutes * 60;
    // The API's caller provisions accounts and hands their links itself.
    let shown = accounts::LinkDelivery::Shown;
    let made = accounts::create(&app, &member, input, "fr", ttl_s, &shown).await?;
    Ok(created(CreatedAccount {
        id: made.account.id,
        username: made.account.username,
        setup_link: format!("{}/reset/{}", base.0, made.link.token.expose()),
        setup_link_expires_at: made.link.until,
    }))
}

#[utoipa::path(get, path = "/accounts/{id}/rights", params(("id" = i64, Path, description = ID)),
    responses((status = 200, body = Rights)),
    summary = "Every right an account holds, with its object and role (3.5.3)")]
pub async fn rights<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    Path(id): Path<String>,
) -> Result<Json<Rights>, ApiError> {
    let detail = accounts::detail(&app, &caller.member(), parse_id(&id)?).await?;
    Ok(Json(Rights {
        account: detail.account.username,
        rights: detail.rights,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    role_id: i64,
}

/// Refused 409 `separation_of_duties` when the account would then hold an
/// incompatible pair of permissions.
#[utoipa::path(post, path = "/accounts/{id}/roles", params(("id" = i64, Path, description = ID)),
    request_body = inline(AssignBody), responses((status = 204, description = "the role is given")),
    summary = "Give a role")]
pub async fn assign<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<StatusCode, ApiError> {
    let (id, role) = (parse_id(&id)?, RoleId(body.role_id));
    accounts::assign_role(&app, &caller.member(), id, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/accounts/{id}/roles/{role}",
    params(("id" = i64, Path, description = ID), ("role" = i64, Path, description = "the role's id")),
    responses((status = 204, description = "the role is taken away")), summary = "Take a role away")]
pub async fn revoke<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    Path((id, role)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (id, role) = (parse_id(&id)?, RoleId(parse_id(&role)?));
    accounts::revoke_role(&app, &caller.member(), id, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Roles {
    roles: Vec<Role>,
}

#[utoipa::path(get, path = "/roles", responses((status = 200, body = Roles)),
    summary = "Roles of the caller's tenant with their permissions")]
pub async fn roles<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
) -> Result<Json<Roles>, ApiError> {
    Ok(Json(Roles {
        roles: roles::list(&app, &caller.member()).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Pairs {
    pairs: Vec<IncompatiblePair>,
}

#[utoipa::path(get, path = "/separation/pairs", responses((status = 200, body = Pairs)),
    summary = "Incompatible permission pairs")]
pub async fn pairs<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
) -> Result<Json<Pairs>, ApiError> {
    Ok(Json(Pairs {
        pairs: separation::pairs(&app, &caller.member()).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairBody {
    /// Read as text so that an unknown permission is named in a 400.
    #[schema(value_type = Permission, inline)]
    first: String,
    #[schema(value_type = Permission, inline)]
    second: String,
    #[schema(min_length = 1, max_length = 300)]
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedPair {
    id: PairId,
}

#[utoipa::path(post, path = "/separation/pairs", request_body = inline(PairBody),
    responses((status = 201, body = CreatedPair)), summary = "Declare an incompatible pair")]
pub async fn add_pair<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    ApiJson(body): ApiJson<PairBody>,
) -> Result<(StatusCode, Json<CreatedPair>), ApiError> {
    let pair = PairInput::check(&body.first, &body.second, &body.reason).map_err(|problems| {
        let named: Vec<String> = problems
            .iter()
            .map(|p| match p {
                PairProblem::UnknownPermission(name) => format!("unknown permission: {name}"),
                PairProblem::Reason => format!("reason: 1 to {REASON_MAX} characters"),
            })
            .collect();
        ApiError::bad_request(named.join("; "))
    })?;
    let id = separation::add(&app, &caller.member(), &pair).await?;
    Ok(created(CreatedPair { id }))
}

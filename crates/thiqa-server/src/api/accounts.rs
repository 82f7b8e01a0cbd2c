//! Accounts, rights, roles and incompatible pairs over the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use thiqa_crypto::token::Token;
use thiqa_domain::{IncompatiblePair, PairId, Permission, RoleId, Username};
use thiqa_store::{NewAccount, Role};
use utoipa::ToSchema;

use crate::api::caller::{ApiCaller, ApiJson};
use crate::api::{created, Rights};
use crate::auth::realm::Realm;
use crate::state::AppState;
use crate::web::error::ApiError;

fn require_view<R: Realm>(c: &ApiCaller<R>) -> Result<(), ApiError> {
    c.require(R::MANAGE_ACCOUNTS)
        .or_else(|_| c.require(R::APPROVE_ACCESS))
}

/// Path ids are parsed by hand so a non-number answers 400 with our format.
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
    require_view(&caller)?;
    let accounts = app
        .store
        .accounts_of(caller.tenant())
        .await?
        .into_iter()
        .filter(|a| a.is_active())
        .map(|a| AccountSummary {
            id: a.id,
            locked: a.locked_at.is_some(),
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
    caller.require(R::MANAGE_ACCOUNTS)?;
    let username = Username::parse(&body.username)
        .map_err(|e| ApiError::bad_request(format!("username: {e}")))?;
    let display = body.display_name.trim();
    if display.is_empty() || display.chars().count() > 128 {
        return Err(ApiError::bad_request("display_name: 1 to 128 characters"));
    }
    let email = body
        .email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if email
        .as_deref()
        .is_some_and(|e| e.len() > 254 || !e.contains('@'))
    {
        return Err(ApiError::bad_request("email: not an e-mail address"));
    }
    let id = app
        .store
        .create_account(
            R::DIR,
            NewAccount {
                tenant: caller.tenant(),
                username: username.as_str().into(),
                display_name: display.into(),
                email,
                password_hash: None,
                totp_secret: None,
                language: "fr".into(),
            },
            &caller.actor(),
        )
        .await?;
    let account = app.store.account(R::DIR, id).await?;
    let token = Token::generate()
        .map_err(|e| ApiError::from(thiqa_store::StoreError::Corrupt(e.to_string())))?;
    let expires = app
        .store
        .create_password_reset(
            &account,
            token.hash().as_str(),
            app.config.reset_link_minutes * 60,
            &caller.actor(),
        )
        .await?;
    Ok(created(CreatedAccount {
        id,
        username: account.username,
        setup_link: format!("{}/reset/{}", base.0, token.expose()),
        setup_link_expires_at: expires,
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
    require_view(&caller)?;
    let account = app
        .store
        .account_in_tenant(caller.tenant(), parse_id(&id)?)
        .await?;
    let rights = app.store.rights_of(R::DIR, account.id).await?;
    Ok(Json(Rights {
        account: account.username,
        rights,
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
    caller.require(R::APPROVE_ACCESS)?;
    app.store
        .assign_role(
            caller.tenant(),
            parse_id(&id)?,
            RoleId(body.role_id),
            &caller.actor(),
        )
        .await?;
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
    caller.require(R::APPROVE_ACCESS)?;
    app.store
        .revoke_role(
            caller.tenant(),
            parse_id(&id)?,
            RoleId(parse_id(&role)?),
            &caller.actor(),
        )
        .await?;
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
    require_view(&caller).or_else(|_| caller.require(R::MANAGE_ROLES))?;
    Ok(Json(Roles {
        roles: app.store.roles(caller.tenant()).await?,
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
    caller
        .require(R::MANAGE_SEPARATION)
        .or_else(|_| caller.require(R::APPROVE_ACCESS))
        .or_else(|_| caller.require(R::MANAGE_ROLES))?;
    Ok(Json(Pairs {
        pairs: app.store.incompatible_pairs(caller.tenant()).await?,
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
    caller.require(R::MANAGE_SEPARATION)?;
    let parse = |s: &str| {
        Permission::parse(s)
            .ok_or_else(|| ApiError::bad_request(format!("unknown permission: {s}")))
    };
    let (first, second) = (parse(&body.first)?, parse(&body.second)?);
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 300 {
        return Err(ApiError::bad_request("reason: 1 to 300 characters"));
    }
    let id = app
        .store
        .add_incompatible_pair(caller.tenant(), first, second, reason, &caller.actor())
        .await?;
    Ok(created(CreatedPair { id }))
}

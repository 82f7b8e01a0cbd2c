//! Accounts, rights, roles and incompatible pairs over the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use thiqa_crypto::token::Token;
use thiqa_domain::{Permission, RoleId, Username};
use thiqa_store::NewAccount;

use crate::api::caller::{ApiCaller, ApiJson};
use crate::api::created;
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

pub async fn list<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
) -> Result<Json<Value>, ApiError> {
    require_view(&caller)?;
    let accounts: Vec<Value> = app
        .store
        .accounts_of(caller.tenant())
        .await?
        .into_iter()
        .filter(|a| a.is_active())
        .map(|a| {
            json!({"id": a.id, "username": a.username, "display_name": a.display_name,
                   "email": a.email, "mfa_enabled": a.totp_enabled, "locked": a.locked_at.is_some()})
        })
        .collect();
    Ok(Json(json!({ "accounts": accounts })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccountBody {
    username: String,
    display_name: String,
    #[serde(default)]
    email: Option<String>,
}

/// Creates an account with no password and no role; the answer carries the
/// one-time set-up link to hand to the person.
pub async fn create<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    base: crate::links::BaseUrl,
    ApiJson(body): ApiJson<NewAccountBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    Ok(created(json!({
        "id": id, "username": account.username,
        "setup_link": format!("{}/reset/{}", base.0, token.expose()),
        "setup_link_expires_at": expires,
    })))
}

pub async fn rights<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_view(&caller)?;
    let account = app
        .store
        .account_in_tenant(caller.tenant(), parse_id(&id)?)
        .await?;
    let rights = app.store.rights_of(R::DIR, account.id).await?;
    Ok(Json(
        json!({ "account": account.username, "rights": rights }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    role_id: i64,
}

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

pub async fn roles<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
) -> Result<Json<Value>, ApiError> {
    require_view(&caller).or_else(|_| caller.require(R::MANAGE_ROLES))?;
    Ok(Json(
        json!({ "roles": app.store.roles(caller.tenant()).await? }),
    ))
}

pub async fn pairs<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
) -> Result<Json<Value>, ApiError> {
    caller
        .require(R::MANAGE_SEPARATION)
        .or_else(|_| caller.require(R::APPROVE_ACCESS))
        .or_else(|_| caller.require(R::MANAGE_ROLES))?;
    Ok(Json(
        json!({ "pairs": app.store.incompatible_pairs(caller.tenant()).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairBody {
    first: String,
    second: String,
    reason: String,
}

pub async fn add_pair<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    ApiJson(body): ApiJson<PairBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    Ok(created(json!({ "id": id })))
}

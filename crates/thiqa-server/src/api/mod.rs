//! The REST API under `/api/v1`, one per realm: on the public listener it
//! serves customer users' tokens, on the admin listener operators' tokens.
//! Described by `/api/v1/openapi.json`.

mod accounts;
pub mod caller;
pub mod catalog;
mod contracts;
pub mod intake;
pub mod journal;
pub mod openapi;
mod services;
mod support;

use axum::extract::State;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use thiqa_domain::Permission;
use thiqa_store::{EventFilter, HeldRight, SecurityEvent};
use tower_http::limit::RequestBodyLimitLayer;
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{ApiCaller, ApiQuery};
use crate::metrics::Listener;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::error::ApiError;
use crate::web::routes::Routes;
use crate::web::security;

/// The API of realm `R` under `/api/v1`, and the paths it serves.
pub fn routes<R: Realm>(app: &AppState) -> Routes {
    let tls = app.tls_for(R::DIR);
    let listener = match R::DIR {
        thiqa_domain::Directory::Operators => Listener::Admin,
        thiqa_domain::Directory::Customers => Listener::Public,
    };
    Routes::new()
        .route("/openapi.json", get(openapi::document::<R>))
        .route("/me", get(me::<R>))
        .route("/me/rights", get(my_rights::<R>))
        .route(
            "/accounts",
            get(accounts::list::<R>).post(accounts::create::<R>),
        )
        .route("/accounts/{id}/rights", get(accounts::rights::<R>))
        .route("/accounts/{id}/roles", post(accounts::assign::<R>))
        .route("/accounts/{id}/roles/{role}", delete(accounts::revoke::<R>))
        .route("/roles", get(accounts::roles::<R>))
        .route(
            "/separation/pairs",
            get(accounts::pairs::<R>).post(accounts::add_pair::<R>),
        )
        .route("/events", get(events::<R>))
        .route("/contracts", get(contracts::list::<R>))
        .merge(journal::routes::<R>())
        .route("/dossier/key", get(dossier_key))
        .merge(services_routes::<R>())
        .merge(support::routes::<R>())
        // The référentiel is public text: readable without a token.
        .nest("/catalog", catalog::routes())
        .map(|r| {
            r.fallback(not_found)
                .layer(RequestBodyLimitLayer::new(security::FORM_LIMIT))
        })
        // After the form limit: batches stream up to intake_max_bytes.
        .merge(intake::routes::<R>())
        .map(|r| {
            r.layer(map_response(in_error_shape))
                .layer(from_fn(move |req, next| security::headers(tls, req, next)))
                .layer(from_fn_with_state(app.clone(), move |state, req, next| {
                    security::count(state, listener, req, next)
                }))
                .layer(Extension(listener))
        })
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// The body limit (413) and the router (405, with its Allow header) answer
/// before any handler, in plain text or nothing; the API answers every error
/// in its documented JSON shape.
async fn in_error_shape(r: Response) -> Response {
    let json = r
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let (code, message) = match r.status() {
        _ if json => return r,
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            format!("the body exceeds {} bytes", security::FORM_LIMIT),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this path does not take this method (see Allow)".to_string(),
        ),
        _ => return r,
    };
    let (mut parts, _) = r.into_parts();
    let mut answer = ApiError::new(parts.status, code, message).into_response();
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.extend(answer.headers_mut().drain());
    *answer.headers_mut() = parts.headers;
    answer
}

/// The token owner's account and effective permissions.
#[derive(Serialize, ToSchema)]
pub struct Me {
    id: i64,
    username: String,
    display_name: String,
    /// `operators` or `customers`.
    directory: &'static str,
    tenant: TenantRef,
    mfa_enabled: bool,
    /// The owner's permissions narrowed to the token's scopes.
    permissions: Vec<Permission>,
}

#[derive(Serialize, ToSchema)]
pub struct TenantRef {
    /// `provider` or `organisation`.
    kind: &'static str,
    id: i64,
}

#[utoipa::path(get, path = "/me", responses((status = 200, body = Me)),
    summary = "The token owner's account and effective permissions")]
async fn me<R: Realm>(caller: ApiCaller<R>) -> Json<Me> {
    let a = &caller.account;
    let (kind, id) = a.tenant.parts();
    Json(Me {
        id: a.id,
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        directory: a.directory.as_str(),
        tenant: TenantRef { kind, id },
        mfa_enabled: a.totp_enabled,
        permissions: caller.permissions.iter().collect(),
    })
}

/// Every right an account holds, with its object and role (3.5.3).
#[derive(Serialize, ToSchema)]
pub struct Rights {
    /// The account's username.
    account: String,
    rights: Vec<HeldRight>,
}

#[utoipa::path(get, path = "/me/rights", responses((status = 200, body = Rights)),
    summary = "Every right the token owner holds, with its object and role")]
async fn my_rights<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
) -> Result<Json<Rights>, ApiError> {
    let rights = thiqa_app::me::rights(&app, &caller.member()).await?;
    Ok(Json(Rights {
        account: caller.account.username,
        rights,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// How many events, newest first (default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<i64>,
    /// Only actions starting with this, e.g. `auth.`.
    #[serde(default)]
    action: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Events {
    events: Vec<SecurityEvent>,
}

#[utoipa::path(get, path = "/events", params(EventsQuery), responses((status = 200, body = Events)),
    summary = "Security events of the caller's tenant, newest first")]
async fn events<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<Events>, ApiError> {
    caller.require(R::READ_EVENTS)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 10000"));
    }
    let events = app
        .store
        .events(&EventFilter {
            tenant: Some(caller.tenant()),
            action_prefix: q.action,
            limit,
        })
        .await?;
    Ok(Json(Events { events }))
}

/// The key that signs qualification dossiers.
#[derive(Serialize, ToSchema)]
pub struct DossierKey {
    /// The Ed25519 public key, hex.
    public_key: String,
    fingerprint: String,
    /// `Ed25519`.
    algorithm: &'static str,
}

/// Public: for `thiqa dossier verify --key`; also as text at `/dossier/key`
/// on the portal. 404 `no_dossier_key` until a dossier is signed.
#[utoipa::path(get, path = "/dossier/key", security(()), responses((status = 200, body = DossierKey)),
    summary = "Public: the Ed25519 key that signs qualification dossiers")]
async fn dossier_key(State(app): State<AppState>) -> Result<Json<DossierKey>, ApiError> {
    match app.dossier_public_key().await {
        Ok(Some(public)) => Ok(Json(DossierKey {
            public_key: thiqa_domain::text::hex(&public),
            fingerprint: thiqa_export::dossier::key_fingerprint(&public),
            algorithm: "Ed25519",
        })),
        Ok(None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_dossier_key",
            "no dossier has been signed yet",
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// 201 with a body, for creations.
pub(crate) fn created<T: Serialize>(body: T) -> (StatusCode, Json<T>) {
    (StatusCode::CREATED, Json(body))
}

/// Services exist on the operator API only.
fn services_routes<R: Realm>() -> Routes {
    match R::DIR {
        thiqa_domain::Directory::Operators => Routes::new().nest("/services", services::routes()),
        thiqa_domain::Directory::Customers => Routes::new(),
    }
}

//! Services over the API (operators only): list, declare, read, change the
//! profile; a change answers with what became applicable or not.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;

use crate::web::routes::Routes;
use serde::Deserialize;
use serde_json::{json, Value};
use thiqa_catalog::{Level, Profile, ServiceModel};
use thiqa_domain::{Permission, ProviderId, ServiceId, Tenant};
use thiqa_store::{NewService, StoreError};

use crate::api::caller::{ApiCaller, ApiJson};
use crate::api::created;
use crate::auth::realm::Console;
use crate::state::AppState;
use crate::web::error::ApiError;
use thiqa_app::services::{applicable_ids, profile_of};

pub fn routes() -> Routes {
    Routes::new()
        .route("/", get(list).post(create))
        .route("/{id}", get(read).put(update))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    name: String,
    #[serde(default)]
    description: String,
    model: String,
    level: u8,
    #[serde(default)]
    facts: BTreeMap<String, bool>,
    /// PUT only: the version of the service the change was made from (as
    /// GET returned it); a change from an older one is refused 409.
    version: Option<i64>,
}

fn provider(c: &ApiCaller<Console>) -> Result<ProviderId, ApiError> {
    match c.tenant() {
        Tenant::Provider(p) => Ok(p),
        Tenant::Organisation(_) => Err(ApiError::forbidden("services.read")),
    }
}

/// Checks a body against the catalog; each problem is named.
fn parse(app: &AppState, body: &ServiceBody) -> Result<Profile, ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(ApiError::bad_request("name: 1 to 120 characters"));
    }
    if body.description.chars().count() > 1000 {
        return Err(ApiError::bad_request(
            "description: at most 1000 characters",
        ));
    }
    let model = ServiceModel::from_name(&body.model)
        .ok_or_else(|| ApiError::bad_request("model: one of iaas, paas, saas"))?;
    let level = Level::try_from(body.level).map_err(|_| ApiError::bad_request("level: 1 or 2"))?;
    let profile = Profile {
        model,
        level,
        facts: body.facts.clone(),
    };
    profile
        .validate(app.catalog)
        .map_err(|e| ApiError::bad_request(format!("facts: {e}")))?;
    Ok(profile)
}

async fn view(app: &AppState, provider: ProviderId, id: ServiceId) -> Result<Value, ApiError> {
    let s = app.store.service(provider, id).await?;
    let p = profile_of(app.catalog, &s)?;
    let sites = app.store.sites(provider, id).await?;
    Ok(json!({
        "id": s.id, "name": s.name, "description": s.description,
        "model": p.model.as_str(), "level": p.level.number(), "facts": p.facts,
        "applicable_obligations": applicable_ids(app.catalog, &p),
        "sites": sites, "updated_at": s.updated_at, "version": s.version,
    }))
}

async fn list(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::ServicesRead)?;
    let provider = provider(&caller)?;
    let mut out = Vec::new();
    for s in app.store.services(provider).await? {
        out.push(view(&app, provider, s.id).await?);
    }
    Ok(Json(json!({ "services": out })))
}

async fn read(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::ServicesRead)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("not an id: {id}")))?;
    Ok(Json(view(&app, provider(&caller)?, ServiceId(id)).await?))
}

async fn create(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Permission::ServicesManage)?;
    let provider = provider(&caller)?;
    if body.version.is_some() {
        return Err(ApiError::bad_request(
            "version is for changes (PUT), not for a new service",
        ));
    }
    let profile = parse(&app, &body)?;
    let facts = serde_json::to_string(&profile.facts).unwrap_or_else(|_| "{}".into());
    let id = app
        .store
        .create_service(
            &NewService {
                provider,
                name: body.name.trim(),
                description: body.description.trim(),
                model: profile.model.as_str(),
                level: i64::from(profile.level.number()),
                facts_json: &facts,
            },
            &caller.actor(),
        )
        .await?;
    Ok(created(view(&app, provider, id).await?))
}

async fn update(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ServicesManage)?;
    let provider = provider(&caller)?;
    let id = ServiceId(
        id.parse()
            .map_err(|_| ApiError::bad_request(format!("not an id: {id}")))?,
    );
    let version = body.version.filter(|v| *v >= 0).ok_or_else(|| {
        ApiError::bad_request(
            "version is required: the version of the service you changed, as GET returned it",
        )
    })?;
    let profile = parse(&app, &body)?;
    let facts = serde_json::to_string(&profile.facts).unwrap_or_else(|_| "{}".into());
    let saved = app
        .store
        .update_service(
            id,
            &NewService {
                provider,
                name: body.name.trim(),
                description: body.description.trim(),
                model: profile.model.as_str(),
                level: i64::from(profile.level.number()),
                facts_json: &facts,
            },
            version,
            &caller.actor(),
        )
        .await;
    let before = match saved {
        Ok(before) => before,
        // Nothing saved; the answer carries the service as it now is.
        Err(StoreError::Stale(message)) => {
            let current = view(&app, provider, id).await?;
            let error = json!({"error": {"code": "conflict", "message": message.english()}, "current": current});
            return Ok((StatusCode::CONFLICT, Json(error)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let old = applicable_ids(app.catalog, &profile_of(app.catalog, &before)?);
    let new = applicable_ids(app.catalog, &profile);
    let mut v = view(&app, provider, id).await?;
    v["became_applicable"] = json!(new.iter().filter(|i| !old.contains(i)).collect::<Vec<_>>());
    v["became_not_applicable"] = json!(old.iter().filter(|i| !new.contains(i)).collect::<Vec<_>>());
    Ok(Json(v).into_response())
}

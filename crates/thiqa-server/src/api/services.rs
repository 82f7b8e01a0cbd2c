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

use crate::api::caller::{ApiCaller, ApiJson};
use crate::api::created;
use crate::auth::realm::Console;
use crate::state::AppState;
use crate::web::error::ApiError;
use thiqa_app::services::{
    applicable_ids, change, declare, profile_of, ServiceInput, ServiceProblem, DESCRIPTION_MAX,
    NAME_MAX,
};
use thiqa_app::AppError;

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

/// Reads a body and checks it against the catalog; each problem is named.
fn parse(app: &AppState, body: &ServiceBody) -> Result<ServiceInput, ApiError> {
    let model = ServiceModel::from_name(&body.model)
        .ok_or_else(|| ApiError::bad_request("model: one of iaas, paas, saas"))?;
    let level = Level::try_from(body.level).map_err(|_| ApiError::bad_request("level: 1 or 2"))?;
    let profile = Profile {
        model,
        level,
        facts: body.facts.clone(),
    };
    ServiceInput::check(app.catalog, &body.name, &body.description, profile).map_err(|problems| {
        let named: Vec<String> = problems
            .iter()
            .map(|p| match p {
                ServiceProblem::Name => format!("name: 1 to {NAME_MAX} characters"),
                ServiceProblem::Description => {
                    format!("description: at most {DESCRIPTION_MAX} characters")
                }
                ServiceProblem::Profile(e) => format!("facts: {e}"),
            })
            .collect();
        ApiError::bad_request(named.join("; "))
    })
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
    let input = parse(&app, &body)?;
    let id = declare(&app, &caller.staff()?, &input).await?;
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
    let input = parse(&app, &body)?;
    let changed = match change(&app, &caller.staff()?, id, &input, version).await {
        Ok(changed) => changed,
        // Nothing saved; the answer carries the service as it now is.
        Err(AppError::Stale(r)) => {
            let current = view(&app, provider, id).await?;
            let error =
                json!({"error": {"code": "conflict", "message": r.english()}, "current": current});
            return Ok((StatusCode::CONFLICT, Json(error)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let mut v = view(&app, provider, id).await?;
    v["became_applicable"] = json!(changed.became_applicable);
    v["became_not_applicable"] = json!(changed.became_not_applicable);
    Ok(Json(v).into_response())
}

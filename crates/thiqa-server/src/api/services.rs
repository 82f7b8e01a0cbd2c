//! Services over the API (operators only): list, declare, read, change the
//! profile; a change answers with what became applicable or not.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;

use crate::web::routes::Routes;
use serde::{Deserialize, Serialize};
use thiqa_catalog::{Level, Profile, ServiceModel};
use thiqa_domain::{Permission, ServiceId};
use thiqa_store::Site;
use utoipa::ToSchema;

use crate::api::caller::{ApiCaller, ApiJson};
use crate::api::created;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::error::{ApiError, ErrorBody};
use thiqa_app::services::{
    self, change, declare, Described, ServiceInput, ServiceProblem, DESCRIPTION_MAX, NAME_MAX,
};
use thiqa_app::AppError;

pub fn routes() -> Routes {
    Routes::new()
        .route("/", get(list).post(create))
        .route("/{id}", get(read).put(update))
}

/// A service as declared or changed. Model and level are read as text and
/// number so that a wrong one is named in a 400.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBody {
    #[schema(min_length = 1, max_length = 120)]
    name: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    description: String,
    #[schema(value_type = ServiceModel, inline)]
    model: String,
    #[schema(value_type = Level, inline)]
    level: u8,
    /// Catalog fact id → yes/no (see GET /catalog).
    #[serde(default)]
    facts: BTreeMap<String, bool>,
    /// PUT only, and required there: the version of the service the change
    /// was made from (as GET returned it); a change from an older one is
    /// refused 409 with the service as it now is.
    #[serde(default)]
    #[schema(value_type = i64, minimum = 0)]
    version: Option<i64>,
}

/// A service with its profile, applicable obligations and sites.
#[derive(Serialize, ToSchema)]
pub struct ServiceView {
    id: ServiceId,
    name: String,
    description: String,
    model: ServiceModel,
    level: Level,
    facts: BTreeMap<String, bool>,
    /// Ids of the obligations that apply to the profile.
    applicable_obligations: Vec<String>,
    sites: Vec<Site>,
    /// Unix time, seconds.
    updated_at: i64,
    /// Bumped by every change; a change names the version it was made from.
    version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Services {
    services: Vec<ServiceView>,
}

/// A changed service, and what its change made applicable or not.
#[derive(Serialize, ToSchema)]
pub struct ChangedService {
    #[serde(flatten)]
    service: ServiceView,
    became_applicable: Vec<String>,
    became_not_applicable: Vec<String>,
}

/// A refused change, nothing saved: made from an older version (with the
/// service as it now is), or to a name another service has.
#[derive(Serialize, ToSchema)]
pub struct Conflict {
    #[serde(flatten)]
    error: ErrorBody,
    /// The service as it now is, when the change was made from an older
    /// version.
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<ServiceView>,
}

const ID: &str = "the service's id";

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

/// A service as the API shows it.
fn view(d: Described) -> ServiceView {
    ServiceView {
        id: d.service.id,
        applicable_obligations: d.applicable,
        name: d.service.name,
        description: d.service.description,
        model: d.profile.model,
        level: d.profile.level,
        facts: d.profile.facts,
        sites: d.sites,
        updated_at: d.service.updated_at,
        version: d.service.version,
    }
}

/// The service `id` of the caller's provider, described (to a reader, or
/// to the caller that just changed it).
async fn described(
    app: &AppState,
    caller: &ApiCaller<Console>,
    id: ServiceId,
) -> Result<ServiceView, ApiError> {
    Ok(view(
        services::describe_changed(app, &caller.staff()?, id).await?,
    ))
}

#[utoipa::path(get, path = "/services", responses((status = 200, body = Services)),
    summary = "Services of the provider with profile, applicable obligations and sites")]
async fn list(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
) -> Result<Json<Services>, ApiError> {
    caller.require(Permission::ServicesRead)?;
    let all = services::describe_all(&app, &caller.staff()?).await?;
    Ok(Json(Services {
        services: all.into_iter().map(view).collect(),
    }))
}

#[utoipa::path(get, path = "/services/{id}", params(("id" = i64, Path, description = ID)),
    responses((status = 200, body = ServiceView)),
    summary = "One service with its profile, applicable obligations and sites")]
async fn read(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
    Path(id): Path<String>,
) -> Result<Json<ServiceView>, ApiError> {
    caller.require(Permission::ServicesRead)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("not an id: {id}")))?;
    Ok(Json(described(&app, &caller, ServiceId(id)).await?))
}

#[utoipa::path(post, path = "/services", request_body = inline(ServiceBody),
    responses((status = 201, body = ServiceView)),
    summary = "Declare a service: name, description, model, level, facts")]
async fn create(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> Result<(StatusCode, Json<ServiceView>), ApiError> {
    caller.require(Permission::ServicesManage)?;
    if body.version.is_some() {
        return Err(ApiError::bad_request(
            "version is for changes (PUT), not for a new service",
        ));
    }
    let input = parse(&app, &body)?;
    let id = declare(&app, &caller.staff()?, &input).await?;
    Ok(created(described(&app, &caller, id).await?))
}

#[utoipa::path(put, path = "/services/{id}", params(("id" = i64, Path, description = ID)),
    request_body = inline(ServiceBody),
    responses((status = 200, body = ChangedService),
        (status = 409, description = "nothing saved: the service changed since the version named (current), or another has the name", body = Conflict)),
    summary = "Change a service's profile; answers with what became applicable or not")]
async fn update(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ServiceBody>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ServicesManage)?;
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
            let stale = Conflict {
                error: ApiError::new(StatusCode::CONFLICT, "conflict", r.english()).body(),
                current: Some(described(&app, &caller, id).await?),
            };
            return Ok((StatusCode::CONFLICT, Json(stale)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(ChangedService {
        service: described(&app, &caller, id).await?,
        became_applicable: changed.became_applicable,
        became_not_applicable: changed.became_not_applicable,
    })
    .into_response())
}

//! Support access enforced where access happens (3.5.7), on the operator
//! API only: the provider's bastion or PAM, with a token holding
//! `support.enforce`, asks whether an operator may reach a resource of an
//! organisation's service now, and records the sessions it opens and
//! closes under a grant. Answers are read from the stored decisions at the
//! instant of the call: a grant revoked a moment ago answers no.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Json;
use serde::{Deserialize, Serialize};
use thiqa_app::support::bastion::{self, CheckQuery, SessionEvent};
use thiqa_app::time::rfc3339;
use thiqa_domain::{Directory, OrganisationId, ServiceId, SupportRequestId};
use utoipa::ToSchema;

use crate::api::caller::{ApiCaller, ApiJson};
use crate::api::created;
use crate::realm::{Console, Realm};
use crate::state::AppState;
use crate::web::error::ApiError;
use crate::web::routes::Routes;

/// The routes, on the operator API only.
pub fn routes<R: Realm>() -> Routes {
    match R::DIR {
        Directory::Operators => Routes::new()
            .route("/support/check", post(check))
            .route("/support/grants/{grant}/sessions", post(session)),
        Directory::Customers => Routes::new(),
    }
}

/// The bastion's question.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// The operator's username.
    #[schema(min_length = 1, max_length = 200)]
    operator: String,
    organisation_id: OrganisationId,
    service_id: ServiceId,
    /// The resource of the service reached (a host, a volume…), as the
    /// request named it.
    #[schema(min_length = 1, max_length = 200)]
    resource: String,
    /// The jump host the access comes through, by its declared name.
    #[serde(default)]
    #[schema(value_type = String, max_length = 200)]
    jump_host: Option<String>,
}

/// The answer, from the stored decisions at the instant of the call.
#[derive(Serialize, ToSchema)]
pub struct CheckAnswer {
    allowed: bool,
    /// The grant that allows it.
    grant_id: Option<SupportRequestId>,
    /// When the grant ends (RFC 3339, UTC): ask again after.
    until: Option<String>,
    /// `granted`, or why not: `unknown_operator`, `not_vetted`, `no_grant`,
    /// `out_of_scope`, `jump_host_required`, `pending`, `not_started`,
    /// `expired`, `refused`, `withdrawn`, `ended`, `revoked`, `closed`.
    reason: &'static str,
}

#[utoipa::path(post, path = "/support/check", request_body = inline(CheckBody),
    responses((status = 200, body = CheckAnswer)),
    summary = "Whether an operator may reach a customer's resource now (support.enforce; 3.5.7)")]
async fn check(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
    ApiJson(body): ApiJson<CheckBody>,
) -> Result<Json<CheckAnswer>, ApiError> {
    let q = CheckQuery {
        operator: body.operator.trim(),
        organisation: body.organisation_id,
        service: body.service_id,
        resource: body.resource.trim(),
        // An empty jump host is none.
        jump_host: body
            .jump_host
            .as_deref()
            .map(str::trim)
            .filter(|j| !j.is_empty()),
    };
    let a = bastion::check(&app, &caller.staff()?, &q)
        .await
        .map_err(bad_input)?;
    Ok(Json(CheckAnswer {
        allowed: a.allowed,
        grant_id: a.grant,
        until: a.until_ms.map(|ms| rfc3339(ms / 1000)),
        reason: a.reason,
    }))
}

/// Input the use case judged malformed is a 400, not a conflict.
fn bad_input(e: thiqa_app::AppError) -> ApiError {
    match e {
        thiqa_app::AppError::Refused(r) if r.key == "refusal-support-name" => {
            ApiError::bad_request(r.english())
        }
        other => other.into(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionAction {
    Start,
    End,
}

/// A session the bastion opens or closes under a grant.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    #[schema(inline)]
    action: SessionAction,
    /// The bastion's own name for the session.
    #[schema(min_length = 1, max_length = 200)]
    reference: String,
    /// The jump host the session comes through (required by a grant for
    /// support from abroad).
    #[serde(default)]
    #[schema(value_type = String, max_length = 200)]
    jump_host: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionRecorded {
    session_id: i64,
    grant_id: SupportRequestId,
}

const GRANT: &str = "the grant's (request's) id";

#[utoipa::path(post, path = "/support/grants/{grant}/sessions",
    params(("grant" = i64, Path, description = GRANT)),
    request_body = inline(SessionBody),
    responses((status = 201, body = SessionRecorded),
        (status = 409, description = "the grant does not let this session in now (revoked, ended, not started, operator not vetted, wrong jump host), no such open session, or the caller is the grant's own operator", body = crate::web::error::ErrorBody)),
    summary = "Record a support session opened or closed under a grant (support.enforce; journaled as administration)")]
async fn session(
    State(app): State<AppState>,
    caller: ApiCaller<Console>,
    Path(grant): Path<String>,
    ApiJson(body): ApiJson<SessionBody>,
) -> Result<(StatusCode, Json<SessionRecorded>), ApiError> {
    let grant = SupportRequestId(
        grant
            .parse()
            .map_err(|_| ApiError::bad_request(format!("not an id: {grant}")))?,
    );
    let event = match body.action {
        SessionAction::Start => SessionEvent::Start,
        SessionAction::End => SessionEvent::End,
    };
    let id = bastion::session(
        &app,
        &caller.staff()?,
        grant,
        event,
        &body.reference,
        body.jump_host.as_deref().map(str::trim),
    )
    .await
    .map_err(bad_input)?;
    Ok(created(SessionRecorded {
        session_id: id,
        grant_id: grant,
    }))
}

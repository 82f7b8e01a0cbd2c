//! The journal over the API.
//!
//! Public and read-only (anyone holding the log's key can check what Thiqa
//! shows them, 3.8.6): the latest signed checkpoint, the verifier key,
//! inclusion and consistency proofs. They reveal hashes only, never events.
//!
//! With a token: a commanditaire's events over a time range, in NDJSON,
//! CSV, XML, OCSF or CEF, and the inclusion proofs of those events. A
//! commanditaire's user exports its own organisation's events
//! (`org.journal.read`); an operator (`journal.read`) exports those of one
//! of its provider's commanditaires, on request.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;

use crate::web::routes::Routes;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{ApiCaller, ApiQuery};
use crate::journal_export::{
    current_checkpoint, download, events_body, proofs_body, record_export, ExportQuery,
    ExportRequest,
};
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::error::{ApiError, ErrorBody};
use thiqa_app::events;
use thiqa_app::proofs::{self, ProofRefusal};
use thiqa_domain::OrganisationId;

mod doc;

use doc::{EventsDownload, ExportParams, ProofsDownload};

/// Full paths (not nested): the intake route `/journal/intake` is merged
/// separately, outside the form body limit.
pub fn routes<R: Realm>() -> Routes {
    Routes::new()
        .route("/journal/checkpoint", get(checkpoint))
        .route("/journal/key", get(key))
        .route("/journal/proof/inclusion", get(inclusion))
        .route("/journal/proof/consistency", get(consistency))
        .route("/journal/export", get(export::<R>))
        .route("/journal/export/proofs", get(export_proofs::<R>))
}

fn b64(h: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(h)
}

/// The latest signed checkpoint, as a C2SP signed note.
#[utoipa::path(get, path = "/journal/checkpoint", security(()),
    responses((status = 200, description = "a C2SP signed note", body = String, content_type = "text/plain"),
        (status = 404, description = "no_checkpoint: none signed yet", body = ErrorBody)),
    summary = "Public: the journal's latest signed checkpoint (C2SP signed note, text)")]
async fn checkpoint(State(app): State<AppState>) -> Result<Response, ApiError> {
    let Some(c) = proofs::latest_checkpoint(&app).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_checkpoint",
            "no checkpoint has been signed yet",
        ));
    };
    Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8")], c.note).into_response())
}

/// The verifier key, in signed-note `vkey` form (`origin+id+base64`).
#[utoipa::path(get, path = "/journal/key", security(()),
    responses((status = 200, description = "origin+id+base64", body = String, content_type = "text/plain")),
    summary = "Public: the journal's verifier key (signed-note vkey, text)")]
async fn key(State(app): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", app.journal_signer.verifier()),
    )
        .into_response()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct InclusionQuery {
    /// The leaf's index.
    index: u64,
    /// A signed tree size (default: the latest checkpoint's).
    #[param(minimum = 1)]
    size: Option<u64>,
}

/// An RFC 9162 inclusion proof; hashes in base64.
#[derive(Serialize, ToSchema)]
pub struct InclusionProof {
    index: u64,
    tree_size: u64,
    leaf_hash: String,
    audit_path: Vec<String>,
}

/// An RFC 9162 consistency proof; hashes in base64.
#[derive(Serialize, ToSchema)]
pub struct ConsistencyProof {
    from: u64,
    to: u64,
    proof: Vec<String>,
}

/// A proof refused, as the API answers it.
fn refused(refusal: ProofRefusal) -> ApiError {
    match refusal {
        ProofRefusal::NoCheckpoint => ApiError::new(
            StatusCode::NOT_FOUND,
            "no_checkpoint",
            "no signed checkpoint has this size",
        ),
        ProofRefusal::OutOfRange(m) => ApiError::bad_request(m),
    }
}

#[utoipa::path(get, path = "/journal/proof/inclusion", security(()), params(InclusionQuery),
    responses((status = 200, body = InclusionProof)),
    summary = "Public: RFC 9162 inclusion proof of leaf index in the signed tree of size (default: latest)")]
async fn inclusion(
    State(app): State<AppState>,
    ApiQuery(q): ApiQuery<InclusionQuery>,
) -> Result<Json<InclusionProof>, ApiError> {
    let proof = proofs::inclusion(&app, q.index, q.size)
        .await?
        .map_err(refused)?;
    Ok(Json(InclusionProof {
        index: q.index,
        tree_size: proof.tree_size,
        leaf_hash: b64(&proof.leaf_hash),
        audit_path: proof.audit_path.iter().map(|h| b64(h)).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ConsistencyQuery {
    /// A signed tree size.
    #[param(minimum = 1)]
    from: u64,
    /// A later signed tree size (default: the latest checkpoint's).
    #[param(minimum = 1)]
    to: Option<u64>,
}

#[utoipa::path(get, path = "/journal/proof/consistency", security(()), params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof)),
    summary = "Public: RFC 9162 consistency proof between signed tree sizes from and to (default: latest)")]
async fn consistency(
    State(app): State<AppState>,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let proof = proofs::consistency(&app, q.from, q.to)
        .await?
        .map_err(refused)?;
    Ok(Json(ConsistencyProof {
        from: q.from,
        to: proof.to,
        proof: proof.proof.iter().map(|h| b64(h)).collect(),
    }))
}

async fn api_request<R: Realm>(
    app: &AppState,
    caller: &ApiCaller<R>,
    q: ExportQuery,
) -> Result<ExportRequest, ApiError> {
    // Named here so that the API says which right is missing.
    caller.require(R::READ_EVENTS)?;
    let tenant = events::export_tenant(app, &caller.member(), q.organisation.map(OrganisationId))
        .await?
        .map_err(|r| ApiError::bad_request(r.english()))?;
    ExportRequest::parse(
        tenant,
        q.from.as_deref(),
        q.to.as_deref(),
        q.format.as_deref(),
    )
    .map_err(ApiError::bad_request)
}

#[utoipa::path(
    get,
    path = "/journal/export",
    params(ExportParams),
    responses(EventsDownload),
    summary = "A commanditaire's journal events from..to (YYYY-MM-DD, to included); format=ndjson|csv|xml|ocsf|cef; operators name the organisation (streamed download)"
)]
async fn export<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let req = api_request(&app, &caller, q).await?;
    record_export(&app.store, &caller.actor(), &req, "events").await?;
    Ok(download(
        req.format.media_type(),
        &req.filename(req.format.extension()),
        events_body(&app, req),
    ))
}

#[utoipa::path(
    get,
    path = "/journal/export/proofs",
    params(ExportParams),
    responses(ProofsDownload),
    summary = "Inclusion proofs of the same events against a fresh checkpoint, one proof file per line (NDJSON), checked offline by thiqa journal verify-proof"
)]
async fn export_proofs<R: Realm>(
    State(app): State<AppState>,
    caller: ApiCaller<R>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let req = api_request(&app, &caller, q).await?;
    record_export(&app.store, &caller.actor(), &req, "proofs").await?;
    let checkpoint = current_checkpoint(&app).await.map_err(ApiError::internal)?;
    Ok(download(
        "application/x-ndjson",
        &req.filename("proofs.ndjson"),
        proofs_body(&app, req, checkpoint),
    ))
}

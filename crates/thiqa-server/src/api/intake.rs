//! `POST /api/v1/journal/intake`: security events of the provider's
//! infrastructure into the journal (référentiel 3.8.6, 3.8.7).
//!
//! On the operator (admin) listener only: the provider's internal network.
//! The caller is a registered event source, not a person: it presents the
//! source's token (`Authorization: Bearer thq_…`), never a user token. The
//! body is NDJSON, read as a stream and cut off at `intake_max_bytes`
//! (413 naming the limit). The batch is atomic: 200 with the index range of
//! its events, or 422 listing every bad line (line number and reason), and
//! then nothing of it is stored.

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Json;

use crate::web::routes::Routes;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use thiqa_crypto::token::{is_api_token, token_hash};
use thiqa_store::{parse_batch, BatchRefusal, IntakeError, IntakeSource};

use crate::auth::realm::Realm;
use crate::state::AppState;
use crate::web::client_address::client_address;
use crate::web::error::ApiError;

/// The media type of a batch.
pub const NDJSON: &str = "application/x-ndjson";

/// The intake route, on the operator API only.
pub fn routes<R: Realm>() -> Routes {
    match R::DIR {
        thiqa_domain::Directory::Operators => Routes::new().route("/journal/intake", post(intake)),
        thiqa_domain::Directory::Customers => Routes::new(),
    }
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "a valid event-source token is required (Authorization: Bearer thq_…)",
    )
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the batch exceeds intake_max_bytes ({max} bytes); send smaller batches"),
    )
}

/// The live source whose token the request presents.
async fn source_of(app: &AppState, headers: &HeaderMap) -> Result<IntakeSource, ApiError> {
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| is_api_token(t))
        .ok_or_else(unauthorized)?;
    app.store
        .intake_source_by_token_hash(token_hash(presented).as_str())
        .await?
        .ok_or_else(unauthorized)
}

fn is_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(NDJSON))
}

/// The 422 answer: every bad line (up to the cap) and how many there were.
fn refused(refusal: &BatchRefusal) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "errors": refusal.errors, "error_count": refusal.total })),
    )
        .into_response()
}

async fn intake(State(app): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let headers = req.headers();
    let source = source_of(&app, headers).await?;
    if !is_ndjson(headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the batch as {NDJSON}, one JSON event per line"),
        ));
    }
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_string))
        .transpose()
        .map_err(|_| ApiError::bad_request("Idempotency-Key: 1 to 128 visible ASCII characters"))?;
    let limits = app.config.intake_limits();
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes as u64) {
        return Err(too_large(limits.max_bytes));
    }
    let source_ip = client_address(req.extensions(), headers, &app.config.trusted_proxies);
    let mut body = req.into_body();
    let mut bytes = Vec::with_capacity(declared.map_or(64 << 10, |n| n as usize));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::bad_request(format!("the batch could not be read to its end: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limits.max_bytes {
                return Err(too_large(limits.max_bytes));
            }
            bytes.extend_from_slice(&data);
        }
    }
    // Parsing 10 000 lines takes milliseconds: off the async workers.
    let (store, parsed_source) = (app.store.clone(), source.clone());
    let wants_hash = idempotency_key.is_some();
    let (parsed, body_hash) = tokio::task::spawn_blocking(move || {
        let ctx = store.intake_context(&parsed_source, limits.retention_days)?;
        // Only a keyed batch is hashed: the key must name this very batch.
        let hash = wants_hash.then(|| {
            use sha2::Digest;
            thiqa_domain::text::hex(&sha2::Sha256::digest(&bytes))
        });
        Ok::<_, thiqa_store::StoreError>((parse_batch(&bytes, &ctx, &limits), hash))
    })
    .await
    .map_err(|e| ApiError::from(thiqa_store::StoreError::Corrupt(format!("parser: {e}"))))??;
    let key = match (idempotency_key, body_hash) {
        (Some(k), Some(hash)) => {
            Some(thiqa_store::BatchKey::parse(&k, hash).map_err(ApiError::bad_request)?)
        }
        _ => None,
    };
    let events = match parsed {
        Ok(events) => events,
        Err(refusal) => {
            tracing::warn!(source = %source.name, bad_lines = refusal.total, "intake batch refused");
            return Ok(refused(&refusal));
        }
    };
    match app
        .store
        .journal_append_batch_once(&source, &events, &source.actor(source_ip), key.as_ref())
        .await
    {
        Ok((receipt, replayed)) => Ok((
            // A retry after a lost acknowledgement: the original receipt.
            [(
                "idempotent-replayed",
                if replayed { "true" } else { "false" },
            )],
            Json(json!({
                "first_index": receipt.first_index,
                "last_index": receipt.last_index,
                "count": receipt.count,
            })),
        )
            .into_response()),
        Err(IntakeError::Refused(refusal)) => Ok(refused(&refusal)),
        Err(IntakeError::KeyReused) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            IntakeError::KeyReused.to_string(),
        )),
        Err(IntakeError::Revoked) => Err(unauthorized()),
        Err(IntakeError::Store(e)) => Err(e.into()),
    }
}

/// The operation as documented in the operator API's OpenAPI document.
pub fn openapi_operation(mut op: Value) -> Value {
    let error = json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}});
    op["description"] = json!(
        "Authenticated by the token of an event source registered in the console \
         (Journal → Event sources), not by a personal token. One JSON object per line: \
         time (RFC 3339, required), type (dotted action, required), severity (RFC 5424 name \
         or 0-7, required), commanditaire (organisation id the source may tag), actor, target, \
         source_address (IP), outcome (success|failure|unknown), attributes (string to string). \
         Unknown fields are refused. The batch is atomic: all its events are appended, or none. \
         Limits: intake_max_events events and intake_max_bytes bytes per batch, 1 MiB per \
         line; time within [now - journal.retention_days, now + 5 min]; no control character \
         in actor, target or attributes."
    );
    op["parameters"] = json!([{
        "name": "Idempotency-Key", "in": "header", "required": false,
        "description": "A key of the source's choosing (1 to 128 visible ASCII characters): a batch sent again with the same key, after a lost acknowledgement, gets the original receipt (Idempotent-Replayed: true) and is not appended twice; the same key with another batch is refused (422). Receipts are kept 7 days.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 128}
    }]);
    op["requestBody"] = json!({"required": true, "content": {NDJSON: {"schema": {
    "type": "object", "required": ["time", "type", "severity"], "additionalProperties": false,
    "properties": {
        "time": {"type": "string", "format": "date-time"},
        "type": {"type": "string", "pattern": "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$"},
        "severity": {"oneOf": [
            {"enum": ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"]},
            {"type": "integer", "minimum": 0, "maximum": 7}]},
        "commanditaire": {"type": "integer"},
        "actor": {"type": "string"},
        "target": {"type": "string"},
        "source_address": {"type": "string", "format": "ip"},
        "outcome": {"enum": ["success", "failure", "unknown"]},
        "attributes": {"type": "object", "additionalProperties": {"type": "string"}}
    }}}}});
    op["responses"] = json!({
        "200": {"description": "appended (or, with a repeated Idempotency-Key, appended earlier): the journal indexes of the batch's events",
            "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true", "false"]}}},
            "content": {"application/json": {"schema": {
            "type": "object", "required": ["first_index", "last_index", "count"],
            "properties": {"first_index": {"type": "integer"}, "last_index": {"type": "integer"}, "count": {"type": "integer"}}}}}},
        "400": {"description": "the body could not be read to its end, or the Idempotency-Key is malformed", "content": error},
        "401": {"description": "missing, unknown or revoked event-source token", "content": error},
        "413": {"description": "the body exceeds intake_max_bytes (named in the message)", "content": error},
        "415": {"description": "the body is not application/x-ndjson", "content": error},
        "503": {"description": "the storage is unavailable (disk full, database unreachable): nothing was appended, send the batch again later", "content": error},
        "422": {"description": "refused whole, nothing stored: every bad line (first 1000) with its 1-based number and reason; or (code idempotency_key_reused) the Idempotency-Key already named another batch", "content": {"application/json": {"schema": {"oneOf": [{
            "type": "object", "required": ["errors", "error_count"],
            "properties": {
                "errors": {"type": "array", "items": {"type": "object", "required": ["line", "reason"],
                    "properties": {"line": {"type": "integer"}, "reason": {"type": "string"}}}},
                "error_count": {"type": "integer"}}},
            {"$ref": "#/components/schemas/Error"}]}}}}
    });
    op
}

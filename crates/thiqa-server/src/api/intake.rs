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
use serde::{Deserialize, Serialize};
use thiqa_crypto::token::{is_api_token, token_hash};
use thiqa_journal::{Outcome, Severity};

use thiqa_store::{parse_batch, BatchRefusal, IntakeError, IntakeSource, LineError};
use utoipa::ToSchema;

use crate::realm::Realm;
use crate::state::AppState;
use crate::web::client_address::client_address;
use crate::web::error::{ApiError, ErrorBody};

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

/// One line of a batch, as the parser (`thiqa_intake::ndjson`) reads it:
/// it checks each value and refuses any other field, naming it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Read by the parser from JSON values; described here.
pub struct IntakeLine {
    #[schema(format = DateTime)]
    time: String,
    /// Dotted action, e.g. `vm.snapshot.delete`.
    #[serde(rename = "type")]
    #[schema(pattern = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", max_length = 256)]
    kind: String,
    #[schema(schema_with = severity_schema)]
    severity: serde_json::Value,
    /// The organisation id the event concerns; one the source may tag.
    #[serde(default)]
    commanditaire: i64,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    target: String,
    /// IPv4 or IPv6 address the action came from.
    #[serde(default)]
    source_address: String,
    #[serde(default)]
    #[schema(schema_with = outcome_schema)]
    outcome: String,
    #[serde(default)]
    attributes: std::collections::BTreeMap<String, String>,
}

/// RFC 5424 severity: its name or its code, as the journal knows them.
fn severity_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let names = (0..8).filter_map(Severity::from_code).map(Severity::name);
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(7)),
        )
        .build()
        .into()
}

/// The outcomes the journal records (default unknown).
fn outcome_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let names = [Outcome::Success, Outcome::Failure, Outcome::Unknown].map(Outcome::name);
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .build()
}

/// The journal indexes of a batch's events.
#[derive(Serialize, ToSchema)]
pub struct Receipt {
    first_index: u64,
    last_index: u64,
    count: u64,
}

/// Every bad line (the first 1000) and how many there were.
#[derive(Serialize, ToSchema)]
pub struct BatchRefused {
    errors: Vec<LineError>,
    error_count: usize,
}

/// A batch refused whole: its bad lines, or (`idempotency_key_reused`)
/// a key that already named another batch.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Unprocessable {
    Lines(BatchRefused),
    Key(ErrorBody),
}

/// The 422 answer: every bad line (up to the cap) and how many there were.
fn refused(refusal: &BatchRefusal) -> Response {
    unprocessable(Unprocessable::Lines(BatchRefused {
        errors: refusal.errors.clone(),
        error_count: refusal.total,
    }))
}

fn unprocessable(body: Unprocessable) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Authenticated by the token of an event source registered in the console
/// (Journal → Event sources), not by a personal token. One JSON object per
/// line (IntakeLine). The batch is atomic: all its events are appended, or
/// none. Limits: intake_max_events events and intake_max_bytes bytes per
/// batch, 1 MiB per line; time within [now - journal.retention_days, now +
/// 5 min]; no control character in actor, target or attributes.
#[utoipa::path(post, path = "/journal/intake",
    params(("Idempotency-Key" = Option<String>, Header, max_length = 128, min_length = 1,
        description = "A key of the source's choosing (1 to 128 visible ASCII characters): a batch sent again with the same key, after a lost acknowledgement, gets the original receipt (Idempotent-Replayed: true) and is not appended twice; the same key with another batch is refused (422). Receipts are kept 7 days.")),
    request_body(content = IntakeLine, content_type = "application/x-ndjson",
        description = "one IntakeLine per line"),
    responses(
        (status = 200, description = "appended (or, with a repeated Idempotency-Key, appended earlier): the journal indexes of the batch's events",
            body = Receipt, headers(("Idempotent-Replayed" = String, description = "true or false"))),
        (status = 400, description = "the body could not be read to its end, or the Idempotency-Key is malformed", body = ErrorBody),
        (status = 401, description = "missing, unknown or revoked event-source token", body = ErrorBody),
        (status = 413, description = "the body exceeds intake_max_bytes (named in the message)", body = ErrorBody),
        (status = 415, description = "the body is not application/x-ndjson", body = ErrorBody),
        (status = 422, description = "refused whole, nothing stored: every bad line (first 1000) with its 1-based number and reason; or (code idempotency_key_reused) the Idempotency-Key already named another batch", body = Unprocessable),
        (status = 503, description = "the storage is unavailable (disk full, database unreachable): nothing was appended, send the batch again later", body = ErrorBody),
    ),
    summary = "Append a batch of infrastructure security events (NDJSON) to the journal, whole or not at all; event-source token")]
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
            Json(Receipt {
                first_index: receipt.first_index,
                last_index: receipt.last_index,
                count: receipt.count,
            }),
        )
            .into_response()),
        Err(IntakeError::Refused(refusal)) => Ok(refused(&refusal)),
        Err(IntakeError::KeyReused) => Ok(unprocessable(Unprocessable::Key(
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                IntakeError::KeyReused.to_string(),
            )
            .body(),
        ))),
        Err(IntakeError::Revoked) => Err(unauthorized()),
        Err(IntakeError::Store(e)) => Err(e.into()),
    }
}

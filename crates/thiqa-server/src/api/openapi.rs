//! The OpenAPI 3.1 description of each realm's API. Written as data next to
//! the routes; a test checks that every documented path answers and every
//! routed path is documented.

use axum::Json;
use serde_json::{json, Value};

use crate::auth::realm::Realm;

mod shapes;

/// Paths and methods of the API, shared by the document and its test.
pub const OPERATIONS: &[(&str, &str, &str)] = &[
    ("get", "/me", "The token owner's account and effective permissions"),
    ("get", "/me/rights", "Every right the token owner holds, with its object and role"),
    ("get", "/accounts", "Accounts of the caller's tenant"),
    ("post", "/accounts", "Create an account (no password, no role); returns a one-time set-up link"),
    ("get", "/accounts/{id}/rights", "Every right an account holds, with its object and role (3.5.3)"),
    ("post", "/accounts/{id}/roles", "Give a role; refused with separation_of_duties when it would combine incompatible permissions"),
    ("delete", "/accounts/{id}/roles/{role}", "Take a role away"),
    ("get", "/roles", "Roles of the caller's tenant with their permissions"),
    ("get", "/separation/pairs", "Incompatible permission pairs"),
    ("post", "/separation/pairs", "Declare an incompatible pair"),
    ("get", "/events", "Security events of the caller's tenant, newest first"),
    ("get", "/catalog", "The référentiel's identity, version, counts, profile questions (facts) and laws"),
    ("get", "/catalog/chapters", "Chapters with their articles and obligation ids"),
    ("get", "/catalog/articles/{article_id}", "One article with its introduction and every obligation in full"),
    ("get", "/catalog/obligations", "Every obligation, or a search: q (accent-insensitive), model, level, nature, recurrence, force, chapter"),
    ("get", "/catalog/obligations/{obligation_id}", "One obligation with its article, referenced articles, laws and conditions"),
    ("get", "/catalog/applicability", "Whether each obligation and item applies to model, level and repeated fact=name:yes|no, with reasons in French and English"),
    ("get", "/catalog/compare", "What applies differently to two profiles: left_model, left_level, left_fact, right_model, right_level, right_fact"),
    ("get", "/catalog/stats", "Counts by force, nature, recurrence, level and model"),
    ("get", "/catalog/export.json", "The whole catalog as a Thiqa JSON document (download)"),
    ("get", "/catalog/export.csv", "One row per obligation, CSV (download)"),
    ("get", "/catalog/export.xlsx", "Spreadsheet: obligations sheet and summary (download)"),
    ("get", "/catalog/oscal/catalog.json", "OSCAL 1.1.2 catalog; lang=fr|en"),
    ("get", "/catalog/oscal/profile.json", "OSCAL profile of the obligations that apply to model, level, fact; lang=fr|en"),
    ("get", "/journal/checkpoint", "Public: the journal's latest signed checkpoint (C2SP signed note, text)"),
    ("get", "/journal/key", "Public: the journal's verifier key (signed-note vkey, text)"),
    ("get", "/journal/proof/inclusion", "Public: RFC 9162 inclusion proof of leaf index in the signed tree of size (default: latest)"),
    ("get", "/journal/proof/consistency", "Public: RFC 9162 consistency proof between signed tree sizes from and to (default: latest)"),
    ("get", "/journal/export", "A commanditaire's journal events from..to (YYYY-MM-DD, to included); format=ndjson|csv|xml|ocsf|cef; operators name the organisation (streamed download)"),
    ("get", "/journal/export/proofs", "Inclusion proofs of the same events against a fresh checkpoint, one proof file per line (NDJSON), checked offline by thiqa journal verify-proof"),
    ("get", "/dossier/key", "Public: the Ed25519 key that signs qualification dossiers (JSON: public_key hex, fingerprint, algorithm), for thiqa dossier verify --key; also as text at /dossier/key on the portal"),
];

/// Operations of the operator API only (admin listener).
pub const OPERATOR_OPERATIONS: &[(&str, &str, &str)] = &[
    (
        "get",
        "/services",
        "Services of the provider with profile, applicable obligations and sites",
    ),
    (
        "post",
        "/services",
        "Declare a service: name, description, model, level, facts",
    ),
    (
        "get",
        "/services/{id}",
        "One service with its profile, applicable obligations and sites",
    ),
    (
        "put",
        "/services/{id}",
        "Change a service's profile; answers with what became applicable or not",
    ),
    (
        "post",
        "/journal/intake",
        "Append a batch of infrastructure security events (NDJSON) to the journal, whole or not at all; event-source token",
    ),
];

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "description": "stable machine code, e.g. invalid_input, unauthenticated, forbidden, not_found, conflict, separation_of_duties, payload_too_large, unsupported_media_type, storage_unavailable"},
            "message": {"type": "string"}
        }}}
    })
}

/// Error answers, in the Error shape; which ones an operation lists
/// depends on whether it needs a token and takes a JSON body.
const ERRORS: &[(&str, &str)] = &[
    ("400", "invalid input: a parameter or field named in the message"),
    ("401", "missing, expired or revoked token"),
    ("403", "permission missing"),
    ("404", "no such resource in the caller's tenant"),
    ("409", "conflict (e.g. separation_of_duties)"),
    ("413", "the body exceeds the limit named in the message"),
    ("415", "the body is not application/json"),
    ("422", "the JSON body does not have the fields and types described"),
    ("503", "the storage is unavailable (disk full, database unreachable); nothing was saved, retry later"),
];

/// Public text and proofs: readable without a token.
fn is_public(path: &str) -> bool {
    path.starts_with("/catalog")
        || path == "/dossier/key"
        || path == "/journal/checkpoint"
        || path == "/journal/key"
        || path.starts_with("/journal/proof/")
}

fn request_body(path: &str, method: &str) -> Option<Value> {
    let schema = match (method, path) {
        ("post", "/accounts") => {
            json!({"type": "object", "required": ["username", "display_name"], "additionalProperties": false,
            "properties": {"username": {"type": "string", "pattern": "^[a-z][a-z0-9._-]{0,63}$"}, "display_name": {"type": "string", "minLength": 1, "maxLength": 128}, "email": {"type": "string", "format": "email"}}})
        }
        ("post", "/accounts/{id}/roles") => {
            json!({"type": "object", "required": ["role_id"], "additionalProperties": false, "properties": {"role_id": {"type": "integer"}}})
        }
        ("post", "/services") | ("put", "/services/{id}") => {
            let mut schema = json!({"type": "object", "required": ["name", "model", "level"], "additionalProperties": false,
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 120}, "description": {"type": "string", "maxLength": 1000},
                "model": {"enum": ["iaas", "paas", "saas"]}, "level": {"enum": [1, 2]},
                "facts": {"type": "object", "additionalProperties": {"type": "boolean"}, "description": "catalog fact id → yes/no (see GET /catalog)"}}});
            // A change names the version it was made from (409 if stale).
            if method == "put" {
                schema["required"] = json!(["name", "model", "level", "version"]);
                schema["properties"]["version"] = json!({"type": "integer", "minimum": 0, "description": "the service's version as GET returned it; 409 with the current service if it changed meanwhile"});
            }
            schema
        }
        ("post", "/separation/pairs") => {
            json!({"type": "object", "required": ["first", "second", "reason"], "additionalProperties": false,
            "properties": {"first": {"type": "string"}, "second": {"type": "string"}, "reason": {"type": "string", "minLength": 1, "maxLength": 300}}})
        }
        _ => return None,
    };
    Some(json!({"required": true, "content": {"application/json": {"schema": schema}}}))
}

fn parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            // Account and role ids are numbers; référentiel ids are text (3.6.3.b).
            let kind = if name.ends_with("_id") && name != "role_id" {
                "string"
            } else {
                "integer"
            };
            json!({"name": name, "in": "path", "required": true, "schema": {"type": kind}})
        })
        .collect()
}

pub fn build<R: Realm>() -> Value {
    let mut paths = serde_json::Map::new();
    let extra: &[(&str, &str, &str)] = match R::DIR {
        thiqa_domain::Directory::Operators => OPERATOR_OPERATIONS,
        thiqa_domain::Directory::Customers => &[],
    };
    for (method, path, summary) in OPERATIONS.iter().chain(extra) {
        let ok_status = match *method {
            "post" if path.ends_with("/roles") => "204",
            "post" if *path == "/journal/intake" => "200",
            "post" => "201",
            "delete" => "204",
            _ => "200",
        };
        let public = is_public(path);
        let mut responses = serde_json::Map::new();
        let success = if ok_status == "204" {
            json!({"description": "success"})
        } else {
            json!({"description": "success", "content": shapes::success_content(method, path)})
        };
        responses.insert(ok_status.into(), success);
        for (status, description) in ERRORS {
            let only_with_token = matches!(*status, "401" | "403" | "409");
            let only_with_body = matches!(*status, "413" | "415" | "422");
            let has_body = request_body(path, method).is_some();
            if (public && only_with_token) || (!has_body && only_with_body) {
                continue;
            }
            responses.insert(
                status.to_string(),
                json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
            );
        }
        let mut op = json!({
            "summary": summary,
            "operationId": format!("{method}{}", path.replace(['/', '{', '}'], "_")),
            "responses": responses
        });
        op["parameters"] = [parameters(path), shapes::query_parameters(path)]
            .concat()
            .into();
        if let Some(body) = request_body(path, method) {
            op["requestBody"] = body;
        }
        if public {
            op["security"] = json!([]);
        }
        paths
            .entry(path.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("path item is an object")
            .insert(method.to_string(), op);
    }
    if let Some(op) = paths
        .get_mut("/journal/intake")
        .and_then(|p| p.get_mut("post"))
    {
        *op = crate::api::intake::openapi_operation(op.take());
    }
    let audience = match R::DIR {
        thiqa_domain::Directory::Operators => "operators (provider staff), on the admin listener",
        thiqa_domain::Directory::Customers => "commanditaire users, on the public listener",
    };
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Thiqa API", "version": env!("CARGO_PKG_VERSION"),
                 "description": format!("REST API for {audience}. Authenticate with a personal API token: Authorization: Bearer thq_…")},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": error_schema()}
        },
        "paths": paths
    })
}

pub async fn document<R: Realm>() -> Json<Value> {
    Json(build::<R>())
}

//! What each operation reads and answers, beyond its path: query parameters,
//! the media types of its success and the shape of its JSON bodies. Values
//! that come from the catalog's types (models, levels, natures, facts) are
//! listed from those types, so the document cannot drift from the parsers.

use serde_json::{json, Value};
use thiqa_catalog::{Force, Level, Nature, Recurrence, ServiceModel};
use thiqa_export::journal::JournalFormat;

/// The XLSX media type, as the export answers it.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn query(name: &str, required: bool, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema})
}

fn names(all: impl IntoIterator<Item = &'static str>) -> Value {
    json!({"enum": all.into_iter().collect::<Vec<_>>()})
}

/// `<prefix>model`, `<prefix>level` (required) and repeated `<prefix>fact`.
fn profile(prefix: &str) -> Vec<Value> {
    let facts: Vec<String> = thiqa_catalog::dgssi_cloud_2025()
        .facts()
        .flat_map(|f| [format!("{}:yes", f.id), format!("{}:no", f.id)])
        .collect();
    vec![
        query(
            &format!("{prefix}model"),
            true,
            names(ServiceModel::ALL.iter().map(|m| m.as_str())),
        ),
        query(
            &format!("{prefix}level"),
            true,
            json!({"enum": Level::ALL.iter().map(|l| l.number()).collect::<Vec<_>>()}),
        ),
        json!({"name": format!("{prefix}fact"), "in": "query", "required": false, "style": "form", "explode": true,
               "description": "repeated: fact:yes or fact:no (facts of GET /catalog)",
               "schema": {"type": "array", "items": {"enum": facts}}}),
    ]
}

fn lang() -> Value {
    query("lang", false, json!({"enum": ["fr", "en"]}))
}

/// The query parameters an operation reads; any other is refused (400) by
/// the catalog and journal operations.
pub fn query_parameters(path: &str) -> Vec<Value> {
    let day = || json!({"type": "string", "format": "date"});
    match path {
        "/events" => vec![
            query(
                "limit",
                false,
                json!({"type": "integer", "minimum": 1, "maximum": 10000}),
            ),
            query("action", false, json!({"type": "string"})),
        ],
        "/catalog/obligations" => vec![
            query("q", false, json!({"type": "string", "maxLength": 200})),
            query(
                "model",
                false,
                names(ServiceModel::ALL.iter().map(|m| m.as_str())),
            ),
            query(
                "level",
                false,
                json!({"enum": Level::ALL.iter().map(|l| l.number()).collect::<Vec<_>>()}),
            ),
            query(
                "nature",
                false,
                names(Nature::ALL.iter().map(|n| n.as_str())),
            ),
            query(
                "recurrence",
                false,
                names(Recurrence::ALL.iter().map(|r| r.as_str())),
            ),
            query("force", false, names(Force::ALL.iter().map(|f| f.as_str()))),
            query(
                "chapter",
                false,
                names(
                    thiqa_catalog::dgssi_cloud_2025()
                        .chapters
                        .iter()
                        .map(|c| c.id.as_str()),
                ),
            ),
        ],
        "/catalog/applicability" => profile(""),
        "/catalog/compare" => [profile("left_"), profile("right_")].concat(),
        "/catalog/oscal/catalog.json" => vec![lang()],
        "/catalog/oscal/profile.json" => [profile(""), vec![lang()]].concat(),
        "/journal/proof/inclusion" => vec![
            query("index", true, json!({"type": "integer", "minimum": 0})),
            query("size", false, json!({"type": "integer", "minimum": 1})),
        ],
        "/journal/proof/consistency" => vec![
            query("from", true, json!({"type": "integer", "minimum": 1})),
            query("to", false, json!({"type": "integer", "minimum": 1})),
        ],
        "/journal/export" | "/journal/export/proofs" => vec![
            query("from", true, day()),
            query("to", true, day()),
            query("format", false, names(JournalFormat::NAMES.iter().copied())),
            query(
                "organisation",
                false,
                json!({"type": "integer", "description": "operators: the commanditaire whose events to export (required for them)"}),
            ),
        ],
        _ => Vec::new(),
    }
}

/// An object with these `name:type` fields, all required.
fn object(fields: &[&str]) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for field in fields {
        let (name, kind) = field.split_once(':').unwrap_or((field, "object"));
        properties.insert(name.to_string(), json!({"type": kind}));
        required.push(name);
    }
    json!({"type": "object", "required": required, "properties": properties})
}

fn service(extra: &[&str]) -> Value {
    let base = [
        "id:integer",
        "name:string",
        "description:string",
        "model:string",
        "level:integer",
        "facts:object",
        "applicable_obligations:array",
        "sites:array",
    ];
    object(&[&base[..], extra].concat())
}

/// The success body's schema of a JSON operation.
fn json_body(method: &str, path: &str) -> Value {
    match (method, path) {
        ("get", "/me") => object(&[
            "id:integer",
            "username:string",
            "display_name:string",
            "directory:string",
            "tenant:object",
            "mfa_enabled:boolean",
            "permissions:array",
        ]),
        ("get", "/me/rights" | "/accounts/{id}/rights") => {
            object(&["account:string", "rights:array"])
        }
        ("get", "/accounts") => object(&["accounts:array"]),
        ("post", "/accounts") => object(&[
            "id:integer",
            "username:string",
            "setup_link:string",
            "setup_link_expires_at:integer",
        ]),
        ("get", "/roles") => object(&["roles:array"]),
        ("get", "/separation/pairs") => object(&["pairs:array"]),
        ("post", "/separation/pairs") => object(&["id:integer"]),
        ("get", "/events") => object(&["events:array"]),
        ("get", "/catalog") => object(&[
            "id:string",
            "version:string",
            "counts:object",
            "facts:array",
            "laws:array",
            "links:object",
        ]),
        ("get", "/catalog/chapters") => object(&["chapters:array"]),
        ("get", "/catalog/articles/{article_id}") => {
            object(&["chapter:object", "id:string", "obligations:array"])
        }
        ("get", "/catalog/obligations") => object(&["count:integer", "obligations:array"]),
        ("get", "/catalog/obligations/{obligation_id}") => object(&[
            "chapter:object",
            "article:object",
            "obligation:object",
            "references:array",
            "laws:array",
            "facts:array",
        ]),
        ("get", "/catalog/applicability") => {
            object(&["profile:object", "counts:object", "decisions:array"])
        }
        ("get", "/catalog/compare") => object(&[
            "left:object",
            "right:object",
            "count:integer",
            "differences:array",
        ]),
        ("get", "/catalog/oscal/catalog.json") => object(&["catalog:object"]),
        ("get", "/catalog/oscal/profile.json") => object(&["profile:object"]),
        ("get", "/journal/proof/inclusion") => object(&[
            "index:integer",
            "tree_size:integer",
            "leaf_hash:string",
            "audit_path:array",
        ]),
        ("get", "/journal/proof/consistency") => {
            object(&["from:integer", "to:integer", "proof:array"])
        }
        ("get", "/dossier/key") => object(&[
            "public_key:string",
            "fingerprint:string",
            "algorithm:string",
        ]),
        ("get", "/services") => object(&["services:array"]),
        ("get" | "post", "/services" | "/services/{id}") => service(&[]),
        ("put", "/services/{id}") => {
            service(&["became_applicable:array", "became_not_applicable:array"])
        }
        _ => json!({"type": "object"}),
    }
}

/// The `content` of the success answer: its media types and their bodies.
pub fn success_content(method: &str, path: &str) -> Value {
    let text = |media: &[&str]| -> Value {
        media
            .iter()
            .map(|m| (m.to_string(), json!({"schema": {"type": "string"}})))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    match path {
        "/catalog/export.csv" => text(&["text/csv"]),
        "/catalog/export.xlsx" => json!({XLSX: {}}),
        "/journal/checkpoint" | "/journal/key" => text(&["text/plain"]),
        "/journal/export/proofs" => text(&["application/x-ndjson"]),
        "/journal/export" => text(
            &JournalFormat::NAMES
                .iter()
                .filter_map(|n| JournalFormat::parse(n))
                .map(|f| f.media_type().split(';').next().unwrap_or_default())
                .collect::<Vec<_>>(),
        ),
        _ => json!({"application/json": {"schema": json_body(method, path)}}),
    }
}

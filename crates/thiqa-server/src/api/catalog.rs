//! The référentiel over HTTP: read-only JSON, CSV, XLSX and OSCAL, without
//! authentication on both listeners (it is a public text). Nested under
//! `/api/v1/catalog`; nothing here reads the store or a tenant's data.
//!
//! Bad parameters answer 400 `invalid_input` naming the parameter and the
//! values it takes; unknown ids answer 404 `not_found`.

use std::sync::OnceLock;

use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;

use crate::web::routes::Routes;
use serde_json::{json, Value};
use thiqa_catalog::{
    Article, Catalog, Chapter, Decision, Lang, Obligation, Profile, Reason, Subject,
};

use crate::catalog_params::{self as params, ParamError, Params, SEARCH_PARAMS};
use crate::state::AppState;
use crate::web::error::ApiError;

/// Where [`routes`] is nested; used for the links the documents carry.
pub const BASE: &str = "/api/v1/catalog";

pub fn routes() -> Routes {
    Routes::new()
        .route("/", get(index))
        .route("/chapters", get(chapters))
        .route("/articles/{id}", get(article))
        .route("/obligations", get(obligations))
        .route("/obligations/{id}", get(obligation))
        .route("/applicability", get(applicability))
        .route("/compare", get(compare))
        .route("/stats", get(stats))
        .route("/export.json", get(export_json))
        .route("/export.csv", get(export_csv))
        .route("/export.xlsx", get(export_xlsx))
        .route("/oscal/catalog.json", get(oscal_catalog))
        .route("/oscal/profile.json", get(oscal_profile))
}

impl From<ParamError> for ApiError {
    fn from(e: ParamError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}

/// Parses the query, refusing parameters the endpoint does not take.
fn query(raw: Option<String>, known: &[&str]) -> Result<Params, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(known)?;
    Ok(p)
}

fn lang_param(p: &Params) -> Result<Lang, ApiError> {
    match p.get("lang") {
        None | Some("fr") => Ok(Lang::Fr),
        Some("en") => Ok(Lang::En),
        Some(other) => Err(ParamError::Invalid {
            param: "lang".into(),
            value: other.into(),
            allowed: vec!["fr".into(), "en".into()],
        }
        .into()),
    }
}

fn chapter_ref(c: &Chapter) -> Value {
    json!({"id": c.id, "title_fr": c.title_fr, "title_en": c.title_en})
}

fn article_ref(a: &Article) -> Value {
    json!({"id": a.id, "title_fr": a.title_fr, "title_en": a.title_en, "href": format!("{BASE}/articles/{}", a.id)})
}

/// An obligation in a list: enough to filter and to follow the link.
fn summary(c: &Chapter, a: &Article, o: &Obligation) -> Value {
    json!({
        "id": o.id, "chapter": c.id, "article": a.id,
        "title_fr": o.title_fr, "title_en": o.title_en,
        "force": o.force, "nature": o.nature, "models": o.models, "levels": o.levels,
        "when": o.when, "when_not": o.when_not, "recurrence": o.recurrence,
        "href": format!("{BASE}/obligations/{}", o.id),
    })
}

async fn index(State(app): State<AppState>) -> Json<Value> {
    let c = app.catalog;
    let s = c.stats();
    let link = |p: &str| format!("{BASE}{p}");
    Json(json!({
        "id": c.id(), "version": c.version(),
        "title_fr": c.root.title_fr, "title_en": c.root.title_en,
        "instrument": c.root.instrument, "published": c.root.published,
        "counts": {"chapters": s.chapters, "articles": s.articles, "obligations": s.obligations,
                   "items": s.items, "facts": s.facts, "laws": s.laws, "definitions": s.definitions},
        "facts": c.facts().collect::<Vec<_>>(),
        "laws": c.root.laws,
        "links": {
            "chapters": link("/chapters"), "obligations": link("/obligations"), "stats": link("/stats"),
            "applicability": link("/applicability"), "compare": link("/compare"),
            "export_json": link("/export.json"), "export_csv": link("/export.csv"), "export_xlsx": link("/export.xlsx"),
            "oscal_catalog": link("/oscal/catalog.json"), "oscal_profile": link("/oscal/profile.json"),
        },
    }))
}

async fn chapters(State(app): State<AppState>) -> Json<Value> {
    let chapters: Vec<Value> = app
        .catalog
        .chapters
        .iter()
        .map(|c| {
            let articles: Vec<Value> = c
                .articles
                .iter()
                .map(|a| {
                    let mut v = article_ref(a);
                    v["obligations"] = a
                        .obligations
                        .iter()
                        .map(|o| o.id.as_str())
                        .collect::<Vec<_>>()
                        .into();
                    v
                })
                .collect();
            json!({"id": c.id, "title_fr": c.title_fr, "title_en": c.title_en,
                   "intro_fr": c.intro_fr, "intro_en": c.intro_en, "articles": articles})
        })
        .collect();
    Json(json!({ "chapters": chapters }))
}

async fn article(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (chapter, article) = app
        .catalog
        .articles()
        .find(|(_, a)| a.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({
        "chapter": chapter_ref(chapter),
        "id": article.id, "title_fr": article.title_fr, "title_en": article.title_en,
        "intro_fr": article.intro_fr, "intro_en": article.intro_en,
        "obligations": article.obligations,
    })))
}

async fn obligations(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let c = app.catalog;
    let p = query(raw, &SEARCH_PARAMS)?;
    let list: Vec<Value> = match params::search(c, &p)? {
        None => c
            .obligations()
            .map(|(ch, a, o)| summary(ch, a, o))
            .collect(),
        Some(q) => c
            .search(&q)
            .into_iter()
            .map(|hit| {
                let ch = &c.chapters[hit.at.chapter];
                let mut v = summary(ch, &ch.articles[hit.at.article], hit.obligation);
                v["score"] = hit.score.into();
                v["in_title"] = hit.in_title.into();
                v
            })
            .collect(),
    };
    Ok(Json(json!({ "count": list.len(), "obligations": list })))
}

async fn obligation(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = app.catalog;
    let at = c.locate(&id).ok_or_else(ApiError::not_found)?;
    let chapter = &c.chapters[at.chapter];
    let article = &chapter.articles[at.article];
    let o = c.at(at);
    let references: Vec<Value> = o
        .references
        .iter()
        .filter_map(|r| c.article(r))
        .map(article_ref)
        .collect();
    let laws: Vec<_> = o
        .laws
        .iter()
        .filter_map(|l| c.root.laws.iter().find(|x| &x.id == l))
        .collect();
    let facts: Vec<_> = o
        .when
        .iter()
        .chain(&o.when_not)
        .filter_map(|f| c.fact(f))
        .collect();
    Ok(Json(json!({
        "chapter": chapter_ref(chapter),
        "article": article_ref(article),
        "obligation": o,
        "references": references,
        "laws": laws,
        "facts": facts,
    })))
}

fn profile_json(c: &Catalog, p: &Profile) -> Value {
    let facts: Vec<Value> = c
        .facts()
        .map(|f| {
            let a = p.answer(c, &f.id);
            json!({"id": f.id, "value": a.value, "defaulted": a.defaulted})
        })
        .collect();
    json!({"model": p.model, "level": p.level, "description_fr": p.describe(Lang::Fr),
           "description_en": p.describe(Lang::En), "facts": facts})
}

fn reason_json(c: &Catalog, r: &Reason) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    v["met"] = r.met().into();
    v["text_fr"] = r.render(Lang::Fr, c).into();
    v["text_en"] = r.render(Lang::En, c).into();
    v
}

fn decision_json(c: &Catalog, d: &Decision) -> Value {
    let mut v = json!({
        "id": d.id,
        "subject": match d.subject { Subject::Obligation => "obligation", Subject::Item { .. } => "item" },
        "applicable": d.applicable,
        "reasons": d.reasons.iter().map(|r| reason_json(c, r)).collect::<Vec<_>>(),
        "explanation_fr": d.explain(Lang::Fr, c),
        "explanation_en": d.explain(Lang::En, c),
    });
    if let Subject::Item { obligation } = &d.subject {
        v["obligation"] = obligation.as_str().into();
    }
    v
}

async fn applicability(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let c = app.catalog;
    let p = query(raw, &["model", "level", "fact"])?;
    let profile = params::profile(c, &p, "")?;
    let decisions = c.applicability(&profile);
    let count = |obligation: bool, applicable: bool| {
        decisions
            .iter()
            .filter(|d| {
                (d.subject == Subject::Obligation) == obligation && d.applicable == applicable
            })
            .count()
    };
    Ok(Json(json!({
        "profile": profile_json(c, &profile),
        "counts": {
            "obligations_applicable": count(true, true), "obligations_not_applicable": count(true, false),
            "items_applicable": count(false, true), "items_not_applicable": count(false, false),
        },
        "decisions": decisions.iter().map(|d| decision_json(c, d)).collect::<Vec<_>>(),
    })))
}

async fn compare(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let c = app.catalog;
    let known = [
        "left_model",
        "left_level",
        "left_fact",
        "right_model",
        "right_level",
        "right_fact",
    ];
    let p = query(raw, &known)?;
    let (left, right) = (
        params::profile(c, &p, "left_")?,
        params::profile(c, &p, "right_")?,
    );
    let differences: Vec<Value> = c
        .compare(&left, &right)
        .iter()
        .map(|d| {
            json!({"id": d.id, "left": decision_json(c, &d.left), "right": decision_json(c, &d.right),
                   "explanation_fr": d.explain(Lang::Fr, c, &left, &right),
                   "explanation_en": d.explain(Lang::En, c, &left, &right)})
        })
        .collect();
    Ok(Json(json!({
        "left": profile_json(c, &left), "right": profile_json(c, &right),
        "count": differences.len(), "differences": differences,
    })))
}

async fn stats(State(app): State<AppState>) -> Json<Value> {
    Json(serde_json::to_value(app.catalog.stats()).unwrap_or(Value::Null))
}

/// A file download: content type and a `Content-Disposition` name built from
/// the catalog's id and version (`dgssi-cloud-2025-2025-08-01.csv`).
fn download(
    c: &Catalog,
    content_type: &'static str,
    ext: &str,
    body: impl IntoResponse,
) -> Response {
    let name = format!("{}-{}.{ext}", c.id(), c.version());
    let name: String = name
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_') {
                ch
            } else {
                '-'
            }
        })
        .collect();
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "public, max-age=3600".to_string()),
        ],
        body,
    )
        .into_response()
}

/// Exports of the embedded catalog are made once; another catalog (tests
/// building their own state) is exported on each request.
fn once(
    cell: &'static OnceLock<Result<Vec<u8>, String>>,
    c: &'static Catalog,
    make: fn(&Catalog) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, ApiError> {
    let result = if std::ptr::eq(c, thiqa_catalog::dgssi_cloud_2025()) {
        cell.get_or_init(|| make(c)).clone()
    } else {
        make(c)
    };
    result.map_err(ApiError::internal)
}

fn make_csv(c: &Catalog) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    thiqa_export::catalog_csv(c, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn make_xlsx(c: &Catalog) -> Result<Vec<u8>, String> {
    thiqa_export::catalog_xlsx(c).map_err(|e| e.to_string())
}

async fn export_json(State(app): State<AppState>) -> Response {
    download(
        app.catalog,
        "application/json",
        "json",
        thiqa_catalog::json::to_string(app.catalog),
    )
}

async fn export_csv(State(app): State<AppState>) -> Result<Response, ApiError> {
    static CSV: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    let bytes = once(&CSV, app.catalog, make_csv)?;
    Ok(download(
        app.catalog,
        "text/csv; charset=utf-8; header=present",
        "csv",
        bytes,
    ))
}

async fn export_xlsx(State(app): State<AppState>) -> Result<Response, ApiError> {
    static XLSX: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    let catalog = app.catalog;
    let bytes = tokio::task::spawn_blocking(move || once(&XLSX, catalog, make_xlsx))
        .await
        .map_err(ApiError::internal)??;
    Ok(download(
        catalog,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        bytes,
    ))
}

async fn oscal_catalog(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = query(raw, &["lang"])?;
    Ok(Json(thiqa_catalog::oscal::catalog(
        app.catalog,
        lang_param(&p)?,
    )))
}

/// The profile imports `catalog.json`, relative to itself: the catalog
/// endpoint beside it, or the file saved next to it.
async fn oscal_profile(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = query(raw, &["model", "level", "fact", "lang"])?;
    let profile = params::profile(app.catalog, &p, "")?;
    Ok(Json(thiqa_catalog::oscal::profile(
        app.catalog,
        &profile,
        "catalog.json",
        lang_param(&p)?,
    )))
}

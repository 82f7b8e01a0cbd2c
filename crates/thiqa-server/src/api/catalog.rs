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
use thiqa_catalog::{Catalog, Lang, Stats, Subject};

use crate::api::openapi::Binary;
use crate::catalog_params::{self as params, ParamError, Params, SEARCH_PARAMS};
use crate::state::AppState;
use crate::web::error::ApiError;

mod params_doc;
mod views;

use params_doc::{CompareQuery, LangQuery, ProfileLangQuery, ProfileQuery, Search};
use views::*;

/// The parameters of a profile, of two, and of an OSCAL profile.
const PROFILE_PARAMS: [&str; 3] = ["model", "level", "fact"];
const COMPARE_PARAMS: [&str; 6] = [
    "left_model",
    "left_level",
    "left_fact",
    "right_model",
    "right_level",
    "right_fact",
];
const OSCAL_PROFILE_PARAMS: [&str; 4] = ["model", "level", "fact", "lang"];

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

#[utoipa::path(get, path = "/catalog", security(()), responses((status = 200, body = CatalogIndex)),
    summary = "The référentiel's identity, version, counts, profile questions (facts) and laws")]
async fn index(State(app): State<AppState>) -> Json<CatalogIndex> {
    let c = app.catalog;
    Json(CatalogIndex {
        id: c.id(),
        version: c.version(),
        title_fr: &c.root.title_fr,
        title_en: &c.root.title_en,
        instrument: &c.root.instrument,
        published: &c.root.published,
        counts: c.stats(),
        facts: c.facts().collect(),
        laws: &c.root.laws,
        links: Links::new(),
    })
}

#[utoipa::path(get, path = "/catalog/chapters", security(()), responses((status = 200, body = Chapters)),
    summary = "Chapters with their articles and obligation ids")]
async fn chapters(State(app): State<AppState>) -> Json<Chapters> {
    let chapters = app
        .catalog
        .chapters
        .iter()
        .map(|c| ChapterEntry {
            id: &c.id,
            title_fr: &c.title_fr,
            title_en: &c.title_en,
            intro_fr: c.intro_fr.as_deref(),
            intro_en: c.intro_en.as_deref(),
            articles: c
                .articles
                .iter()
                .map(|a| ArticleEntry {
                    article: ArticleRef::of(a),
                    obligations: a.obligations.iter().map(|o| o.id.as_str()).collect(),
                })
                .collect(),
        })
        .collect();
    Json(Chapters { chapters })
}

#[utoipa::path(get, path = "/catalog/articles/{article_id}", security(()),
    params(("article_id" = String, Path, description = "e.g. 3.6.3")),
    responses((status = 200, body = ArticleView)),
    summary = "One article with its introduction and every obligation in full")]
async fn article(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    let (chapter, article) = app
        .catalog
        .articles()
        .find(|(_, a)| a.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(ArticleView {
        chapter: ChapterRef::of(chapter),
        id: &article.id,
        title_fr: &article.title_fr,
        title_en: &article.title_en,
        intro_fr: article.intro_fr.as_deref(),
        intro_en: article.intro_en.as_deref(),
        obligations: &article.obligations,
    }))
}

#[utoipa::path(get, path = "/catalog/obligations", security(()), params(Search),
    responses((status = 200, body = Obligations)),
    summary = "Every obligation, or a search: q (accent-insensitive), model, level, nature, recurrence, force, chapter")]
async fn obligations(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Obligations>, ApiError> {
    let c = app.catalog;
    let p = query(raw, &SEARCH_PARAMS)?;
    let list: Vec<ObligationSummary> = match params::search(c, &p)? {
        None => c
            .obligations()
            .map(|(ch, a, o)| ObligationSummary::of(ch, a, o))
            .collect(),
        Some(q) => c
            .search(&q)
            .into_iter()
            .map(|hit| {
                let ch = &c.chapters[hit.at.chapter];
                ObligationSummary {
                    score: Some(hit.score),
                    in_title: Some(hit.in_title),
                    ..ObligationSummary::of(ch, &ch.articles[hit.at.article], hit.obligation)
                }
            })
            .collect(),
    };
    Ok(Json(Obligations {
        count: list.len(),
        obligations: list,
    }))
}

#[utoipa::path(get, path = "/catalog/obligations/{obligation_id}", security(()),
    params(("obligation_id" = String, Path, description = "e.g. 3.6.3.b")),
    responses((status = 200, body = ObligationView)),
    summary = "One obligation with its article, referenced articles, laws and conditions")]
async fn obligation(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ObligationView>, ApiError> {
    let c = app.catalog;
    let at = c.locate(&id).ok_or_else(ApiError::not_found)?;
    let chapter = &c.chapters[at.chapter];
    let article = &chapter.articles[at.article];
    let o = c.at(at);
    Ok(Json(ObligationView {
        chapter: ChapterRef::of(chapter),
        article: ArticleRef::of(article),
        obligation: o,
        references: o
            .references
            .iter()
            .filter_map(|r| c.article(r))
            .map(ArticleRef::of)
            .collect(),
        laws: o
            .laws
            .iter()
            .filter_map(|l| c.root.laws.iter().find(|x| &x.id == l))
            .collect(),
        facts: o
            .when
            .iter()
            .chain(&o.when_not)
            .filter_map(|f| c.fact(f))
            .collect(),
    }))
}

#[utoipa::path(get, path = "/catalog/applicability", security(()), params(ProfileQuery),
    responses((status = 200, body = Applicability)),
    summary = "Whether each obligation and item applies to model, level and repeated fact=name:yes|no, with reasons in French and English")]
async fn applicability(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Applicability>, ApiError> {
    let c = app.catalog;
    let p = query(raw, &PROFILE_PARAMS)?;
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
    Ok(Json(Applicability {
        profile: ProfileView::of(c, &profile),
        counts: ApplicabilityCounts {
            obligations_applicable: count(true, true),
            obligations_not_applicable: count(true, false),
            items_applicable: count(false, true),
            items_not_applicable: count(false, false),
        },
        decisions: decisions.iter().map(|d| DecisionView::of(c, d)).collect(),
    }))
}

#[utoipa::path(get, path = "/catalog/compare", security(()), params(CompareQuery),
    responses((status = 200, body = Comparison)),
    summary = "What applies differently to two profiles: left_model, left_level, left_fact, right_model, right_level, right_fact")]
async fn compare(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Comparison>, ApiError> {
    let c = app.catalog;
    let p = query(raw, &COMPARE_PARAMS)?;
    let (left, right) = (
        params::profile(c, &p, "left_")?,
        params::profile(c, &p, "right_")?,
    );
    let differences: Vec<Difference> = c
        .compare(&left, &right)
        .iter()
        .map(|d| Difference {
            id: d.id.clone(),
            left: DecisionView::of(c, &d.left),
            right: DecisionView::of(c, &d.right),
            explanation_fr: d.explain(Lang::Fr, c, &left, &right),
            explanation_en: d.explain(Lang::En, c, &left, &right),
        })
        .collect();
    Ok(Json(Comparison {
        left: ProfileView::of(c, &left),
        right: ProfileView::of(c, &right),
        count: differences.len(),
        differences,
    }))
}

#[utoipa::path(get, path = "/catalog/stats", security(()), responses((status = 200, body = Stats)),
    summary = "Counts by force, nature, recurrence, level and model")]
async fn stats(State(app): State<AppState>) -> Json<Stats> {
    Json(app.catalog.stats())
}

/// The media type of a spreadsheet.
const XLSX_MEDIA: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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

#[utoipa::path(get, path = "/catalog/export.json", security(()),
    responses((status = 200, description = "the catalog as a Thiqa JSON document (download)", body = Object)),
    summary = "The whole catalog as a Thiqa JSON document (download)")]
async fn export_json(State(app): State<AppState>) -> Response {
    download(
        app.catalog,
        "application/json",
        "json",
        thiqa_catalog::json::to_string(app.catalog),
    )
}

#[utoipa::path(get, path = "/catalog/export.csv", security(()),
    responses((status = 200, description = "one row per obligation, with a header", body = String, content_type = "text/csv")),
    summary = "One row per obligation, CSV (download)")]
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

#[utoipa::path(get, path = "/catalog/export.xlsx", security(()),
    responses((status = 200, description = "obligations sheet and summary", body = Binary, content_type = XLSX_MEDIA)),
    summary = "Spreadsheet: obligations sheet and summary (download)")]
async fn export_xlsx(State(app): State<AppState>) -> Result<Response, ApiError> {
    static XLSX: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    let catalog = app.catalog;
    let bytes = tokio::task::spawn_blocking(move || once(&XLSX, catalog, make_xlsx))
        .await
        .map_err(ApiError::internal)??;
    Ok(download(catalog, XLSX_MEDIA, "xlsx", bytes))
}

#[utoipa::path(get, path = "/catalog/oscal/catalog.json", security(()), params(LangQuery),
    responses((status = 200, body = OscalCatalog)), summary = "OSCAL 1.1.2 catalog; lang=fr|en")]
async fn oscal_catalog(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<OscalCatalog>, ApiError> {
    let p = query(raw, &["lang"])?;
    let mut doc = thiqa_catalog::oscal::catalog(app.catalog, lang_param(&p)?);
    Ok(Json(OscalCatalog {
        catalog: doc["catalog"].take(),
    }))
}

/// The profile imports `catalog.json`, relative to itself: the catalog
/// endpoint beside it, or the file saved next to it.
#[utoipa::path(get, path = "/catalog/oscal/profile.json", security(()), params(ProfileLangQuery),
    responses((status = 200, body = OscalProfile)),
    summary = "OSCAL profile of the obligations that apply to model, level, fact; lang=fr|en")]
async fn oscal_profile(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<OscalProfile>, ApiError> {
    let p = query(raw, &OSCAL_PROFILE_PARAMS)?;
    let profile = params::profile(app.catalog, &p, "")?;
    let mut doc =
        thiqa_catalog::oscal::profile(app.catalog, &profile, "catalog.json", lang_param(&p)?);
    Ok(Json(OscalProfile {
        profile: doc["profile"].take(),
    }))
}

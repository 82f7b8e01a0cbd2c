//! The référentiel in the operator console: browse chapters and articles,
//! read one obligation at its permanent URL, search, and see which
//! obligations apply to a service profile and why. Read-only; every page
//! needs `catalog.read`.

pub(crate) mod applicability;
mod search;
pub mod views;

use crate::web::routes::Routes;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use thiqa_catalog::Catalog;
use thiqa_domain::Permission;

use crate::auth::visit::Signed;
use crate::catalog_params::ParamError;
use crate::i18n::Tr;
use crate::realm::{Console, Realm};
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::ok;
use views::{Builder, Node, ObligationView};

const CSS: &str = include_str!("../../static/catalog.css");

pub fn routes() -> Routes {
    Routes::new()
        .route("/catalog", get(index::<Console>))
        .route("/catalog/search", get(search::search::<Console>))
        .route(
            "/catalog/applicability",
            get(applicability::applicability::<Console>),
        )
        .route("/catalog/o/{id}", get(obligation::<Console>))
        .route("/catalog/{id}", get(article::<Console>))
        .route("/static/catalog.css", get(css))
}

pub async fn css() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

/// The signed-in reader, the frame and a builder in the visitor's language.
struct Reader<'a> {
    chrome: Chrome<'a>,
    b: Builder<'a>,
}

fn reader<'a, R: Realm>(
    app: &'a AppState,
    me: &Signed<R>,
    uri: &Uri,
) -> Result<Reader<'a>, PageError> {
    me.require(Permission::CatalogRead)?;
    let here = uri.path_and_query().map_or("/catalog", |p| p.as_str());
    let chrome = Chrome::new::<R>(app, &me.visit, here);
    let b = Builder {
        catalog: app.catalog,
        tr: chrome.tr,
        lang: views::lang_of(me.visit.lang),
    };
    Ok(Reader { chrome, b })
}

/// A 400 page naming the parameter and the values it takes.
pub(crate) fn bad_param(tr: &Tr<'_>, e: &ParamError) -> PageError {
    let mut msg = tr.t1("catalog-error-param", "param", e.param());
    let detail = match e {
        ParamError::Malformed | ParamError::Invalid { .. } => None,
        ParamError::Missing { .. } => Some(tr.t("catalog-error-missing")),
        ParamError::TooLong { max, .. } => {
            Some(tr.t1("catalog-error-too-long", "max", &max.to_string()))
        }
        ParamError::UnknownFact { fact, .. } => {
            Some(tr.t1("catalog-error-unknown-fact", "fact", fact))
        }
        ParamError::Unknown { .. } => Some(tr.t("catalog-error-unknown-param")),
    };
    if let Some(d) = detail {
        msg = msg + " " + &d;
    }
    if !e.allowed().is_empty() {
        msg = msg + " " + &tr.t1("catalog-error-allowed", "values", &e.allowed().join(", "));
    }
    PageError::BadRequest(msg)
}

pub struct ChapterView {
    pub id: String,
    pub title: String,
    /// (id, title, number of obligations)
    pub articles: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "catalog_index.html")]
struct IndexPage<'a> {
    chrome: Chrome<'a>,
    title: String,
    instrument: String,
    version: String,
    published: String,
    /// (label key, count)
    counts: Vec<(&'static str, String)>,
    chapters: Vec<ChapterView>,
}

pub async fn index<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    uri: Uri,
) -> Result<Response, PageError> {
    let Reader { chrome, b } = reader(&app, &me, &uri)?;
    let c = app.catalog;
    let s = c.stats();
    let chapters = c
        .chapters
        .iter()
        .map(|ch| ChapterView {
            id: ch.id.clone(),
            title: b.pick(&ch.title_fr, &ch.title_en).to_string(),
            articles: ch
                .articles
                .iter()
                .map(|a| {
                    (
                        a.id.clone(),
                        b.pick(&a.title_fr, &a.title_en).to_string(),
                        a.obligations.len().to_string(),
                    )
                })
                .collect(),
        })
        .collect();
    ok(&IndexPage {
        title: b.pick(&c.root.title_fr, &c.root.title_en).to_string(),
        instrument: c.root.instrument.clone(),
        version: c.version().to_string(),
        published: c.root.published.clone(),
        counts: vec![
            ("catalog-count-chapters", s.chapters.to_string()),
            ("catalog-count-articles", s.articles.to_string()),
            ("catalog-count-obligations", s.obligations.to_string()),
            ("catalog-count-items", s.items.to_string()),
            ("catalog-count-facts", s.facts.to_string()),
        ],
        chapters,
        chrome,
    })
}

/// Where an id that is not an article (or not an obligation) really lives.
fn elsewhere(c: &Catalog, id: &str) -> Option<String> {
    if c.chapter(id).is_some() {
        return Some(format!("/catalog#ch-{id}"));
    }
    if c.article(id).is_some() {
        return Some(format!("/catalog/{id}"));
    }
    if c.obligation(id).is_some() {
        return Some(format!("/catalog/o/{id}"));
    }
    c.items()
        .find(|(_, i)| i.id == id)
        .map(|(o, i)| format!("/catalog/o/{}#i-{}", o.id, i.id))
}

#[derive(Template)]
#[template(path = "catalog_article.html")]
struct ArticlePage<'a> {
    chrome: Chrome<'a>,
    chapter_id: String,
    chapter_title: String,
    id: String,
    title: String,
    /// The French title when the visitor reads English: the official one.
    official_title: Option<String>,
    intro: Option<String>,
    obligations: Vec<ObligationView>,
    previous: Option<(String, String)>,
    next: Option<(String, String)>,
}

pub async fn article<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Reader { chrome, b } = reader(&app, &me, &uri)?;
    let c = app.catalog;
    let all: Vec<_> = c.articles().collect();
    let Some(pos) = all.iter().position(|(_, a)| a.id == id) else {
        return match elsewhere(c, &id) {
            Some(to) => Ok(Redirect::to(&to).into_response()),
            None => Err(PageError::NotFound),
        };
    };
    let (chapter, a) = all[pos];
    let link = |i: usize| {
        all.get(i)
            .map(|(_, a)| (a.id.clone(), b.pick(&a.title_fr, &a.title_en).to_string()))
    };
    ok(&ArticlePage {
        chapter_id: chapter.id.clone(),
        chapter_title: b.pick(&chapter.title_fr, &chapter.title_en).to_string(),
        id: a.id.clone(),
        title: b.pick(&a.title_fr, &a.title_en).to_string(),
        official_title: (b.lang != thiqa_catalog::Lang::Fr).then(|| a.title_fr.clone()),
        intro: b
            .lang
            .pick_opt(&a.intro_fr, &a.intro_en)
            .map(str::to_string),
        obligations: a.obligations.iter().map(|o| b.obligation(o)).collect(),
        previous: pos.checked_sub(1).and_then(link),
        next: link(pos + 1),
        chrome,
    })
}

#[derive(Template)]
#[template(path = "catalog_obligation.html")]
struct ObligationPage<'a> {
    chrome: Chrome<'a>,
    chapter_id: String,
    chapter_title: String,
    article_id: String,
    article_title: String,
    o: ObligationView,
    /// The same obligation in the other language, and that language's code.
    other: ObligationView,
    other_lang: &'static str,
    /// Whether the visitor's text is the official (French) one.
    official_first: bool,
    durations: Vec<String>,
    informs: Vec<String>,
    approvals: Vec<String>,
    /// (article id, title)
    references: Vec<(String, String)>,
    laws: Vec<String>,
    evidence: Vec<String>,
    /// (fact question, "applies when yes" or "when no")
    conditions: Vec<(String, String)>,
}

pub async fn obligation<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Reader { chrome, b } = reader(&app, &me, &uri)?;
    let c = app.catalog;
    let Some(at) = c.locate(&id) else {
        return match elsewhere(c, &id) {
            Some(to) => Ok(Redirect::to(&to).into_response()),
            None => Err(PageError::NotFound),
        };
    };
    let chapter = &c.chapters[at.chapter];
    let article = &chapter.articles[at.article];
    let o = c.at(at);
    let lang = b.lang;
    let tr = chrome.tr;
    let parties =
        |ps: &[thiqa_catalog::Party]| ps.iter().map(|p| p.label_in(lang).to_string()).collect();
    let durations = o
        .durations
        .iter()
        .map(|d| {
            format!(
                "{} — {} — {}",
                d.kind.label_in(lang),
                tr.t1("catalog-months", "n", &d.months.to_string()),
                lang.pick(&d.subject_fr, &d.subject_en)
            )
        })
        .collect();
    let conditions = o
        .when
        .iter()
        .map(|f| (f, "catalog-applies-if-yes"))
        .chain(o.when_not.iter().map(|f| (f, "catalog-applies-if-no")))
        .filter_map(|(f, key)| {
            c.fact(f).map(|f| {
                (
                    lang.pick(&f.question_fr, &f.question_en).to_string(),
                    tr.t(key),
                )
            })
        })
        .collect();
    ok(&ObligationPage {
        chapter_id: chapter.id.clone(),
        chapter_title: b.pick(&chapter.title_fr, &chapter.title_en).to_string(),
        article_id: article.id.clone(),
        article_title: b.pick(&article.title_fr, &article.title_en).to_string(),
        o: b.obligation(o),
        other: b.obligation_in(o, views::other(lang)),
        other_lang: views::other(lang).as_str(),
        official_first: lang == thiqa_catalog::Lang::Fr,
        durations,
        informs: parties(&o.informs),
        approvals: parties(&o.approvals),
        references: o
            .references
            .iter()
            .map(|r| {
                let title = c
                    .article(r)
                    .map(|a| b.pick(&a.title_fr, &a.title_en).to_string());
                (r.clone(), title.unwrap_or_default())
            })
            .collect(),
        laws: o
            .laws
            .iter()
            .map(|l| match c.root.laws.iter().find(|x| &x.id == l) {
                Some(law) => b.pick(&law.title_fr, &law.title_en).to_string(),
                None => l.clone(),
            })
            .collect(),
        evidence: lang.pick_list(&o.evidence_fr, &o.evidence_en).to_vec(),
        conditions,
        chrome,
    })
}

//! The search page: words, filters as selects, results with the query's
//! words highlighted in the titles.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use thiqa_catalog::{Force, Level, Nature, Recurrence, ServiceModel};

use super::views::{self, Badge, Builder};
use super::{bad_param, reader, Reader};
use crate::auth::visit::Signed;
use crate::catalog_params::{self as params, Params, SEARCH_PARAMS};
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::ok;

/// A select of the search form: name, label key, options (value, label, selected).
pub struct Filter {
    pub name: &'static str,
    pub label_key: &'static str,
    pub options: Vec<(String, String, bool)>,
}

pub struct HitView {
    pub id: String,
    pub title: Vec<(String, bool)>,
    pub article_id: String,
    pub article_title: String,
    pub snippet: String,
    pub badges: Vec<Badge>,
}

#[derive(Template)]
#[template(path = "catalog_search.html")]
struct SearchPage<'a> {
    chrome: Chrome<'a>,
    q: String,
    filters: Vec<Filter>,
    results: Option<Vec<HitView>>,
    count: String,
}

fn options<T: Copy>(
    all: &[T],
    selected: Option<&str>,
    value: impl Fn(T) -> String,
    label: impl Fn(T) -> String,
) -> Vec<(String, String, bool)> {
    all.iter()
        .map(|v| {
            (
                value(*v),
                label(*v),
                selected.is_some_and(|s| s.eq_ignore_ascii_case(&value(*v))),
            )
        })
        .collect()
}

fn filters(b: &Builder<'_>, p: &Params) -> Vec<Filter> {
    let lang = b.lang;
    let mut out = vec![
        Filter {
            name: "model",
            label_key: "catalog-filter-model",
            options: options(
                &ServiceModel::ALL,
                p.get("model"),
                |m| m.as_str().into(),
                |m| m.label().into(),
            ),
        },
        Filter {
            name: "level",
            label_key: "catalog-filter-level",
            options: options(
                &Level::ALL,
                p.get("level"),
                |l| l.number().to_string(),
                |l| thiqa_catalog::level_label(&l.number().to_string(), lang),
            ),
        },
        Filter {
            name: "nature",
            label_key: "catalog-filter-nature",
            options: options(
                Nature::ALL,
                p.get("nature"),
                |n| n.as_str().into(),
                |n| n.label_in(lang).into(),
            ),
        },
        Filter {
            name: "recurrence",
            label_key: "catalog-filter-recurrence",
            options: options(
                Recurrence::ALL,
                p.get("recurrence"),
                |r| r.as_str().into(),
                |r| r.label_in(lang).into(),
            ),
        },
        Filter {
            name: "force",
            label_key: "catalog-filter-force",
            options: options(
                Force::ALL,
                p.get("force"),
                |f| f.as_str().into(),
                |f| f.label_in(lang).into(),
            ),
        },
    ];
    out.push(Filter {
        name: "chapter",
        label_key: "catalog-filter-chapter",
        options: b
            .catalog
            .chapters
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    format!("{} {}", c.id, b.pick(&c.title_fr, &c.title_en)),
                    p.get("chapter") == Some(c.id.as_str()),
                )
            })
            .collect(),
    });
    out
}

pub async fn search<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let Reader { chrome, b } = reader(&app, &me, &uri)?;
    let c = app.catalog;
    let p = Params::parse(raw.as_deref()).map_err(|e| bad_param(&chrome.tr, &e))?;
    p.only(&SEARCH_PARAMS)
        .map_err(|e| bad_param(&chrome.tr, &e))?;
    let query = params::search(c, &p).map_err(|e| bad_param(&chrome.tr, &e))?;
    let results = query.map(|q| {
        let words = views::highlight_words(&q.text);
        c.search(&q)
            .into_iter()
            .map(|hit| {
                let a = &c.chapters[hit.at.chapter].articles[hit.at.article];
                let o = hit.obligation;
                HitView {
                    id: o.id.clone(),
                    title: views::highlight(b.pick(&o.title_fr, &o.title_en), &words),
                    article_id: a.id.clone(),
                    article_title: b.pick(&a.title_fr, &a.title_en).to_string(),
                    snippet: views::snippet(b.pick(&o.text_fr, &o.text_en), 220),
                    badges: b.obligation_badges(o),
                }
            })
            .collect::<Vec<_>>()
    });
    let count = results.as_ref().map_or(0, Vec::len).to_string();
    ok(&SearchPage {
        q: p.get("q").unwrap_or("").to_string(),
        filters: filters(&b, &p),
        results,
        count,
        chrome,
    })
}

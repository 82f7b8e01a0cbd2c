//! Which obligations apply to a service profile (model, level, answers to
//! the catalog's questions), each with its reason in the reader's language.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use thiqa_catalog::{Catalog, Level, Profile, ServiceModel, Subject};

use super::views;
use super::{bad_param, reader, Reader};
use crate::auth::visit::Signed;
use crate::catalog_params::{self as params, ParamError, Params};
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::ok;

pub struct FactField {
    pub id: String,
    pub question: String,
    pub yes: bool,
    /// The catalog's default answer, shown so nobody mistakes it for an answer.
    pub default_yes: bool,
}

pub struct DecisionRow {
    pub id: String,
    pub href: String,
    pub title: String,
    pub is_item: bool,
    pub applicable: bool,
    pub explanation: String,
}

pub struct Outcome {
    pub profile: String,
    /// (label key, count) pairs.
    pub counts: Vec<(&'static str, String)>,
    pub rows: Vec<DecisionRow>,
}

#[derive(Template)]
#[template(path = "catalog_applicability.html")]
struct ApplicabilityPage<'a> {
    chrome: Chrome<'a>,
    models: Vec<(String, String, bool)>,
    levels: Vec<(String, String, bool)>,
    facts: Vec<FactField>,
    outcome: Option<Outcome>,
}

/// The profile of the form: `model`, `level`, `fact_<id>=yes|no`.
pub(crate) fn form_profile(c: &Catalog, p: &Params) -> Result<Profile, ParamError> {
    let mut with_facts = Params::default();
    for (k, v) in p.pairs() {
        match k.strip_prefix("fact_") {
            Some(id) => {
                let id = params::fact_id(c, k, id)?;
                with_facts = with_facts.with(
                    "fact",
                    format!("{id}:{}", if params::yes_no(k, v)? { "yes" } else { "no" }),
                );
            }
            None if k == "model" || k == "level" => with_facts = with_facts.with(k, v.to_string()),
            None => {
                return Err(ParamError::Unknown {
                    param: k.to_string(),
                    allowed: vec!["model".into(), "level".into(), "fact_<id>".into()],
                })
            }
        }
    }
    params::profile(c, &with_facts, "")
}

pub async fn applicability<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let Reader { chrome, b } = reader(&app, &me, &uri)?;
    let c = app.catalog;
    let tr = chrome.tr;
    let p = Params::parse(raw.as_deref()).map_err(|e| bad_param(&tr, &e))?;
    let profile = match p.pairs().next() {
        None => None,
        Some(_) => Some(form_profile(c, &p).map_err(|e| bad_param(&tr, &e))?),
    };
    let lang = b.lang;
    let facts = c
        .facts()
        .map(|f| FactField {
            id: f.id.clone(),
            question: lang.pick(&f.question_fr, &f.question_en).to_string(),
            yes: profile
                .as_ref()
                .and_then(|pr| pr.facts.get(&f.id).copied())
                .unwrap_or(f.default),
            default_yes: f.default,
        })
        .collect();
    let outcome = profile.as_ref().map(|pr| {
        let decisions = c.applicability(pr);
        let count = |obligation: bool, applicable: Option<bool>| {
            decisions
                .iter()
                .filter(|d| {
                    (d.subject == Subject::Obligation) == obligation
                        && applicable.is_none_or(|a| d.applicable == a)
                })
                .count()
                .to_string()
        };
        let items: HashMap<&str, &str> = c
            .items()
            .map(|(_, i)| (i.id.as_str(), lang.pick(&i.text_fr, &i.text_en)))
            .collect();
        let rows = decisions
            .iter()
            .map(|d| {
                let (href, title, is_item) = match &d.subject {
                    Subject::Obligation => {
                        let o = c.obligation(&d.id);
                        (
                            format!("/catalog/o/{}", d.id),
                            o.map(|o| b.pick(&o.title_fr, &o.title_en).to_string()),
                            false,
                        )
                    }
                    Subject::Item { obligation } => (
                        format!("/catalog/o/{obligation}#i-{}", d.id),
                        items.get(d.id.as_str()).map(|t| views::snippet(t, 140)),
                        true,
                    ),
                };
                DecisionRow {
                    id: d.id.clone(),
                    href,
                    title: title.unwrap_or_default(),
                    is_item,
                    applicable: d.applicable,
                    explanation: d.explain(lang, c),
                }
            })
            .collect();
        Outcome {
            profile: pr.describe(lang),
            counts: vec![
                ("catalog-count-applicable", count(true, Some(true))),
                ("catalog-count-not-applicable", count(true, Some(false))),
                ("catalog-count-obligations", count(true, None)),
                ("catalog-count-items-applicable", count(false, Some(true))),
                ("catalog-count-items", count(false, None)),
            ],
            rows,
        }
    });
    let model = profile.as_ref().map(|pr| pr.model);
    let level = profile.as_ref().map_or(Level::One, |pr| pr.level);
    ok(&ApplicabilityPage {
        models: ServiceModel::ALL
            .iter()
            .map(|m| {
                (
                    m.as_str().to_string(),
                    m.label().to_string(),
                    model.unwrap_or(ServiceModel::Iaas) == *m,
                )
            })
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| {
                (
                    l.number().to_string(),
                    thiqa_catalog::level_label(&l.number().to_string(), lang),
                    level == *l,
                )
            })
            .collect(),
        facts,
        outcome,
        chrome,
    })
}

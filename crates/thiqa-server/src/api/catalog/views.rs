//! What the catalog operations answer, as types: the OpenAPI document's
//! schemas are generated from them.

use serde::Serialize;
use thiqa_catalog::{
    Article, Catalog, Chapter, Decision, Fact, Force, Lang, Law, Level, Nature, Obligation,
    Profile, Reason, Recurrence, ServiceModel, Stats, Subject,
};
use utoipa::ToSchema;

use super::BASE;

/// The référentiel's identity, version, counts, profile questions and laws.
#[derive(Serialize, ToSchema)]
pub struct CatalogIndex {
    pub id: &'static str,
    pub version: &'static str,
    pub title_fr: &'static str,
    pub title_en: &'static str,
    pub instrument: &'static str,
    /// ISO date of the instrument.
    pub published: &'static str,
    pub counts: Stats,
    /// The profile questions (facts) a service answers.
    pub facts: Vec<&'static Fact>,
    pub laws: &'static [Law],
    pub links: Links,
}

/// Where the other catalog operations are.
#[derive(Serialize, ToSchema)]
pub struct Links {
    pub chapters: String,
    pub obligations: String,
    pub stats: String,
    pub applicability: String,
    pub compare: String,
    pub export_json: String,
    pub export_csv: String,
    pub export_xlsx: String,
    pub oscal_catalog: String,
    pub oscal_profile: String,
}

impl Links {
    pub fn new() -> Links {
        let link = |p: &str| format!("{BASE}{p}");
        Links {
            chapters: link("/chapters"),
            obligations: link("/obligations"),
            stats: link("/stats"),
            applicability: link("/applicability"),
            compare: link("/compare"),
            export_json: link("/export.json"),
            export_csv: link("/export.csv"),
            export_xlsx: link("/export.xlsx"),
            oscal_catalog: link("/oscal/catalog.json"),
            oscal_profile: link("/oscal/profile.json"),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChapterRef {
    pub id: &'static str,
    pub title_fr: &'static str,
    pub title_en: &'static str,
}

impl ChapterRef {
    pub fn of(c: &'static Chapter) -> ChapterRef {
        ChapterRef {
            id: &c.id,
            title_fr: &c.title_fr,
            title_en: &c.title_en,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleRef {
    pub id: &'static str,
    pub title_fr: &'static str,
    pub title_en: &'static str,
    pub href: String,
}

impl ArticleRef {
    pub fn of(a: &'static Article) -> ArticleRef {
        ArticleRef {
            id: &a.id,
            title_fr: &a.title_fr,
            title_en: &a.title_en,
            href: format!("{BASE}/articles/{}", a.id),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Chapters {
    pub chapters: Vec<ChapterEntry>,
}

/// A chapter with its articles and their obligation ids.
#[derive(Serialize, ToSchema)]
pub struct ChapterEntry {
    pub id: &'static str,
    pub title_fr: &'static str,
    pub title_en: &'static str,
    pub intro_fr: Option<&'static str>,
    pub intro_en: Option<&'static str>,
    pub articles: Vec<ArticleEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct ArticleEntry {
    #[serde(flatten)]
    pub article: ArticleRef,
    pub obligations: Vec<&'static str>,
}

/// One article with its introduction and every obligation in full.
#[derive(Serialize, ToSchema)]
pub struct ArticleView {
    pub chapter: ChapterRef,
    pub id: &'static str,
    pub title_fr: &'static str,
    pub title_en: &'static str,
    pub intro_fr: Option<&'static str>,
    pub intro_en: Option<&'static str>,
    pub obligations: &'static [Obligation],
}

/// An obligation in a list: enough to filter and to follow the link.
#[derive(Serialize, ToSchema)]
pub struct ObligationSummary {
    pub id: &'static str,
    pub chapter: &'static str,
    pub article: &'static str,
    pub title_fr: &'static str,
    pub title_en: &'static str,
    pub force: Force,
    pub nature: &'static [Nature],
    pub models: &'static [ServiceModel],
    pub levels: &'static [Level],
    pub when: &'static [String],
    pub when_not: &'static [String],
    pub recurrence: &'static [Recurrence],
    pub href: String,
    /// Searches only: how well the obligation matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
    /// Searches only: whether the title matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_title: Option<bool>,
}

impl ObligationSummary {
    pub fn of(c: &'static Chapter, a: &'static Article, o: &'static Obligation) -> Self {
        ObligationSummary {
            id: &o.id,
            chapter: &c.id,
            article: &a.id,
            title_fr: &o.title_fr,
            title_en: &o.title_en,
            force: o.force,
            nature: &o.nature,
            models: &o.models,
            levels: &o.levels,
            when: &o.when,
            when_not: &o.when_not,
            recurrence: &o.recurrence,
            href: format!("{BASE}/obligations/{}", o.id),
            score: None,
            in_title: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Obligations {
    pub count: usize,
    pub obligations: Vec<ObligationSummary>,
}

/// One obligation with its article, referenced articles, laws and conditions.
#[derive(Serialize, ToSchema)]
pub struct ObligationView {
    pub chapter: ChapterRef,
    pub article: ArticleRef,
    pub obligation: &'static Obligation,
    /// The articles the text refers to.
    pub references: Vec<ArticleRef>,
    pub laws: Vec<&'static Law>,
    /// The facts the obligation depends on.
    pub facts: Vec<&'static Fact>,
}

/// A service profile, with every fact's answer.
#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    pub model: ServiceModel,
    pub level: Level,
    pub description_fr: String,
    pub description_en: String,
    pub facts: Vec<FactAnswer>,
}

#[derive(Serialize, ToSchema)]
pub struct FactAnswer {
    pub id: &'static str,
    pub value: bool,
    /// The profile did not answer: the catalog's default was used.
    pub defaulted: bool,
}

impl ProfileView {
    pub fn of(c: &'static Catalog, p: &Profile) -> ProfileView {
        let facts = c
            .facts()
            .map(|f| {
                let a = p.answer(c, &f.id);
                FactAnswer {
                    id: &f.id,
                    value: a.value,
                    defaulted: a.defaulted,
                }
            })
            .collect();
        ProfileView {
            model: p.model,
            level: p.level,
            description_fr: p.describe(Lang::Fr),
            description_en: p.describe(Lang::En),
            facts,
        }
    }
}

/// A restriction, whether the profile meets it, and it as a phrase.
#[derive(Serialize, ToSchema)]
pub struct ReasonView {
    #[serde(flatten)]
    pub reason: Reason,
    pub met: bool,
    pub text_fr: String,
    pub text_en: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Obligation,
    Item,
}

/// Whether an obligation or item applies, and why.
#[derive(Serialize, ToSchema)]
pub struct DecisionView {
    pub id: String,
    pub subject: SubjectKind,
    pub applicable: bool,
    pub reasons: Vec<ReasonView>,
    pub explanation_fr: String,
    pub explanation_en: String,
    /// Items only: the obligation the item belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub obligation: Option<String>,
}

impl DecisionView {
    pub fn of(c: &Catalog, d: &Decision) -> DecisionView {
        let (subject, obligation) = match &d.subject {
            Subject::Obligation => (SubjectKind::Obligation, None),
            Subject::Item { obligation } => (SubjectKind::Item, Some(obligation.to_string())),
        };
        DecisionView {
            id: d.id.clone(),
            subject,
            applicable: d.applicable,
            reasons: d
                .reasons
                .iter()
                .map(|r| ReasonView {
                    reason: r.clone(),
                    met: r.met(),
                    text_fr: r.render(Lang::Fr, c),
                    text_en: r.render(Lang::En, c),
                })
                .collect(),
            explanation_fr: d.explain(Lang::Fr, c),
            explanation_en: d.explain(Lang::En, c),
            obligation,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ApplicabilityCounts {
    pub obligations_applicable: usize,
    pub obligations_not_applicable: usize,
    pub items_applicable: usize,
    pub items_not_applicable: usize,
}

/// Whether each obligation and item applies to a profile.
#[derive(Serialize, ToSchema)]
pub struct Applicability {
    pub profile: ProfileView,
    pub counts: ApplicabilityCounts,
    pub decisions: Vec<DecisionView>,
}

/// What applies differently to two profiles.
#[derive(Serialize, ToSchema)]
pub struct Comparison {
    pub left: ProfileView,
    pub right: ProfileView,
    pub count: usize,
    pub differences: Vec<Difference>,
}

#[derive(Serialize, ToSchema)]
pub struct Difference {
    pub id: String,
    pub left: DecisionView,
    pub right: DecisionView,
    pub explanation_fr: String,
    pub explanation_en: String,
}

/// An OSCAL 1.1.2 catalog document (<https://pages.nist.gov/OSCAL/>).
#[derive(Serialize, ToSchema)]
pub struct OscalCatalog {
    #[schema(value_type = Object)]
    pub catalog: serde_json::Value,
}

/// An OSCAL 1.1.2 profile document, importing `catalog.json`.
#[derive(Serialize, ToSchema)]
pub struct OscalProfile {
    #[schema(value_type = Object)]
    pub profile: serde_json::Value,
}

//! Which obligations apply to a service, and why.
//!
//! An auditor must be able to check every "not applicable" the platform
//! shows, so a decision carries its reasons as data (which model or level
//! restriction, which fact answered yes or no, whether that answer was only
//! the catalog's default) and renders them as sentences in French or English.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::load::Catalog;
use crate::model::{Item, Level, Obligation, ServiceModel};

/// What the platform knows about one service: its model, its qualification
/// level, and the answers to the catalog's yes/no facts. A fact left out takes
/// the `default` the catalog gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub model: ServiceModel,
    pub level: Level,
    #[serde(default)]
    pub facts: BTreeMap<String, bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("the profile does not parse: {0}")]
    Syntax(String),
    #[error("unknown fact id(s) in the profile: {}; the catalog's facts are: {}", .unknown.join(", "), .known.join(", "))]
    UnknownFacts {
        unknown: Vec<String>,
        known: Vec<String>,
    },
}

/// A fact's value for a profile, and whether it was really answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub value: bool,
    /// True when the profile did not answer and the catalog's default was used.
    pub defaulted: bool,
}

impl Profile {
    pub fn new(model: ServiceModel, level: Level) -> Profile {
        Profile {
            model,
            level,
            facts: BTreeMap::new(),
        }
    }

    /// Sets one fact's answer (builder style, for code and tests).
    pub fn with_fact(mut self, id: impl Into<String>, value: bool) -> Profile {
        self.facts.insert(id.into(), value);
        self
    }

    /// Parses a TOML profile (`model = "saas"`, `level = 2`, `[facts]`) and
    /// checks every fact id against the catalog.
    pub fn from_toml(text: &str, catalog: &Catalog) -> Result<Profile, ProfileError> {
        let profile: Profile =
            toml::from_str(text).map_err(|e| ProfileError::Syntax(e.message().to_string()))?;
        profile.validate(catalog)?;
        Ok(profile)
    }

    /// Parses a JSON profile and checks every fact id against the catalog.
    pub fn from_json(text: &str, catalog: &Catalog) -> Result<Profile, ProfileError> {
        let profile: Profile =
            serde_json::from_str(text).map_err(|e| ProfileError::Syntax(e.to_string()))?;
        profile.validate(catalog)?;
        Ok(profile)
    }

    /// Rejects answers to facts the catalog does not define: a typo would
    /// otherwise silently leave the real fact at its default.
    pub fn validate(&self, catalog: &Catalog) -> Result<(), ProfileError> {
        let unknown: Vec<String> = self
            .facts
            .keys()
            .filter(|id| catalog.fact(id).is_none())
            .cloned()
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(ProfileError::UnknownFacts {
            unknown,
            known: catalog.facts().map(|f| f.id.clone()).collect(),
        })
    }

    /// The profile's answer to a fact. A fact the catalog does not define
    /// (broken data, caught by the completeness tests) counts as "no".
    pub fn answer(&self, catalog: &Catalog, fact: &str) -> Answer {
        match self.facts.get(fact) {
            Some(&value) => Answer {
                value,
                defaulted: false,
            },
            None => Answer {
                value: catalog.fact(fact).is_some_and(|f| f.default),
                defaulted: true,
            },
        }
    }

    /// "IaaS, niveau 2" / "IaaS, level 2".
    pub fn describe(&self, lang: Lang) -> String {
        let level = self.level.number();
        match lang {
            Lang::Fr => format!("{}, niveau {level}", self.model.label()),
            Lang::En => format!("{}, level {level}", self.model.label()),
        }
    }
}

/// One restriction the text puts on an obligation or item, evaluated for a
/// profile. An obligation with no restriction has no reasons at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Only for these models.
    Model {
        allowed: Vec<ServiceModel>,
        actual: ServiceModel,
    },
    /// Only for these levels.
    Level { allowed: Vec<Level>, actual: Level },
    /// Applies when the fact is "yes".
    When {
        fact: String,
        answer: bool,
        defaulted: bool,
    },
    /// Applies when the fact is "no".
    WhenNot {
        fact: String,
        answer: bool,
        defaulted: bool,
    },
}

impl Reason {
    /// Whether this restriction lets the obligation apply.
    pub fn met(&self) -> bool {
        match self {
            Reason::Model { allowed, actual } => allowed.contains(actual),
            Reason::Level { allowed, actual } => allowed.contains(actual),
            Reason::When { answer, .. } => *answer,
            Reason::WhenNot { answer, .. } => !*answer,
        }
    }

    /// The reason as a phrase, e.g. "réservé au niveau 2 (service de niveau 1)".
    pub fn render(&self, lang: Lang, catalog: &Catalog) -> String {
        match (self, lang) {
            (Reason::Model { allowed, actual }, Lang::Fr) => format!(
                "réservé aux services {} (service {})",
                join(allowed.iter().map(|m| m.label().to_string()), "et"),
                actual.label()
            ),
            (Reason::Model { allowed, actual }, Lang::En) => format!(
                "{} services only ({} service)",
                join(allowed.iter().map(|m| m.label().to_string()), "and"),
                actual.label()
            ),
            (Reason::Level { allowed, actual }, Lang::Fr) => format!(
                "réservé {} {} (service de niveau {})",
                if allowed.len() > 1 {
                    "aux niveaux"
                } else {
                    "au niveau"
                },
                join(allowed.iter().map(|l| l.number().to_string()), "et"),
                actual.number()
            ),
            (Reason::Level { allowed, actual }, Lang::En) => format!(
                "level {} only (level {} service)",
                join(allowed.iter().map(|l| l.number().to_string()), "and"),
                actual.number()
            ),
            (
                Reason::When {
                    fact, defaulted, ..
                },
                _,
            ) => {
                let name = fact_name(catalog, fact, lang);
                let phrase = match (lang, self.met()) {
                    (Lang::Fr, true) => format!("condition « {name} » remplie"),
                    (Lang::Fr, false) => format!("condition « {name} » non remplie"),
                    (Lang::En, true) => format!("condition \"{name}\" met"),
                    (Lang::En, false) => format!("condition \"{name}\" not met"),
                };
                phrase + default_note(*defaulted, lang)
            }
            (
                Reason::WhenNot {
                    fact, defaulted, ..
                },
                _,
            ) => {
                let name = fact_name(catalog, fact, lang);
                let phrase = match (lang, self.met()) {
                    (Lang::Fr, true) => format!("cas d'exclusion « {name} » non rencontré"),
                    (Lang::Fr, false) => format!("cas d'exclusion « {name} » rencontré"),
                    (Lang::En, true) => format!("exclusion \"{name}\" does not hold"),
                    (Lang::En, false) => format!("exclusion \"{name}\" holds"),
                };
                phrase + default_note(*defaulted, lang)
            }
        }
    }
}

fn default_note(defaulted: bool, lang: Lang) -> &'static str {
    match (defaulted, lang) {
        (false, _) => "",
        (true, Lang::Fr) => " (réponse par défaut)",
        (true, Lang::En) => " (default answer)",
    }
}

/// The fact's short label, else its question, else (broken data) its id.
fn fact_name(catalog: &Catalog, id: &str, lang: Lang) -> String {
    let Some(fact) = catalog.fact(id) else {
        return id.to_string();
    };
    let label = match lang {
        Lang::Fr => fact.label_fr.as_deref(),
        Lang::En => fact.label_en.as_deref(),
    };
    label
        .unwrap_or_else(|| lang.pick(&fact.question_fr, &fact.question_en))
        .to_string()
}

/// "A", "A et B", "A, B et C".
fn join(parts: impl Iterator<Item = String>, last_sep: &str) -> String {
    let parts: Vec<String> = parts.collect();
    match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {last_sep} {last}", rest.join(", ")),
    }
}

/// What a decision is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    Obligation,
    /// A bullet item; `obligation` is the id of the obligation it belongs to.
    Item {
        obligation: String,
    },
}

/// Whether one obligation or item applies to a profile, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub id: String,
    pub subject: Subject,
    pub applicable: bool,
    /// Every restriction in force: for an item, its obligation's (and parent
    /// items') first, then its own. Empty = applies to every model and level.
    pub reasons: Vec<Reason>,
}

impl Decision {
    /// A full sentence: "Applicable : s'applique à tous les modèles et
    /// niveaux", "Non applicable : réservé au niveau 2 (service de niveau 1)".
    /// A non-applicable decision names only the restrictions that failed.
    pub fn explain(&self, lang: Lang, catalog: &Catalog) -> String {
        let verdict = match (self.applicable, lang) {
            (true, Lang::Fr) => "Applicable : ",
            (true, Lang::En) => "Applicable: ",
            (false, Lang::Fr) => "Non applicable : ",
            (false, Lang::En) => "Not applicable: ",
        };
        if self.reasons.is_empty() {
            return verdict.to_string()
                + lang.pick(
                    "s'applique à tous les modèles et niveaux",
                    "applies to every model and level",
                );
        }
        let shown: Vec<String> = self
            .reasons
            .iter()
            .filter(|r| self.applicable || !r.met())
            .map(|r| r.render(lang, catalog))
            .collect();
        verdict.to_string() + &shown.join(lang.pick(" ; ", "; "))
    }
}

/// An obligation or item whose applicability differs between two profiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub id: String,
    pub left: Decision,
    pub right: Decision,
}

impl Difference {
    /// "3.6.3.b — IaaS, niveau 1 : Non applicable : … / IaaS, niveau 2 : Applicable : …"
    pub fn explain(
        &self,
        lang: Lang,
        catalog: &Catalog,
        left: &Profile,
        right: &Profile,
    ) -> String {
        format!(
            "{} — {} : {} / {} : {}",
            self.id,
            left.describe(lang),
            self.left.explain(lang, catalog),
            right.describe(lang),
            self.right.explain(lang, catalog)
        )
    }
}

impl Catalog {
    /// One decision per obligation, each followed by its items' decisions
    /// (depth first), in the text's order.
    pub fn applicability(&self, profile: &Profile) -> Vec<Decision> {
        let mut out = Vec::new();
        for (_, _, obligation) in self.obligations() {
            let reasons = restrictions(self, profile, obligation.into(), &[]);
            let applicable = reasons.iter().all(Reason::met);
            out.push(Decision {
                id: obligation.id.clone(),
                subject: Subject::Obligation,
                applicable,
                reasons: reasons.clone(),
            });
            decide_items(
                self,
                profile,
                &obligation.id,
                &obligation.items,
                &reasons,
                &mut out,
            );
        }
        out
    }

    /// The obligations that apply to the profile (items not considered).
    pub fn applicable_obligations(&self, profile: &Profile) -> Vec<&Obligation> {
        self.obligations()
            .map(|(_, _, o)| o)
            .filter(|o| {
                restrictions(self, profile, (*o).into(), &[])
                    .iter()
                    .all(Reason::met)
            })
            .collect()
    }

    /// The obligations and items whose applicability differs between two
    /// profiles, with both decisions (e.g. what moving a service from level 1
    /// to level 2 adds).
    pub fn compare(&self, left: &Profile, right: &Profile) -> Vec<Difference> {
        self.applicability(left)
            .into_iter()
            .zip(self.applicability(right))
            .filter(|(l, r)| l.applicable != r.applicable)
            .map(|(l, r)| Difference {
                id: l.id.clone(),
                left: l,
                right: r,
            })
            .collect()
    }
}

fn decide_items(
    catalog: &Catalog,
    profile: &Profile,
    obligation: &str,
    items: &[Item],
    inherited: &[Reason],
    out: &mut Vec<Decision>,
) {
    for item in items {
        let reasons = restrictions(catalog, profile, item.into(), inherited);
        out.push(Decision {
            id: item.id.clone(),
            subject: Subject::Item {
                obligation: obligation.to_string(),
            },
            applicable: reasons.iter().all(Reason::met),
            reasons: reasons.clone(),
        });
        decide_items(catalog, profile, obligation, &item.items, &reasons, out);
    }
}

/// The restriction fields shared by obligations and items.
struct Restrictions<'a> {
    models: &'a [ServiceModel],
    levels: &'a [Level],
    when: &'a [String],
    when_not: &'a [String],
}

impl<'a> From<&'a Obligation> for Restrictions<'a> {
    fn from(o: &'a Obligation) -> Self {
        Restrictions {
            models: &o.models,
            levels: &o.levels,
            when: &o.when,
            when_not: &o.when_not,
        }
    }
}

impl<'a> From<&'a Item> for Restrictions<'a> {
    fn from(i: &'a Item) -> Self {
        Restrictions {
            models: &i.models,
            levels: &i.levels,
            when: &i.when,
            when_not: &i.when_not,
        }
    }
}

/// The inherited reasons followed by this element's own. A list naming every
/// model (or level) is no restriction; a restriction repeated from the parent
/// is not repeated.
fn restrictions(
    catalog: &Catalog,
    profile: &Profile,
    own: Restrictions<'_>,
    inherited: &[Reason],
) -> Vec<Reason> {
    let mut reasons = inherited.to_vec();
    let mut push = |r: Reason| {
        if !reasons.contains(&r) {
            reasons.push(r);
        }
    };
    if !own.models.is_empty() && !ServiceModel::ALL.iter().all(|m| own.models.contains(m)) {
        let mut allowed = own.models.to_vec();
        allowed.sort();
        allowed.dedup();
        push(Reason::Model {
            allowed,
            actual: profile.model,
        });
    }
    if !own.levels.is_empty() && !Level::ALL.iter().all(|l| own.levels.contains(l)) {
        let mut allowed = own.levels.to_vec();
        allowed.sort();
        allowed.dedup();
        push(Reason::Level {
            allowed,
            actual: profile.level,
        });
    }
    for fact in own.when {
        let a = profile.answer(catalog, fact);
        push(Reason::When {
            fact: fact.clone(),
            answer: a.value,
            defaulted: a.defaulted,
        });
    }
    for fact in own.when_not {
        let a = profile.answer(catalog, fact);
        push(Reason::WhenNot {
            fact: fact.clone(),
            answer: a.value,
            defaulted: a.defaulted,
        });
    }
    reasons
}

#[cfg(test)]
mod tests;

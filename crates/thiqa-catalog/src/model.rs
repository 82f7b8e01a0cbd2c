//! The shape of the catalog, exactly as the TOML data files describe it.
//!
//! One file per chapter (`catalog/<catalog-id>/3.NN-*.toml`) plus one root file
//! (`catalog.toml`) holding the catalog's identity, the laws it cites, the
//! profile facts, section 2's process, the shared-responsibility table and the
//! footnote definitions. See `catalog/README.md` for the editing guide.

use serde::{Deserialize, Serialize};

/// Cloud service model. Colocation is out of the référentiel's scope.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ServiceModel {
    Iaas,
    Paas,
    Saas,
}

impl ServiceModel {
    pub const ALL: [ServiceModel; 3] = [ServiceModel::Iaas, ServiceModel::Paas, ServiceModel::Saas];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceModel::Iaas => "iaas",
            ServiceModel::Paas => "paas",
            ServiceModel::Saas => "saas",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceModel::Iaas => "IaaS",
            ServiceModel::Paas => "PaaS",
            ServiceModel::Saas => "SaaS",
        }
    }

    /// Parses the data name (`iaas`) or the label (`IaaS`), ignoring case.
    pub fn from_name(name: &str) -> Option<ServiceModel> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// Qualification level (1 or 2). Level 2 is the stricter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Level {
    One,
    Two,
}

impl Level {
    pub const ALL: [Level; 2] = [Level::One, Level::Two];

    pub fn number(self) -> u8 {
        match self {
            Level::One => 1,
            Level::Two => 2,
        }
    }
}

impl TryFrom<u8> for Level {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        match n {
            1 => Ok(Level::One),
            2 => Ok(Level::Two),
            other => Err(format!("level must be 1 or 2, not {other}")),
        }
    }
}

/// Described as what it serialises to: the number.
impl utoipa::PartialSchema for Level {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .enum_values(Some(Level::ALL.map(Level::number)))
            .description(Some("qualification level: 1, or 2 (the stricter)"))
            .into()
    }
}

impl utoipa::ToSchema for Level {}

impl From<Level> for u8 {
    fn from(l: Level) -> u8 {
        l.number()
    }
}

/// How binding a statement of the text is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Force {
    /// "doit", "doivent", "est tenu de", "ne doit pas", "nécessite", "il est essentiel/nécessaire"…
    Obligation,
    /// "il est recommandé", "pourra / pourrait être atteint" (a suggested means).
    Recommendation,
    /// Definitions, scope statements, permissions ("peut").
    Definition,
}

/// What kind of thing the provider must produce or do to comply.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Policy,
    Procedure,
    Technical,
    Organisational,
    Contractual,
    Register,
    Periodic,
    Notification,
}

/// When the obligation must be (re)done, as the text says it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Recurrence {
    Daily,
    Monthly,
    Annual,
    /// "régulièrement", without a period.
    Regular,
    /// "à chaque changement majeur susceptible d'affecter le service".
    MajorChange,
    /// At each security incident.
    Incident,
    /// "avant tout projet".
    BeforeProject,
    /// Before the qualification evaluation (initial review).
    BeforeQualification,
    /// At hiring, end or change of a contract.
    PersonnelChange,
    /// Throughout the service (continuously maintained, "tenir à jour").
    Continuous,
}

/// A duration the text sets, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Duration {
    /// What the duration is about: minimum retention, maximum window, programme length…
    pub kind: DurationKind,
    pub months: u32,
    pub subject_fr: String,
    pub subject_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DurationKind {
    /// Keep at least this long.
    MinimumRetention,
    /// Cover up to / at least this window (e.g. analysis over 6 months).
    Window,
    /// A programme or cycle length (e.g. a 3-year audit programme).
    Programme,
}

/// Who the text names as having to be informed of, or to approve, something.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Commanditaire,
    AutoriteNationale,
    Direction,
    Rssi,
    Personnel,
    Tiers,
    Passi,
    UtilisateurFinal,
}

/// An obligation's bullet item, checkable on its own. Items may nest (3.6.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// `<obligation id>.<n>`, e.g. `3.1.2.b.3`; nested: `3.6.3.b.1.2`.
    pub id: String,
    pub text_fr: String,
    pub text_en: String,
    /// Restricts the item further than its obligation; empty = as the obligation.
    #[serde(default)]
    pub models: Vec<ServiceModel>,
    #[serde(default)]
    pub levels: Vec<Level>,
    #[serde(default)]
    pub when: Vec<String>,
    #[serde(default)]
    pub when_not: Vec<String>,
    /// Set when the item's force differs from its obligation's (e.g. a
    /// recommendation inside a list of obligations).
    #[serde(default)]
    pub force: Option<Force>,
    #[serde(default)]
    #[schema(no_recursion)]
    pub items: Vec<Item>,
}

/// One atomic obligation: one or a few sentences of the official text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    /// `<article id>.<letter>`, e.g. `3.5.5.c`. Never renumbered once published.
    pub id: String,
    pub title_fr: String,
    pub title_en: String,
    /// The exact sentence(s) of the official text; only whitespace normalised
    /// and page-break cuts joined. Bullets go into `items`, not here.
    pub text_fr: String,
    /// A faithful English translation.
    pub text_en: String,
    #[serde(default)]
    pub items: Vec<Item>,
    pub force: Force,
    pub nature: Vec<Nature>,
    /// Empty = every model.
    #[serde(default)]
    pub models: Vec<ServiceModel>,
    /// Empty = both levels.
    #[serde(default)]
    pub levels: Vec<Level>,
    /// Fact ids that must all be "yes" for the obligation to apply.
    #[serde(default)]
    pub when: Vec<String>,
    /// Fact ids that must all be "no" for the obligation to apply.
    #[serde(default)]
    pub when_not: Vec<String>,
    #[serde(default)]
    pub recurrence: Vec<Recurrence>,
    #[serde(default)]
    pub durations: Vec<Duration>,
    /// Who must be informed.
    #[serde(default)]
    pub informs: Vec<Party>,
    /// Who must approve or validate.
    #[serde(default)]
    pub approvals: Vec<Party>,
    /// Article ids the text refers to ("voir exigence 3.3.1").
    #[serde(default)]
    pub references: Vec<String>,
    /// Law ids (see `[[law]]` in catalog.toml) the text cites.
    #[serde(default)]
    pub laws: Vec<String>,
    pub evidence_fr: Vec<String>,
    pub evidence_en: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Article {
    /// `3.x.y`
    pub id: String,
    pub title_fr: String,
    pub title_en: String,
    /// Non-normative introductory text, or sub-headings ("Revue continue").
    #[serde(default)]
    pub intro_fr: Option<String>,
    #[serde(default)]
    pub intro_en: Option<String>,
    #[serde(rename = "obligation")]
    pub obligations: Vec<Obligation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chapter {
    /// `3.x`
    pub id: String,
    pub title_fr: String,
    pub title_en: String,
    #[serde(default)]
    pub intro_fr: Option<String>,
    #[serde(default)]
    pub intro_en: Option<String>,
    /// Facts first set by this chapter's text (ids unique across the catalog).
    #[serde(default, rename = "fact")]
    pub facts: Vec<Fact>,
    #[serde(default, rename = "article")]
    pub articles: Vec<Article>,
}

/// A yes/no question about a service that the text makes an obligation depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    /// snake_case, e.g. `password_authentication`.
    pub id: String,
    pub question_fr: String,
    pub question_en: String,
    /// Articles whose text sets the condition.
    pub articles: Vec<String>,
    /// The answer assumed for a new service profile until someone answers.
    #[serde(default)]
    pub default: bool,
    /// A short noun phrase naming the condition in explanations
    /// ("mot de passe"); without it, explanations quote the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_fr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Law {
    /// e.g. `loi-09-08`
    pub id: String,
    pub title_fr: String,
    pub title_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessStep {
    pub order: u8,
    pub title_fr: String,
    pub title_en: String,
    pub description_fr: String,
    pub description_en: String,
    /// Articles of décret 2-24-921 the step rests on.
    #[serde(default)]
    pub decree_articles: Vec<u8>,
}

/// One row of the indicative shared-responsibility table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponsibilityLayer {
    pub layer_fr: String,
    pub layer_en: String,
    /// Models for which the provider answers for this layer.
    pub provider_in: Vec<ServiceModel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub id: String,
    pub term_fr: String,
    pub term_en: String,
    pub text_fr: String,
    pub text_en: String,
    /// Where the footnote marker stands.
    pub article: String,
}

/// Root file: identity and everything that is not a chapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogRoot {
    pub id: String,
    pub version: String,
    pub title_fr: String,
    pub title_en: String,
    /// The legal instrument, e.g. "Arrêté du Chef du gouvernement n° 3-17-25".
    pub instrument: String,
    /// ISO date of the instrument.
    pub published: String,
    pub source_file: String,
    /// Non-normative text of sections 1 and 2 and the preamble of section 3.
    #[serde(default)]
    pub context_fr: Vec<String>,
    #[serde(default, rename = "law")]
    pub laws: Vec<Law>,
    #[serde(default, rename = "fact")]
    pub facts: Vec<Fact>,
    #[serde(default, rename = "process_step")]
    pub process: Vec<ProcessStep>,
    /// Label of the table: it is indicative in the text.
    pub responsibility_note_fr: String,
    pub responsibility_note_en: String,
    #[serde(default, rename = "responsibility")]
    pub responsibilities: Vec<ResponsibilityLayer>,
    #[serde(default, rename = "definition")]
    pub definitions: Vec<Definition>,
}

impl Obligation {
    /// Every item of the obligation, depth first: a nested item comes right
    /// after its parent, as in the text.
    pub fn all_items(&self) -> Vec<&Item> {
        fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
            for item in items {
                out.push(item);
                walk(&item.items, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.items, &mut out);
        out
    }
}

/// Where an obligation sits: indexes into chapters/articles/obligations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObligationRef {
    pub chapter: usize,
    pub article: usize,
    pub obligation: usize,
}

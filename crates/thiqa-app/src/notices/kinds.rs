//! The kinds of notices, read from `notices/kinds.toml` (built in): for each
//! one, the obligations it serves, the fields it must carry, whether the
//! customers acknowledge it or consent, who receives it, and by when.

use std::sync::LazyLock;

use serde::Deserialize;

/// The file, built into the binary so a deployment cannot lose it.
const KINDS_TOML: &str = include_str!("../../../../notices/kinds.toml");

/// How a field is typed and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// One line, at most [`LINE_MAX`] characters.
    Line,
    /// Paragraphs, at most [`TEXT_MAX`] characters.
    Text,
    /// `YYYY-MM-DDTHH:MM` (UTC), as a browser's date-time input sends it.
    Datetime,
    /// `YYYY-MM-DD`.
    Date,
}

pub const LINE_MAX: usize = 200;
pub const TEXT_MAX: usize = 4000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label_fr: String,
    pub label_en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeKind {
    pub id: String,
    /// Obligations of the référentiel the notice serves (evidence).
    pub obligations: Vec<String>,
    pub title_fr: String,
    pub title_en: String,
    /// `acknowledge` or `consent`.
    pub answer: String,
    /// `contracts` (of the services chosen) or `all` (every commanditaire).
    pub audience: String,
    /// The national cybersecurity authority must be told too.
    pub authority: bool,
    /// Service models it concerns (`iaas`, `paas`, `saas`); empty: all.
    pub models: Vec<String>,
    pub answer_days: i64,
    pub remind_hours: i64,
    #[serde(rename = "field")]
    pub fields: Vec<KindField>,
}

impl NoticeKind {
    pub fn title(&self, lang: thiqa_catalog::Lang) -> &str {
        lang.pick(&self.title_fr, &self.title_en)
    }

    /// Every commanditaire of the provider receives it.
    pub fn to_everyone(&self) -> bool {
        self.audience == "all"
    }
}

impl KindField {
    pub fn label(&self, lang: thiqa_catalog::Lang) -> &str {
        lang.pick(&self.label_fr, &self.label_en)
    }
}

#[derive(Deserialize)]
struct KindsFile {
    kind: Vec<NoticeKind>,
}

static KINDS: LazyLock<Vec<NoticeKind>> = LazyLock::new(|| {
    // The file is part of the build and checked by this crate's tests; a
    // broken one cannot ship.
    toml::from_str::<KindsFile>(KINDS_TOML)
        .map(|f| f.kind)
        .unwrap_or_else(|e| panic!("notices/kinds.toml: {e}"))
});

/// Every kind, in the file's order.
pub fn all() -> &'static [NoticeKind] {
    &KINDS
}

/// The kind named `id`.
pub fn find(id: &str) -> Option<&'static NoticeKind> {
    KINDS.iter().find(|k| k.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_kind_is_complete_and_serves_obligations_of_the_text() {
        let catalog = thiqa_catalog::dgssi_cloud_2025();
        let kinds = all();
        assert!(kinds.len() >= 8, "the issue lists eight kinds at least");
        let mut ids = BTreeSet::new();
        for k in kinds {
            assert!(ids.insert(&k.id), "kind {} twice", k.id);
            assert!(
                thiqa_store::ANSWERS.contains(&k.answer.as_str()),
                "{}",
                k.id
            );
            assert!(
                ["contracts", "all"].contains(&k.audience.as_str()),
                "{}",
                k.id
            );
            assert!(k.answer_days > 0 && k.remind_hours > 0, "{}", k.id);
            assert!(!k.fields.is_empty(), "{}", k.id);
            let names: BTreeSet<_> = k.fields.iter().map(|f| &f.name).collect();
            assert_eq!(names.len(), k.fields.len(), "{}: a field twice", k.id);
            for o in &k.obligations {
                assert!(
                    catalog.obligation(o).is_some(),
                    "{}: no obligation {o}",
                    k.id
                );
            }
        }
        // What the text asks the customer to agree to is a consent.
        assert_eq!(find("subcontractor-change").unwrap().answer, "consent");
        let lowered = find("third-party-security-lowered").unwrap();
        assert!(lowered.authority && lowered.to_everyone());
        assert_eq!(find("planned-operation").unwrap().fields.len(), 5);
    }
}

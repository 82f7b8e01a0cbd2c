//! Counts that describe the catalog: for the console's overview, for release
//! notes of a new revision, and to see at a glance that the data is complete
//! (15 chapters, 86 articles).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::lang::Lang;
use crate::load::Catalog;
use crate::model::{Force, Level, Nature, Recurrence, ServiceModel};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub chapters: usize,
    pub articles: usize,
    pub obligations: usize,
    /// Bullet items at every depth.
    pub items: usize,
    pub facts: usize,
    pub laws: usize,
    pub definitions: usize,
    pub by_force: BTreeMap<Force, usize>,
    /// An obligation of several natures counts once under each.
    pub by_nature: BTreeMap<Nature, usize>,
    /// An obligation with several recurrences counts once under each; those
    /// with none are not counted.
    pub by_recurrence: BTreeMap<Recurrence, usize>,
    /// Keyed by the levels an obligation is restricted to ("1", "2"), or "all".
    pub by_level: BTreeMap<String, usize>,
    /// Keyed by the models an obligation is restricted to ("saas",
    /// "paas+saas"), or "all".
    pub by_model: BTreeMap<String, usize>,
    /// Obligations that depend on at least one fact (`when` / `when_not`).
    pub conditional: usize,
}

fn restriction_key<T: Copy + Ord>(values: &[T], all: &[T], name: impl Fn(T) -> String) -> String {
    let mut v = values.to_vec();
    v.sort();
    v.dedup();
    if v.is_empty() || all.iter().all(|a| v.contains(a)) {
        "all".into()
    } else {
        v.into_iter().map(name).collect::<Vec<_>>().join("+")
    }
}

impl Catalog {
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            chapters: self.chapters.len(),
            articles: self.articles().count(),
            obligations: 0,
            items: 0,
            facts: self.facts().count(),
            laws: self.root.laws.len(),
            definitions: self.root.definitions.len(),
            by_force: BTreeMap::new(),
            by_nature: BTreeMap::new(),
            by_recurrence: BTreeMap::new(),
            by_level: BTreeMap::new(),
            by_model: BTreeMap::new(),
            conditional: 0,
        };
        for (_, _, o) in self.obligations() {
            s.obligations += 1;
            s.items += o.all_items().len();
            *s.by_force.entry(o.force).or_default() += 1;
            for n in &o.nature {
                *s.by_nature.entry(*n).or_default() += 1;
            }
            for r in &o.recurrence {
                *s.by_recurrence.entry(*r).or_default() += 1;
            }
            let level = restriction_key(&o.levels, &Level::ALL, |l| l.number().to_string());
            *s.by_level.entry(level).or_default() += 1;
            let model = restriction_key(&o.models, &ServiceModel::ALL, |m| m.as_str().to_string());
            *s.by_model.entry(model).or_default() += 1;
            if !o.when.is_empty() || !o.when_not.is_empty() {
                s.conditional += 1;
            }
        }
        s
    }
}

impl Stats {
    /// A plain-text report, one count per line.
    pub fn render(&self, lang: Lang) -> String {
        let t = |fr: &'static str, en: &'static str| lang.pick(fr, en);
        let colon = t(" : ", ": ");
        let mut out = String::new();
        let mut line = |label: &str, n: usize| {
            let _ = writeln!(out, "{label}{colon}{n}");
        };
        line(t("Chapitres", "Chapters"), self.chapters);
        line(t("Articles", "Articles"), self.articles);
        line(t("Obligations", "Obligations"), self.obligations);
        line(t("Éléments de liste", "List items"), self.items);
        line(t("Faits de profil", "Profile facts"), self.facts);
        line(t("Textes cités", "Laws cited"), self.laws);
        line(t("Définitions", "Definitions"), self.definitions);
        line(
            t("Obligations conditionnelles", "Conditional obligations"),
            self.conditional,
        );
        let mut section = |title: &str, rows: Vec<(String, usize)>| {
            let _ = writeln!(out, "{title}{}", t(" :", ":"));
            for (k, n) in rows {
                let _ = writeln!(out, "  {k}{colon}{n}");
            }
        };
        section(
            t("Par force", "By force"),
            self.by_force
                .iter()
                .map(|(k, n)| (k.label_in(lang).to_string(), *n))
                .collect(),
        );
        section(
            t("Par nature", "By nature"),
            self.by_nature
                .iter()
                .map(|(k, n)| (k.label_in(lang).to_string(), *n))
                .collect(),
        );
        section(
            t("Par récurrence", "By recurrence"),
            self.by_recurrence
                .iter()
                .map(|(k, n)| (k.label_in(lang).to_string(), *n))
                .collect(),
        );
        section(
            t("Par niveau", "By level"),
            self.by_level
                .iter()
                .map(|(k, n)| (level_label(k, lang), *n))
                .collect(),
        );
        section(
            t("Par modèle", "By model"),
            self.by_model
                .iter()
                .map(|(k, n)| (model_label(k, lang), *n))
                .collect(),
        );
        out
    }
}

/// A `by_level` key for people: "tous" / "niveau 2".
pub fn level_label(key: &str, lang: Lang) -> String {
    if key == "all" {
        lang.pick("tous niveaux", "all levels").to_string()
    } else {
        format!(
            "{} {}",
            lang.pick("niveau", "level"),
            key.replace('+', " + ")
        )
    }
}

/// A `by_model` key for people: "tous modèles" / "PaaS + SaaS".
pub fn model_label(key: &str, lang: Lang) -> String {
    if key == "all" {
        lang.pick("tous modèles", "all models").to_string()
    } else {
        key.split('+')
            .filter_map(ServiceModel::from_name)
            .map(ServiceModel::label)
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::Fr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn counts_the_fixture() {
        let s = fixture::catalog().stats();
        assert_eq!(
            (s.chapters, s.articles, s.obligations, s.items),
            (2, 2, 5, 3)
        );
        assert_eq!(
            (s.facts, s.laws, s.definitions, s.conditional),
            (2, 1, 1, 3)
        );
        assert_eq!(s.by_force[&Force::Obligation], 4);
        assert_eq!(s.by_force[&Force::Recommendation], 1);
        assert_eq!(s.by_nature[&Nature::Technical], 2);
        assert_eq!(s.by_recurrence[&Recurrence::Annual], 1);
        assert_eq!(s.by_level["all"], 3);
        assert_eq!(s.by_level["1"], 1);
        assert_eq!(s.by_level["2"], 1);
        // ["saas", "iaas", "paas"] is every model.
        assert_eq!(s.by_model["all"], 4);
        assert_eq!(s.by_model["iaas+paas"], 1);
    }

    #[test]
    fn renders_plain_text_in_both_languages() {
        let s = fixture::catalog().stats();
        let fr = s.render(Lang::Fr);
        assert!(fr.contains("Obligations : 5\n"), "{fr}");
        assert!(fr.contains("  recommandation : 1\n"), "{fr}");
        assert!(fr.contains("  IaaS + PaaS : 1\n"), "{fr}");
        assert!(fr.contains("  niveau 2 : 1\n"), "{fr}");
        let en = s.render(Lang::En);
        assert!(en.contains("List items: 3\n"), "{en}");
        assert!(en.contains("  technical measure: 2\n"), "{en}");
        assert_eq!(s.to_string(), fr);
    }
}

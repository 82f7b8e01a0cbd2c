//! What the catalog templates show, built from the catalog in the visitor's
//! language. Text only: the templates escape it and add the markup.

use thiqa_catalog::{
    level_label, model_label, Catalog, Force, Item, Lang, Level, Obligation, ServiceModel,
};

use crate::i18n::Tr;

/// The catalog's language for the visitor's.
pub fn lang_of(l: crate::i18n::Lang) -> Lang {
    match l {
        crate::i18n::Lang::Fr => Lang::Fr,
        crate::i18n::Lang::En => Lang::En,
    }
}

pub fn other(l: Lang) -> Lang {
    match l {
        Lang::Fr => Lang::En,
        Lang::En => Lang::Fr,
    }
}

/// A labelled tag. `kind` ("Force :") is read by screen readers before the
/// label, so the badge means something without its colour.
pub struct Badge {
    pub kind: String,
    pub label: String,
    pub class: &'static str,
}

/// A nested list, flattened so a template can draw it without recursion.
pub enum Node {
    Open,
    Start(ItemView),
    End,
    Close,
}

pub struct ItemView {
    pub id: String,
    pub text: String,
    pub badges: Vec<Badge>,
}

pub struct ObligationView {
    pub id: String,
    pub title: String,
    pub text: String,
    pub items: Vec<Node>,
    pub badges: Vec<Badge>,
}

pub struct Builder<'a> {
    pub catalog: &'a Catalog,
    pub tr: Tr<'a>,
    pub lang: Lang,
}

/// "all" or the sorted values joined by `+`, as `Stats` keys them.
fn key<T: Copy + Ord>(values: &[T], all: &[T], name: impl Fn(T) -> String) -> String {
    let mut v = values.to_vec();
    v.sort();
    v.dedup();
    if v.is_empty() || all.iter().all(|a| v.contains(a)) {
        "all".into()
    } else {
        v.into_iter().map(name).collect::<Vec<_>>().join("+")
    }
}

pub fn level_key(levels: &[Level]) -> String {
    key(levels, &Level::ALL, |l| l.number().to_string())
}

pub fn model_key(models: &[ServiceModel]) -> String {
    key(models, &ServiceModel::ALL, |m| m.as_str().to_string())
}

fn force_class(f: Force) -> &'static str {
    match f {
        Force::Obligation => "b-force-obligation",
        Force::Recommendation => "b-force-recommendation",
        Force::Definition => "b-force-definition",
    }
}

impl Builder<'_> {
    pub fn pick<'s>(&self, fr: &'s str, en: &'s str) -> &'s str {
        self.lang.pick(fr, en)
    }

    fn badge(&self, kind: &str, label: impl Into<String>, class: &'static str) -> Badge {
        Badge {
            kind: self.tr.t(kind),
            label: label.into(),
            class,
        }
    }

    /// A fact's short label, else its question.
    pub fn fact_label(&self, id: &str) -> String {
        match self.catalog.fact(id) {
            Some(f) => match self.lang {
                Lang::Fr => f.label_fr.clone().unwrap_or_else(|| f.question_fr.clone()),
                Lang::En => f.label_en.clone().unwrap_or_else(|| f.question_en.clone()),
            },
            None => id.to_string(),
        }
    }

    fn conditions(&self, when: &[String], when_not: &[String], out: &mut Vec<Badge>) {
        for f in when {
            let label = self.tr.t1("catalog-when", "fact", &self.fact_label(f));
            out.push(self.badge("catalog-kind-condition", label, "b-when"));
        }
        for f in when_not {
            let label = self.tr.t1("catalog-when-not", "fact", &self.fact_label(f));
            out.push(self.badge("catalog-kind-condition", label, "b-when-not"));
        }
    }

    /// Every attribute of an obligation, restrictions included even when
    /// there are none ("tous niveaux"), so the reader never has to guess.
    pub fn obligation_badges(&self, o: &Obligation) -> Vec<Badge> {
        let mut b = vec![self.badge(
            "catalog-kind-force",
            o.force.label_in(self.lang),
            force_class(o.force),
        )];
        for n in &o.nature {
            b.push(self.badge("catalog-kind-nature", n.label_in(self.lang), "b-nature"));
        }
        for r in &o.recurrence {
            b.push(self.badge(
                "catalog-kind-recurrence",
                r.label_in(self.lang),
                "b-recurrence",
            ));
        }
        b.push(self.badge(
            "catalog-kind-level",
            level_label(&level_key(&o.levels), self.lang),
            "b-level",
        ));
        b.push(self.badge(
            "catalog-kind-model",
            model_label(&model_key(&o.models), self.lang),
            "b-model",
        ));
        self.conditions(&o.when, &o.when_not, &mut b);
        b
    }

    /// Only what narrows the item further than its obligation.
    fn item_badges(&self, i: &Item) -> Vec<Badge> {
        let mut b = Vec::new();
        if let Some(f) = i.force {
            b.push(self.badge("catalog-kind-force", f.label_in(self.lang), force_class(f)));
        }
        if level_key(&i.levels) != "all" {
            b.push(self.badge(
                "catalog-kind-level",
                level_label(&level_key(&i.levels), self.lang),
                "b-level",
            ));
        }
        if model_key(&i.models) != "all" {
            b.push(self.badge(
                "catalog-kind-model",
                model_label(&model_key(&i.models), self.lang),
                "b-model",
            ));
        }
        self.conditions(&i.when, &i.when_not, &mut b);
        b
    }

    pub fn items(&self, items: &[Item], lang: Lang, out: &mut Vec<Node>) {
        if items.is_empty() {
            return;
        }
        out.push(Node::Open);
        for i in items {
            out.push(Node::Start(ItemView {
                id: i.id.clone(),
                text: lang.pick(&i.text_fr, &i.text_en).to_string(),
                badges: self.item_badges(i),
            }));
            self.items(&i.items, lang, out);
            out.push(Node::End);
        }
        out.push(Node::Close);
    }

    /// The obligation in `lang` (the visitor's, or the other one).
    pub fn obligation_in(&self, o: &Obligation, lang: Lang) -> ObligationView {
        let mut items = Vec::new();
        self.items(&o.items, lang, &mut items);
        ObligationView {
            id: o.id.clone(),
            title: lang.pick(&o.title_fr, &o.title_en).to_string(),
            text: lang.pick(&o.text_fr, &o.text_en).to_string(),
            items,
            badges: self.obligation_badges(o),
        }
    }

    pub fn obligation(&self, o: &Obligation) -> ObligationView {
        self.obligation_in(o, self.lang)
    }
}

/// The first `max` characters, cut at a word, with an ellipsis when cut.
pub fn snippet(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

/// Words too common to be worth highlighting.
const PLAIN: &[&str] = &[
    "les", "des", "aux", "une", "pour", "sur", "avec", "dans", "par", "the", "and", "for", "with",
];

/// The query's words worth highlighting, folded like the search folds them.
pub fn highlight_words(query: &str) -> Vec<String> {
    thiqa_catalog::search::tokenize(query)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !PLAIN.contains(&w.as_str()))
        .collect()
}

/// Splits `text` into runs, marking the words that start with a query word
/// ("chiffr" marks "Chiffrement"), accents and case ignored.
pub fn highlight(text: &str, words: &[String]) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut push = |s: &str, marked: bool| match out.last_mut() {
        Some((last, m)) if *m == marked => last.push_str(s),
        _ => out.push((s.to_string(), marked)),
    };
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let alnum = c.is_alphanumeric();
        let end = rest
            .find(|ch: char| ch.is_alphanumeric() != alnum)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        let folded = thiqa_catalog::search::fold(run);
        push(
            run,
            alnum && words.iter().any(|w| folded.starts_with(w.as_str())),
        );
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_accent_insensitive_prefixes() {
        let words = highlight_words("securite chiffr de");
        assert_eq!(words, ["securite", "chiffr"]);
        let parts = highlight("Sécurité du chiffrement, des clés", &words);
        let marked: Vec<&str> = parts.iter().filter(|p| p.1).map(|p| p.0.as_str()).collect();
        assert_eq!(marked, ["Sécurité", "chiffrement"]);
        let whole: String = parts.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(whole, "Sécurité du chiffrement, des clés");
    }

    #[test]
    fn snippets_cut_at_a_word() {
        assert_eq!(snippet("court", 10), "court");
        assert_eq!(
            snippet("le prestataire doit chiffrer", 16),
            "le prestataire…"
        );
    }

    #[test]
    fn nested_items_open_and_close_their_lists() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let i18n = crate::i18n::I18n::load().unwrap();
        let b = Builder {
            catalog: c,
            tr: Tr {
                i18n: &i18n,
                lang: crate::i18n::Lang::Fr,
            },
            lang: Lang::Fr,
        };
        let v = b.obligation(c.obligation("3.6.3.b").unwrap());
        let opens = v.items.iter().filter(|n| matches!(n, Node::Open)).count();
        let closes = v.items.iter().filter(|n| matches!(n, Node::Close)).count();
        assert!(opens >= 2, "3.6.3.b has nested items");
        assert_eq!(opens, closes);
        assert!(v.badges.iter().any(|x| x.label == "niveau 2"));
    }
}

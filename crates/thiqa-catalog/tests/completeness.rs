//! The loud tests of the data: the catalog must hold the whole official text,
//! verbatim, and nothing else.
//!
//! The official text (`catalog/dgssi-cloud-2025/source/`) is the oracle. Each
//! test collects every failure and prints them all, with the offending
//! sentence or id, so the data authors can fix a whole chapter in one pass.
//! These tests fail until the chapter files are complete; that is expected.

use std::collections::{BTreeSet, HashSet};

use thiqa_catalog::{Catalog, Item, Obligation, OFFICIAL_TEXT_FR};

/// Failures of one test, reported together.
struct Failures {
    what: &'static str,
    list: Vec<String>,
}

impl Failures {
    fn new(what: &'static str) -> Failures {
        Failures {
            what,
            list: Vec::new(),
        }
    }

    fn push(&mut self, msg: impl Into<String>) {
        self.list.push(msg.into());
    }

    fn check(self) {
        if self.list.is_empty() {
            return;
        }
        let mut report = format!("{}: {} failure(s)\n", self.what, self.list.len());
        for (i, f) in self.list.iter().enumerate() {
            report.push_str(&format!("  {:>3}. {f}\n", i + 1));
        }
        eprintln!("{report}");
        panic!("{report}");
    }
}

fn catalog() -> &'static Catalog {
    thiqa_catalog::try_dgssi_cloud_2025()
        .unwrap_or_else(|e| panic!("the embedded catalog does not parse: {e}"))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The official text as the data quotes it: emphasis and footnote markers
/// dropped, the `1^{er}` artefact read as "1er", whitespace collapsed (which
/// also joins sentences cut by page breaks).
fn normalise(s: &str) -> String {
    collapse(
        &s.replace("**", "")
            .replace(['¹', '²'], "")
            .replace("^{er}", "er"),
    )
}

/// Section 3 as units: paragraphs and bullets (without their "- "). A line
/// starting in lower case continues the previous one (a page-break cut).
fn section3_units() -> Vec<String> {
    let start = OFFICIAL_TEXT_FR
        .find("\n3.1. Politiques")
        .expect("section 3.1 heading in the official text")
        + 1;
    let mut units: Vec<String> = Vec::new();
    for line in OFFICIAL_TEXT_FR[start..].lines() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with(char::is_lowercase) {
            if let Some(last) = units.last_mut() {
                last.push(' ');
                last.push_str(t);
                continue;
            }
        }
        units.push(t.strip_prefix("- ").unwrap_or(t).to_string());
    }
    units.iter().map(|u| normalise(u)).collect()
}

/// Splits a unit after ". ", "? " or "! " when an upper-case letter follows.
fn sentences(unit: &str) -> Vec<String> {
    let chars: Vec<(usize, char)> = unit.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..chars.len().saturating_sub(2) {
        let (pos, c) = chars[i];
        if matches!(c, '.' | '?' | '!') && chars[i + 1].1 == ' ' && chars[i + 2].1.is_uppercase() {
            out.push(unit[start..=pos].trim().to_string());
            start = chars[i + 2].0;
        }
    }
    out.push(unit[start..].trim().to_string());
    out.retain(|s| !s.is_empty());
    out
}

const NORMATIVE: &[&str] = &[
    "doit",
    "doivent",
    "est tenu",
    "sont tenus",
    "ne doit",
    "ne doivent",
    "nécessite",
    "il est recommandé",
    "il est essentiel",
    "il est nécessaire",
    "pourra",
    "pourrait",
    "peut",
    "peuvent",
];

/// Whether `s` contains a normative phrase as whole words.
fn is_normative(s: &str) -> bool {
    let lower = s.to_lowercase();
    NORMATIVE.iter().any(|k| {
        lower.match_indices(k).any(|(i, _)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + k.len()..].chars().next();
            !before.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphabetic)
        })
    })
}

fn all_items(o: &Obligation) -> Vec<&Item> {
    o.all_items()
}

/// (number, title) of a heading of the text.
type Heading = (String, String);

/// Headings "3.x. Title" (chapters) and "3.x.y. Title" (articles) of the text.
fn headings() -> (Vec<Heading>, Vec<Heading>) {
    let mut chapters = Vec::new();
    let mut articles = Vec::new();
    for line in OFFICIAL_TEXT_FR.lines() {
        let Some((num, title)) = line.split_once(". ") else {
            continue;
        };
        let parts: Vec<&str> = num.split('.').collect();
        if parts[0] != "3" || !parts.iter().all(|p| p.parse::<u32>().is_ok()) {
            continue;
        }
        let entry = (num.to_string(), normalise(title));
        match parts.len() {
            2 => chapters.push(entry),
            3 => articles.push(entry),
            _ => {}
        }
    }
    (chapters, articles)
}

fn check_a(c: &Catalog) -> Failures {
    let texts: Vec<String> = c
        .obligations()
        .flat_map(|(_, _, o)| {
            std::iter::once(collapse(&o.text_fr))
                .chain(all_items(o).into_iter().map(|i| collapse(&i.text_fr)))
        })
        .collect();
    let mut f = Failures::new("(a) normative sentences of section 3 missing from the data");
    let mut seen = 0;
    for unit in section3_units() {
        for s in sentences(&unit) {
            if !is_normative(&s) {
                continue;
            }
            seen += 1;
            if !texts.iter().any(|t| t.contains(&s)) {
                f.push(format!("« {s} »"));
            }
        }
    }
    assert!(
        seen > 250,
        "the sentence splitter found only {seen} normative sentences"
    );
    f
}

fn check_b(c: &Catalog) -> Failures {
    let official = normalise(OFFICIAL_TEXT_FR);
    let mut f = Failures::new("(b) data texts that are not verbatim official text");
    let mut check = |id: &str, what: &str, text: &str| {
        let t = collapse(text);
        if t.is_empty() {
            f.push(format!("{id} {what}: empty"));
        } else if !official.contains(&t) {
            f.push(format!("{id} {what}: « {t} »"));
        }
    };
    for ch in &c.chapters {
        if let Some(intro) = &ch.intro_fr {
            check(&ch.id, "intro_fr", intro);
        }
        for a in &ch.articles {
            if let Some(intro) = &a.intro_fr {
                check(&a.id, "intro_fr", intro);
            }
            for o in &a.obligations {
                check(&o.id, "text_fr", &o.text_fr);
                for i in all_items(o) {
                    check(&i.id, "text_fr", &i.text_fr);
                }
            }
        }
    }
    for d in &c.root.definitions {
        check(&d.id, "definition text_fr", &d.text_fr);
    }
    for (n, p) in c.root.context_fr.iter().enumerate() {
        check("catalog.toml", &format!("context_fr[{n}]"), p);
    }
    f
}

fn check_c(c: &Catalog) -> Failures {
    let (chapters, articles) = headings();
    assert_eq!(
        chapters.len(),
        15,
        "chapter headings in the text: {chapters:?}"
    );
    assert_eq!(articles.len(), 86, "article headings found in the text");
    let mut f = Failures::new("(c) headings of the text vs chapters and articles of the data");
    for (id, title) in &chapters {
        match c.chapter(id) {
            None => f.push(format!("chapter {id} « {title} » missing")),
            Some(ch) if collapse(&ch.title_fr) != *title => f.push(format!(
                "chapter {id}: title « {} », the text says « {title} »",
                ch.title_fr
            )),
            Some(_) => {}
        }
    }
    for (id, title) in &articles {
        match c.article(id) {
            None => f.push(format!("article {id} « {title} » missing")),
            Some(a) if collapse(&a.title_fr) != *title => f.push(format!(
                "article {id}: title « {} », the text says « {title} »",
                a.title_fr
            )),
            Some(_) => {}
        }
    }
    let in_text: HashSet<&str> = articles.iter().map(|(id, _)| id.as_str()).collect();
    for (_, a) in c.articles() {
        if !in_text.contains(a.id.as_str()) {
            f.push(format!("article {} is not a heading of the text", a.id));
        }
    }
    if c.chapters.len() != 15 {
        f.push(format!("{} chapters, the text has 15", c.chapters.len()));
    }
    let n = c.articles().count();
    if n != 86 {
        f.push(format!("{n} articles, the text has 86"));
    }
    f
}

fn check_d(c: &Catalog) -> Failures {
    let mut f = Failures::new("(d) ids");
    let mut seen = HashSet::new();
    let mut unique = |id: &str, f: &mut Failures| {
        if !seen.insert(id.to_string()) {
            f.push(format!("id {id} appears twice"));
        }
    };
    /// `child` must be `parent` + "." + one segment matching `segment`.
    fn nested(parent: &str, child: &str, segment: fn(&str) -> bool) -> bool {
        child
            .strip_prefix(parent)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|s| !s.contains('.') && segment(s))
    }
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let letters = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
    fn check_items(
        parent: &str,
        items: &[Item],
        f: &mut Failures,
        unique: &mut dyn FnMut(&str, &mut Failures),
    ) {
        for i in items {
            unique(&i.id, f);
            let ok =
                i.id.strip_prefix(parent)
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                f.push(format!("item {} is not <{parent}>.<n>", i.id));
            }
            check_items(&i.id, &i.items, f, unique);
        }
    }
    for (n, ch) in c.chapters.iter().enumerate() {
        unique(&ch.id, &mut f);
        if ch.id != format!("3.{}", n + 1) {
            f.push(format!("chapter file {} holds chapter {}", n + 1, ch.id));
        }
        for a in &ch.articles {
            unique(&a.id, &mut f);
            if !nested(&ch.id, &a.id, digits) {
                f.push(format!("article {} is not <{}>.<n>", a.id, ch.id));
            }
            if a.obligations.is_empty() {
                f.push(format!("article {} has no obligation", a.id));
            }
            for o in &a.obligations {
                unique(&o.id, &mut f);
                if !nested(&a.id, &o.id, letters) {
                    f.push(format!("obligation {} is not <{}>.<letter>", o.id, a.id));
                }
                check_items(&o.id, &o.items, &mut f, &mut unique);
            }
        }
    }
    let mut facts = HashSet::new();
    for fact in c.facts() {
        if !facts.insert(fact.id.as_str()) {
            f.push(format!("fact {} defined twice", fact.id));
        }
    }
    f
}

fn check_e(c: &Catalog) -> Failures {
    let mut f = Failures::new("(e) dangling references");
    let laws: BTreeSet<&str> = c.root.laws.iter().map(|l| l.id.as_str()).collect();
    let check_facts = |id: &str, when: &[String], when_not: &[String], f: &mut Failures| {
        for fact in when.iter().chain(when_not) {
            if c.fact(fact).is_none() {
                f.push(format!("{id}: fact `{fact}` is not defined"));
            }
        }
    };
    for (_, _, o) in c.obligations() {
        for r in &o.references {
            if c.article(r).is_none() {
                f.push(format!("{}: reference {r} is not an article", o.id));
            }
        }
        for l in &o.laws {
            if !laws.contains(l.as_str()) {
                f.push(format!("{}: law `{l}` is not in catalog.toml", o.id));
            }
        }
        check_facts(&o.id, &o.when, &o.when_not, &mut f);
        for i in all_items(o) {
            check_facts(&i.id, &i.when, &i.when_not, &mut f);
        }
    }
    for fact in c.facts() {
        for a in &fact.articles {
            if c.article(a).is_none() {
                f.push(format!("fact {}: article {a} does not exist", fact.id));
            }
        }
    }
    for d in &c.root.definitions {
        if c.article(&d.article).is_none() {
            f.push(format!(
                "definition {}: article {} does not exist",
                d.id, d.article
            ));
        }
    }
    f
}

fn check_f(c: &Catalog) -> Failures {
    let mut f = Failures::new("(f) empty titles, translations or evidence");
    let mut need = |id: &str, field: &str, v: &str| {
        if v.trim().is_empty() {
            f.push(format!("{id}: {field} is empty"));
        }
    };
    for ch in &c.chapters {
        need(&ch.id, "title_fr", &ch.title_fr);
        need(&ch.id, "title_en", &ch.title_en);
    }
    for (_, a) in c.articles() {
        need(&a.id, "title_fr", &a.title_fr);
        need(&a.id, "title_en", &a.title_en);
    }
    for (_, _, o) in c.obligations() {
        need(&o.id, "title_fr", &o.title_fr);
        need(&o.id, "title_en", &o.title_en);
        need(&o.id, "text_en", &o.text_en);
        for i in all_items(o) {
            need(&i.id, "text_en", &i.text_en);
        }
        for (n, e) in o.evidence_fr.iter().enumerate() {
            need(&o.id, &format!("evidence_fr[{n}]"), e);
        }
        for (n, e) in o.evidence_en.iter().enumerate() {
            need(&o.id, &format!("evidence_en[{n}]"), e);
        }
    }
    for (_, _, o) in c.obligations() {
        if o.evidence_fr.is_empty() {
            f.push(format!("{}: evidence_fr is empty", o.id));
        }
        if o.evidence_fr.len() != o.evidence_en.len() {
            f.push(format!(
                "{}: {} evidence_fr but {} evidence_en",
                o.id,
                o.evidence_fr.len(),
                o.evidence_en.len()
            ));
        }
    }
    f
}

fn check_g(c: &Catalog) -> Failures {
    let mut f = Failures::new("(g) catalog.toml contents");
    let r = &c.root;
    if r.process.len() != 4 {
        f.push(format!("{} process steps, the text has 4", r.process.len()));
    }
    if r.responsibilities.len() != 9 {
        f.push(format!(
            "{} responsibility layers, the table has 9",
            r.responsibilities.len()
        ));
    }
    if r.definitions.len() != 2 {
        f.push(format!(
            "{} definitions, the text has 2 footnotes",
            r.definitions.len()
        ));
    }
    f
}

#[test]
fn a_every_normative_sentence_is_in_an_obligation_or_item() {
    check_a(catalog()).check();
}

#[test]
fn b_every_text_of_the_data_is_verbatim_official_text() {
    check_b(catalog()).check();
}

#[test]
fn c_every_heading_is_a_chapter_or_article_with_its_exact_title() {
    check_c(catalog()).check();
}

#[test]
fn d_ids_are_unique_and_nested() {
    check_d(catalog()).check();
}

#[test]
fn e_references_laws_and_facts_exist() {
    check_e(catalog()).check();
}

#[test]
fn f_titles_translations_and_evidence_are_filled_in() {
    check_f(catalog()).check();
}

#[test]
fn g_process_responsibilities_and_definitions() {
    check_g(catalog()).check();
}

/// The oracle's own helpers, on known input.
#[test]
fn helpers_split_and_detect_as_intended() {
    assert_eq!(
        sentences("Elle doit être revue. La révision doit couvrir : etc. Fin"),
        [
            "Elle doit être revue.",
            "La révision doit couvrir : etc.",
            "Fin"
        ]
    );
    assert!(is_normative("Le prestataire doit"));
    assert!(is_normative("Il est recommandé que"));
    assert!(!is_normative(
        "Les risques liés aux environnements de développement."
    ));
    assert!(!is_normative("la peuture"), "whole words only");
    assert_eq!(
        normalise("la **doit**  être\n\nrévisée¹"),
        "la doit être révisée"
    );
    let units = section3_units();
    assert!(units.iter().any(|u| u.contains(
        "quitter le périmètre de sécurité physique du système d'information du service"
    )));
    assert!(units.iter().any(|u| u.starts_with("a) les plateformes")));
}

/// The checks are not vacuous: each one catches a defect planted in a copy
/// of the real catalog.
#[test]
fn checks_catch_planted_defects() {
    let c = catalog();
    let mut root = c.root.clone();
    let mut chapters = c.chapters.clone();
    root.process.pop();
    let article = &mut chapters[0].articles[0];
    article.title_fr.push_str(" (modifié)");
    let o = &mut article.obligations[0];
    o.text_fr = "Texte inventé.".into();
    o.id = format!("{}.1", article.id);
    o.references.push("9.9.9".into());
    o.when.push("no_such_fact".into());
    o.evidence_en.clear();
    let planted = Catalog::from_parts(root, chapters).expect("still parses");
    let expect = |what: &str, f: Failures, needle: &str| {
        assert!(
            f.list.iter().any(|m| m.contains(needle)),
            "{what} missed the planted defect `{needle}`: {:?}",
            f.list
        );
    };
    let first = &c.chapters[0].articles[0];
    let sentence: String = first.obligations[0].text_fr.chars().take(20).collect();
    expect("(a)", check_a(&planted), &sentence);
    expect("(b)", check_b(&planted), "Texte inventé.");
    expect("(c)", check_c(&planted), "(modifié)");
    expect("(d)", check_d(&planted), &format!("{}.1 is not", first.id));
    expect("(e)", check_e(&planted), "9.9.9");
    expect("(e)", check_e(&planted), "no_such_fact");
    expect("(f)", check_f(&planted), "evidence_en");
    expect("(g)", check_g(&planted), "process steps");
}

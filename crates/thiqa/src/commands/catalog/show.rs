//! Plain-text renderings of the catalog for `thiqa catalog list` and `show`:
//! the official French text first, then the English translation, and every
//! attribute as words (what the console shows as badges).

use std::fmt::Write;

use anyhow::bail;
use thiqa_catalog::{
    level_label, model_label, Article, Catalog, Chapter, Item, Lang, Level, Obligation,
    ServiceModel,
};

/// The first `max` characters, with an ellipsis when cut.
pub fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

pub fn list(c: &Catalog, lang: Lang) -> String {
    let mut out = format!(
        "{} — {} ({})\n",
        c.id(),
        lang.pick(&c.root.title_fr, &c.root.title_en),
        c.version()
    );
    for ch in &c.chapters {
        let _ = writeln!(out, "\n{} {}", ch.id, lang.pick(&ch.title_fr, &ch.title_en));
        for a in &ch.articles {
            let _ = writeln!(out, "  {} {}", a.id, lang.pick(&a.title_fr, &a.title_en));
            for o in &a.obligations {
                let _ = writeln!(
                    out,
                    "    {} {}",
                    o.id,
                    short(lang.pick(&o.title_fr, &o.title_en), 90)
                );
            }
        }
    }
    out
}

/// A chapter, an article or an obligation (an item shows its obligation).
pub fn show(c: &Catalog, id: &str, lang: Lang) -> anyhow::Result<String> {
    let id = id.trim();
    if let Some(ch) = c.chapter(id) {
        return Ok(chapter(ch, lang));
    }
    if let Some((ch, a)) = c.articles().find(|(_, a)| a.id == id) {
        return Ok(article(c, ch, a, lang));
    }
    if let Some(o) = c.obligation(id) {
        return Ok(obligation(c, o, lang));
    }
    if let Some((o, _)) = c.items().find(|(_, i)| i.id == id) {
        let note = lang.pick(
            "(élément de liste de l'obligation",
            "(list item of obligation",
        );
        return Ok(format!("{note} {})\n\n{}", o.id, obligation(c, o, lang)));
    }
    bail!("no chapter, article or obligation has the id \"{id}\"; `thiqa catalog list` shows them all, `thiqa catalog search {id}` searches the text")
}

fn chapter(ch: &Chapter, lang: Lang) -> String {
    let mut out = format!("{} {}\n{}\n", ch.id, ch.title_fr, ch.title_en);
    if let Some(intro) = lang.pick_opt(&ch.intro_fr, &ch.intro_en) {
        let _ = writeln!(out, "\n{intro}");
    }
    for a in &ch.articles {
        let _ = writeln!(
            out,
            "  {} {} ({})",
            a.id,
            lang.pick(&a.title_fr, &a.title_en),
            a.obligations.len()
        );
    }
    out
}

fn article(c: &Catalog, ch: &Chapter, a: &Article, lang: Lang) -> String {
    let mut out = format!(
        "{} {}\n{}\n{} {} {}\n",
        a.id,
        a.title_fr,
        a.title_en,
        lang.pick("Chapitre", "Chapter"),
        ch.id,
        lang.pick(&ch.title_fr, &ch.title_en)
    );
    if let Some(intro) = &a.intro_fr {
        let _ = writeln!(out, "\n[fr] {intro}");
    }
    if let Some(intro) = &a.intro_en {
        let _ = writeln!(out, "[en] {intro}");
    }
    for o in &a.obligations {
        out.push_str("\n────────\n");
        out.push_str(&obligation(c, o, lang));
    }
    out
}

fn restriction_key<T: Copy + Ord>(values: &[T], all: &[T], name: fn(T) -> String) -> String {
    let mut v = values.to_vec();
    v.sort();
    v.dedup();
    if v.is_empty() || all.iter().all(|x| v.contains(x)) {
        "all".into()
    } else {
        v.into_iter().map(name).collect::<Vec<_>>().join("+")
    }
}

fn levels(l: &[Level], lang: Lang) -> String {
    level_label(
        &restriction_key(l, &Level::ALL, |l| l.number().to_string()),
        lang,
    )
}

fn models(m: &[ServiceModel], lang: Lang) -> String {
    model_label(
        &restriction_key(m, &ServiceModel::ALL, |m| m.as_str().to_string()),
        lang,
    )
}

fn fact_name(c: &Catalog, id: &str, lang: Lang) -> String {
    match c.fact(id) {
        Some(f) => lang.pick(&f.question_fr, &f.question_en).to_string(),
        None => id.to_string(),
    }
}

fn conditions(c: &Catalog, when: &[String], when_not: &[String], lang: Lang) -> Vec<String> {
    let yes = when
        .iter()
        .map(|f| format!("{} {} ({f})", lang.pick("si", "if"), fact_name(c, f, lang)));
    let no = when_not.iter().map(|f| {
        format!(
            "{} {} ({f})",
            lang.pick("sauf si", "unless"),
            fact_name(c, f, lang)
        )
    });
    yes.chain(no).collect()
}

/// Attributes as "Label : value" lines: what the console shows as badges.
fn badges(c: &Catalog, o: &Obligation, lang: Lang) -> String {
    let colon = lang.pick(" : ", ": ");
    let join = |v: Vec<&str>| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.join(", ")
        }
    };
    let mut rows = vec![
        (
            lang.pick("Force", "Force"),
            o.force.label_in(lang).to_string(),
        ),
        (
            lang.pick("Nature", "Nature"),
            join(o.nature.iter().map(|n| n.label_in(lang)).collect()),
        ),
        (lang.pick("Niveaux", "Levels"), levels(&o.levels, lang)),
        (lang.pick("Modèles", "Models"), models(&o.models, lang)),
        (
            lang.pick("Récurrence", "Recurrence"),
            join(o.recurrence.iter().map(|r| r.label_in(lang)).collect()),
        ),
    ];
    for cond in conditions(c, &o.when, &o.when_not, lang) {
        rows.push((lang.pick("Condition", "Condition"), cond));
    }
    rows.into_iter()
        .map(|(k, v)| format!("{k}{colon}{v}\n"))
        .collect()
}

fn item_tags(c: &Catalog, i: &Item, lang: Lang) -> String {
    let mut tags = Vec::new();
    if let Some(f) = i.force {
        tags.push(f.label_in(lang).to_string());
    }
    if !i.levels.is_empty() && levels(&i.levels, lang) != levels(&[], lang) {
        tags.push(levels(&i.levels, lang));
    }
    if !i.models.is_empty() && models(&i.models, lang) != models(&[], lang) {
        tags.push(models(&i.models, lang));
    }
    tags.extend(conditions(c, &i.when, &i.when_not, lang));
    if tags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", tags.join(" ; "))
    }
}

fn items(c: &Catalog, items: &[Item], text_lang: Lang, lang: Lang, depth: usize, out: &mut String) {
    for i in items {
        let indent = "  ".repeat(depth);
        let text = text_lang.pick(&i.text_fr, &i.text_en);
        let _ = writeln!(out, "{indent}- {} {text}{}", i.id, item_tags(c, i, lang));
        self::items(c, &i.items, text_lang, lang, depth + 1, out);
    }
}

pub fn obligation(c: &Catalog, o: &Obligation, lang: Lang) -> String {
    let mut out = format!("{} {}\n{}\n\n", o.id, o.title_fr, o.title_en);
    out.push_str(&badges(c, o, lang));
    for (tag, text_lang, text) in [
        ("[fr]", Lang::Fr, &o.text_fr),
        ("[en]", Lang::En, &o.text_en),
    ] {
        let _ = writeln!(out, "\n{tag} {text}");
        items(c, &o.items, text_lang, lang, 1, &mut out);
    }
    let section = |out: &mut String, title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            let _ = writeln!(out, "\n{title}");
            for l in lines {
                let _ = writeln!(out, "  - {l}");
            }
        }
    };
    let durations = o
        .durations
        .iter()
        .map(|d| {
            format!(
                "{}{}{} {} — {}",
                d.kind.label_in(lang),
                lang.pick(" : ", ": "),
                d.months,
                lang.pick("mois", "months"),
                lang.pick(&d.subject_fr, &d.subject_en)
            )
        })
        .collect();
    section(&mut out, lang.pick("Durées :", "Durations:"), durations);
    let parties =
        |ps: &[thiqa_catalog::Party]| ps.iter().map(|p| p.label_in(lang).to_string()).collect();
    section(
        &mut out,
        lang.pick("Qui informer :", "Who must be informed:"),
        parties(&o.informs),
    );
    section(
        &mut out,
        lang.pick("Qui approuve :", "Who approves:"),
        parties(&o.approvals),
    );
    let refs = o
        .references
        .iter()
        .map(|r| match c.article(r) {
            Some(a) => format!("{r} {}", lang.pick(&a.title_fr, &a.title_en)),
            None => r.clone(),
        })
        .collect();
    section(
        &mut out,
        lang.pick("Exigences citées :", "Requirements referred to:"),
        refs,
    );
    let laws = o
        .laws
        .iter()
        .map(|l| match c.root.laws.iter().find(|x| &x.id == l) {
            Some(law) => lang.pick(&law.title_fr, &law.title_en).to_string(),
            None => l.clone(),
        })
        .collect();
    section(&mut out, lang.pick("Textes cités :", "Laws cited:"), laws);
    section(&mut out, "Preuves attendues [fr] :", o.evidence_fr.clone());
    section(&mut out, "Expected evidence [en]:", o.evidence_en.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_an_obligation_in_both_languages_with_its_attributes() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let text = show(c, "3.6.3.b", Lang::Fr).unwrap();
        let fr = text.find("[fr]").unwrap();
        let en = text.find("[en]").unwrap();
        assert!(fr < en, "French first: {text}");
        assert!(text.contains("Niveaux : niveau 2"), "{text}");
        assert!(
            text.contains("- 3.6.3.b.1 ") && text.contains("IaaS"),
            "{text}"
        );
        assert!(show(c, "9.9.9", Lang::Fr)
            .unwrap_err()
            .to_string()
            .contains("9.9.9"));
    }

    #[test]
    fn lists_every_obligation() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let text = list(c, Lang::En);
        assert_eq!(
            text.lines().filter(|l| l.starts_with("    3.")).count(),
            c.obligations().count()
        );
    }
}

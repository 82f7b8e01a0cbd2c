//! The row layout shared by the CSV and XLSX exports.

use thiqa_catalog::{Catalog, Item, Level, Obligation, ServiceModel};

/// Column names, in order. Stable: scripts read the CSV by these names.
pub const COLUMNS: [&str; 17] = [
    "id",
    "chapter",
    "article",
    "title_fr",
    "title_en",
    "force",
    "nature",
    "models",
    "levels",
    "conditions",
    "recurrence",
    "text_fr",
    "text_en",
    "items_fr",
    "items_en",
    "evidence_fr",
    "evidence_en",
];

/// Separator inside multi-valued cells (natures, models…).
const LIST: &str = "; ";

/// "all" when unrestricted, else the names: a blank cell would read as "none".
fn models(models: &[ServiceModel]) -> String {
    if models.is_empty() || ServiceModel::ALL.iter().all(|m| models.contains(m)) {
        return "all".into();
    }
    let mut v = models.to_vec();
    v.sort();
    v.dedup();
    v.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(LIST)
}

fn levels(levels: &[Level]) -> String {
    if levels.is_empty() || Level::ALL.iter().all(|l| levels.contains(l)) {
        return "all".into();
    }
    let mut v = levels.to_vec();
    v.sort();
    v.dedup();
    v.iter()
        .map(|l| l.number().to_string())
        .collect::<Vec<_>>()
        .join(LIST)
}

/// "when password_authentication; when_not built_on_own_iaas".
fn conditions(when: &[String], when_not: &[String]) -> String {
    when.iter()
        .map(|f| format!("when {f}"))
        .chain(when_not.iter().map(|f| format!("when_not {f}")))
        .collect::<Vec<_>>()
        .join(LIST)
}

/// One line per item, "id text", nested items indented; an item's own
/// restrictions follow in brackets.
fn items(items: &[Item], fr: bool) -> String {
    fn walk(items: &[Item], depth: usize, fr: bool, out: &mut Vec<String>) {
        for i in items {
            let text = if fr { &i.text_fr } else { &i.text_en };
            let mut scope = Vec::new();
            if !i.models.is_empty() {
                scope.push(format!("models: {}", models(&i.models)));
            }
            if !i.levels.is_empty() {
                scope.push(format!("levels: {}", levels(&i.levels)));
            }
            let cond = conditions(&i.when, &i.when_not);
            if !cond.is_empty() {
                scope.push(cond);
            }
            let scope = if scope.is_empty() {
                String::new()
            } else {
                format!(" [{}]", scope.join(LIST))
            };
            out.push(format!("{}{} {text}{scope}", "  ".repeat(depth), i.id));
            walk(&i.items, depth + 1, fr, out);
        }
    }
    let mut out = Vec::new();
    walk(items, 0, fr, &mut out);
    out.join("\n")
}

fn row(chapter: &str, article: &str, o: &Obligation) -> Vec<String> {
    vec![
        o.id.clone(),
        chapter.to_string(),
        article.to_string(),
        o.title_fr.clone(),
        o.title_en.clone(),
        o.force.as_str().to_string(),
        o.nature
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(LIST),
        models(&o.models),
        levels(&o.levels),
        conditions(&o.when, &o.when_not),
        o.recurrence
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(LIST),
        o.text_fr.clone(),
        o.text_en.clone(),
        items(&o.items, true),
        items(&o.items, false),
        o.evidence_fr.join("\n"),
        o.evidence_en.join("\n"),
    ]
}

/// One row per obligation, in the text's order, cells as in [`COLUMNS`].
pub fn obligation_rows(catalog: &Catalog) -> Vec<Vec<String>> {
    catalog
        .obligations()
        .map(|(c, a, o)| row(&c.id, &a.id, o))
        .collect()
}

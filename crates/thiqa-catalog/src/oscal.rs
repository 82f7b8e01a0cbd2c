//! OSCAL 1.1.2 export: the référentiel as an OSCAL `catalog`, and a service's
//! applicable obligations as an OSCAL `profile` importing it.
//!
//! Why: auditors (PASSI) and GRC tools speak OSCAL; exporting lets a provider
//! hand the DGSSI requirements and its own scoping to any of them.
//!
//! Mapping: chapter → group (class "chapter"), article → group (class
//! "article"), obligation → control, bullet items → sub-parts of the
//! statement, evidence → guidance, laws → back-matter resources. OSCAL ids are
//! tokens that must start with a letter, so `3.5.5.c` becomes `o-3.5.5.c`; the
//! human id stays in the `label` prop. What OSCAL has no name for (force,
//! nature, levels, models, facts, recurrence, durations) goes in props under
//! the Thiqa namespace. UUIDs are name-based, so exports are reproducible.

use serde_json::{json, Map, Value};

use crate::applicability::{Profile, Subject};
use crate::lang::Lang;
use crate::load::Catalog;
use crate::model::{Article, Chapter, Item, Obligation};
use crate::uuid;

pub const OSCAL_VERSION: &str = "1.1.2";
/// Namespace of Thiqa's own props and part names.
pub const NS: &str = "https://thiqa.ma/ns/oscal";

/// An OSCAL token from any id: characters outside `[A-Za-z0-9._-]` become `-`.
fn token(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The control id of an obligation: `3.5.5.c` → `o-3.5.5.c`.
pub fn control_id(obligation_id: &str) -> String {
    format!("o-{}", token(obligation_id))
}

/// The group id of an article (`art-3.5.5`) or chapter (`ch-3.5`).
pub fn article_group_id(article_id: &str) -> String {
    format!("art-{}", token(article_id))
}

pub fn chapter_group_id(chapter_id: &str) -> String {
    format!("ch-{}", token(chapter_id))
}

/// The part id of an item: `3.5.5.c.2` in obligation `3.5.5.c` → `o-3.5.5.c_smt.2`.
pub fn item_part_id(obligation_id: &str, item_id: &str) -> String {
    let tail = item_id.strip_prefix(obligation_id).unwrap_or(item_id);
    let tail = tail.trim_start_matches('.');
    format!("{}_smt.{}", control_id(obligation_id), token(tail))
}

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

fn ns_prop(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "ns": NS, "value": value.into() })
}

/// `2025-08-01` → `2025-08-01T00:00:00Z`: the instrument's date, not the
/// export time, so that the same catalog always exports the same bytes.
fn timestamp(date: &str) -> String {
    if date.contains('T') {
        date.to_string()
    } else {
        format!("{date}T00:00:00Z")
    }
}

fn uuid_of(catalog: &Catalog, kind: &str, id: &str) -> String {
    uuid::thiqa(&format!(
        "{}/{}/{kind}/{id}",
        catalog.id(),
        catalog.version()
    ))
}

/// Restriction props shared by controls and item parts.
fn restriction_props(
    props: &mut Vec<Value>,
    models: &[crate::ServiceModel],
    levels: &[crate::Level],
    when: &[String],
    when_not: &[String],
) {
    props.extend(models.iter().map(|m| ns_prop("model", m.as_str())));
    props.extend(
        levels
            .iter()
            .map(|l| ns_prop("level", l.number().to_string())),
    );
    props.extend(when.iter().map(|f| ns_prop("when", f.as_str())));
    props.extend(when_not.iter().map(|f| ns_prop("when-not", f.as_str())));
}

fn item_part(o: &Obligation, item: &Item, lang: Lang) -> Value {
    let mut props = vec![prop("label", item.id.as_str())];
    restriction_props(
        &mut props,
        &item.models,
        &item.levels,
        &item.when,
        &item.when_not,
    );
    if let Some(f) = item.force {
        props.push(ns_prop("force", f.as_str()));
    }
    let mut part = json!({
        "id": item_part_id(&o.id, &item.id),
        "name": "item",
        "props": props,
        "prose": lang.pick(&item.text_fr, &item.text_en),
    });
    if !item.items.is_empty() {
        part["parts"] = item.items.iter().map(|i| item_part(o, i, lang)).collect();
    }
    part
}

fn control(catalog: &Catalog, o: &Obligation, lang: Lang) -> Value {
    let id = control_id(&o.id);
    let mut props = vec![
        prop("label", o.id.as_str()),
        prop("sort-id", sort_id(&o.id)),
        ns_prop("force", o.force.as_str()),
    ];
    props.extend(o.nature.iter().map(|n| ns_prop("nature", n.as_str())));
    restriction_props(&mut props, &o.models, &o.levels, &o.when, &o.when_not);
    props.extend(
        o.recurrence
            .iter()
            .map(|r| ns_prop("recurrence", r.as_str())),
    );
    for d in &o.durations {
        let mut p = ns_prop("duration", format!("P{}M", d.months));
        p["class"] = d.kind.as_str().into();
        p["remarks"] = lang.pick(&d.subject_fr, &d.subject_en).into();
        props.push(p);
    }
    props.extend(o.informs.iter().map(|p| ns_prop("informs", p.as_str())));
    props.extend(o.approvals.iter().map(|p| ns_prop("approval", p.as_str())));

    let mut statement = json!({
        "id": format!("{id}_smt"),
        "name": "statement",
        "prose": lang.pick(&o.text_fr, &o.text_en),
    });
    if !o.items.is_empty() {
        statement["parts"] = o.items.iter().map(|i| item_part(o, i, lang)).collect();
    }
    let evidence = lang.pick_list(&o.evidence_fr, &o.evidence_en);
    let mut parts = vec![statement];
    if !evidence.is_empty() {
        let prose = evidence
            .iter()
            .map(|e| format!("- {e}"))
            .collect::<Vec<_>>()
            .join("\n");
        parts.push(json!({
            "id": format!("{id}_gdn"),
            "name": "guidance",
            "title": lang.pick("Preuves attendues", "Expected evidence"),
            "prose": prose,
        }));
    }
    let mut links: Vec<Value> = o
        .references
        .iter()
        .map(|a| json!({ "href": format!("#{}", article_group_id(a)), "rel": "related" }))
        .collect();
    links.extend(o.laws.iter().map(
        |l| json!({ "href": format!("#{}", uuid_of(catalog, "law", l)), "rel": "reference" }),
    ));

    let mut c = Map::new();
    c.insert("id".into(), id.into());
    c.insert("class".into(), o.force.as_str().into());
    c.insert("title".into(), lang.pick(&o.title_fr, &o.title_en).into());
    c.insert("props".into(), props.into());
    if !links.is_empty() {
        c.insert("links".into(), links.into());
    }
    c.insert("parts".into(), parts.into());
    Value::Object(c)
}

/// `3.5.12.c` → `03.05.12.c`: sorts as the text does.
fn sort_id(id: &str) -> String {
    id.split('.')
        .map(|s| {
            if s.chars().all(|c| c.is_ascii_digit()) {
                format!("{s:0>2}")
            } else {
                s.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn overview(id: &str, text: Option<&str>) -> Option<Value> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| json!({ "id": format!("{id}_ovw"), "name": "overview", "prose": t }))
}

fn article_group(catalog: &Catalog, a: &Article, lang: Lang) -> Value {
    let id = article_group_id(&a.id);
    let mut g = Map::new();
    g.insert("id".into(), id.clone().into());
    g.insert("class".into(), "article".into());
    g.insert("title".into(), lang.pick(&a.title_fr, &a.title_en).into());
    g.insert("props".into(), json!([prop("label", a.id.as_str())]));
    let mut parts: Vec<Value> = overview(&id, lang.pick_opt(&a.intro_fr, &a.intro_en))
        .into_iter()
        .collect();
    for d in catalog
        .root
        .definitions
        .iter()
        .filter(|d| d.article == a.id)
    {
        parts.push(json!({
            "id": format!("{id}_def-{}", token(&d.id)),
            "name": "definition",
            "ns": NS,
            "title": lang.pick(&d.term_fr, &d.term_en),
            "prose": lang.pick(&d.text_fr, &d.text_en),
        }));
    }
    if !parts.is_empty() {
        g.insert("parts".into(), parts.into());
    }
    if !a.obligations.is_empty() {
        g.insert(
            "controls".into(),
            a.obligations
                .iter()
                .map(|o| control(catalog, o, lang))
                .collect(),
        );
    }
    Value::Object(g)
}

fn chapter_group(catalog: &Catalog, c: &Chapter, lang: Lang) -> Value {
    let id = chapter_group_id(&c.id);
    let mut g = Map::new();
    g.insert("id".into(), id.clone().into());
    g.insert("class".into(), "chapter".into());
    g.insert("title".into(), lang.pick(&c.title_fr, &c.title_en).into());
    g.insert("props".into(), json!([prop("label", c.id.as_str())]));
    if let Some(p) = overview(&id, lang.pick_opt(&c.intro_fr, &c.intro_en)) {
        g.insert("parts".into(), json!([p]));
    }
    if !c.articles.is_empty() {
        g.insert(
            "groups".into(),
            c.articles
                .iter()
                .map(|a| article_group(catalog, a, lang))
                .collect(),
        );
    }
    Value::Object(g)
}

fn metadata(catalog: &Catalog, title: String, props: Vec<Value>) -> Value {
    let mut m = json!({
        "title": title,
        "last-modified": timestamp(&catalog.root.published),
        "version": catalog.version(),
        "oscal-version": OSCAL_VERSION,
    });
    if !props.is_empty() {
        m["props"] = props.into();
    }
    m
}

/// The whole catalog as an OSCAL catalog document (`{"catalog": …}`), in the
/// given language (French is the official text).
pub fn catalog(catalog: &Catalog, lang: Lang) -> Value {
    let root = &catalog.root;
    let instrument_uuid = uuid_of(catalog, "instrument", &root.id);
    let mut meta = metadata(
        catalog,
        lang.pick(&root.title_fr, &root.title_en).to_string(),
        vec![ns_prop("catalog-id", root.id.as_str())],
    );
    meta["links"] = json!([{ "href": format!("#{instrument_uuid}"), "rel": "source" }]);
    let mut resources = vec![json!({
        "uuid": instrument_uuid,
        "title": root.instrument,
        "citation": { "text": root.instrument },
    })];
    resources.extend(root.laws.iter().map(|l| {
        let title = lang.pick(&l.title_fr, &l.title_en);
        json!({
            "uuid": uuid_of(catalog, "law", &l.id),
            "title": title,
            "props": [ns_prop("law-id", l.id.as_str())],
            "citation": { "text": title },
        })
    }));
    let mut doc = Map::new();
    doc.insert("uuid".into(), uuid_of(catalog, "catalog", &root.id).into());
    doc.insert("metadata".into(), meta);
    let groups: Vec<Value> = catalog
        .chapters
        .iter()
        .map(|c| chapter_group(catalog, c, lang))
        .collect();
    if !groups.is_empty() {
        doc.insert("groups".into(), groups.into());
    }
    doc.insert("back-matter".into(), json!({ "resources": resources }));
    json!({ "catalog": Value::Object(doc) })
}

/// A service profile as an OSCAL profile document (`{"profile": …}`) that
/// imports the catalog at `catalog_href` and keeps the applicable obligations;
/// the items that do not apply within them are removed with `alters`.
/// The profile's facts (answered or defaulted) are recorded as props.
pub fn profile(catalog: &Catalog, profile: &Profile, catalog_href: &str, lang: Lang) -> Value {
    let decisions = catalog.applicability(profile);
    let with_ids: Vec<String> = decisions
        .iter()
        .filter(|d| d.applicable && d.subject == Subject::Obligation)
        .map(|d| control_id(&d.id))
        .collect();
    let applies: std::collections::HashMap<&str, bool> = decisions
        .iter()
        .map(|d| (d.id.as_str(), d.applicable))
        .collect();
    let mut alters: Vec<Value> = Vec::new();
    for d in &decisions {
        let Subject::Item { obligation } = &d.subject else {
            continue;
        };
        // Remove only the outermost part that does not apply: inside a
        // control that is kept, below a parent that is kept.
        let parent =
            d.id.rsplit_once('.')
                .map_or(obligation.as_str(), |(p, _)| p);
        if d.applicable || !applies.get(parent).copied().unwrap_or(false) {
            continue;
        }
        let control = control_id(obligation);
        let remove = json!({ "by-id": item_part_id(obligation, &d.id) });
        match alters
            .iter_mut()
            .find(|a| a["control-id"] == control.as_str())
        {
            Some(a) => a["removes"].as_array_mut().expect("removes").push(remove),
            None => alters.push(json!({ "control-id": control, "removes": [remove] })),
        }
    }

    let mut props = vec![
        ns_prop("model", profile.model.as_str()),
        ns_prop("level", profile.level.number().to_string()),
    ];
    let mut key = format!("{}/{}", profile.model.as_str(), profile.level.number());
    for f in catalog.facts() {
        let a = profile.answer(catalog, &f.id);
        let value = if a.value { "yes" } else { "no" };
        let mut p = ns_prop("fact", format!("{}={value}", f.id));
        p["class"] = if a.defaulted { "default" } else { "answered" }.into();
        props.push(p);
        key.push_str(&format!("/{}={value}", f.id));
    }
    let title = format!(
        "{} — {}",
        lang.pick(&catalog.root.title_fr, &catalog.root.title_en),
        profile.describe(lang)
    );
    let mut import = json!({ "href": catalog_href });
    if !with_ids.is_empty() {
        import["include-controls"] = json!([{ "with-ids": with_ids }]);
    }
    let mut doc = Map::new();
    doc.insert("uuid".into(), uuid_of(catalog, "profile", &key).into());
    doc.insert("metadata".into(), metadata(catalog, title, props));
    doc.insert("imports".into(), json!([import]));
    doc.insert("merge".into(), json!({ "as-is": true }));
    if !alters.is_empty() {
        doc.insert("modify".into(), json!({ "alters": alters }));
    }
    json!({ "profile": Value::Object(doc) })
}

#[cfg(test)]
mod tests;

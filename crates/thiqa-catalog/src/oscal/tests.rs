use super::*;
use crate::fixture;
use crate::{Level, ServiceModel};

/// OSCAL's token pattern, restricted to what we emit (ASCII).
fn is_token(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && s.chars()
            .enumerate()
            .all(|(i, c)| [8, 13, 18, 23].contains(&i) || c.is_ascii_hexdigit())
        && matches!(b[14], b'4' | b'5')
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// Every value under an "id", "control-id" or "by-id" key, and every "uuid".
fn walk(v: &Value, ids: &mut Vec<String>, uuids: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("id" | "control-id" | "by-id", Value::String(s)) => ids.push(s.clone()),
                    ("uuid", Value::String(s)) => uuids.push(s.clone()),
                    _ => walk(v, ids, uuids),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| walk(v, ids, uuids)),
        _ => {}
    }
}

#[test]
fn catalog_has_valid_ids_uuids_and_structure() {
    let c = fixture::catalog();
    let doc = catalog(&c, Lang::Fr);
    let (mut ids, mut uuids) = (vec![], vec![]);
    walk(&doc, &mut ids, &mut uuids);
    assert!(ids.iter().all(|i| is_token(i)), "{ids:?}");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids are unique");
    assert!(uuids.iter().all(|u| is_uuid(u)), "{uuids:?}");

    let cat = &doc["catalog"];
    assert_eq!(cat["metadata"]["oscal-version"], "1.1.2");
    assert_eq!(cat["metadata"]["last-modified"], "2025-01-01T00:00:00Z");
    let chapter = &cat["groups"][0];
    assert_eq!(chapter["id"], "ch-3.1");
    let article = &chapter["groups"][0];
    assert_eq!(article["class"], "article");
    let control = &article["controls"][1];
    assert_eq!(control["id"], "o-3.1.1.b");
    assert_eq!(
        control["props"][0],
        json!({"name": "label", "value": "3.1.1.b"})
    );
    let stmt = &control["parts"][0];
    assert_eq!(stmt["name"], "statement");
    assert_eq!(stmt["parts"][1]["id"], "o-3.1.1.b_smt.2");
    assert_eq!(stmt["parts"][1]["parts"][0]["id"], "o-3.1.1.b_smt.2.1");
    assert_eq!(control["parts"][1]["name"], "guidance");
    assert_eq!(control["links"][0]["href"], "#art-3.5.5");
    // Non-standard props carry the namespace.
    assert!(control["props"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "level" && p["ns"] == NS && p["value"] == "2"));
}

#[test]
fn law_links_point_at_back_matter_resources() {
    let c = fixture::catalog();
    let doc = catalog(&c, Lang::En);
    let cat = &doc["catalog"];
    let link = cat["groups"][0]["groups"][0]["controls"][0]["links"][0]["href"]
        .as_str()
        .unwrap()
        .trim_start_matches('#')
        .to_string();
    let resources = cat["back-matter"]["resources"].as_array().unwrap();
    assert!(resources
        .iter()
        .any(|r| r["uuid"] == link.as_str() && r["title"] == "Law 09-08"));
    assert_eq!(cat["groups"][0]["title"], "Security policies");
}

#[test]
fn exports_are_reproducible() {
    let c = fixture::catalog();
    assert_eq!(
        catalog(&c, Lang::Fr),
        catalog(&fixture::catalog(), Lang::Fr)
    );
    let p = Profile::new(ServiceModel::Iaas, Level::Two);
    assert_eq!(
        profile(&c, &p, "catalog.json", Lang::Fr),
        profile(&c, &p, "catalog.json", Lang::Fr)
    );
    let other = Profile::new(ServiceModel::Saas, Level::Two);
    assert_ne!(
        profile(&c, &p, "catalog.json", Lang::Fr)["profile"]["uuid"],
        profile(&c, &other, "catalog.json", Lang::Fr)["profile"]["uuid"]
    );
}

#[test]
fn profile_imports_applicable_controls_and_removes_inapplicable_items() {
    let c = fixture::catalog();
    let p = Profile::new(ServiceModel::Iaas, Level::Two);
    let doc = profile(&c, &p, "trestle://catalogs/x/catalog.json", Lang::Fr);
    let prof = &doc["profile"];
    assert_eq!(
        prof["imports"][0]["href"],
        "trestle://catalogs/x/catalog.json"
    );
    assert_eq!(
        prof["imports"][0]["include-controls"][0]["with-ids"],
        json!(["o-3.1.1.a", "o-3.1.1.b", "o-3.5.5.a"])
    );
    // 3.1.1.b.2 is SaaS only: removed, and its nested item with it.
    assert_eq!(
        prof["modify"]["alters"],
        json!([{ "control-id": "o-3.1.1.b", "removes": [{ "by-id": "o-3.1.1.b_smt.2" }] }])
    );
    let props = prof["metadata"]["props"].as_array().unwrap();
    assert!(props
        .iter()
        .any(|p| p["value"] == "password_authentication=yes" && p["class"] == "default"));
}

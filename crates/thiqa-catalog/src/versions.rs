//! Comparing two revisions of the référentiel.
//!
//! When the DGSSI publishes a new text, it will sit beside this one as another
//! catalog. Assessments made against the old one can be carried over for the
//! obligations that did not change; the rest must be looked at again. Ids are
//! never reused for another meaning (catalog/README.md), so matching by id is
//! sound.

use std::collections::HashMap;

use serde::Serialize;

use crate::load::Catalog;
use crate::model::{Item, Obligation};

/// What changed in an obligation kept under the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The official French text.
    Text,
    /// Models, levels or facts it depends on.
    Applicability,
    /// Obligation, recommendation or definition.
    Force,
    /// Items added, removed, reworded or restricted differently.
    Items,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub id: String,
    pub kinds: Vec<ChangeKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionDiff {
    /// `id@version` of each side.
    pub old: String,
    pub new: String,
    /// In the new text's order.
    pub added: Vec<String>,
    /// In the old text's order.
    pub removed: Vec<String>,
    pub changed: Vec<Change>,
    /// Same text, applicability, force and items: assessments carry over.
    pub unchanged: Vec<String>,
}

impl VersionDiff {
    /// Whether an assessment of `id` made against the old text still holds.
    pub fn carries_over(&self, id: &str) -> bool {
        self.unchanged.iter().any(|u| u == id)
    }
}

fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Order-insensitive restrictions: `["saas","iaas"]` equals `["iaas","saas"]`.
type Scope = (
    Vec<crate::ServiceModel>,
    Vec<crate::Level>,
    Vec<String>,
    Vec<String>,
);

fn scope(o: &Obligation) -> Scope {
    (
        sorted(&o.models),
        sorted(&o.levels),
        sorted(&o.when),
        sorted(&o.when_not),
    )
}

fn item_key(i: &Item) -> (String, String, Scope, Option<crate::Force>) {
    (
        i.id.clone(),
        i.text_fr.clone(),
        (
            sorted(&i.models),
            sorted(&i.levels),
            sorted(&i.when),
            sorted(&i.when_not),
        ),
        i.force,
    )
}

fn compare(old: &Obligation, new: &Obligation) -> Vec<ChangeKind> {
    let mut kinds = Vec::new();
    if old.text_fr != new.text_fr {
        kinds.push(ChangeKind::Text);
    }
    if scope(old) != scope(new) {
        kinds.push(ChangeKind::Applicability);
    }
    if old.force != new.force {
        kinds.push(ChangeKind::Force);
    }
    let items = |o: &Obligation| o.all_items().into_iter().map(item_key).collect::<Vec<_>>();
    if items(old) != items(new) {
        kinds.push(ChangeKind::Items);
    }
    kinds
}

/// The obligations added, removed, changed and unchanged from `old` to `new`.
pub fn diff(old: &Catalog, new: &Catalog) -> VersionDiff {
    let old_by_id: HashMap<&str, &Obligation> = old
        .obligations()
        .map(|(_, _, o)| (o.id.as_str(), o))
        .collect();
    let mut d = VersionDiff {
        old: format!("{}@{}", old.id(), old.version()),
        new: format!("{}@{}", new.id(), new.version()),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        unchanged: Vec::new(),
    };
    for (_, _, o) in new.obligations() {
        match old_by_id.get(o.id.as_str()) {
            None => d.added.push(o.id.clone()),
            Some(prev) => {
                let kinds = compare(prev, o);
                if kinds.is_empty() {
                    d.unchanged.push(o.id.clone());
                } else {
                    d.changed.push(Change {
                        id: o.id.clone(),
                        kinds,
                    });
                }
            }
        }
    }
    d.removed = old
        .obligations()
        .filter(|(_, _, o)| new.obligation(&o.id).is_none())
        .map(|(_, _, o)| o.id.clone())
        .collect();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn same_catalog_has_no_changes() {
        let c = fixture::catalog();
        let d = diff(&c, &fixture::catalog());
        assert!(d.added.is_empty() && d.removed.is_empty() && d.changed.is_empty());
        assert_eq!(d.unchanged.len(), 5);
        assert!(d.carries_over("3.5.5.a"));
        assert_eq!(d.old, "fixture@2025-01-01");
    }

    #[test]
    fn finds_added_removed_and_each_kind_of_change() {
        let old = fixture::catalog();
        let ch2 = fixture::CH2
            // 3.5.5.a reworded
            .replace("évaluer la robustesse", "vérifier la robustesse")
            // 3.5.5.b: only for IaaS now, and an obligation
            .replace("models = [\"iaas\", \"paas\"]", "models = [\"iaas\"]")
            .replace("force = \"recommendation\"", "force = \"obligation\"")
            // 3.5.5.c renamed to 3.5.5.d: removed + added
            .replace("3.5.5.c", "3.5.5.d");
        // 3.1.1.b's nested item becomes level 1 only; reordering models is no change.
        let ch1 = fixture::CH1.replace(
            "text_en = \"End-user interfaces.\"",
            "text_en = \"End-user interfaces.\"\nlevels = [1]",
        );
        let root = fixture::ROOT.replace("version = \"2025-01-01\"", "version = \"2026-01-01\"");
        let new = Catalog::parse(&root, &[("a", &ch1), ("b", &ch2)]).unwrap();
        let d = diff(&old, &new);
        assert_eq!(d.new, "fixture@2026-01-01");
        assert_eq!(d.added, ["3.5.5.d"]);
        assert_eq!(d.removed, ["3.5.5.c"]);
        let kinds = |id: &str| {
            d.changed
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.kinds.clone())
        };
        assert_eq!(kinds("3.5.5.a"), Some(vec![ChangeKind::Text]));
        assert_eq!(
            kinds("3.5.5.b"),
            Some(vec![ChangeKind::Applicability, ChangeKind::Force])
        );
        assert_eq!(kinds("3.1.1.b"), Some(vec![ChangeKind::Items]));
        assert_eq!(d.unchanged, ["3.1.1.a"]);
        assert!(!d.carries_over("3.5.5.a"));
    }
}

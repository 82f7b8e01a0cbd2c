//! What a declared service is under the référentiel: its profile (model,
//! level, the text's conditions) and the obligations that apply to it.

use std::collections::BTreeMap;

use thiqa_catalog::{Catalog, Level, Profile, ServiceModel, Subject};
use thiqa_store::Service;

use crate::AppError;

/// The applicability profile of a stored service. Only facts the catalog
/// knows are kept: a condition removed from a later catalog version is
/// ignored rather than failing the page.
pub fn profile_of(c: &Catalog, s: &Service) -> Result<Profile, AppError> {
    let corrupt = |what: String| AppError::Internal(format!("service {}: {what}", s.id));
    let model =
        ServiceModel::from_name(&s.model).ok_or_else(|| corrupt(format!("model {}", s.model)))?;
    let level = Level::try_from(u8::try_from(s.level).unwrap_or(0)).map_err(corrupt)?;
    let facts: BTreeMap<String, bool> =
        serde_json::from_str(&s.facts).map_err(|e| corrupt(format!("facts: {e}")))?;
    let mut p = Profile::new(model, level);
    for (k, v) in facts {
        if c.fact(&k).is_some() {
            p.facts.insert(k, v);
        }
    }
    Ok(p)
}

/// The ids of the obligations that apply under `p`, in the text's order.
pub fn applicable_ids(c: &Catalog, p: &Profile) -> Vec<String> {
    c.applicability(p)
        .into_iter()
        .filter(|d| d.applicable && matches!(d.subject, Subject::Obligation))
        .map(|d| d.id)
        .collect()
}

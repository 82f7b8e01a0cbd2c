//! What is recorded for a service's obligations, as the store returns it.

use std::sync::Arc;

use serde::Serialize;
use thiqa_domain::AssessmentStatus;

#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub obligation_id: String,
    pub status: AssessmentStatus,
    pub statement: String,
    pub justification: String,
    pub owner: String,
    pub next_review: String,
    pub updated_at: i64,
    pub updated_by: String,
    /// Bumped by every save; a save names the version it edited (0: never
    /// saved) and is refused when another saved meanwhile.
    pub version: i64,
}

/// One recorded change of one field.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentChange {
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub changed_by: String,
    pub changed_at: i64,
}

/// A service's recorded assessments, sorted by obligation id, shared by
/// every reader of the same stamp.
#[derive(Debug, Clone)]
pub struct AssessmentSet(Arc<[Assessment]>);

impl AssessmentSet {
    /// The rows sorted by obligation id (byte order, whatever order the
    /// database's collation gave them in).
    pub fn new(mut rows: Vec<Assessment>) -> AssessmentSet {
        rows.sort_unstable_by(|a, b| a.obligation_id.cmp(&b.obligation_id));
        AssessmentSet(rows.into())
    }

    /// What is recorded for `obligation`, if anything.
    pub fn get(&self, obligation: &str) -> Option<&Assessment> {
        self.0
            .binary_search_by(|a| a.obligation_id.as_str().cmp(obligation))
            .ok()
            .map(|i| &self.0[i])
    }

    /// Every recorded assessment, by obligation id.
    pub fn iter(&self) -> std::slice::Iter<'_, Assessment> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_vec(&self) -> Vec<Assessment> {
        self.0.to_vec()
    }
}

/// A recorded assessment for the tests of this crate's modules.
#[cfg(test)]
pub(crate) fn sample(obligation: &str, owner: &str) -> Assessment {
    Assessment {
        obligation_id: obligation.into(),
        status: AssessmentStatus::Compliant,
        statement: String::new(),
        justification: String::new(),
        owner: owner.into(),
        next_review: String::new(),
        updated_at: 0,
        updated_by: String::new(),
        version: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_found_whatever_order_they_came_in() {
        // A collation may put "3.10" before "3.1.1"; lookups must not care.
        let set = AssessmentSet::new(vec![sample("3.10.1.a", "b"), sample("3.1.1.a", "a")]);
        assert_eq!(set.get("3.1.1.a").unwrap().owner, "a");
        assert_eq!(set.get("3.10.1.a").unwrap().owner, "b");
        assert!(set.get("3.2.1.a").is_none());
        assert_eq!(set.len(), 2);
    }
}

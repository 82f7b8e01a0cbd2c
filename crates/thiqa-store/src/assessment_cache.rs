//! The assessments of the services read lately, held in memory between
//! requests.
//!
//! The assessment page shows every applicable obligation of a service with
//! what is recorded for it: some 250 rows, read on every view, while they
//! change only when someone saves. On PostgreSQL those rows crossed the
//! network on every request and made the largest part of the page's cost
//! (`thiqa-bench backends`).
//!
//! Each entry is kept under the service's `assessed_stamp`, a random value
//! every save of the service's assessments sets in the same transaction
//! (saves: assessments.rs; migration 0020). A reader reads the service row
//! (it needs it anyway, and it checks the provider) and reuses the entry
//! only if the stamp is the one it was cached under. So every instance
//! sees every save, its own or another's, on its very next read; and since
//! equal stamps mean equal content, a database restored under a running
//! instance cannot make it serve rows the database no longer holds.
//!
//! A reader that read the rows while a save committed may cache rows
//! newer than the stamp it read: a later reader with that old stamp can
//! only be one that read the service before the save, and gets the newer
//! rows. Never older ones.

use std::collections::HashMap;
use std::sync::Mutex;

use thiqa_domain::ServiceId;

use crate::assessment_rows::AssessmentSet;

/// More services than this in memory: start again from empty rather than
/// grow without bound (a fully assessed service is some 60 KB).
const MAX_SERVICES: usize = 256;

#[derive(Default)]
pub(crate) struct AssessmentCache {
    entries: Mutex<HashMap<ServiceId, (i64, AssessmentSet)>>,
}

impl AssessmentCache {
    /// The rows cached for `service` under `stamp`, if any.
    pub fn get(&self, service: ServiceId, stamp: i64) -> Option<AssessmentSet> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(&service) {
            Some((kept, set)) if *kept == stamp => Some(set.clone()),
            _ => None,
        }
    }

    /// Keeps `set` as the rows of `service` under `stamp`.
    pub fn put(&self, service: ServiceId, stamp: i64, set: AssessmentSet) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_SERVICES && !entries.contains_key(&service) {
            entries.clear();
        }
        entries.insert(service, (stamp, set));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment_rows::sample;

    #[test]
    fn an_entry_serves_only_the_stamp_it_was_cached_under() {
        let cache = AssessmentCache::default();
        let s = ServiceId(7);
        cache.put(s, 41, AssessmentSet::new(vec![sample("3.1.1.a", "old")]));
        assert!(cache.get(s, 42).is_none(), "another stamp: read again");
        assert_eq!(
            cache.get(s, 41).unwrap().get("3.1.1.a").unwrap().owner,
            "old"
        );
        cache.put(s, 42, AssessmentSet::new(vec![sample("3.1.1.a", "new")]));
        assert!(cache.get(s, 41).is_none());
        assert_eq!(
            cache.get(s, 42).unwrap().get("3.1.1.a").unwrap().owner,
            "new"
        );
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let cache = AssessmentCache::default();
        for i in 0..(MAX_SERVICES as i64 * 3) {
            cache.put(ServiceId(i), 1, AssessmentSet::new(Vec::new()));
        }
        assert!(cache.entries.lock().unwrap().len() <= MAX_SERVICES);
    }
}

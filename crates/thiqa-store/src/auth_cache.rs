//! Signed-in sessions, and accounts' rights, held in memory between
//! requests, on PostgreSQL.
//!
//! Every request resolves its session with its account and rights. On
//! SQLite that read is in-process and costs microseconds; on PostgreSQL it
//! is a network round trip, the largest part of a light page's time
//! (`thiqa-bench backends`). Each instance therefore keeps the sessions it
//! resolved, and drops them all whenever what they were built from may
//! have changed:
//!
//! - on PostgreSQL, triggers on the session, account and rights tables
//!   (migration 0019) notify channel [`CHANNEL`] on every change, made by
//!   any instance or by a `thiqa` command; each instance listens
//!   ([`crate::Store::follow_auth_changes`], in sessions.rs) and drops its
//!   cache on each notification;
//! - this instance's own writes drop it at once, before they return, so a
//!   logout is seen by the very next request (notifications arrive a
//!   moment after the commit);
//! - while the listener is not connected (starting, reconnecting, or a
//!   `thiqa` command that never listens) nothing is cached: a change could
//!   go unheard;
//! - an entry older than [`MAX_AGE`] is read again, which bounds staleness
//!   even if a broken link went unnoticed.
//!
//! A read that began before a drop must not put back what it read: the
//! epoch counts drops, and an entry is kept only if no drop happened while
//! it was being read.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use thiqa_domain::{Directory, Tenant};

/// The notification channel the migration's triggers publish on.
pub(crate) const CHANNEL: &str = "thiqa_auth_changed";

/// An entry older than this is read from the database again.
const MAX_AGE: Duration = Duration::from_secs(5);

/// More entries than this in memory: start again from empty rather than
/// grow without bound (each entry is a few hundred bytes).
const MAX_ENTRIES: usize = 20_000;

/// What is cached: a session by its token's hash (with its account and
/// permissions), or an account's rights.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) enum CacheKey {
    Session(Directory, String),
    Rights(Tenant, i64),
}

/// A cached value and when it was read. The value's type is the reader's
/// (sessions.rs, roles.rs): this module knows none of the store's types.
struct Kept {
    value: Arc<dyn Any + Send + Sync>,
    cached_at: Instant,
}

#[derive(Default)]
struct Entries {
    /// How many times the cache was dropped.
    epoch: u64,
    kept: HashMap<CacheKey, Kept>,
}

#[derive(Default)]
pub(crate) struct AuthCache {
    /// True only while this instance hears every change (see the module).
    listening: AtomicBool,
    entries: Mutex<Entries>,
}

impl AuthCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves only a map of copies: safe
        // to keep using.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// The cached value under `key`, if fresh and of type `T`.
    pub(crate) fn get<T: Any + Send + Sync>(&self, key: &CacheKey) -> Option<Arc<T>> {
        if !self.listening() {
            return None;
        }
        let entries = self.entries();
        let kept = entries.kept.get(key)?;
        if kept.cached_at.elapsed() >= MAX_AGE {
            return None;
        }
        kept.value.clone().downcast().ok()
    }

    /// The epoch to give [`AuthCache::keep`] before reading from the
    /// database; None when nothing may be cached now.
    pub(crate) fn epoch(&self) -> Option<u64> {
        if !self.listening() {
            return None;
        }
        Some(self.entries().epoch)
    }

    /// Keeps what was read, unless the cache was dropped since `epoch`.
    pub(crate) fn keep<T: Any + Send + Sync>(&self, epoch: u64, key: CacheKey, value: T) {
        if !self.listening() {
            return;
        }
        let mut entries = self.entries();
        if entries.epoch != epoch {
            return;
        }
        if entries.kept.len() >= MAX_ENTRIES {
            entries.kept.clear();
        }
        entries.kept.insert(
            key,
            Kept {
                value: Arc::new(value),
                cached_at: Instant::now(),
            },
        );
    }

    /// Replaces a cached value by an updated copy (a session seen again),
    /// keeping its age: it was not read again.
    pub(crate) fn update<T: Any + Send + Sync + Clone>(
        &self,
        key: &CacheKey,
        change: impl FnOnce(&mut T),
    ) {
        let mut entries = self.entries();
        if let Some(kept) = entries.kept.get_mut(key) {
            if let Some(old) = kept.value.downcast_ref::<T>() {
                let mut new = old.clone();
                change(&mut new);
                kept.value = Arc::new(new);
            }
        }
    }

    /// Something the entries were built from may have changed.
    pub(crate) fn drop_all(&self) {
        let mut entries = self.entries();
        entries.epoch += 1;
        entries.kept.clear();
    }

    pub(crate) fn set_listening(&self, listening: bool) {
        // Cleared in both directions: entries made before listening began,
        // or while the link was failing, may have missed a change.
        self.drop_all();
        self.listening.store(listening, Ordering::Release);
        self.drop_all();
    }
}

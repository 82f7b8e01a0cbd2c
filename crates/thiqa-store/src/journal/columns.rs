//! The columns of a journal row that copy its leaf (migration 0007: event
//! and receipt times, tenant, source, security event id), recomputed from
//! the leaf bytes.
//!
//! Readers select rows by these columns (a commanditaire's export, the
//! search), but only the leaf is hashed and signed: whoever can write to
//! the database could move an event to another tenant or time and every
//! hash would still verify. So the full verification compares every row's
//! columns with its leaf and names the row and column, and every reader
//! that selects by them refuses a row that disagrees instead of handing
//! out, or filing under the wrong tenant, an event its leaf does not say.

use std::fmt;

use thiqa_journal::{LeafFields, THIQA_SOURCE};

use super::JournalLeaf;
use crate::error::StoreError;

/// A set of `journal_leaves` columns.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Columns(u8);

impl Columns {
    pub const EVENT_TIME: Columns = Columns(1);
    pub const RECEIVED_TIME: Columns = Columns(1 << 1);
    pub const TENANT_KIND: Columns = Columns(1 << 2);
    pub const TENANT_ID: Columns = Columns(1 << 3);
    pub const SOURCE: Columns = Columns(1 << 4);
    pub const EVENT_ID: Columns = Columns(1 << 5);
    /// The leaf itself does not decode, so no column can be checked.
    pub const LEAF: Columns = Columns(1 << 6);
    const NAMES: [&'static str; 7] = [
        "event_time_ms",
        "received_time_ms",
        "tenant_kind",
        "tenant_id",
        "source",
        "event_id",
        "leaf",
    ];

    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    #[must_use]
    pub const fn union(self, other: Columns) -> Columns {
        Columns(self.0 | other.0)
    }

    #[must_use]
    pub fn contains(self, other: Columns) -> bool {
        self.0 & other.0 == other.0
    }

    /// The column names, in table order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| n)
    }

    pub(crate) fn with(self, other: Columns, differs: bool) -> Columns {
        if differs {
            self.union(other)
        } else {
            self
        }
    }
}

impl fmt::Display for Columns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

/// A row whose columns differ from its leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColumnProblem {
    /// The row's index column.
    pub index: u64,
    pub columns: Columns,
}

impl fmt::Display for ColumnProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.columns.contains(Columns::LEAF) {
            return write!(f, "row {}: the leaf bytes are not an event", self.index);
        }
        write!(
            f,
            "row {}: column {} differs from the leaf (altered after the append: exports and searches by tenant or time would miss or misfile this event)",
            self.index, self.columns
        )
    }
}

/// A row's stored copies of its leaf's fields, as read by either driver.
#[derive(Default)]
pub(crate) struct StoredColumns<'a> {
    pub event_time_ms: Option<i64>,
    pub received_time_ms: Option<i64>,
    pub tenant_kind: Option<&'a [u8]>,
    pub tenant_id: Option<i64>,
    pub source: Option<&'a [u8]>,
    pub event_id: Option<i64>,
    /// Columns holding a value of another type than theirs (only a
    /// tamperer writes those): they differ whatever the leaf says.
    pub unreadable: Columns,
}

/// The `event_id` column of a leaf: the `security_events` row of Thiqa's
/// own events, from their `event_id` attribute; none for other sources.
pub(crate) fn event_id_of<'a>(
    source: &str,
    attribute: impl FnOnce() -> Option<&'a str>,
) -> Option<i64> {
    if source == THIQA_SOURCE {
        attribute()?.parse().ok()
    } else {
        None
    }
}

/// The columns of `stored` that differ from what `leaf` says. A purged
/// leaf (empty, past retention) has nothing left to compare.
pub(crate) fn differing(leaf: &[u8], stored: &StoredColumns<'_>) -> Columns {
    if leaf.is_empty() {
        return Columns::default();
    }
    let Ok(f) = LeafFields::parse(leaf) else {
        return Columns::LEAF;
    };
    let tenant = f
        .tenant
        .and_then(thiqa_domain::Tenant::from_text)
        .map(|t| t.parts());
    let event_id = event_id_of(f.source, || f.attribute("event_id"));
    stored
        .unreadable
        .with(
            Columns::EVENT_TIME,
            stored.event_time_ms != Some(f.event_time_ms),
        )
        .with(
            Columns::RECEIVED_TIME,
            stored.received_time_ms != Some(f.received_time_ms),
        )
        .with(
            Columns::TENANT_KIND,
            stored.tenant_kind != tenant.map(|(k, _)| k.as_bytes()),
        )
        .with(
            Columns::TENANT_ID,
            stored.tenant_id != tenant.map(|(_, id)| id),
        )
        .with(Columns::SOURCE, stored.source != Some(f.source.as_bytes()))
        .with(Columns::EVENT_ID, stored.event_id != event_id)
}

/// A row read for a tenant or a time range, refused when its columns (by
/// which it was selected) differ from its leaf.
pub(crate) fn check_leaf(leaf: &JournalLeaf) -> Result<(), StoreError> {
    let tenant = leaf.tenant.map(|t| t.parts());
    let stored = StoredColumns {
        event_time_ms: Some(leaf.event_time_ms),
        received_time_ms: Some(leaf.received_time_ms),
        tenant_kind: tenant.map(|(k, _)| k.as_bytes()),
        tenant_id: tenant.map(|(_, id)| id),
        source: Some(leaf.source.as_bytes()),
        event_id: leaf.event_id,
        unreadable: Columns::default(),
    };
    let columns = differing(&leaf.leaf, &stored);
    if columns.is_empty() {
        return Ok(());
    }
    let problem = ColumnProblem {
        index: leaf.index,
        columns,
    };
    Err(StoreError::Corrupt(format!(
        "journal {problem}; refused (run `thiqa journal verify`)"
    )))
}

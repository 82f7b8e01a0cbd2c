//! Optimistic concurrency for edits (issue 12): a row carries a version,
//! every save bumps it, and a save made from what a reader saw names the
//! version it edited. Bumping first, in the write transaction, locks the row
//! (PostgreSQL; SQLite writes are serialised anyway), so the old values the
//! save then reads for its history and security event are exactly the ones
//! it replaces, and a concurrent save from the same version finds it moved on.

use crate::connect::WriteTx;
use crate::error::StoreError;

/// One column of a row's key.
pub(crate) enum Key<'a> {
    Int(i64),
    Text(&'a str),
}

/// Bumps the version of the row of `table` with this key, only if it is
/// `expected` when given. True when this transaction now holds the row; false
/// when there is no such row or (with `expected`) someone saved meanwhile:
/// the caller reads the row to tell which.
pub(crate) async fn claim(
    w: &mut WriteTx,
    table: &str,
    key: &[(&str, Key<'_>)],
    expected: Option<i64>,
) -> Result<bool, StoreError> {
    let mut sql = format!("UPDATE {table} SET version = version + 1 WHERE ");
    let mut conditions: Vec<String> = key
        .iter()
        .enumerate()
        .map(|(i, (column, _))| format!("{column} = ${}", i + 1))
        .collect();
    if expected.is_some() {
        conditions.push(format!("version = ${}", key.len() + 1));
    }
    sql.push_str(&conditions.join(" AND "));
    let mut q = sqlx::query(&sql);
    for (_, value) in key {
        q = match value {
            Key::Int(v) => q.bind(*v),
            Key::Text(v) => q.bind(*v),
        };
    }
    if let Some(v) = expected {
        q = q.bind(v);
    }
    Ok(q.execute(&mut *w.tx).await?.rows_affected() == 1)
}

/// The refusal of a save from an old version, naming what changed:
/// `key` is its message (`refusal-stale-…`, argument `what`), `english`
/// names the thing in English (e.g. "finding 12").
pub(crate) fn stale(key: &'static str, what: impl ToString, english: &str) -> StoreError {
    StoreError::Stale(
        crate::Refusal::new(key, format!("{english} was changed meanwhile")).arg("what", what),
    )
}

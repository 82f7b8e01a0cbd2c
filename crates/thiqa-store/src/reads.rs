//! Reads outside a transaction that every request makes (its session, the
//! signed-in account's rights and tokens), run where they cost least.
//!
//! On SQLite they run on the calling thread against the file
//! ([`crate::file_reads`]): a lookup by key takes microseconds there, while
//! through sqlx each statement is handed to the connection's worker thread
//! and back, and the pool pings the connection on its way back: four
//! thread wake-ups for one row, which made most of a console page's cost
//! under load (`thiqa-bench console`). In WAL mode a reader never waits
//! for the writer, so the runtime's thread is not held beyond the lookup.
//! On PostgreSQL they run on sqlx's PostgreSQL driver directly, not
//! through its `Any` layer ([`read_postgres`]).
//!
//! The rows come back as [`ReadRow`]s, decoded by column name the same way
//! whichever driver read them.

use std::sync::Arc;

use rusqlite::types::{Value, ValueRef};
use sqlx::any::AnyRow;
use sqlx::{Column, Row, TypeInfo, ValueRef as _};

use crate::connect::Store;
use crate::error::StoreError;

/// One value of a [`ReadRow`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ReadValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A row read by [`Store::read`] (or converted from the pool's rows).
#[derive(Debug, Clone)]
pub(crate) struct ReadRow {
    names: Arc<[String]>,
    values: Vec<ReadValue>,
}

/// A Rust type a column is read as.
pub(crate) trait FromValue: Sized {
    /// None when the value is not of this type.
    fn from_value(value: &ReadValue) -> Option<Self>;

    /// The same from an owned value, moved rather than copied where the
    /// type allows; the value comes back when it is not of this type.
    fn from_owned(value: ReadValue) -> Result<Self, ReadValue> {
        Self::from_value(&value).ok_or(value)
    }
}

impl FromValue for i64 {
    fn from_value(value: &ReadValue) -> Option<Self> {
        match value {
            ReadValue::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl FromValue for String {
    fn from_value(value: &ReadValue) -> Option<Self> {
        match value {
            ReadValue::Text(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn from_owned(value: ReadValue) -> Result<Self, ReadValue> {
        match value {
            ReadValue::Text(s) => Ok(s),
            other => Err(other),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: &ReadValue) -> Option<Self> {
        match value {
            ReadValue::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &ReadValue) -> Option<Self> {
        match value {
            ReadValue::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }

    fn from_owned(value: ReadValue) -> Result<Self, ReadValue> {
        match value {
            ReadValue::Null => Ok(None),
            other => T::from_owned(other).map(Some),
        }
    }
}

impl ReadRow {
    /// Column `name` as a `T`; an unknown column or a value of another type
    /// is corrupt data for this version.
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, StoreError> {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| StoreError::Corrupt(format!("no column {name}")))?;
        T::from_value(&self.values[i]).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "column {name} holds {:?}, not a {}",
                self.values[i],
                std::any::type_name::<T>()
            ))
        })
    }

    /// Column `name` as a `T`, moved out of the row (the column reads as
    /// NULL afterwards): for the many-row reads, where [`ReadRow::get`]'s
    /// copy of every text was a large part of a page's allocations.
    pub fn take<T: FromValue>(&mut self, name: &str) -> Result<T, StoreError> {
        let i = self
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| StoreError::Corrupt(format!("no column {name}")))?;
        let value = std::mem::replace(&mut self.values[i], ReadValue::Null);
        T::from_owned(value).map_err(|value| {
            StoreError::Corrupt(format!(
                "column {name} holds {value:?}, not a {}",
                std::any::type_name::<T>()
            ))
        })
    }

    /// A row of the pool's driver.
    pub fn from_any(row: &AnyRow) -> Result<ReadRow, StoreError> {
        let names: Arc<[String]> = row.columns().iter().map(|c| c.name().to_owned()).collect();
        let mut values = Vec::with_capacity(names.len());
        for i in 0..names.len() {
            let raw = row.try_get_raw(i)?;
            let value = if raw.is_null() {
                ReadValue::Null
            } else {
                match raw.type_info().name() {
                    "BOOLEAN" => ReadValue::Int(i64::from(row.try_get::<bool, _>(i)?)),
                    "SMALLINT" | "INTEGER" | "BIGINT" => ReadValue::Int(row.try_get(i)?),
                    "REAL" | "DOUBLE" => ReadValue::Real(row.try_get(i)?),
                    "BLOB" => ReadValue::Blob(row.try_get(i)?),
                    _ => ReadValue::Text(row.try_get(i)?),
                }
            };
            values.push(value);
        }
        Ok(ReadRow { names, values })
    }
}

/// A statement parameter, bound the same way by either driver: every
/// statement the store writes for both (`$n` in order of appearance) takes
/// its parameters as these.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
}

impl From<i64> for Param {
    fn from(i: i64) -> Self {
        Param::Int(i)
    }
}

impl From<&str> for Param {
    fn from(s: &str) -> Self {
        Param::Text(s.to_owned())
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// `sql` with `params` bound, for the pool.
pub(crate) fn pool_query<'q>(sql: &'q str, params: &[Param]) -> AnyQuery<'q> {
    params.iter().fold(sqlx::query(sql), |query, p| match p {
        Param::Int(i) => query.bind(*i),
        Param::Text(s) => query.bind(s.clone()),
    })
}

/// `params` for a statement on the SQLite file.
pub(crate) fn file_params(params: &[Param]) -> impl rusqlite::Params + '_ {
    rusqlite::params_from_iter(params.iter().map(|p| match p {
        Param::Int(i) => Value::Integer(*i),
        Param::Text(s) => Value::Text(s.clone()),
    }))
}

fn file_value(v: ValueRef<'_>) -> ReadValue {
    match v {
        ValueRef::Null => ReadValue::Null,
        ValueRef::Integer(i) => ReadValue::Int(i),
        ValueRef::Real(r) => ReadValue::Real(r),
        // Checked as a whole first: the lossy conversion walks the text in
        // chunks and was the costliest step of a many-row read (perf, the
        // assessment page); it stays for text SQLite holds as invalid UTF-8.
        ValueRef::Text(t) => ReadValue::Text(match std::str::from_utf8(t) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(t).into_owned(),
        }),
        ValueRef::Blob(b) => ReadValue::Blob(b.to_vec()),
    }
}

/// `sql` (with `$n` parameters) run on the SQLite file's connection.
fn read_file(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Param],
) -> Result<Vec<ReadRow>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let names: Arc<[String]> = stmt
        .column_names()
        .iter()
        .map(|n| (*n).to_owned())
        .collect();
    let mut rows = stmt.query(file_params(params))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..names.len())
            .map(|i| row.get_ref(i).map(file_value))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(ReadRow {
            names: Arc::clone(&names),
            values,
        });
    }
    Ok(out)
}

impl Store {
    /// The rows of the read-only statement `sql` (parameters `$1`, `$2`, …
    /// in order of appearance), outside any transaction.
    pub(crate) async fn read(
        &self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<ReadRow>, StoreError> {
        if let Some(file) = &self.file_reads {
            return file.now(|conn| read_file(conn, sql, params));
        }
        if let Some(pool) = &self.pg_reads {
            return read_postgres(pool, sql, params).await;
        }
        let rows = pool_query(sql, params).fetch_all(&self.pool).await?;
        rows.iter().map(ReadRow::from_any).collect()
    }
}

/// How a PostgreSQL column is decoded, found once per statement.
#[derive(Clone, Copy)]
enum PgKind {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Bytes,
    Text,
}

impl PgKind {
    fn of(type_name: &str) -> PgKind {
        match type_name {
            "BOOL" => PgKind::Bool,
            "INT2" => PgKind::Int2,
            "INT4" => PgKind::Int4,
            "INT8" => PgKind::Int8,
            "FLOAT4" => PgKind::Float4,
            "FLOAT8" => PgKind::Float8,
            "BYTEA" => PgKind::Bytes,
            _ => PgKind::Text,
        }
    }
}

/// `sql` run on PostgreSQL's own driver: through sqlx's `Any` layer every
/// row is converted with a copy of its column list, which made most of the
/// assessment page's time on PostgreSQL (`thiqa-bench backends`).
async fn read_postgres(
    pool: &sqlx::PgPool,
    sql: &str,
    params: &[Param],
) -> Result<Vec<ReadRow>, StoreError> {
    let query = params
        .iter()
        .fold(sqlx::query::<sqlx::Postgres>(sql), |query, p| match p {
            Param::Int(i) => query.bind(*i),
            Param::Text(s) => query.bind(s.as_str()),
        });
    let rows = query.fetch_all(pool).await?;
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let names: Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let kinds: Vec<PgKind> = first
        .columns()
        .iter()
        .map(|c| PgKind::of(c.type_info().name()))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut values = Vec::with_capacity(kinds.len());
        for (i, kind) in kinds.iter().enumerate() {
            let value = if row.try_get_raw(i)?.is_null() {
                ReadValue::Null
            } else {
                match kind {
                    PgKind::Bool => ReadValue::Int(i64::from(row.try_get::<bool, _>(i)?)),
                    PgKind::Int2 => ReadValue::Int(i64::from(row.try_get::<i16, _>(i)?)),
                    PgKind::Int4 => ReadValue::Int(i64::from(row.try_get::<i32, _>(i)?)),
                    PgKind::Int8 => ReadValue::Int(row.try_get(i)?),
                    PgKind::Float4 => ReadValue::Real(f64::from(row.try_get::<f32, _>(i)?)),
                    PgKind::Float8 => ReadValue::Real(row.try_get(i)?),
                    PgKind::Bytes => ReadValue::Blob(row.try_get(i)?),
                    PgKind::Text => ReadValue::Text(row.try_get(i)?),
                }
            };
            values.push(value);
        }
        out.push(ReadRow {
            names: Arc::clone(&names),
            values,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ReadRow {
        ReadRow {
            names: Arc::from(vec!["owner".to_string(), "version".to_string()]),
            values: vec![ReadValue::Text("rssi".into()), ReadValue::Int(3)],
        }
    }

    #[test]
    fn take_moves_a_value_out_and_names_a_column_of_another_type() {
        let mut r = row();
        assert_eq!(r.take::<String>("owner").unwrap(), "rssi");
        // Taken: the column now reads as NULL.
        assert_eq!(r.get::<Option<String>>("owner").unwrap(), None);
        let e = r.take::<String>("version").unwrap_err().to_string();
        assert!(e.contains("version") && e.contains("Int(3)"), "{e}");
        assert!(r.take::<i64>("missing").is_err());
    }
}

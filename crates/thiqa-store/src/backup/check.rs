//! Reading a database file that is not (yet) the data directory's: a fresh
//! snapshot being backed up, or a backup's database being restored.

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Row};

use super::BackupError;

/// What a checked database holds.
#[derive(Debug, Clone)]
pub struct RestoreCheck {
    pub migrations: Vec<i64>,
    pub operators: i64,
    pub organisations: i64,
    pub events: i64,
}

/// An evidence file the database refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BlobRef {
    pub sha256: String,
    pub size: u64,
}

pub(super) async fn open_read_only(file: &Path) -> Result<SqliteConnection, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", file.display()))?
        .read_only(true)
        .disable_statement_logging();
    SqliteConnection::connect_with(&options).await
}

/// The data directory's current database, outside the pool (a restore
/// folds its WAL before putting another file in its place).
pub(super) async fn open_read_write(file: &Path) -> Result<SqliteConnection, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", file.display()))?
        .disable_statement_logging();
    SqliteConnection::connect_with(&options).await
}

/// Opens a database file read-only and checks it: SQLite's integrity check,
/// a Thiqa schema, and only migrations this binary knows.
pub async fn check_backup(
    file: &Path,
    known_migrations: &[i64],
) -> Result<RestoreCheck, BackupError> {
    let not_backup = |reason: String| BackupError::NotABackup {
        path: file.to_path_buf(),
        reason,
    };
    if !file.is_file() {
        return Err(not_backup("no such file".into()));
    }
    let mut conn = open_read_only(file)
        .await
        .map_err(|e| not_backup(format!("cannot open as SQLite: {e}")))?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| not_backup(format!("not a SQLite database: {e}")))?;
    if integrity != "ok" {
        return Err(not_backup(format!("integrity check failed: {integrity}")));
    }
    let migrations = migrations_of(&mut conn)
        .await
        .map_err(|_| not_backup("it holds no Thiqa schema".into()))?;
    if let Some(unknown) = migrations.iter().find(|m| !known_migrations.contains(m)) {
        return Err(not_backup(format!(
            "it was made by a newer Thiqa (migration {unknown} is unknown to this version)"
        )));
    }
    let mut count = async |table: &str| {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .map_err(|e| not_backup(format!("table {table}: {e}")))
    };
    Ok(RestoreCheck {
        operators: count("operators").await?,
        organisations: count("organisations").await?,
        events: count("security_events").await?,
        migrations,
    })
}

pub(super) async fn migrations_of(conn: &mut SqliteConnection) -> Result<Vec<i64>, sqlx::Error> {
    Ok(
        sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(conn)
            .await?
            .iter()
            .map(|r| r.get::<i64, _>(0))
            .collect(),
    )
}

/// Every evidence file the database refers to, once each, in hash order.
pub(super) async fn evidence_files(
    conn: &mut SqliteConnection,
) -> Result<Vec<BlobRef>, sqlx::Error> {
    // The current file of an item is also its latest version; older
    // databases (before versions) have only the item's columns.
    let rows = sqlx::query(
        "SELECT sha256, MAX(size) FROM ( \
           SELECT sha256, COALESCE(size, 0) AS size FROM evidence WHERE sha256 IS NOT NULL \
           UNION ALL SELECT sha256, size FROM evidence_versions \
         ) GROUP BY sha256 ORDER BY sha256",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| BlobRef {
            sha256: r.get::<String, _>(0),
            size: r.get::<i64, _>(1).max(0) as u64,
        })
        .collect())
}

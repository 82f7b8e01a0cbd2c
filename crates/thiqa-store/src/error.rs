use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The row asked for does not exist (or is not visible to this tenant).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the change; the message names what clashed.
    #[error("{0}")]
    Conflict(String),
    /// An edit named a version that is no longer the current one: someone
    /// saved meanwhile. Nothing was written; the caller shows what changed.
    #[error("{0}")]
    Stale(String),
    /// The stored data is not what this version understands.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the direct reads of the SQLite file (file_reads.rs).
    #[error("database error: {0}")]
    File(#[from] rusqlite::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// The storage itself refused (disk or database full, I/O error, the
    /// database unreachable): the request may succeed later, nothing was
    /// written. Answered 503, not 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                    if c.len() == 5 {
                        // PostgreSQL SQLSTATE: class 53 (insufficient
                        // resources: disk full, out of memory) and 08
                        // (connection exception).
                        c.starts_with("53") || c.starts_with("08")
                    } else {
                        // SQLite result codes: 13 SQLITE_FULL, 10
                        // SQLITE_IOERR, with their extended codes (n & 0xff).
                        c.parse::<i64>().is_ok_and(|n| matches!(n & 0xff, 10 | 13))
                    }
                }),
                _ => false,
            },
            StoreError::File(rusqlite::Error::SqliteFailure(f, _)) => matches!(
                f.code,
                rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure
            ),
            _ => false,
        }
    }

    /// Maps a unique-constraint failure to a Conflict naming `what`.
    pub(crate) fn conflict_on(err: sqlx::Error, what: &str) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(format!("{what} already exists"))
            }
            _ => StoreError::Database(err),
        }
    }
}

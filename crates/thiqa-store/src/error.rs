use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The row asked for does not exist (or is not visible to this tenant).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the change; the message names what clashed.
    #[error("{0}")]
    Conflict(String),
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

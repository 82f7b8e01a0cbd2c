use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The row asked for does not exist (or is not visible to this tenant).
    #[error("not found")]
    NotFound,
    /// A rule refused the change (a name taken, a finding already closed…);
    /// the refusal names what clashed.
    #[error("{0}")]
    Conflict(Refusal),
    /// An edit named a version that is no longer the current one: someone
    /// saved meanwhile. Nothing was written; the caller shows what changed.
    #[error("{0}")]
    Stale(Refusal),
    /// The stored data is not what this version understands.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the direct reads of the SQLite file (file_reads.rs).
    #[error("database error: {0}")]
    File(#[from] rusqlite::Error),
    /// The operating system's random source failed (a cache stamp could
    /// not be drawn); nothing was written.
    #[error("random source: {0}")]
    Randomness(String),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// A refusal people read: a key of the message files with its arguments,
/// which the web edge shows in the reader's language, and the same sentence
/// in English for the API, the command line and the logs. So no English
/// sentence built here reaches a French page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    english: String,
}

impl Refusal {
    /// Refusal `key` (`refusal-…` in the message files), `english` being
    /// the same sentence with the arguments already in it.
    pub fn new(key: &'static str, english: impl Into<String>) -> Refusal {
        Refusal {
            key,
            args: Vec::new(),
            english: english.into(),
        }
    }

    /// An argument of the message (`{ $name }` in the message files).
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Refusal {
        self.args.push((name, value.to_string()));
        self
    }

    /// "`kind` `name` already exists": message `key` with argument `name`.
    pub(crate) fn exists(key: &'static str, kind: &str, name: &str) -> Refusal {
        Refusal::new(key, format!("{kind} {name} already exists")).arg("name", name)
    }

    pub fn english(&self) -> &str {
        &self.english
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english)
    }
}

impl StoreError {
    /// A conflict named by `refusal`.
    pub fn conflict(refusal: Refusal) -> StoreError {
        StoreError::Conflict(refusal)
    }

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

    /// A rule's refusal with no argument: `key` in the message files, the
    /// English sentence for logs and the API.
    pub(crate) fn refused(key: &'static str, english: &str) -> StoreError {
        StoreError::Conflict(Refusal::new(key, english))
    }

    /// Maps a unique-constraint failure to a Conflict naming `what`.
    /// `refusal` when `err` is a uniqueness violation (what was added
    /// already exists), else the database error.
    pub(crate) fn conflict_on(err: sqlx::Error, refusal: Refusal) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(refusal),
            _ => StoreError::Database(err),
        }
    }
}

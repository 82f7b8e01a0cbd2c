//! Read-only connections straight to the SQLite file, for the journal's
//! reads that move many rows or must answer in well under a millisecond:
//! verification, exports and proofs.
//!
//! Everything else goes through the sqlx pool. sqlx runs each SQLite
//! connection on a worker thread and sends every row, each value copied,
//! across a channel; for a scan of millions of rows that hand-off, not
//! SQLite, was most of the time (`thiqa-bench journal`). Here a blocking
//! thread of the runtime runs the statement and reads each value in place.
//! In WAL mode these readers see the last committed state and never block
//! the writer. PostgreSQL has no such path: its reads stay on the pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::StoreError;

/// Idle connections kept for reuse; more concurrent readers open their own
/// and close it after use.
const KEEP_IDLE: usize = 4;

/// Statements cached per connection (the journal and the per-request
/// reads use a few dozen).
const STATEMENT_CACHE: usize = 64;

pub(crate) struct FileReads {
    path: PathBuf,
    /// A copy nothing writes (`Store::open_read_only`): opened as an
    /// immutable file, without the WAL index it could not create.
    immutable: bool,
    idle: Mutex<Vec<Connection>>,
}

impl FileReads {
    pub fn new(path: &Path) -> Arc<FileReads> {
        Self::with_mode(path, false)
    }

    pub fn with_mode(path: &Path, immutable: bool) -> Arc<FileReads> {
        Arc::new(FileReads {
            path: path.to_path_buf(),
            immutable,
            idle: Mutex::new(Vec::new()),
        })
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = if self.immutable {
            Connection::open_with_flags(
                format!("file:{}?immutable=1", self.path.display()),
                flags | OpenFlags::SQLITE_OPEN_URI,
            )?
        } else {
            Connection::open_with_flags(&self.path, flags)?
        };
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let reused = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match reused {
            Some(conn) => Ok(conn),
            None => self.open(),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < KEEP_IDLE {
                idle.push(conn);
            }
        }
    }

    /// Runs `read` on a blocking thread with a read-only connection. A
    /// connection is reused only after a read that succeeded, so one left
    /// mid-statement by an error is never handed out again.
    pub async fn run<T, E, F>(self: &Arc<Self>, read: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let conn = this.take()?;
            let out = read(&conn)?;
            this.give_back(conn);
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("a database read stopped: {e}")))?
    }

    /// Runs `read` on the calling thread: only for lookups by key, which
    /// take microseconds (see reads.rs). As with [`FileReads::run`], a
    /// connection is reused only after a read that succeeded.
    pub fn now<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.take()?;
        let out = read(&conn)?;
        self.give_back(conn);
        Ok(out)
    }

    /// A connection of its own, for a caller that reads the whole journal
    /// on a thread it keeps (verification).
    pub fn dedicated(&self) -> Result<Connection, StoreError> {
        self.open()
    }
}

/// The bytes of a column whatever its storage class: a tamperer may have
/// stored text where a blob belongs; NULL and numbers read as `None`.
pub(crate) fn column_bytes<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Option<&'r [u8]> {
    use rusqlite::types::ValueRef;
    match row.get_ref(i).ok()? {
        ValueRef::Blob(b) | ValueRef::Text(b) => Some(b),
        _ => None,
    }
}

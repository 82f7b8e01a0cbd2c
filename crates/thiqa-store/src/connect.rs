//! Opening the database: where it is, pool settings, pragmas, migrations.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};
use thiqa_domain::Clock;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::assessment_cache::AssessmentCache;
use crate::auth_cache::AuthCache;
use crate::error::StoreError;
use crate::file_reads::FileReads;
use crate::Tx;

/// The SQLite file inside the data directory.
pub const SQLITE_FILE: &str = "thiqa.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the data lives. The PostgreSQL URL may hold a password: it is never
/// printed (see the Debug impl).
#[derive(Clone)]
pub enum DatabaseLocation {
    Sqlite { data_dir: PathBuf },
    Postgres { url: String },
}

impl fmt::Debug for DatabaseLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseLocation::Sqlite { data_dir } => {
                write!(f, "Sqlite({})", data_dir.display())
            }
            DatabaseLocation::Postgres { .. } => f.write_str("Postgres(<redacted url>)"),
        }
    }
}

impl DatabaseLocation {
    pub fn backend(&self) -> Backend {
        match self {
            DatabaseLocation::Sqlite { .. } => Backend::Sqlite,
            DatabaseLocation::Postgres { .. } => Backend::Postgres,
        }
    }

    pub fn sqlite_path(data_dir: &Path) -> PathBuf {
        data_dir.join(SQLITE_FILE)
    }
}

/// A PostgreSQL connection idle for longer than this is pinged before use.
const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Whether a pooled PostgreSQL connection may serve the next query. sqlx
/// pings every connection before each use by default: a second round trip
/// per query, half of a busy page's database time. A connection used in
/// the last seconds is alive; one idle for longer (a restarted server, a
/// dropped link) is still checked first.
async fn alive<C: Connection>(
    conn: &mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    if meta.idle_for < POSTGRES_PING_AFTER_IDLE {
        return Ok(true);
    }
    Ok(conn.ping().await.is_ok())
}

/// PostgreSQL's own driver, for [`Store::read`]; connects on first use.
fn postgres_read_pool(url: &str) -> Result<sqlx::PgPool, StoreError> {
    let options = sqlx::postgres::PgConnectOptions::from_str(url)?.disable_statement_logging();
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| Box::pin(alive(conn, meta)))
        .connect_lazy_with(options))
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The handle every layer above uses. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    pub(crate) clock: Arc<dyn Clock>,
    /// SQLite allows one writer: serialising our own write transactions in
    /// process avoids "database is locked" when two deferred transactions
    /// both try to upgrade. PostgreSQL needs no such lock.
    write_lock: Option<Arc<Mutex<()>>>,
    /// SQLite only: direct read-only connections for the journal's bulk and
    /// proof reads (file_reads.rs).
    pub(crate) file_reads: Option<Arc<FileReads>>,
    /// Whether the last write failed for lack of storage (`/readyz`).
    write_health: Arc<WriteHealth>,
    /// Resolved sessions, on PostgreSQL while changes are heard (auth_cache.rs).
    pub(crate) auth_cache: Arc<AuthCache>,
    /// The assessments of the services read lately (assessment_cache.rs).
    pub(crate) assessment_cache: Arc<AssessmentCache>,
    /// PostgreSQL only: connections of its own driver for the reads every
    /// request makes (reads.rs), one of them held by the session cache's
    /// listener while `thiqa serve` runs.
    pub(crate) pg_reads: Option<sqlx::PgPool>,
}

/// Set when a write fails because the storage refuses it (disk full, I/O
/// error, database unreachable), cleared by the next write that commits.
#[derive(Default)]
pub(crate) struct WriteHealth {
    failed: AtomicBool,
}

impl WriteHealth {
    fn note(&self, e: sqlx::Error) -> StoreError {
        let e = StoreError::Database(e);
        if e.is_unavailable() {
            self.failed.store(true, Ordering::Relaxed);
        }
        e
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// A write transaction; holds the SQLite writer lock until dropped.
pub(crate) struct WriteTx {
    pub tx: Tx<'static>,
    /// When the transaction began: the time of the events it records
    /// (`WriteTx::event`, events.rs).
    pub now_ms: i64,
    health: Arc<WriteHealth>,
    /// Emptied at the end of a write transaction (see
    /// [`WriteTx::leaves_sessions`]): whatever table it changed, no cached
    /// session outlives a change to its rows on this instance.
    auth_cache: Arc<AuthCache>,
    changes_sessions: bool,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// This transaction writes none of the tables sessions and rights are
    /// read from (it appends to the journal, takes intake, claims a job):
    /// its commit keeps the session cache, which the busiest writers would
    /// otherwise empty many times a second. Safe by default: a transaction
    /// that does not say so empties the cache; one that says so wrongly is
    /// still corrected by the database's change notice a moment later.
    pub fn leaves_sessions(&mut self) {
        self.changes_sessions = false;
    }

    /// Nothing is acknowledged before this returns Ok: a failed COMMIT
    /// closes the connection (tx.rs) and marks the store not ready until
    /// a write succeeds again.
    pub async fn commit(self) -> Result<(), StoreError> {
        let committed = self.tx.commit().await;
        // Even a failed COMMIT may have committed (the link broke after it
        // was sent).
        if self.changes_sessions {
            self.auth_cache.drop_all();
        }
        match committed {
            Ok(()) => {
                self.health.failed.store(false, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => Err(self.health.note(e)),
        }
    }
}

impl Store {
    /// Connects (creating the SQLite file and data directory if needed) and
    /// runs pending migrations.
    pub async fn open(
        location: &DatabaseLocation,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        let store = Self::connect(location, clock).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating (for `thiqa migrate --check` and backups).
    pub async fn connect(
        location: &DatabaseLocation,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        match location {
            DatabaseLocation::Sqlite { data_dir } => {
                std::fs::create_dir_all(data_dir).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "cannot create data directory {}: {e}",
                        data_dir.display()
                    ))
                })?;
                let path = DatabaseLocation::sqlite_path(data_dir);
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
                // Each SQLite connection is a worker thread that every query
                // wakes: more connections than cores only add context
                // switches (`thiqa-bench console`: 4,459 requests/s with 8
                // on 2 cores, 6,864 with 2).
                let readers = std::thread::available_parallelism()
                    .map(|n| n.get() as u32)
                    .unwrap_or(2)
                    .clamp(2, 8);
                let pool = AnyPoolOptions::new()
                    .max_connections(readers)
                    .acquire_timeout(Duration::from_secs(10))
                    // A connection to a local file does not go stale, and
                    // the default ping before each use is a round trip to
                    // the connection's worker thread: half the cost of a
                    // one-row query.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; foreign
                            // keys keep rows consistent; the busy timeout
                            // waits instead of failing under contention.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                Ok(Store {
                    pool,
                    backend: Backend::Sqlite,
                    clock,
                    write_lock: Some(Arc::new(Mutex::new(()))),
                    file_reads: Some(FileReads::new(&path)),
                    write_health: Arc::default(),
                    auth_cache: Arc::default(),
                    assessment_cache: Arc::default(),
                    pg_reads: None,
                })
            }
            DatabaseLocation::Postgres { url } => {
                let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| Box::pin(alive(conn, meta)))
                    .connect_with(options)
                    .await?;
                Ok(Store {
                    pool,
                    backend: Backend::Postgres,
                    clock,
                    write_lock: None,
                    file_reads: None,
                    write_health: Arc::default(),
                    auth_cache: Arc::default(),
                    assessment_cache: Arc::default(),
                    pg_reads: Some(postgres_read_pool(url)?),
                })
            }
        }
    }

    /// Opens an existing SQLite database for reading only, writing nothing
    /// beside it: `thiqa journal verify` on a read-only copy of a data
    /// directory (an auditor's, a mounted snapshot). A database left with
    /// a non-empty WAL (a copy taken while serving) is read through its WAL
    /// when the directory allows; migrations must all be applied already.
    pub async fn open_read_only(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let path = DatabaseLocation::sqlite_path(data_dir);
        if !path.is_file() {
            return Err(StoreError::NotFound);
        }
        let wal = path.with_file_name(format!("{SQLITE_FILE}-wal"));
        // Without pending WAL frames the file alone is the whole database:
        // read it as immutable, so SQLite needs no lock or WAL index file.
        let immutable = std::fs::metadata(&wal).map_or(true, |m| m.len() == 0);
        let url = format!(
            "sqlite://{}?mode=ro{}",
            path.display(),
            if immutable { "&immutable=true" } else { "" }
        );
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        let store = Store {
            pool,
            backend: Backend::Sqlite,
            clock,
            write_lock: Some(Arc::new(Mutex::new(()))),
            file_reads: Some(FileReads::with_mode(&path, immutable)),
            write_health: Arc::default(),
            auth_cache: Arc::default(),
            assessment_cache: Arc::default(),
            pg_reads: None,
        };
        let applied = store.applied_migrations().await?;
        if let Some((missing, _)) = store
            .known_migrations()
            .into_iter()
            .find(|(v, _)| !applied.contains(v))
        {
            return Err(StoreError::Corrupt(format!(
                "migration {missing} is not applied to this database: run `thiqa migrate` on a writable copy first"
            )));
        }
        Ok(store)
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Migrations this binary knows, as (version, description).
    pub fn known_migrations(&self) -> Vec<(i64, String)> {
        let m = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    }

    /// Versions of the SQLite migrations this binary carries (restore checks
    /// a backup against them).
    pub fn sqlite_migration_versions() -> Vec<i64> {
        SQLITE_MIGRATIONS.iter().map(|m| m.version).collect()
    }

    /// Migrations already applied to the database.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Answers when the database does: used by `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(reads) = &self.pg_reads {
            reads.close().await;
        }
    }

    /// True after a write the storage refused, until one commits again:
    /// `/readyz` then answers not ready.
    pub fn writes_failing(&self) -> bool {
        self.write_health.failed.load(Ordering::Relaxed)
    }

    fn note_write_failure(&self, e: sqlx::Error) -> StoreError {
        self.write_health.note(e)
    }

    pub(crate) async fn write(&self) -> Result<WriteTx, StoreError> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let tx = match Tx::begin(&self.pool, self.backend() == Backend::Sqlite).await {
            Ok(tx) => tx,
            Err(e) => return Err(self.note_write_failure(e)),
        };
        Ok(WriteTx {
            tx,
            now_ms: self.clock.now_ms(),
            health: self.write_health.clone(),
            auth_cache: self.auth_cache.clone(),
            changes_sessions: true,
            _guard: guard,
        })
    }
}

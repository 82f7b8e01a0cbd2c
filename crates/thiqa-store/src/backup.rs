//! Consistent copies of the embedded database while the server runs, and
//! their checked restoration. PostgreSQL deployments use pg_dump/pg_restore
//! (see the README): the database server is the better tool there.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Row};

use crate::connect::{Backend, DatabaseLocation, Store, SQLITE_FILE};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups of PostgreSQL are made with pg_dump: pg_dump --format=custom --file=thiqa.dump \"$THIQA_DATABASE_URL\"")]
    PostgresUsesPgDump,
    #[error("{0} already exists; choose another file or remove it first")]
    AlreadyExists(PathBuf),
    #[error("{path} is not a usable Thiqa backup: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What a checked backup holds.
#[derive(Debug, Clone)]
pub struct RestoreCheck {
    pub migrations: Vec<i64>,
    pub operators: i64,
    pub organisations: i64,
    pub events: i64,
}

impl Store {
    /// Writes a consistent copy with `VACUUM INTO`: SQLite copies a single
    /// read snapshot, so writes going on meanwhile are simply not in it.
    pub async fn backup_to(&self, out: &Path) -> Result<(), BackupError> {
        if self.backend() == Backend::Postgres {
            return Err(BackupError::PostgresUsesPgDump);
        }
        if out.exists() {
            return Err(BackupError::AlreadyExists(out.to_path_buf()));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(out.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Opens a backup read-only and checks it: SQLite's integrity check, and
/// migrations this binary knows.
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
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", file.display()))?
        .read_only(true)
        .disable_statement_logging();
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| not_backup(format!("cannot open as SQLite: {e}")))?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| not_backup(format!("not a SQLite database: {e}")))?;
    if integrity != "ok" {
        return Err(not_backup(format!("integrity check failed: {integrity}")));
    }
    let migrations: Vec<i64> = sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .map_err(|_| not_backup("it holds no Thiqa schema".into()))?
        .iter()
        .map(|r| r.get::<i64, _>(0))
        .collect();
    if let Some(unknown) = migrations.iter().find(|m| !known_migrations.contains(m)) {
        return Err(not_backup(format!(
            "it was made by a newer Thiqa (migration {unknown} is unknown to this version)"
        )));
    }
    let count = |table: &'static str| {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        async move {
            sqlx::query_scalar::<_, i64>(&sql)
                .fetch_one(&mut conn)
                .await
        }
    };
    let operators = count("operators")
        .await
        .map_err(|e| not_backup(e.to_string()))?;
    let mut conn2 = SqliteConnection::connect_with(&options).await?;
    let organisations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations")
        .fetch_one(&mut conn2)
        .await
        .map_err(|e| not_backup(e.to_string()))?;
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM security_events")
        .fetch_one(&mut conn2)
        .await
        .map_err(|e| not_backup(e.to_string()))?;
    Ok(RestoreCheck {
        migrations,
        operators,
        organisations,
        events,
    })
}

/// Replaces the data directory's database with a checked backup. The current
/// database is kept beside it (a second name for the same file), never
/// deleted. The server must be stopped: an exclusive lock proves it.
///
/// Atomic: the backup is copied and synced under a temporary name, then
/// renamed over the database in one step, so a kill at any moment leaves
/// either the old database or the new one under `thiqa.db`, never none.
pub async fn restore_into(
    data_dir: &Path,
    backup: &Path,
    known_migrations: &[i64],
    stamp: &str,
) -> Result<(RestoreCheck, Option<PathBuf>), BackupError> {
    let check = check_backup(backup, known_migrations).await?;
    std::fs::create_dir_all(data_dir)?;
    // Restoring under a running server would lose its writes: the server
    // holds the data directory's lock for its whole life.
    let _lock = lock_data_dir(data_dir).map_err(|_| BackupError::NotABackup {
        path: data_dir.to_path_buf(),
        reason: "the data directory is in use; stop `thiqa serve` before restoring".into(),
    })?;
    let current = DatabaseLocation::sqlite_path(data_dir);
    // The new database, complete and on disk, before anything else moves.
    let tmp = data_dir.join(format!("{SQLITE_FILE}.restoring"));
    std::fs::copy(backup, &tmp)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    let mut kept = None;
    if current.exists() {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", current.display()))?
            .disable_statement_logging();
        let mut conn = SqliteConnection::connect_with(&options).await?;
        // Fold the WAL into the main file: the kept name is then complete,
        // and the emptied WAL can go before the new file takes the name (a
        // stale WAL must never sit beside another database).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let keep = data_dir.join(format!("{SQLITE_FILE}.before-restore-{stamp}"));
        // A second name, not a move: `thiqa.db` stays in place until the
        // rename below replaces it.
        if std::fs::hard_link(&current, &keep).is_err() {
            std::fs::copy(&current, &keep)?;
        }
        for suffix in ["-wal", "-shm"] {
            let side = data_dir.join(format!("{SQLITE_FILE}{suffix}"));
            if side.exists() {
                std::fs::remove_file(side)?;
            }
        }
        kept = Some(keep);
    }
    std::fs::rename(&tmp, &current)?;
    // The rename itself is durable once the directory is synced.
    std::fs::File::open(data_dir)?.sync_all()?;
    Ok((check, kept))
}

/// The file that says a data directory has held a database: `serve` writes
/// it once the database is open, and refuses to create an empty database
/// where it exists (a lost or half-restored `thiqa.db` must not quietly
/// become a fresh, empty installation).
pub const HELD_DATA_MARKER: &str = "thiqa.initialized";

/// Whether `data_dir` held a database that is now missing.
pub fn database_missing_from(data_dir: &Path) -> bool {
    data_dir.join(HELD_DATA_MARKER).exists() && !DatabaseLocation::sqlite_path(data_dir).exists()
}

/// Marks `data_dir` as holding a database (idempotent).
pub fn mark_data_dir(data_dir: &Path) -> std::io::Result<()> {
    let marker = data_dir.join(HELD_DATA_MARKER);
    if !marker.exists() {
        std::fs::write(
            marker,
            "This directory holds a Thiqa database (thiqa.db); thiqa serve refuses to start empty here.\n",
        )?;
    }
    Ok(())
}

/// Takes the data directory's exclusive lock (`thiqa.lock`), held by
/// `thiqa serve` for its whole life: one process owns an embedded database,
/// and restore refuses to run under a live server. The OS releases the lock
/// when the process ends, even on a crash.
pub fn lock_data_dir(data_dir: &Path) -> std::io::Result<std::fs::File> {
    std::fs::create_dir_all(data_dir)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join("thiqa.lock"))?;
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            format!("{} is in use by another thiqa process", data_dir.display()),
        ),
        std::fs::TryLockError::Error(e) => e,
    })?;
    Ok(file)
}

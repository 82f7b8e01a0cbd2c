//! Files in the data directory that say what state it is in: held by a
//! server (the lock), has held a database, is in the middle of a restore.

use std::path::Path;

use crate::connect::DatabaseLocation;

/// The file that says a data directory has held a database: `serve` writes
/// it once the database is open, and refuses to create an empty database
/// where it exists (a lost or half-restored `thiqa.db` must not quietly
/// become a fresh, empty installation).
pub const HELD_DATA_MARKER: &str = "thiqa.initialized";

/// The file a restore writes before its first change to the data directory
/// and removes after its last: while it exists, the database, keys and
/// evidence may be from two different moments, so `serve` refuses to start
/// and tells the operator to run the same restore again (it resumes).
pub const RESTORE_MARKER: &str = "thiqa.restoring";

/// Whether `data_dir` held a database that is now missing.
pub fn database_missing_from(data_dir: &Path) -> bool {
    data_dir.join(HELD_DATA_MARKER).exists() && !DatabaseLocation::sqlite_path(data_dir).exists()
}

/// The text of an interrupted restore's marker (it names the backup), if a
/// restore of `data_dir` began and did not finish.
pub fn interrupted_restore(data_dir: &Path) -> Option<String> {
    std::fs::read_to_string(data_dir.join(RESTORE_MARKER)).ok()
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

/// Makes renames and removals in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

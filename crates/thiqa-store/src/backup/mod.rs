//! Backups that carry everything a restore needs, and restores that prove a
//! backup before they replace anything.
//!
//! A backup is one ZIP file ([`archive`]): a consistent snapshot of the
//! embedded database, the signing keys of the journal and of the dossier
//! (unless the operator keeps them apart), and every evidence file the
//! snapshot refers to — or, when evidence lives in an S3 bucket, their list,
//! which the restore checks against the bucket. `manifest.json` names every
//! part with its size and SHA-256.
//!
//! PostgreSQL deployments back the database up with pg_dump/pg_restore (see
//! the README): the database server is the better tool there.

mod archive;
mod check;
mod evidence_files;
mod markers;
mod restore;
mod write;

use std::path::PathBuf;

pub use check::{check_backup, RestoreCheck};
pub use evidence_files::{EvidenceFiles, EvidenceFuture};
pub use markers::{
    database_missing_from, interrupted_restore, lock_data_dir, mark_data_dir, HELD_DATA_MARKER,
    RESTORE_MARKER,
};
pub use restore::{restore_into, RestoreReport, RestoreRequest};
pub use write::{BackupOptions, BackupSummary};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups of PostgreSQL are made with pg_dump: pg_dump --format=custom --file=thiqa.dump \"$THIQA_DATABASE_URL\"")]
    PostgresUsesPgDump,
    #[error("{0} already exists; choose another file or remove it first")]
    AlreadyExists(PathBuf),
    #[error("{path} is not a usable Thiqa backup: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    /// Something the backup must carry cannot be read whole; the backup is
    /// not written (a backup that would not restore is worse than none).
    #[error("cannot back up: {0}")]
    Incomplete(String),
    /// The backup is sound as a file but does not prove itself; nothing in
    /// the data directory was changed.
    #[error("restore refused, nothing was changed: {0}")]
    Unproven(String),
    #[error("writing {path}: {source}; nothing was left behind")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Store(#[from] crate::StoreError),
    #[error("{0}")]
    Journal(#[from] crate::JournalError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The first few evidence hashes of a list, for a message that names the
/// problem without listing thousands.
fn first_few(hashes: &[impl AsRef<str>]) -> String {
    let shown: Vec<&str> = hashes.iter().take(5).map(AsRef::as_ref).collect();
    let more = hashes.len().saturating_sub(shown.len());
    if more == 0 {
        shown.join(", ")
    } else {
        format!("{} and {more} more", shown.join(", "))
    }
}

//! `thiqa restore`: unpack a backup beside the data directory, prove it,
//! and only then put it in place.
//!
//! Proof, before anything in the data directory changes: every part hashes
//! to what the manifest says, the database passes SQLite's integrity check
//! and holds a Thiqa schema this version knows (the staged copy is then
//! migrated), the journal verifies with the backup's key (or the one in
//! place when the backup carries none), and every evidence file the
//! database refers to is in the archive or, for S3, in the bucket.
//!
//! Putting in place is marked by [`RESTORE_MARKER`](super::RESTORE_MARKER):
//! evidence first (content-addressed, so adding files harms nothing), then
//! the keys, then the database by one rename. A kill leaves the old or the
//! new database, and the marker until the same restore is run again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiqa_domain::Clock;

use super::archive::{blob_name, ArchiveReader, Manifest, DATABASE};
use super::check::{check_backup, evidence_files, open_read_only, RestoreCheck};
use super::markers::{lock_data_dir, sync_dir, RESTORE_MARKER};
use super::EvidenceFiles;
use super::{first_few, BackupError};
use crate::connect::{DatabaseLocation, Store, SQLITE_FILE};
use crate::journal::{existing_journal_signer, JOURNAL_KEY_FILE};

/// What to restore, where.
pub struct RestoreRequest<'a> {
    pub data_dir: &'a Path,
    /// The evidence store the restored installation will use.
    pub blobs: &'a dyn EvidenceFiles,
    pub backup: &'a Path,
    pub known_migrations: &'a [i64],
    /// The journal's origin (the configured `journal.origin`).
    pub origin: &'a str,
    /// Where the configuration keeps the signing keys: with a wrapping key,
    /// the backup's database holds the journal key sealed.
    pub custody: &'a crate::KeyCustody,
    /// Suffix of the names under which replaced files are kept.
    pub stamp: &'a str,
    pub clock: Arc<dyn Clock>,
}

/// What a restore proved and did.
#[derive(Debug)]
pub struct RestoreReport {
    pub check: RestoreCheck,
    pub journal_leaves: u64,
    pub checkpoints_verified: usize,
    pub evidence_files: usize,
    pub keys: Vec<String>,
    /// The previous database and keys, kept under new names.
    pub kept: Vec<PathBuf>,
}

const STAGING: &str = ".restore-staging";

pub async fn restore_into(
    req: &RestoreRequest<'_>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<RestoreReport, BackupError> {
    let data_dir = req.data_dir;
    std::fs::create_dir_all(data_dir)?;
    // Restoring under a running server would lose its writes: the server
    // holds the data directory's lock for its whole life.
    let _lock = lock_data_dir(data_dir).map_err(|_| BackupError::NotABackup {
        path: data_dir.to_path_buf(),
        reason: "the data directory is in use; stop `thiqa serve` before restoring".into(),
    })?;
    let staging = data_dir.join(STAGING);
    // What an interrupted restore unpacked is unpacked again.
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    std::fs::create_dir_all(staging.join("keys"))?;
    std::fs::create_dir_all(staging.join("blobs"))?;

    let manifest = unpack(req.backup, &staging, progress)?;
    let proof = prove(req, &manifest, &staging, progress).await?;

    // Everything unpacked is on disk before the first change.
    rustix::fs::syncfs(std::fs::File::open(&staging)?).map_err(std::io::Error::from)?;
    progress("putting the backup in place");
    let marker = data_dir.join(RESTORE_MARKER);
    // Whole or absent: written aside, then named (a kill between creating
    // and filling it would leave a marker that says nothing).
    let marker_tmp = data_dir.join(format!("{RESTORE_MARKER}.tmp"));
    std::fs::write(
        &marker_tmp,
        format!(
            "A restore of {} began at {}: the database, keys and evidence may be from two moments.\n\
             Run the same restore again to complete it: thiqa restore {}\n",
            req.backup.display(),
            req.stamp,
            req.backup.display()
        ),
    )?;
    std::fs::File::open(&marker_tmp)?.sync_all()?;
    std::fs::rename(&marker_tmp, &marker)?;
    sync_dir(data_dir)?;
    for file in &manifest.evidence.files {
        let staged = staging.join("blobs").join(&file.sha256);
        if staged.exists() {
            req.blobs.install(&file.sha256, file.size, &staged).await?;
        }
    }
    let mut kept = put_keys(data_dir, &staging, req.stamp)?;
    kept.extend(put_database(data_dir, &staging.join(DATABASE), req.stamp).await?);
    std::fs::remove_file(&marker)?;
    sync_dir(data_dir)?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(RestoreReport {
        kept,
        keys: manifest.keys.iter().map(|k| k.name.clone()).collect(),
        ..proof
    })
}

/// Unpacks every part the manifest lists, each checked for size and hash.
fn unpack(
    backup: &Path,
    staging: &Path,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Manifest, BackupError> {
    let not_backup = |reason: String| BackupError::NotABackup {
        path: backup.to_path_buf(),
        reason,
    };
    if !backup.is_file() {
        return Err(not_backup("no such file".into()));
    }
    let mut archive = ArchiveReader::open(backup).map_err(not_backup)?;
    let manifest = archive.manifest().map_err(not_backup)?;
    progress(&format!(
        "unpacking the database ({} bytes)",
        manifest.database.size
    ));
    let db = &manifest.database;
    archive
        .extract(&db.name, db.size, &db.sha256, &staging.join(DATABASE))
        .map_err(not_backup)?;
    for key in &manifest.keys {
        archive
            .extract(&key.name, key.size, &key.sha256, &staging.join(&key.name))
            .map_err(not_backup)?;
    }
    if manifest.evidence.storage == "local" {
        let total = manifest.evidence.files.len();
        let mut reported = std::time::Instant::now();
        for (i, file) in manifest.evidence.files.iter().enumerate() {
            let to = staging.join("blobs").join(&file.sha256);
            archive
                .extract(&blob_name(&file.sha256), file.size, &file.sha256, &to)
                .map_err(not_backup)?;
            if reported.elapsed().as_secs() >= 1 || i + 1 == total {
                progress(&format!("evidence files unpacked: {} of {total}", i + 1));
                reported = std::time::Instant::now();
            }
        }
    }
    Ok(manifest)
}

/// Proves the staged backup; changes nothing in the data directory.
async fn prove(
    req: &RestoreRequest<'_>,
    manifest: &Manifest,
    staging: &Path,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<RestoreReport, BackupError> {
    let staged_db = staging.join(DATABASE);
    let check = check_backup(&staged_db, req.known_migrations).await?;
    let unproven = |what: String| BackupError::Unproven(what);

    // Every evidence file the database refers to, where the restored
    // installation will look for it.
    let mut conn = open_read_only(&staged_db).await?;
    let referred = evidence_files(&mut conn).await?;
    drop(conn);
    let listed: std::collections::HashMap<&str, u64> = manifest
        .evidence
        .files
        .iter()
        .map(|f| (f.sha256.as_str(), f.size))
        .collect();
    if manifest.evidence.storage == "s3" && req.blobs.is_local() {
        return Err(unproven(format!(
            "its {} evidence file(s) stayed in {}; configure that bucket (blobs.backend = \"s3\") and restore again",
            referred.len(),
            manifest.evidence.location
        )));
    }
    let mut missing = Vec::new();
    for (i, blob) in referred.iter().enumerate() {
        let found = match manifest.evidence.storage.as_str() {
            "local" => {
                listed.contains_key(blob.sha256.as_str())
                    && staging.join("blobs").join(&blob.sha256).is_file()
            }
            _ => req.blobs.stored_size(&blob.sha256).await? == Some(blob.size),
        };
        if !found {
            missing.push(blob.sha256.clone());
        }
        if (i + 1) % 1000 == 0 || i + 1 == referred.len() {
            progress(&format!(
                "evidence files found: {} of {}",
                i + 1 - missing.len(),
                referred.len()
            ));
        }
    }
    if !missing.is_empty() {
        return Err(unproven(format!(
            "{} evidence file(s) the database refers to are not in the backup{}: {}",
            missing.len(),
            if manifest.evidence.storage == "s3" {
                format!(" nor in {}", req.blobs.describe())
            } else {
                String::new()
            },
            first_few(&missing)
        )));
    }

    // The journal, with the backup's key or else the one in place.
    let signer = match existing_journal_signer(staging, req.origin)? {
        Some(signer) => Some(signer),
        None => existing_journal_signer(req.data_dir, req.origin)?,
    };
    let store = Store::open(
        &DatabaseLocation::Sqlite {
            data_dir: staging.to_path_buf(),
        },
        req.clock.clone(),
    )
    .await?;
    let signer = match signer {
        Some(signer) => Some(signer),
        None if req.custody.in_database() => {
            store
                .journal_signer(req.custody, req.origin, false, "restore")
                .await?
        }
        None => None,
    };
    progress("verifying the journal");
    let verifiers: Vec<_> = signer.iter().map(|s| s.verifier()).collect();
    let mut next_report = 100_000;
    let mut on_progress = |read: u64, total: u64| {
        if total >= 100_000 && (read >= next_report || read == total) {
            progress(&format!("journal verified: {read} of {total} leaves"));
            next_report = read + 100_000;
        }
    };
    let verification = store
        .journal_verify(req.origin, &verifiers, &mut on_progress)
        .await
        .map_err(|e| unproven(format!("the journal cannot be verified: {e}")));
    // Fold the WAL into the file: only `thiqa.db` is moved into place.
    let folded = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&store.pool)
        .await;
    store.close().await;
    let verification = verification?;
    folded?;
    if !verification.is_ok() {
        let first = verification
            .report
            .problems
            .first()
            .map(|p| p.to_string())
            .or_else(|| verification.head_problems.first().map(|p| p.to_string()))
            .or_else(|| verification.column_problems.first().map(|p| p.to_string()))
            .unwrap_or_default();
        let hint = if signer.is_none() {
            format!(
                " (the backup carries no journal key and {} has none: put the key in place first)",
                req.data_dir.join(JOURNAL_KEY_FILE).display()
            )
        } else {
            String::new()
        };
        return Err(unproven(format!(
            "its journal does not verify with origin {:?}: {first}{hint}",
            req.origin
        )));
    }
    Ok(RestoreReport {
        check,
        journal_leaves: verification.report.leaves,
        checkpoints_verified: verification.report.checkpoints_verified,
        evidence_files: referred.len(),
        keys: Vec::new(),
        kept: Vec::new(),
    })
}

/// Puts the backup's keys in place; a different key already there is kept
/// under another name, never deleted.
fn put_keys(data_dir: &Path, staging: &Path, stamp: &str) -> Result<Vec<PathBuf>, BackupError> {
    let mut kept = Vec::new();
    let staged_keys = staging.join("keys");
    let keys_dir = data_dir.join("keys");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&keys_dir)?;
    for entry in std::fs::read_dir(&staged_keys)? {
        let entry = entry?;
        let target = keys_dir.join(entry.file_name());
        let new = std::fs::read(entry.path())?;
        match std::fs::read(&target) {
            Ok(old) if old == new => continue,
            Ok(_) => {
                let keep = keys_dir.join(format!(
                    "{}.before-restore-{stamp}",
                    entry.file_name().to_string_lossy()
                ));
                if !keep.exists() {
                    std::fs::hard_link(&target, &keep)?;
                }
                kept.push(keep);
            }
            Err(_) => {}
        }
        std::fs::rename(entry.path(), &target)?;
    }
    sync_dir(&keys_dir)?;
    Ok(kept)
}

/// Replaces the data directory's database with the staged one by one
/// rename; the current database is kept beside it (a second name for the
/// same file). A kill at any moment leaves the old or the new database.
async fn put_database(
    data_dir: &Path,
    staged: &Path,
    stamp: &str,
) -> Result<Option<PathBuf>, BackupError> {
    let current = DatabaseLocation::sqlite_path(data_dir);
    let mut kept = None;
    if current.exists() {
        let mut conn = super::check::open_read_write(&current).await?;
        // Fold the WAL into the main file: the kept name is then complete,
        // and the emptied WAL can go before the new file takes the name (a
        // stale WAL must never sit beside another database).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await?;
        sqlx::Connection::close(conn).await?;
        let keep = data_dir.join(format!("{SQLITE_FILE}.before-restore-{stamp}"));
        // A second name, not a move: `thiqa.db` stays in place until the
        // rename below replaces it.
        if !keep.exists() && std::fs::hard_link(&current, &keep).is_err() {
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
    std::fs::rename(staged, &current)?;
    // The rename itself is durable once the directory is synced.
    sync_dir(data_dir)?;
    Ok(kept)
}

//! `thiqa backup`: one file with everything a restore needs, written under a
//! temporary name and named only when complete and synced, so a failure (a
//! full disk) leaves nothing behind.

use std::path::{Path, PathBuf};

use super::archive::{
    blob_name, is_key_file_name, key_name, private_file, ArchiveWriter, EvidenceFile, Manifest,
    Part, DATABASE, FORMAT, FORMAT_VERSION,
};
use super::check::{evidence_files, migrations_of, open_read_only, BlobRef};
use super::markers::sync_dir;
use super::EvidenceFiles;
use super::{first_few, BackupError};
use crate::connect::{Backend, Store};

/// What the operator chose to put in.
#[derive(Debug, Clone)]
pub struct BackupOptions {
    /// The journal and dossier signing keys (the default). Without them the
    /// backup is less sensitive, and restoring needs the keys put in place
    /// first, from wherever the operator keeps them.
    pub include_keys: bool,
}

impl Default for BackupOptions {
    fn default() -> Self {
        BackupOptions { include_keys: true }
    }
}

/// What a written backup holds.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub bytes: u64,
    pub database_bytes: u64,
    pub migrations: Vec<i64>,
    pub keys: Vec<String>,
    pub evidence_files: usize,
    pub evidence_bytes: u64,
    /// False when the evidence stayed in its S3 bucket (listed only).
    pub evidence_in_archive: bool,
}

/// Files removed on drop unless the backup completed.
struct Leftovers(Vec<PathBuf>);

impl Drop for Leftovers {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Store {
    /// Writes a backup of this store to `out`: a consistent snapshot of the
    /// database (`VACUUM INTO`: one read snapshot, so writes going on
    /// meanwhile are simply not in it), the keys of `data_dir/keys`, and the
    /// evidence files the snapshot refers to (checked against their hash)
    /// or, for S3, their list (checked present in the bucket).
    pub async fn backup_to(
        &self,
        data_dir: &Path,
        blobs: &dyn EvidenceFiles,
        out: &Path,
        options: &BackupOptions,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> Result<BackupSummary, BackupError> {
        if self.backend() == Backend::Postgres {
            return Err(BackupError::PostgresUsesPgDump);
        }
        if out.exists() {
            return Err(BackupError::AlreadyExists(out.to_path_buf()));
        }
        let write_err = |source: std::io::Error| BackupError::Write {
            path: out.to_path_buf(),
            source,
        };
        let name = out
            .file_name()
            .ok_or_else(|| write_err(std::io::Error::other("not a file name")))?
            .to_string_lossy()
            .into_owned();
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let snapshot = dir.join(format!(".{name}.snapshot-{}", std::process::id()));
        let partial = dir.join(format!(".{name}.partial-{}", std::process::id()));
        let leftovers = Leftovers(vec![snapshot.clone(), partial.clone()]);

        progress("taking a consistent snapshot of the database");
        sqlx::query("VACUUM INTO $1")
            .bind(snapshot.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await
            .map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
        let mut conn = open_read_only(&snapshot).await?;
        let migrations = migrations_of(&mut conn).await?;
        let evidence = evidence_files(&mut conn).await?;
        drop(conn);
        let keys = if options.include_keys {
            key_files(data_dir)?
        } else {
            Vec::new()
        };
        if !blobs.is_local() {
            check_in_bucket(blobs, &evidence, progress).await?;
        }

        let created_at = self.clock.now_s();
        let file = private_file(&partial).map_err(write_err)?;
        let mut archive = ArchiveWriter::new(file, created_at);
        progress("writing the database");
        let database = archive
            .add(DATABASE, &mut std::fs::File::open(&snapshot)?, true)
            .map_err(write_err)?;
        let mut key_parts = Vec::new();
        for (file_name, path) in &keys {
            let part = archive
                .add(&key_name(file_name), &mut std::fs::File::open(path)?, false)
                .map_err(write_err)?;
            key_parts.push(part);
        }
        if blobs.is_local() {
            add_local_evidence(&mut archive, blobs, &evidence, progress, &write_err)?;
        }
        let evidence_bytes = evidence.iter().map(|b| b.size).sum();
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            thiqa_version: env!("CARGO_PKG_VERSION").into(),
            created_at,
            database: database.clone(),
            migrations: migrations.clone(),
            keys_included: options.include_keys,
            keys: key_parts,
            evidence: super::archive::Evidence {
                storage: if blobs.is_local() { "local" } else { "s3" }.into(),
                location: blobs.describe(),
                files: evidence
                    .iter()
                    .map(|b| EvidenceFile {
                        sha256: b.sha256.clone(),
                        size: b.size,
                    })
                    .collect(),
            },
        };
        let file = archive.finish(&manifest).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        let bytes = file.metadata().map_err(write_err)?.len();
        drop(file);
        // Named only now, complete and on disk; a link never replaces a
        // file someone created meanwhile (a rename would).
        match std::fs::hard_link(&partial, out) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::AlreadyExists(out.to_path_buf()))
            }
            // A file system without links: rename, after one more look.
            Err(_) if !out.exists() => {
                std::fs::rename(&partial, out).map_err(write_err)?;
            }
            Err(e) => return Err(write_err(e)),
        }
        // The snapshot and the temporary name go; `out` stays.
        drop(leftovers);
        sync_dir(&dir).map_err(write_err)?;
        Ok(BackupSummary {
            bytes,
            database_bytes: database.size,
            migrations,
            keys: keys.into_iter().map(|(name, _)| name).collect(),
            evidence_files: evidence.len(),
            evidence_bytes,
            evidence_in_archive: blobs.is_local(),
        })
    }
}

/// The key files of `data_dir/keys` (`journal.ed25519`, `dossier.ed25519`),
/// by name.
fn key_files(data_dir: &Path) -> Result<Vec<(String, PathBuf)>, BackupError> {
    let dir = data_dir.join("keys");
    let mut keys = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(keys),
        Err(e) => return Err(BackupError::Incomplete(format!("{}: {e}", dir.display()))),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_key_file_name(&name) && entry.file_type()?.is_file() {
            keys.push((name, entry.path()));
        }
    }
    keys.sort();
    Ok(keys)
}

/// Puts every evidence file in, refusing one that is missing or whose bytes
/// no longer hash to its name (a backup must not carry damage unnoticed).
fn add_local_evidence(
    archive: &mut ArchiveWriter<std::fs::File>,
    blobs: &dyn EvidenceFiles,
    evidence: &[BlobRef],
    progress: &mut (dyn FnMut(&str) + Send),
    write_err: &dyn Fn(std::io::Error) -> BackupError,
) -> Result<(), BackupError> {
    let missing: Vec<&str> = evidence
        .iter()
        .filter(|b| blobs.local_file(&b.sha256).is_none())
        .map(|b| b.sha256.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(BackupError::Incomplete(format!(
            "{} evidence file(s) the database refers to are missing from {}: {}",
            missing.len(),
            blobs.describe(),
            first_few(&missing)
        )));
    }
    let mut reported = std::time::Instant::now();
    for (i, blob) in evidence.iter().enumerate() {
        let path = blobs.local_file(&blob.sha256).unwrap_or_default();
        let part: Part = archive
            .add(
                &blob_name(&blob.sha256),
                &mut std::fs::File::open(&path)?,
                false,
            )
            .map_err(write_err)?;
        if part.sha256 != blob.sha256 {
            return Err(BackupError::Incomplete(format!(
                "evidence file {} is damaged: its bytes now hash to {}",
                path.display(),
                part.sha256
            )));
        }
        if reported.elapsed().as_secs() >= 1 || i + 1 == evidence.len() {
            progress(&format!("evidence files: {} of {}", i + 1, evidence.len()));
            reported = std::time::Instant::now();
        }
    }
    Ok(())
}

/// With S3 the files stay in the bucket; the backup proves they are there.
async fn check_in_bucket(
    blobs: &dyn EvidenceFiles,
    evidence: &[BlobRef],
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<(), BackupError> {
    let mut missing = Vec::new();
    for (i, blob) in evidence.iter().enumerate() {
        if blobs.stored_size(&blob.sha256).await? != Some(blob.size) {
            missing.push(blob.sha256.clone());
        }
        if (i + 1) % 500 == 0 || i + 1 == evidence.len() {
            progress(&format!(
                "evidence checked in the bucket: {} of {}",
                i + 1,
                evidence.len()
            ));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(BackupError::Incomplete(format!(
        "{} evidence file(s) are missing from {} or have another size: {}",
        missing.len(),
        blobs.describe(),
        first_few(&missing)
    )))
}

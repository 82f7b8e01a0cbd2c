//! Evidence files, content-addressed by SHA-256 in a directory: the same file
//! uploaded twice is stored once. An upload streams to a temporary file while
//! it is hashed and counted; only a complete upload within the size limit is
//! moved into place, so an interrupted or refused upload leaves nothing.
//! (The S3-compatible store and encryption at rest will take this shape.)

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than the limit of {limit_mb} MB")]
    TooLarge { limit_mb: u64 },
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

impl BlobStore {
    /// Opens (creating) the store; temporary files of uploads cut short by a
    /// crash are removed.
    pub fn open(root: &Path) -> std::io::Result<BlobStore> {
        std::fs::create_dir_all(root.join("sha256"))?;
        let tmp = root.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        Ok(BlobStore {
            root: root.to_path_buf(),
        })
    }

    pub async fn begin(&self, limit_bytes: u64) -> std::io::Result<Upload> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = self.root.join("tmp").join(name);
        let file = tokio::fs::File::create(&path).await?;
        Ok(Upload {
            file: Some(file),
            path,
            root: self.root.clone(),
            hasher: Sha256::new(),
            size: 0,
            limit: limit_bytes,
            done: false,
        })
    }

    /// The stored file of a SHA-256 (hex), if it exists; anything that is
    /// not 64 hex digits is refused before touching the disk.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return None;
        }
        let p = self.root.join("sha256").join(&sha256[..2]).join(sha256);
        p.exists().then_some(p)
    }
}

/// An upload in progress. Dropped before `finish`, it removes its file.
pub struct Upload {
    file: Option<tokio::fs::File>,
    path: PathBuf,
    root: PathBuf,
    hasher: Sha256,
    size: u64,
    limit: u64,
    done: bool,
}

impl Upload {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(UploadError::TooLarge {
                limit_mb: self.limit / (1024 * 1024),
            });
        }
        self.hasher.update(chunk);
        if let Some(f) = self.file.as_mut() {
            f.write_all(chunk).await?;
        }
        Ok(())
    }

    /// Flushes to disk and moves the file into place under its hash;
    /// returns (sha256 hex, size).
    pub async fn finish(mut self) -> std::io::Result<(String, u64)> {
        if let Some(mut f) = self.file.take() {
            f.flush().await?;
            f.sync_all().await?;
        }
        let digest = std::mem::take(&mut self.hasher).finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let dir = self.root.join("sha256").join(&hex[..2]);
        tokio::fs::create_dir_all(&dir).await?;
        let target = dir.join(&hex);
        if tokio::fs::try_exists(&target).await? {
            // Same content already stored: keep one copy.
            tokio::fs::remove_file(&self.path).await?;
        } else {
            tokio::fs::rename(&self.path, &target).await?;
        }
        self.done = true;
        Ok((hex, self.size))
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.done {
            self.file.take();
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

//! One upload: streamed to a staging file while it is hashed and counted,
//! refused past its limit, and put in the store under its hash only once
//! complete. Dropped before `finish`, it removes its staging file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::BlobStore;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than the limit of {limit_mb} MB")]
    TooLarge { limit_mb: u64 },
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

/// An upload's staging file untouched this long belongs to an upload cut
/// short by a crash. Younger ones may be another process's upload in
/// progress: a `thiqa backup` beside a running server, or another instance
/// sharing the directory, opens the same store (removing the whole staging
/// directory at every open once made a server's uploads fail under load).
const STALE_STAGING: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

pub(crate) fn remove_stale_staging(tmp: &Path) -> std::io::Result<()> {
    let now = std::time::SystemTime::now();
    for entry in std::fs::read_dir(tmp)? {
        let entry = entry?;
        let modified = entry.metadata()?.modified()?;
        if now.duration_since(modified).unwrap_or_default() > STALE_STAGING {
            // Gone meanwhile is as good as removed.
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// An upload in progress. Dropped before `finish`, it removes its file.
pub struct Upload {
    file: Option<tokio::fs::File>,
    path: PathBuf,
    store: BlobStore,
    hasher: Sha256,
    size: u64,
    limit: u64,
    done: bool,
}

impl Upload {
    /// A new staging file in `tmp`.
    pub(crate) async fn begin(store: BlobStore, tmp: &Path, limit: u64) -> std::io::Result<Upload> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = tmp.join(name);
        let file = tokio::fs::File::create(&path).await?;
        Ok(Upload {
            file: Some(file),
            path,
            store,
            hasher: Sha256::new(),
            size: 0,
            limit,
            done: false,
        })
    }

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

    /// Flushes the staging file and moves it into place under its hash;
    /// returns (sha256 hex, size).
    pub async fn finish(mut self) -> std::io::Result<(String, u64)> {
        if let Some(mut f) = self.file.take() {
            f.flush().await?;
            f.sync_all().await?;
        }
        let digest = std::mem::take(&mut self.hasher).finalize();
        let hex = thiqa_domain::text::hex(&digest);
        self.store.install(&hex, self.size, &self.path).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opening_the_store_leaves_another_process_s_upload_alone() {
        let dir = tempfile::tempdir().unwrap();
        let server = BlobStore::open(dir.path()).unwrap();
        let mut upload = server.begin(1 << 20).await.unwrap();
        upload.write(b"half of a file").await.unwrap();
        // A day-old staging file of an upload cut short by a crash.
        let stale = dir.path().join("tmp").join("crashed-0");
        std::fs::write(&stale, b"x").unwrap();
        let day_ago = std::time::SystemTime::now() - STALE_STAGING * 2;
        std::fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(day_ago)
            .unwrap();
        // `thiqa backup` opens the same store while the server uploads.
        BlobStore::open(dir.path()).unwrap();
        assert!(!stale.exists(), "the crashed upload's file is removed");
        upload.write(b" and the rest").await.unwrap();
        let (sha256, size) = upload
            .finish()
            .await
            .expect("the upload in progress completes");
        assert_eq!(size, 27);
        assert!(server.local_file(&sha256).is_some());
    }
}

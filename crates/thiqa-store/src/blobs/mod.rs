//! Evidence files, content-addressed by SHA-256: the same file uploaded twice
//! is stored once. An upload streams to a staging file in the data directory
//! while it is hashed and counted; only a complete upload within the size
//! limit is then moved into place, in a local directory (the default) or in
//! an S3-compatible bucket, so an interrupted or refused upload leaves
//! nothing. Encryption at rest will wrap this interface.

mod s3;
mod sigv4;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWriteExt};

pub use s3::S3Settings;
pub use sigv4::Credentials as S3Credentials;

/// Where complete blobs live.
#[derive(Debug, Clone)]
enum Backend {
    /// `<root>/sha256/<ab>/<hash>`.
    Local,
    /// Object `<prefix>sha256/<ab>/<hash>` of the bucket.
    S3 {
        client: Box<s3::S3Client>,
        prefix: String,
    },
}

#[derive(Debug, Clone)]
pub struct BlobStore {
    /// Local root: staging files (`tmp/`) and, for the local backend, blobs.
    root: PathBuf,
    backend: Backend,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than the limit of {limit_mb} MB")]
    TooLarge { limit_mb: u64 },
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

/// A stored blob being read: its size and its bytes.
pub struct BlobRead {
    pub size: u64,
    pub reader: Pin<Box<dyn AsyncRead + Send>>,
}

impl BlobStore {
    /// The local store under `root` (created); staging files of uploads cut
    /// short by a crash are removed.
    pub fn open(root: &Path) -> std::io::Result<BlobStore> {
        std::fs::create_dir_all(root.join("sha256"))?;
        Self::with_backend(root, Backend::Local)
    }

    /// The S3-compatible store; `root` keeps only staging files. The
    /// settings are checked here (the message names the problem); reaching
    /// the bucket is [`BlobStore::check`]'s job.
    pub fn open_s3(root: &Path, settings: &S3Settings, prefix: &str) -> Result<BlobStore, String> {
        let client = Self::validate_s3(settings, prefix)?;
        Self::with_backend(
            root,
            Backend::S3 {
                client: Box::new(client),
                prefix: prefix.to_string(),
            },
        )
        .map_err(|e| format!("{}: {e}", root.display()))
    }

    /// Checks S3 settings without any I/O but reading `ca_file`; the
    /// message names the problem (configuration validation uses it).
    pub fn validate_s3(settings: &S3Settings, prefix: &str) -> Result<s3::S3Client, String> {
        let client = s3::S3Client::new(settings)?;
        let valid_prefix = prefix.is_empty()
            || (prefix.ends_with('/')
                && !prefix.starts_with('/')
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)));
        if !valid_prefix {
            return Err(format!(
                "prefix {prefix:?}: letters, digits, '-', '_', '.', '/', ending with '/'"
            ));
        }
        Ok(client)
    }

    fn with_backend(root: &Path, backend: Backend) -> std::io::Result<BlobStore> {
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        remove_stale_staging(&tmp)?;
        Ok(BlobStore {
            root: root.to_path_buf(),
            backend,
        })
    }

    /// Whether the store can be used (for S3: the bucket answers to the
    /// keys); called at start so that a wrong setting stops the server
    /// with a message instead of failing the first upload.
    pub async fn check(&self) -> std::io::Result<()> {
        match &self.backend {
            Backend::Local => Ok(()),
            Backend::S3 { client, .. } => client.check_bucket().await,
        }
    }

    /// `local directory …` or `S3 …`, for start-up messages.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Local => format!("local directory {}", self.root.join("sha256").display()),
            Backend::S3 { client, prefix } => format!("S3 {client:?} prefix {prefix:?}"),
        }
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
            store: self.clone(),
            hasher: Sha256::new(),
            size: 0,
            limit: limit_bytes,
            done: false,
        })
    }

    /// The stored blob of a SHA-256 (hex), or `None` when there is none;
    /// anything that is not 64 lower-case hex digits is refused before
    /// touching the storage.
    pub async fn read(&self, sha256: &str) -> std::io::Result<Option<BlobRead>> {
        if !is_sha256_hex(sha256) {
            return Ok(None);
        }
        match &self.backend {
            Backend::Local => {
                let path = self.local_path(sha256);
                match tokio::fs::File::open(&path).await {
                    Ok(file) => Ok(Some(BlobRead {
                        size: file.metadata().await?.len(),
                        reader: Box::pin(file),
                    })),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e),
                }
            }
            Backend::S3 { client, prefix } => Ok(client
                .get(&object_key(prefix, sha256))
                .await?
                .map(|(size, reader)| BlobRead { size, reader })),
        }
    }

    /// The bytes of a stored blob for blocking code (inside
    /// `spawn_blocking`): a local file is read directly, an S3 object
    /// through `runtime`.
    pub fn read_blocking(
        &self,
        sha256: &str,
        runtime: &tokio::runtime::Handle,
    ) -> std::io::Result<Option<Box<dyn std::io::Read + Send>>> {
        if let Some(path) = self.local_file(sha256) {
            return Ok(Some(Box::new(std::fs::File::open(path)?)));
        }
        if matches!(self.backend, Backend::Local) {
            return Ok(None);
        }
        let blob = runtime.block_on(self.read(sha256))?;
        Ok(blob.map(|b| {
            Box::new(tokio_util::io::SyncIoBridge::new_with_handle(
                b.reader,
                runtime.clone(),
            )) as Box<dyn std::io::Read + Send>
        }))
    }

    /// Whether the store holds the blob, and its size (S3: one HEAD).
    pub async fn stored_size(&self, sha256: &str) -> std::io::Result<Option<u64>> {
        if !is_sha256_hex(sha256) {
            return Ok(None);
        }
        match &self.backend {
            Backend::Local => match tokio::fs::metadata(self.local_path(sha256)).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            },
            Backend::S3 { client, prefix } => client.head(&object_key(prefix, sha256)).await,
        }
    }

    /// Whether blobs live in the local directory (a backup then carries
    /// them) rather than in a bucket (a backup lists them).
    pub fn is_local(&self) -> bool {
        matches!(self.backend, Backend::Local)
    }

    /// Puts `file` (`size` bytes hashing to `sha256`, checked by the
    /// caller) into the store under its hash, unless the same content is
    /// already there; the file is moved (local) or uploaded then removed
    /// (S3). Uploads and restores both end here.
    pub async fn install(&self, sha256: &str, size: u64, file: &Path) -> std::io::Result<()> {
        if !is_sha256_hex(sha256) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{sha256:?} is not a SHA-256 in hex"),
            ));
        }
        match &self.backend {
            Backend::Local => {
                let target = self.local_path(sha256);
                if let Some(dir) = target.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                if tokio::fs::try_exists(&target).await? {
                    // Same content already stored: keep one copy.
                    tokio::fs::remove_file(file).await?;
                } else if tokio::fs::rename(file, &target).await.is_err() {
                    // Another file system (a mounted blob directory): copy
                    // under a temporary name, sync, then name it.
                    let tmp = target.with_extension("restoring");
                    tokio::fs::copy(file, &tmp).await?;
                    tokio::fs::File::open(&tmp).await?.sync_all().await?;
                    tokio::fs::rename(&tmp, &target).await?;
                    tokio::fs::remove_file(file).await?;
                }
            }
            Backend::S3 { client, prefix } => {
                let key = object_key(prefix, sha256);
                if client.head(&key).await? != Some(size) {
                    client.put_file(&key, file, size, sha256).await?;
                }
                tokio::fs::remove_file(file).await?;
            }
        }
        Ok(())
    }

    /// The file of a blob of the local backend (benchmarks compare it with
    /// plain file copies); `None` for S3 or a missing blob.
    pub fn local_file(&self, sha256: &str) -> Option<PathBuf> {
        let path = self.local_path(sha256);
        (matches!(self.backend, Backend::Local) && is_sha256_hex(sha256) && path.exists())
            .then_some(path)
    }

    fn local_path(&self, sha256: &str) -> PathBuf {
        self.root.join("sha256").join(&sha256[..2]).join(sha256)
    }
}

/// An upload's staging file untouched this long belongs to an upload cut
/// short by a crash. Younger ones may be another process's upload in
/// progress: a `thiqa backup` beside a running server, or another instance
/// sharing the directory, opens the same store (removing the whole staging
/// directory at every open once made a server's uploads fail under load).
const STALE_STAGING: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

fn remove_stale_staging(tmp: &Path) -> std::io::Result<()> {
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

pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn object_key(prefix: &str, sha256: &str) -> String {
    format!("{prefix}sha256/{}/{sha256}", &sha256[..2])
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
        let hex = sigv4::hex(&digest);
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

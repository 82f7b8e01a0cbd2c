//! Evidence files, content-addressed by SHA-256: the same file uploaded twice
//! is stored once. An upload streams to a staging file in the data directory
//! while it is hashed and counted; only a complete upload within the size
//! limit is then moved into place, in a local directory (the default) or in
//! an S3-compatible bucket, so an interrupted or refused upload leaves
//! nothing. Encryption at rest will wrap this interface.
//!
//! The local backend keeps its own code rather than object_store's
//! `LocalFileSystem`: its layout `<root>/sha256/<ab>/<hash>` is what
//! existing data directories and backups hold, a blob is moved into place
//! by one rename (no copy of a large file), and the dossier and the backup
//! read the files directly.

mod s3;
mod upload;

use std::path::{Path, PathBuf};
use std::pin::Pin;

use thiqa_domain::text::is_sha256_hex;
use thiqa_store::{EvidenceFiles, EvidenceFuture};
use tokio::io::AsyncRead;

pub use s3::{S3Bucket, S3Credentials, S3Settings, S3Tuning};
pub use upload::{Upload, UploadError};

/// Where complete blobs live.
#[derive(Debug, Clone)]
enum Backend {
    /// `<root>/sha256/<ab>/<hash>`.
    Local,
    /// Object `<prefix>sha256/<ab>/<hash>` of the bucket.
    S3(Box<S3Bucket>),
}

#[derive(Debug, Clone)]
pub struct BlobStore {
    /// Local root: staging files (`tmp/`) and, for the local backend, blobs.
    root: PathBuf,
    backend: Backend,
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
        Self::open_s3_tuned(root, settings, prefix, S3Tuning::default())
    }

    /// [`BlobStore::open_s3`] with other timeouts, retries or part size
    /// (tests use small parts and short timeouts).
    pub fn open_s3_tuned(
        root: &Path,
        settings: &S3Settings,
        prefix: &str,
        tuning: S3Tuning,
    ) -> Result<BlobStore, String> {
        let bucket = S3Bucket::new(settings, prefix, tuning)?;
        Self::with_backend(root, Backend::S3(Box::new(bucket)))
            .map_err(|e| format!("{}: {e}", root.display()))
    }

    /// Checks S3 settings without any I/O but reading `ca_file`; the
    /// message names the problem (configuration validation uses it).
    pub fn validate_s3(settings: &S3Settings, prefix: &str) -> Result<(), String> {
        S3Bucket::new(settings, prefix, S3Tuning::default()).map(drop)
    }

    fn with_backend(root: &Path, backend: Backend) -> std::io::Result<BlobStore> {
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        upload::remove_stale_staging(&tmp)?;
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
            Backend::S3(bucket) => bucket.check_bucket().await,
        }
    }

    /// `local directory …` or `S3 …`, for start-up messages.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Local => format!("local directory {}", self.root.join("sha256").display()),
            Backend::S3(bucket) => format!("S3 {bucket:?} prefix {:?}", bucket.prefix()),
        }
    }

    /// Starts an upload of at most `limit_bytes`.
    pub async fn begin(&self, limit_bytes: u64) -> std::io::Result<Upload> {
        Upload::begin(self.clone(), &self.root.join("tmp"), limit_bytes).await
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
            Backend::S3(bucket) => Ok(bucket
                .get(sha256)
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
        if self.is_local() {
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
            Backend::S3(bucket) => bucket.head(sha256).await,
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
            Backend::S3(bucket) => {
                if bucket.head(sha256).await? != Some(size) {
                    bucket.put_file(sha256, file, size).await?;
                }
                tokio::fs::remove_file(file).await?;
            }
        }
        Ok(())
    }

    /// The file of a blob of the local backend (benchmarks compare it with
    /// plain file copies); `None` for S3 or a missing blob.
    pub fn local_file(&self, sha256: &str) -> Option<PathBuf> {
        if !self.is_local() || !is_sha256_hex(sha256) {
            return None;
        }
        let path = self.local_path(sha256);
        path.exists().then_some(path)
    }

    fn local_path(&self, sha256: &str) -> PathBuf {
        self.root.join("sha256").join(&sha256[..2]).join(sha256)
    }
}

/// Backups and restores reach the evidence through the store's trait.
impl EvidenceFiles for BlobStore {
    fn is_local(&self) -> bool {
        BlobStore::is_local(self)
    }

    fn describe(&self) -> String {
        BlobStore::describe(self)
    }

    fn local_file(&self, sha256: &str) -> Option<PathBuf> {
        BlobStore::local_file(self, sha256)
    }

    fn stored_size<'a>(&'a self, sha256: &'a str) -> EvidenceFuture<'a, Option<u64>> {
        Box::pin(BlobStore::stored_size(self, sha256))
    }

    fn install<'a>(&'a self, sha256: &'a str, size: u64, file: &'a Path) -> EvidenceFuture<'a, ()> {
        Box::pin(BlobStore::install(self, sha256, size, file))
    }
}

//! The evidence files a backup carries (or lists) and a restore puts back,
//! as the backup sees them. The blob store itself lives in `thiqa-blobs`,
//! which implements this trait: the store crate then knows no HTTP client
//! (an S3 bucket's client stays with the blobs).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

/// A future of the evidence storage (boxed so that the trait can be used as
/// `&dyn EvidenceFiles`).
pub type EvidenceFuture<'a, T> = Pin<Box<dyn Future<Output = std::io::Result<T>> + Send + 'a>>;

/// Evidence files by SHA-256 (64 lower-case hex digits).
pub trait EvidenceFiles: Send + Sync {
    /// Whether the files live in a local directory (a backup then carries
    /// them) rather than in a bucket (a backup lists them).
    fn is_local(&self) -> bool;

    /// `local directory …` or `S3 …`, for messages and the manifest.
    fn describe(&self) -> String;

    /// The file of a stored blob of a local store; `None` for a bucket or
    /// a missing blob.
    fn local_file(&self, sha256: &str) -> Option<PathBuf>;

    /// The stored blob's size, or `None` when the store does not hold it.
    fn stored_size<'a>(&'a self, sha256: &'a str) -> EvidenceFuture<'a, Option<u64>>;

    /// Puts `file` (`size` bytes hashing to `sha256`, checked by the
    /// caller) into the store under its hash, unless the same content is
    /// already there; `file` is gone afterwards.
    fn install<'a>(&'a self, sha256: &'a str, size: u64, file: &'a Path) -> EvidenceFuture<'a, ()>;
}

//! The S3-compatible backend through object_store: path-style requests (any
//! S3-compatible store), SigV4 with signed payloads, bounded timeouts and
//! retries with backoff, and multipart uploads above [`S3Tuning::part_size`]
//! so that objects over a single PUT's 5 GB limit are stored too.

mod settings;
mod tls;

use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ObjectStoreExt, RetryConfig, WriteMultipart};
use tokio::io::{AsyncRead, AsyncReadExt};

pub use settings::{S3Credentials, S3Settings, S3Tuning};

/// S3 allows 10,000 parts to one object: larger files get larger parts.
const MAX_PARTS: u64 = 10_000;

/// A checked bucket (opaque outside the blob store).
#[derive(Clone)]
pub struct S3Bucket {
    store: Arc<AmazonS3>,
    endpoint: String,
    bucket: String,
    prefix: String,
    tuning: S3Tuning,
}

impl std::fmt::Debug for S3Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.endpoint, self.bucket)
    }
}

fn io_error(message: String) -> std::io::Error {
    std::io::Error::other(message)
}

impl S3Bucket {
    /// Checks the settings and the prefix (no network yet); the message
    /// names the problem.
    pub fn new(s: &S3Settings, prefix: &str, tuning: S3Tuning) -> Result<S3Bucket, String> {
        let checked = settings::check(s)?;
        settings::check_prefix(prefix)?;
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: std::time::Duration::from_millis(100),
                max_backoff: std::time::Duration::from_secs(10),
                base: 2.0,
            },
            max_retries: tuning.max_retries,
            retry_timeout: tuning.retry_timeout,
        };
        let store = AmazonS3Builder::new()
            .with_endpoint(&checked.endpoint)
            .with_allow_http(!checked.https)
            .with_virtual_hosted_style_request(false)
            .with_region(&s.region)
            .with_bucket_name(&s.bucket)
            .with_access_key_id(&s.credentials.access_key)
            .with_secret_access_key(&s.credentials.secret_key)
            .with_retry(retry)
            .with_http_connector(tls::Connector {
                tls: checked.tls,
                tuning: tuning.clone(),
            })
            .build()
            .map_err(|e| format!("S3 settings: {e}"))?;
        Ok(S3Bucket {
            store: Arc::new(store),
            endpoint: checked.endpoint,
            bucket: s.bucket.clone(),
            prefix: prefix.to_string(),
            tuning,
        })
    }

    /// The object name prefix (`thiqa/`, or empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `<prefix>sha256/<ab>/<hash>`, as the hand-written client named them.
    fn key(&self, sha256: &str) -> ObjectPath {
        self.under_prefix(&["sha256", &sha256[..2], sha256])
    }

    /// The object named by `parts` under the configured prefix.
    fn under_prefix(&self, parts: &[&str]) -> ObjectPath {
        let prefix = self.prefix.split('/').filter(|s| !s.is_empty());
        ObjectPath::from_iter(prefix.chain(parts.iter().copied()))
    }

    /// An error naming the endpoint, the call and the object.
    fn failure(&self, call: &str, key: &ObjectPath, e: object_store::Error) -> std::io::Error {
        let kind = match e {
            object_store::Error::NotFound { .. } => std::io::ErrorKind::NotFound,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, format!("object store {self:?}: {call} {key}: {e}"))
    }

    /// Start-up check: the bucket exists and the keys may use it. One GET
    /// of an object never written: S3 answers `NoSuchKey` only when the
    /// bucket is there and the signature holds (a HEAD has no body to tell
    /// a missing bucket from a missing object; a listing needs a right the
    /// store never uses otherwise).
    pub async fn check_bucket(&self) -> std::io::Result<()> {
        let probe = self.under_prefix(&["thiqa-check"]);
        let text = match self.store.get(&probe).await {
            Ok(_) => return Ok(()),
            Err(e) => e.to_string(),
        };
        let says = |codes: &[&str]| codes.iter().any(|c| text.contains(c));
        if says(&["NoSuchBucket"]) {
            Err(io_error(format!(
                "bucket {} does not exist at {}",
                self.bucket, self.endpoint
            )))
        } else if says(&["NoSuchKey", "404 Not Found"]) {
            Ok(())
        } else if says(&[
            "403 Forbidden",
            "AccessDenied",
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId",
        ]) {
            Err(io_error(format!(
                "access to bucket {} refused (check the access key, the secret key and the region)",
                self.bucket
            )))
        } else {
            Err(io_error(format!(
                "bucket {} at {}: {text}",
                self.bucket, self.endpoint
            )))
        }
    }

    /// The object's size, or `None` when it does not exist.
    pub async fn head(&self, sha256: &str) -> std::io::Result<Option<u64>> {
        let key = self.key(sha256);
        match self.store.head(&key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.failure("HEAD", &key, e)),
        }
    }

    /// The object as a stream with its size, or `None` when it does not exist.
    pub async fn get(
        &self,
        sha256: &str,
    ) -> std::io::Result<Option<(u64, Pin<Box<dyn AsyncRead + Send>>)>> {
        let key = self.key(sha256);
        let result = match self.store.get(&key).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.failure("GET", &key, e)),
        };
        let size = result.meta.size;
        let this = self.clone();
        let stream = result
            .into_stream()
            .map_err(move |e| this.failure("GET", &key, e));
        Ok(Some((
            size,
            Box::pin(tokio_util::io::StreamReader::new(stream)),
        )))
    }

    /// Uploads `path` (`size` bytes) as the object of `sha256`: one PUT up
    /// to the part size, a multipart upload above it. S3 makes the object
    /// visible only once complete; a failed multipart upload is aborted so
    /// that its parts are not kept (and billed).
    pub async fn put_file(&self, sha256: &str, path: &Path, size: u64) -> std::io::Result<()> {
        let key = self.key(sha256);
        let mut file = tokio::fs::File::open(path).await?;
        let part_size = part_size(self.tuning.part_size, size);
        if size <= part_size as u64 {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).await?;
            return self
                .store
                .put(&key, bytes.into())
                .await
                .map(drop)
                .map_err(|e| self.failure("PUT", &key, e));
        }
        let upload = self
            .store
            .put_multipart(&key)
            .await
            .map_err(|e| self.failure("multipart upload of", &key, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, part_size);
        match self.send_parts(&mut file, &mut writer).await {
            Ok(()) => writer
                .finish()
                .await
                .map(drop)
                .map_err(|e| self.failure("multipart upload of", &key, e)),
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(key = %key, error = %abort, "an incomplete multipart upload could not be aborted; the bucket's lifecycle rule removes it");
                }
                Err(e)
            }
        }
    }

    async fn send_parts(
        &self,
        file: &mut tokio::fs::File,
        writer: &mut WriteMultipart,
    ) -> std::io::Result<()> {
        let mut buf = vec![0; 1 << 20];
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            writer
                .wait_for_capacity(self.tuning.parallel_parts)
                .await
                .map_err(|e| io_error(format!("object store {self:?}: upload of a part: {e}")))?;
            writer.write(&buf[..n]);
        }
    }
}

/// The part size for a file of `size` bytes: the configured one, or more
/// when the file would need over [`MAX_PARTS`] parts (rounded up to MiB).
fn part_size(configured: usize, size: u64) -> usize {
    let needed = size.div_ceil(MAX_PARTS).div_ceil(1 << 20) << 20;
    configured.max(needed as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_files_get_larger_parts_to_stay_within_ten_thousand() {
        let mib = 1usize << 20;
        assert_eq!(part_size(16 * mib, 12 << 20), 16 * mib);
        // 5 TB: 10,000 parts of 500 MiB.
        let five_tb = 5_000_000_000_000u64;
        let part = part_size(16 * mib, five_tb);
        assert!(five_tb.div_ceil(part as u64) <= MAX_PARTS);
        assert_eq!(part % mib, 0);
    }
}

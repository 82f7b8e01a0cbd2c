//! `[blobs]`: where evidence files are stored. The local directory
//! (`<data_dir>/blobs`) is the default; an S3-compatible bucket lets several
//! `thiqa serve` instances sharing one PostgreSQL share the files too.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use thiqa_blobs::{BlobStore, S3Credentials, S3Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobBackend {
    Local,
    S3,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlobsConfig {
    /// `local` or `s3`.
    pub backend: BlobBackend,
    /// `https://s3.example.ma` (path-style requests: any S3-compatible store).
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_access_key: String,
    /// Best given as `THIQA_BLOBS_S3_SECRET_KEY`; never printed.
    #[serde(
        serialize_with = "super::expose_for_layering",
        deserialize_with = "super::secret_opt"
    )]
    pub s3_secret_key: Option<SecretString>,
    /// Extra CA certificates (PEM) for a private endpoint.
    pub s3_ca_file: Option<PathBuf>,
    /// Object name prefix, e.g. `thiqa/` (empty: the bucket's root).
    pub s3_prefix: String,
}

impl Default for BlobsConfig {
    fn default() -> Self {
        BlobsConfig {
            backend: BlobBackend::Local,
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key: String::new(),
            s3_secret_key: None,
            s3_ca_file: None,
            s3_prefix: String::new(),
        }
    }
}

impl BlobsConfig {
    /// Keys that serialise to nothing by default (for `THIQA_*` lookup).
    pub const OPTIONAL_KEYS: [&'static str; 2] = ["blobs.s3_secret_key", "blobs.s3_ca_file"];

    fn s3_settings(&self, insecure_http: bool) -> S3Settings {
        S3Settings {
            endpoint: self.s3_endpoint.clone(),
            bucket: self.s3_bucket.clone(),
            region: self.s3_region.clone(),
            credentials: S3Credentials {
                access_key: self.s3_access_key.clone(),
                secret_key: self
                    .s3_secret_key
                    .as_ref()
                    .map(|s| s.expose_secret().to_string())
                    .unwrap_or_default(),
            },
            ca_file: self.s3_ca_file.clone(),
            allow_http: insecure_http,
        }
    }

    /// The problem with the S3 settings, if the S3 backend is chosen.
    pub fn problem(&self, insecure_http: bool) -> Option<String> {
        match self.backend {
            BlobBackend::Local => None,
            BlobBackend::S3 => {
                BlobStore::validate_s3(&self.s3_settings(insecure_http), &self.s3_prefix).err()
            }
        }
    }

    /// Opens the configured store; staging files go under `<data_dir>/blobs`.
    pub fn open(&self, data_dir: &Path, insecure_http: bool) -> Result<BlobStore, String> {
        let root = data_dir.join("blobs");
        match self.backend {
            BlobBackend::Local => {
                BlobStore::open(&root).map_err(|e| format!("{}: {e}", root.display()))
            }
            BlobBackend::S3 => {
                BlobStore::open_s3(&root, &self.s3_settings(insecure_http), &self.s3_prefix)
            }
        }
    }
}

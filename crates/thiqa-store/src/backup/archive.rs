//! The backup file: a ZIP whose `manifest.json` lists every part with its
//! size and SHA-256. ZIP because every operator can list and open one; the
//! manifest because a restore must prove each part, not trust the archive.
//!
//! Reading never trusts a name or a size from the file: parts are looked up
//! by the names the manifest gives after they are checked against a fixed
//! pattern, and each is read up to its declared size only.

use std::io::{Read, Seek, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use thiqa_domain::text::{hex, is_sha256_hex};

pub(super) const MANIFEST: &str = "manifest.json";
pub(super) const DATABASE: &str = "thiqa.db";
pub(super) const FORMAT: &str = "thiqa-backup";
pub(super) const FORMAT_VERSION: u32 = 1;
/// A manifest lists about 100 bytes per evidence file: 64 MiB is over half
/// a million files, and bounds what a hostile file can make us hold.
const MAX_MANIFEST: u64 = 64 << 20;

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub thiqa_version: String,
    /// Unix seconds when the snapshot was taken.
    pub created_at: i64,
    pub database: Part,
    pub migrations: Vec<i64>,
    /// Whether the signing keys were put in (`--without-keys` leaves them
    /// to the operator; the restore then uses the ones already in place).
    pub keys_included: bool,
    pub keys: Vec<Part>,
    pub evidence: Evidence,
}

/// One file of the archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Part {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Evidence {
    /// `local`: every file is in the archive under `blobs/sha256/<hash>`;
    /// `s3`: the files stayed in the bucket, listed here.
    pub storage: String,
    /// Where they were (for messages: the bucket a restore must reach).
    pub location: String,
    pub files: Vec<EvidenceFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct EvidenceFile {
    pub sha256: String,
    pub size: u64,
}

pub(super) fn blob_name(sha256: &str) -> String {
    format!("blobs/sha256/{sha256}")
}

pub(super) fn key_name(file: &str) -> String {
    format!("keys/{file}")
}

/// A key file's name as the data directory holds it (`journal.ed25519`):
/// plain, no directory, so no part can be written outside `keys/`.
pub(super) fn is_key_file_name(name: &str) -> bool {
    name.len() <= 64
        && name.ends_with(".ed25519")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        && !name.starts_with('.')
}

impl Manifest {
    /// The problems a manifest from an unknown source may have.
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("its manifest is not a {FORMAT} manifest"));
        }
        if self.format_version != FORMAT_VERSION {
            return Err(format!(
                "backup format {} is unknown to this version (it reads format {FORMAT_VERSION})",
                self.format_version
            ));
        }
        if self.database.name != DATABASE || !is_sha256_hex(&self.database.sha256) {
            return Err("its manifest names no database".into());
        }
        for key in &self.keys {
            let file = key.name.strip_prefix("keys/").unwrap_or_default();
            if !is_key_file_name(file) || !is_sha256_hex(&key.sha256) {
                return Err(format!("its manifest names a strange key {:?}", key.name));
            }
        }
        if !matches!(self.evidence.storage.as_str(), "local" | "s3") {
            return Err(format!(
                "evidence storage {:?} is unknown",
                self.evidence.storage
            ));
        }
        if let Some(bad) = self
            .evidence
            .files
            .iter()
            .find(|f| !is_sha256_hex(&f.sha256))
        {
            return Err(format!(
                "its manifest lists a strange evidence hash {:?}",
                bad.sha256
            ));
        }
        Ok(())
    }
}

/// Writes parts into the ZIP while hashing them.
pub(super) struct ArchiveWriter<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    /// Every part is dated with the snapshot (listings otherwise show 1980).
    modified: zip::DateTime,
}

impl<W: Write + Seek> ArchiveWriter<W> {
    pub fn new(out: W, created_at: i64) -> Self {
        let (y, m, d, hh, mm, ss) =
            thiqa_journal::Timestamp::from_unix_seconds_clamped(created_at).utc_fields();
        let modified = zip::DateTime::from_date_and_time(
            u16::try_from(y).unwrap_or(1980),
            m as u8,
            d as u8,
            hh as u8,
            mm as u8,
            ss as u8,
        )
        .unwrap_or_default();
        ArchiveWriter {
            zip: zip::ZipWriter::new(out),
            modified,
        }
    }

    /// Adds `reader` as `name`; `compress` for the database (text-heavy),
    /// not for evidence (usually PDF, images, archives: already compressed).
    pub fn add(
        &mut self,
        name: &str,
        reader: &mut dyn Read,
        compress: bool,
    ) -> std::io::Result<Part> {
        let options = SimpleFileOptions::default()
            .compression_method(if compress {
                CompressionMethod::Deflated
            } else {
                CompressionMethod::Stored
            })
            .compression_level(compress.then_some(1))
            .large_file(true)
            .last_modified_time(self.modified)
            .unix_permissions(0o600);
        self.zip.start_file(name, options).map_err(zip_err)?;
        let mut hashing = HashingReader::new(reader);
        std::io::copy(&mut hashing, &mut self.zip)?;
        let (size, sha256) = hashing.finish();
        Ok(Part {
            name: name.to_string(),
            size,
            sha256,
        })
    }

    /// Writes the manifest and the ZIP directory; returns the sink.
    pub fn finish(mut self, manifest: &Manifest) -> std::io::Result<W> {
        let json = serde_json::to_vec_pretty(manifest)?;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(self.modified)
            .unix_permissions(0o600);
        self.zip.start_file(MANIFEST, options).map_err(zip_err)?;
        self.zip.write_all(&json)?;
        self.zip.finish().map_err(zip_err)
    }
}

/// Reads parts of a backup, each checked against what the manifest says.
pub(super) struct ArchiveReader {
    /// Buffered: reading a part's header unbuffered is a dozen tiny reads.
    zip: zip::ZipArchive<std::io::BufReader<std::fs::File>>,
}

impl ArchiveReader {
    pub fn open(path: &Path) -> Result<ArchiveReader, String> {
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let zip = zip::ZipArchive::new(std::io::BufReader::with_capacity(64 << 10, file)).map_err(
            |e| format!("not a backup archive (made by an older thiqa backup, or damaged): {e}"),
        )?;
        Ok(ArchiveReader { zip })
    }

    pub fn manifest(&mut self) -> Result<Manifest, String> {
        let entry = self
            .zip
            .by_name(MANIFEST)
            .map_err(|_| format!("it has no {MANIFEST}"))?;
        let mut json = Vec::new();
        entry
            .take(MAX_MANIFEST + 1)
            .read_to_end(&mut json)
            .map_err(|e| format!("{MANIFEST}: {e}"))?;
        if json.len() as u64 > MAX_MANIFEST {
            return Err(format!(
                "{MANIFEST} is larger than {} MiB",
                MAX_MANIFEST >> 20
            ));
        }
        let manifest: Manifest =
            serde_json::from_slice(&json).map_err(|e| format!("{MANIFEST}: {e}"))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Copies part `name` into `to`, reading at most `size` bytes, and
    /// checks its size and SHA-256. Not synced: the restore syncs the whole
    /// file system once before it puts anything in place.
    pub fn extract(
        &mut self,
        name: &str,
        size: u64,
        sha256: &str,
        to: &Path,
    ) -> Result<(), String> {
        let entry = self.zip.by_name(name).map_err(|_| {
            format!("{name} is listed in the manifest but missing from the archive")
        })?;
        let mut out = private_file(to).map_err(|e| format!("{}: {e}", to.display()))?;
        let mut hashing = HashingReader::new(entry.take(size + 1));
        std::io::copy(&mut hashing, &mut out).map_err(|e| format!("{name}: {e}"))?;
        let (read, digest) = hashing.finish();
        if read != size || digest != sha256 {
            return Err(format!(
                "{name} is damaged: {read} bytes hashing to {digest}, the manifest says {size} bytes hashing to {sha256}"
            ));
        }
        Ok(())
    }
}

/// A new file readable by its owner only (parts may be signing keys).
pub(super) fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Counts and hashes what passes through.
pub(super) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// (bytes read, SHA-256 hex).
    pub fn finish(self) -> (u64, String) {
        (self.size, hex(&self.hasher.finalize()))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

fn zip_err(e: zip::result::ZipError) -> std::io::Error {
    match e {
        // A full disk stays a full disk in the message.
        zip::result::ZipError::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    }
}

//! The qualification dossier: one ZIP archive holding the statement of
//! applicability, the assessment, the action plan and the evidence files,
//! with a manifest (every file's SHA-256 and size, catalog version, service
//! profile, generation time, generator version) signed with the provider's
//! Ed25519 dossier key. `verify` names every file altered, added or removed.
//! Files are streamed into the archive, never held whole in memory; the
//! generated documents are compressed, evidence files are stored as they
//! are (mostly compressed already: PDF, images, office files, archives), so
//! a dossier of large evidence is written at the disk's speed rather than
//! the compressor's.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};

use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use thiqa_domain::text::hex;
use zip::write::SimpleFileOptions;

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
/// Bytes read from an evidence file at a time.
const COPY_BUFFER: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum DossierError {
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

/// What goes into the archive: a name and where its bytes come from.
pub enum Source {
    Bytes(Vec<u8>),
    /// Large content (evidence files), opened only when its turn comes so
    /// that one is open at a time.
    Stream(Opener),
}

/// Opens the bytes of a [`Source::Stream`].
pub type Opener = Box<dyn FnOnce() -> std::io::Result<Box<dyn Read + Send>> + Send>;

/// A written archive and the SHA-256 (hex) of its manifest, which names the
/// dossier: the build journals it, so the dossier's issue is provable.
pub struct Built<W> {
    pub out: W,
    pub manifest_sha256: String,
}

/// How people compare dossier keys: the hex SHA-256 of the 32-byte Ed25519
/// public key, first 16 bytes (the dossier's key id in the journal too).
#[must_use]
pub fn key_fingerprint(public_key: &[u8; 32]) -> String {
    hex(&Sha256::digest(public_key)[..16])
}

/// Writes the archive: every file (hashed while copied), then the manifest
/// and its signature. `meta` is merged into the manifest.
pub fn build<W: Write + Seek>(
    out: W,
    files: Vec<(String, Source)>,
    meta: Value,
    key: &SigningKey,
) -> Result<Built<W>, DossierError> {
    let mut zip = zip::ZipWriter::new(out);
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let stored = options.compression_method(zip::CompressionMethod::Stored);
    let mut listed = Vec::new();
    let mut buf = Vec::new();
    for (name, source) in files {
        if name == MANIFEST || name == SIGNATURE {
            return Err(DossierError::Invalid(format!("{name} is reserved")));
        }
        let file_options = match source {
            Source::Bytes(_) => options,
            Source::Stream(_) => stored,
        };
        zip.start_file(name.as_str(), file_options)?;
        let mut hashing = HashingWriter {
            inner: &mut zip,
            hasher: Sha256::new(),
            size: 0,
        };
        match source {
            Source::Bytes(b) => hashing.write_all(&b)?,
            Source::Stream(open) => {
                // Large reads and writes (std::io::copy would use 8 KiB).
                buf.resize(COPY_BUFFER, 0);
                let mut f = open()?;
                loop {
                    let n = f.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    hashing.write_all(&buf[..n])?;
                }
            }
        }
        let (sha, size) = (hex(&hashing.hasher.finalize()), hashing.size);
        listed.push(json!({"path": name, "sha256": sha, "size": size}));
    }
    let mut manifest = meta;
    manifest["files"] = Value::Array(listed);
    manifest["public_key"] = Value::String(hex(key.verifying_key().as_bytes()));
    manifest["signature_algorithm"] =
        Value::String("Ed25519 over the bytes of manifest.json".into());
    let manifest_bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| DossierError::Invalid(e.to_string()))?;
    zip.start_file(MANIFEST, options)?;
    zip.write_all(&manifest_bytes)?;
    let signature = key.sign(&manifest_bytes);
    zip.start_file(SIGNATURE, options)?;
    zip.write_all(
        base64::engine::general_purpose::STANDARD
            .encode(signature.to_bytes())
            .as_bytes(),
    )?;
    Ok(Built {
        out: zip.finish()?,
        manifest_sha256: hex(&Sha256::digest(&manifest_bytes)),
    })
}

struct HashingWriter<'a, W: Write> {
    inner: &'a mut W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for HashingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What verification found; `ok()` when nothing is wrong.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub signature_valid: bool,
    /// Public key of the signer, hex (compare with the provider's published key).
    pub public_key: String,
    /// Its [`key_fingerprint`]; empty when the manifest holds no key.
    pub fingerprint: String,
    pub altered: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub checked: usize,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.signature_valid
            && self.altered.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
    }
}

/// Refuses an archive that another reader could see otherwise than this
/// check does: two entries of one name (tools disagree on which one is
/// "the" file, so an altered copy beside the signed one could pass), a
/// local header naming another file than the central directory, bytes
/// hidden between entries, or a comment (a dossier has none).
fn check_structure<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<(), DossierError> {
    if zip.has_duplicate_names() {
        return Err(DossierError::Invalid(
            "refused: the archive holds two entries of the same name (a second copy of a file or of the manifest)".into(),
        ));
    }
    if !zip.comment().is_empty() {
        return Err(DossierError::Invalid(
            "refused: the archive has a comment (a Thiqa dossier has none)".into(),
        ));
    }
    zip.validate_header_consistency().map_err(|e| {
        DossierError::Invalid(format!(
            "refused: the local file headers differ from the central directory ({e})"
        ))
    })
}

/// Checks the archive's structure, the signature (strict Ed25519) and
/// every file's hash and size.
pub fn verify<R: Read + Seek>(archive: R) -> Result<Report, DossierError> {
    let mut zip = zip::ZipArchive::new(archive)?;
    check_structure(&mut zip)?;
    let manifest_bytes = read_entry(&mut zip, MANIFEST)?
        .ok_or_else(|| DossierError::Invalid("no manifest.json: not a Thiqa dossier".into()))?;
    let manifest: Value = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| DossierError::Invalid(format!("manifest.json: {e}")))?;
    let public_key = manifest["public_key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let key_bytes = thiqa_domain::text::from_hex32(&public_key);
    let fingerprint = key_bytes.as_ref().map(key_fingerprint).unwrap_or_default();
    let signature_valid = (|| {
        let key = VerifyingKey::from_bytes(&key_bytes?).ok()?;
        let sig_text = read_entry(&mut zip, SIGNATURE).ok()??;
        let sig_bytes = base64::engine::general_purpose::STANDARD
            .decode(sig_text.trim_ascii())
            .ok()?;
        let sig = Signature::from_slice(&sig_bytes).ok()?;
        // Strict: no small-order key or R, no malleable signature (as the
        // journal's checkpoints are checked).
        Some(key.verify_strict(&manifest_bytes, &sig).is_ok())
    })()
    .unwrap_or(false);
    let mut expected: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for f in manifest["files"].as_array().into_iter().flatten() {
        let path = f["path"].as_str().unwrap_or_default().to_string();
        expected.insert(
            path,
            (
                f["sha256"].as_str().unwrap_or_default().to_string(),
                f["size"].as_u64().unwrap_or(0),
            ),
        );
    }
    let mut report = Report {
        signature_valid,
        public_key,
        fingerprint,
        ..Default::default()
    };
    let names: std::collections::BTreeSet<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.to_string()))
        .collect::<Result<_, _>>()?;
    for name in &names {
        if name == MANIFEST || name == SIGNATURE {
            continue;
        }
        let Some((sha, size)) = expected.get(name) else {
            report.added.push(name.clone());
            continue;
        };
        // Read at most one byte past the size the manifest states: an
        // entry that inflates without end is altered, not hashed forever.
        let mut entry = zip.by_name(name)?.take(size + 1);
        let mut hasher = Sha256::new();
        let mut n = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let k = entry.read(&mut buf)?;
            if k == 0 {
                break;
            }
            hasher.update(&buf[..k]);
            n += k as u64;
        }
        report.checked += 1;
        if &hex(&hasher.finalize()) != sha || n != *size {
            report.altered.push(name.clone());
        }
    }
    report.removed = expected
        .keys()
        .filter(|k| !names.contains(*k))
        .cloned()
        .collect();
    Ok(report)
}

/// The manifest and the signature are small; a dossier received from
/// outside may claim otherwise (a zip bomb), so reading stops past this.
const MAX_CONTROL_ENTRY: u64 = 16 << 20;

fn read_entry<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<Option<Vec<u8>>, DossierError> {
    match zip.by_name(name) {
        Ok(e) => {
            let mut v = Vec::new();
            e.take(MAX_CONTROL_ENTRY + 1).read_to_end(&mut v)?;
            if v.len() as u64 > MAX_CONTROL_ENTRY {
                return Err(DossierError::Invalid(format!(
                    "{name} is larger than {} MiB: not a Thiqa dossier",
                    MAX_CONTROL_ENTRY >> 20
                )));
            }
            Ok(Some(v))
        }
        Err(zip::result::ZipError::FileNotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn dossier(files: Vec<(&str, &[u8])>) -> Vec<u8> {
        let files = files
            .into_iter()
            .map(|(n, b)| (n.to_string(), Source::Bytes(b.to_vec())))
            .collect();
        build(
            Cursor::new(Vec::new()),
            files,
            json!({"service": "IaaS"}),
            &key(),
        )
        .unwrap()
        .out
        .into_inner()
    }

    /// Rewrites an archive through `edit` (name, bytes) → Some(new bytes) or None to drop.
    fn rewrite(
        archive: &[u8],
        edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>,
        extra: Option<(&str, &[u8])>,
    ) -> Vec<u8> {
        let mut zin = zip::ZipArchive::new(Cursor::new(archive)).unwrap();
        let mut zout = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..zin.len() {
            let mut e = zin.by_index(i).unwrap();
            let name = e.name().unwrap().to_string();
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            if let Some(b) = edit(&name, b) {
                zout.start_file(name.as_str(), SimpleFileOptions::default())
                    .unwrap();
                zout.write_all(&b).unwrap();
            }
        }
        if let Some((n, b)) = extra {
            zout.start_file(n, SimpleFileOptions::default()).unwrap();
            zout.write_all(b).unwrap();
        }
        zout.finish().unwrap().into_inner()
    }

    #[test]
    fn an_untouched_dossier_verifies() {
        let d = dossier(vec![
            ("soa.csv", b"id,status\n"),
            ("evidence/policy.pdf", b"%PDF-1.7 ..."),
        ]);
        let r = verify(Cursor::new(d)).unwrap();
        assert!(r.ok(), "{r:?}");
        assert_eq!(r.checked, 2);
        assert_eq!(r.public_key, hex(key().verifying_key().as_bytes()));
    }

    #[test]
    fn a_dossier_that_inflates_without_end_is_refused_or_named() {
        let d = dossier(vec![("soa.csv", b"id,status\n")]);
        // 20 MiB of JSON-valid blanks behind a small compressed manifest.
        let bloated = rewrite(
            &d,
            |n, mut b| {
                if n == MANIFEST {
                    b.extend(std::iter::repeat_n(b' ', 20 << 20));
                }
                Some(b)
            },
            None,
        );
        let err = verify(Cursor::new(bloated)).unwrap_err().to_string();
        assert!(err.contains("larger than"), "{err}");
        // A file far larger than the manifest says is altered, read no further.
        let grown = rewrite(
            &d,
            |n, b| {
                Some(if n == "soa.csv" {
                    vec![b'x'; 4 << 20]
                } else {
                    b
                })
            },
            None,
        );
        assert_eq!(verify(Cursor::new(grown)).unwrap().altered, vec!["soa.csv"]);
    }

    #[test]
    fn altered_added_and_removed_files_are_named() {
        let d = dossier(vec![
            ("soa.csv", b"id,status\n"),
            ("evidence/policy.pdf", b"%PDF-1.7 ..."),
        ]);
        let flipped = rewrite(
            &d,
            |n, mut b| {
                if n == "evidence/policy.pdf" {
                    b[0] ^= 1;
                }
                Some(b)
            },
            None,
        );
        let r = verify(Cursor::new(flipped)).unwrap();
        assert_eq!(r.altered, vec!["evidence/policy.pdf"]);
        assert!(r.signature_valid && !r.ok());
        let removed = rewrite(&d, |n, b| (n != "soa.csv").then_some(b), None);
        assert_eq!(
            verify(Cursor::new(removed)).unwrap().removed,
            vec!["soa.csv"]
        );
        let added = rewrite(&d, |_, b| Some(b), Some(("extra.txt", b"hello")));
        assert_eq!(verify(Cursor::new(added)).unwrap().added, vec!["extra.txt"]);
        let forged = rewrite(
            &d,
            |n, b| {
                Some(if n == MANIFEST {
                    String::from_utf8(b)
                        .unwrap()
                        .replace("IaaS", "SaaS")
                        .into_bytes()
                } else {
                    b
                })
            },
            None,
        );
        assert!(
            !verify(Cursor::new(forged)).unwrap().signature_valid,
            "an edited manifest breaks the signature"
        );
    }
}

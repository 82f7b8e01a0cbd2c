//! The journal's signing key: `<data_dir>/keys/journal.ed25519`, the 32-byte
//! Ed25519 seed in hex, created on first use, readable by its owner only —
//! the same arrangement as the dossier key (`thiqa-server`'s `dossier.rs`).
//!
//! Kept in the store crate because the store is what signs checkpoints and
//! every binary that opens the store (server, CLI) needs the same key. With
//! PostgreSQL and several instances, `<data_dir>/keys` must be shared between
//! them like `<data_dir>/blobs`, or each instance would sign with its own key
//! and refuse to resume from another's checkpoint.
//!
//! The file holds only the seed; the key name is the origin given at load,
//! so the published verifier key (`<origin>+<id>+<key>`) names the log.

use std::io::Write;
use std::path::Path;

use thiqa_journal::NoteSigner;

use super::JournalError;
use thiqa_domain::text::hex;

/// Path of the key file under the data directory.
pub const JOURNAL_KEY_FILE: &str = "keys/journal.ed25519";

/// The journal signer of `origin`: loads `<data_dir>/keys/journal.ed25519`,
/// or creates it (mode 0600) when absent.
///
/// Creation writes a temporary file and links it into place, which fails if
/// another process created the key meanwhile; we then read theirs. So two
/// instances starting together never end up with two keys.
pub fn journal_signer(data_dir: &Path, origin: &str) -> Result<NoteSigner, JournalError> {
    let path = data_dir.join(JOURNAL_KEY_FILE);
    let err = |message: String| JournalError::Key {
        path: path.clone(),
        message,
    };
    let signer = |seed: &[u8; 32]| {
        NoteSigner::from_seed(origin, seed)
            .map_err(|e| err(format!("origin {origin:?} is not a valid key name: {e}")))
    };
    if let Some(existing) = existing_journal_signer(data_dir, origin)? {
        return Ok(existing);
    }
    let dir = path.parent().unwrap_or(data_dir);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
    let seed = thiqa_crypto::secret_seed().map_err(|e| err(e.to_string()))?;
    let tmp = dir.join(format!("journal.ed25519.{}.tmp", std::process::id()));
    write_private(&tmp, hex(seed.as_slice()).as_bytes()).map_err(|e| err(e.to_string()))?;
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(target: "thiqa::journal", path = %path.display(), "journal signing key created");
            signer(&seed)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let seed = read_seed(&path)
                .map_err(&err)?
                .ok_or_else(|| err("vanished while being created".into()))?;
            signer(&seed)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// The journal signer of `origin` if `<data_dir>/keys/journal.ed25519`
/// exists; never creates one (a restore checks a backup with the key it
/// carries or the one already in place, and must not invent a third).
pub fn existing_journal_signer(
    data_dir: &Path,
    origin: &str,
) -> Result<Option<NoteSigner>, JournalError> {
    let path = data_dir.join(JOURNAL_KEY_FILE);
    let err = |message: String| JournalError::Key {
        path: path.clone(),
        message,
    };
    match read_seed(&path).map_err(&err)? {
        None => Ok(None),
        Some(seed) => NoteSigner::from_seed(origin, &seed)
            .map(Some)
            .map_err(|e| err(format!("origin {origin:?} is not a valid key name: {e}"))),
    }
}

fn read_seed(path: &Path) -> Result<Option<[u8; 32]>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => thiqa_domain::text::from_hex32(&text)
            .map(Some)
            .ok_or_else(|| "not a 32-byte hex key".to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_once_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let a = journal_signer(dir.path(), "thiqa.test/j").unwrap();
        let b = journal_signer(dir.path(), "thiqa.test/j").unwrap();
        assert_eq!(a.verifier(), b.verifier());
        assert_eq!(a.name(), "thiqa.test/j");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(JOURNAL_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(journal_signer(dir.path(), "bad name").is_err());
        std::fs::write(dir.path().join(JOURNAL_KEY_FILE), "zz").unwrap();
        assert!(journal_signer(dir.path(), "thiqa.test/j").is_err());
    }
}

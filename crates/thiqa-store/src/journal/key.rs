//! The journal's signer: the journal signing key ([`crate::signing_keys`])
//! named after the log's origin, so the published verifier key
//! (`<origin>+<id>+<key>`) names the log.
//!
//! Kept in the store crate because the store is what signs checkpoints and
//! every binary that opens the store (server, CLI) needs the same key.

use std::path::Path;

use thiqa_journal::NoteSigner;

use super::JournalError;
use crate::signing_keys::{file_seed, KeyCustody, KeyError, SigningKeyName};
use crate::Store;

/// Path of the key file under the data directory (files custody).
pub const JOURNAL_KEY_FILE: &str = "keys/journal.ed25519";

/// The journal signer of `origin` from `<data_dir>/keys/journal.ed25519`,
/// created (mode 0600) when absent.
pub fn journal_signer(data_dir: &Path, origin: &str) -> Result<NoteSigner, JournalError> {
    let seed = file_seed(data_dir, SigningKeyName::Journal, true).map_err(key_error)?;
    signer(origin, seed.as_deref(), data_dir)?.ok_or_else(|| JournalError::Key {
        path: data_dir.join(JOURNAL_KEY_FILE),
        message: "vanished while being created".into(),
    })
}

/// The journal signer of `origin` if `<data_dir>/keys/journal.ed25519`
/// exists; never creates one (a restore checks a backup with the key it
/// carries or the one already in place, and must not invent a third).
pub fn existing_journal_signer(
    data_dir: &Path,
    origin: &str,
) -> Result<Option<NoteSigner>, JournalError> {
    let seed = file_seed(data_dir, SigningKeyName::Journal, false).map_err(key_error)?;
    signer(origin, seed.as_deref(), data_dir)
}

impl Store {
    /// The journal signer of `origin` under `custody`: created by
    /// `instance` when absent and `create`, else `None` when absent.
    pub async fn journal_signer(
        &self,
        custody: &KeyCustody,
        origin: &str,
        create: bool,
        instance: &str,
    ) -> Result<Option<NoteSigner>, JournalError> {
        let seed = self
            .signing_seed(custody, SigningKeyName::Journal, create, instance)
            .await
            .map_err(key_error)?;
        signer(origin, seed.as_deref(), custody.data_dir())
    }
}

fn signer(
    origin: &str,
    seed: Option<&[u8; 32]>,
    data_dir: &Path,
) -> Result<Option<NoteSigner>, JournalError> {
    seed.map(|seed| {
        NoteSigner::from_seed(origin, seed).map_err(|e| JournalError::Key {
            path: data_dir.join(JOURNAL_KEY_FILE),
            message: format!("origin {origin:?} is not a valid key name: {e}"),
        })
    })
    .transpose()
}

fn key_error(e: KeyError) -> JournalError {
    match e {
        KeyError::Unusable { place, message, .. } => JournalError::Key {
            path: place.into(),
            message,
        },
        KeyError::Store(e) => JournalError::from(e),
    }
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

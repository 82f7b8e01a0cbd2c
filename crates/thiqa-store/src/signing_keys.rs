//! Where the journal and dossier signing keys live, and the one way to get
//! them: [`Store::signing_seed`].
//!
//! Two custodies, chosen by the configuration:
//! - **Files** (the default, one instance): `<data_dir>/keys/<name>.ed25519`,
//!   the 32-byte Ed25519 seed in hex, readable by its owner only.
//! - **Database** (a wrapping key is configured; several instances on one
//!   PostgreSQL): table `signing_keys`, each seed sealed with AES-256-GCM
//!   under the wrapping key and bound to its name. Every instance then signs
//!   with the same keys without sharing files, and a dump of the database
//!   alone yields no key. A key already in a file is moved into the database
//!   the first time it is needed, so switching custody keeps the keys that
//!   signed the journal and the dossiers so far.
//!
//! Creation never yields two keys: the file is linked into place (which
//! fails if another process linked one first) and the row is inserted with
//! `ON CONFLICT DO NOTHING`; the loser reads the winner's key.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiqa_crypto::seal::WrappingKey;
use thiqa_domain::text::hex;
use zeroize::Zeroizing;

use crate::connect::Store;
use crate::error::StoreError;

/// The signing keys Thiqa keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningKeyName {
    /// Signs the journal's checkpoints.
    Journal,
    /// Signs the qualification dossiers' manifests.
    Dossier,
}

impl SigningKeyName {
    /// The key's name in the database and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningKeyName::Journal => "journal",
            SigningKeyName::Dossier => "dossier",
        }
    }

    /// Its file under the data directory (files custody).
    pub fn file(self) -> &'static str {
        match self {
            SigningKeyName::Journal => "keys/journal.ed25519",
            SigningKeyName::Dossier => "keys/dossier.ed25519",
        }
    }

    /// The label the sealed seed is bound to: a row copied under another
    /// name does not open.
    fn seal_label(self) -> String {
        format!("thiqa signing key {}", self.as_str())
    }
}

/// Where the signing keys are kept (see the module's documentation).
#[derive(Clone, Debug)]
pub struct KeyCustody {
    data_dir: PathBuf,
    wrapping: Option<Arc<WrappingKey>>,
}

impl KeyCustody {
    /// Keys in files under `data_dir/keys`.
    pub fn files(data_dir: &Path) -> KeyCustody {
        KeyCustody {
            data_dir: data_dir.to_path_buf(),
            wrapping: None,
        }
    }

    /// Keys sealed in the database under `wrapping`; a key still in a file
    /// under `data_dir/keys` is moved into the database when first needed.
    pub fn database(data_dir: &Path, wrapping: WrappingKey) -> KeyCustody {
        KeyCustody {
            data_dir: data_dir.to_path_buf(),
            wrapping: Some(Arc::new(wrapping)),
        }
    }

    /// The data directory whose `keys/` holds the key files.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// True when the keys are sealed in the database.
    pub fn in_database(&self) -> bool {
        self.wrapping.is_some()
    }

    /// Reads a wrapping key file: 64 hexadecimal digits (32 bytes), as
    /// `thiqa keys new-wrapping-key` writes it.
    pub fn read_wrapping_key(path: &Path) -> Result<WrappingKey, String> {
        let text = read_bounded(path, 1024)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .ok_or_else(|| format!("{}: no such file", path.display()))?;
        let bytes = thiqa_domain::text::from_hex32(&text)
            .map(Zeroizing::new)
            .ok_or_else(|| {
                format!(
                    "{}: not a wrapping key (64 hexadecimal digits expected)",
                    path.display()
                )
            })?;
        Ok(WrappingKey::from_bytes(&bytes))
    }
}

/// A signing key that cannot be read, created or unsealed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{name} signing key ({place}): {message}")]
    Unusable {
        name: &'static str,
        place: String,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The wrapping key file a new deployment writes (`thiqa keys
/// new-wrapping-key`): a fresh key in hex, mode 0600, never overwriting.
pub fn write_new_wrapping_key(path: &Path) -> std::io::Result<()> {
    let key = WrappingKey::generate().map_err(std::io::Error::other)?;
    write_private(path, format!("{}\n", hex(key.as_slice())).as_bytes())
}

impl Store {
    /// The seed of signing key `name` under `custody`. When absent: created
    /// if `create` (by `instance`, named in the row for operators), else
    /// `None` — read commands never create a key, since a new key is not
    /// the one that signed what they read.
    pub async fn signing_seed(
        &self,
        custody: &KeyCustody,
        name: SigningKeyName,
        create: bool,
        instance: &str,
    ) -> Result<Option<Zeroizing<[u8; 32]>>, KeyError> {
        let Some(wrapping) = &custody.wrapping else {
            return file_seed(&custody.data_dir, name, create);
        };
        if let Some(seed) = self.sealed_seed(wrapping, name).await? {
            return Ok(Some(seed));
        }
        // Not in the database yet: a key in a file moves in (it signed what
        // is already there); otherwise a new one, if asked for.
        let seed = match file_seed(&custody.data_dir, name, false)? {
            // A reader uses the file's key without moving it (it may hold
            // the database read-only); the next writer moves it.
            Some(seed) if !create => return Ok(Some(seed)),
            Some(seed) => seed,
            None if create => thiqa_crypto::secret_seed().map_err(|e| KeyError::Unusable {
                name: name.as_str(),
                place: "random source".into(),
                message: e.to_string(),
            })?,
            None => return Ok(None),
        };
        let sealed = wrapping
            .seal(&name.seal_label(), seed.as_slice())
            .map_err(|e| unusable(name, e.to_string()))?;
        let mut w = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO signing_keys (name, sealed, created_ms, created_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.as_str())
        .bind(sealed)
        .bind(self.clock.now_ms())
        .bind(instance)
        .execute(&mut *w.tx)
        .await
        .map_err(StoreError::from)?
        .rows_affected();
        w.commit().await?;
        if inserted == 1 {
            tracing::info!(target: "thiqa::keys", key = name.as_str(), "signing key sealed in the database");
        }
        // Whoever inserted first, the database's key is the key.
        self.sealed_seed(wrapping, name)
            .await?
            .map(Some)
            .ok_or_else(|| unusable(name, "vanished while being created".into()))
    }

    async fn sealed_seed(
        &self,
        wrapping: &WrappingKey,
        name: SigningKeyName,
    ) -> Result<Option<Zeroizing<[u8; 32]>>, KeyError> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT sealed FROM signing_keys WHERE name = $1")
                .bind(name.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::from)?;
        let Some((sealed,)) = row else {
            return Ok(None);
        };
        let opened = wrapping.open(&name.seal_label(), &sealed).map_err(|_| {
            unusable(
                name,
                "the configured wrapping key does not open the key stored in the database \
                 (another wrapping key, or the row was altered)"
                    .into(),
            )
        })?;
        let seed: [u8; 32] = opened
            .as_slice()
            .try_into()
            .map_err(|_| unusable(name, "the stored key is not 32 bytes".into()))?;
        Ok(Some(Zeroizing::new(seed)))
    }
}

fn unusable(name: SigningKeyName, message: String) -> KeyError {
    KeyError::Unusable {
        name: name.as_str(),
        place: "database".into(),
        message,
    }
}

/// The seed in `data_dir/<name's file>`, created (mode 0600) when absent
/// and `create`.
///
/// Creation writes a temporary file and links it into place, which fails if
/// another process created the key meanwhile; we then read theirs. So two
/// processes starting together never end up with two keys.
pub fn file_seed(
    data_dir: &Path,
    name: SigningKeyName,
    create: bool,
) -> Result<Option<Zeroizing<[u8; 32]>>, KeyError> {
    let path = data_dir.join(name.file());
    let err = |message: String| KeyError::Unusable {
        name: name.as_str(),
        place: path.display().to_string(),
        message,
    };
    if let Some(seed) = read_seed(&path).map_err(&err)? {
        return Ok(Some(seed));
    }
    if !create {
        return Ok(None);
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
    let tmp = dir.join(format!("{}.{}.tmp", name.as_str(), std::process::id()));
    write_private(&tmp, hex(seed.as_slice()).as_bytes()).map_err(|e| err(e.to_string()))?;
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(target: "thiqa::keys", path = %path.display(), "signing key created");
            Ok(Some(seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_seed(&path)
            .map_err(&err)?
            .map(Some)
            .ok_or_else(|| err("vanished while being created".into())),
        Err(e) => Err(err(e.to_string())),
    }
}

fn read_seed(path: &Path) -> Result<Option<Zeroizing<[u8; 32]>>, String> {
    match read_bounded(path, 1024) {
        Ok(Some(text)) => thiqa_domain::text::from_hex32(&text)
            .map(|seed| Some(Zeroizing::new(seed)))
            .ok_or_else(|| "not a 32-byte key in hexadecimal".to_owned()),
        Ok(None) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// A small text file read whole, refused past `limit` bytes (a key file is
/// 64 digits; a huge file there is a mistake, not a key).
fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Option<Zeroizing<String>>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut text = Zeroizing::new(String::new());
    file.take(limit + 1).read_to_string(&mut text)?;
    if text.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "larger than {limit} bytes: not a key file"
        )));
    }
    Ok(Some(text))
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

/// This instance's name (host and process), written where several
/// instances sharing a database record who did what: background job claims
/// and signing keys' creation.
pub fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

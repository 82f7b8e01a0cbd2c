//! What every handler shares.

use std::sync::Arc;

use thiqa_blobs::BlobStore;
use thiqa_catalog::Catalog;
use thiqa_crypto::password::{HashParams, PasswordHasher};
use thiqa_crypto::strength::PasswordPolicy;
use thiqa_domain::LockoutPolicy;
use thiqa_store::{KeyCustody, SessionPolicy, Store};

use crate::config::Config;
use crate::i18n::I18n;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

pub struct Shared {
    pub store: Store,
    pub config: Config,
    pub i18n: I18n,
    pub hasher: PasswordHasher,
    pub password_policy: PasswordPolicy,
    pub lockout: LockoutPolicy,
    pub sessions: SessionPolicy,
    pub metrics: Metrics,
    pub catalog: &'static Catalog,
    /// Evidence files (content-addressed), under `<data_dir>/blobs`.
    pub blobs: BlobStore,
    /// Where the signing keys are: files under `<data_dir>/keys`, or sealed
    /// in the database under the configured wrapping key.
    pub keys: KeyCustody,
    /// The journal's checkpoint key, read (or created) once at start,
    /// named after `journal.origin`.
    pub journal_signer: thiqa_journal::NoteSigner,
    /// The dossier key once read (it is created by the first dossier).
    pub dossier_key: std::sync::OnceLock<ed25519_dalek::SigningKey>,
    /// The addresses the listeners actually bound (a configured port 0
    /// becomes a real one), set by `serve` once both listen.
    pub bound: BoundAddresses,
}

#[derive(Default)]
pub struct BoundAddresses {
    pub public: std::sync::OnceLock<std::net::SocketAddr>,
    pub admin: std::sync::OnceLock<std::net::SocketAddr>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("password settings: {0}")]
    Password(#[from] thiqa_crypto::CryptoError),
    #[error("message files: {0}")]
    Messages(String),
    #[error("{0}")]
    JournalKey(String),
    #[error("evidence storage: {0}")]
    Blobs(String),
}

impl AppState {
    /// The shared state; reads (or creates) the journal signing key.
    pub async fn new(store: Store, config: Config) -> Result<AppState, StateError> {
        let hasher = PasswordHasher::new(HashParams {
            memory_kib: config.password.argon2_memory_kib,
            iterations: config.password.argon2_iterations,
            parallelism: config.password.argon2_parallelism,
        })?;
        let password_policy =
            PasswordPolicy::new(config.password.min_length, 128, config.password.min_score)?;
        let lockout = LockoutPolicy {
            threshold: config.lockout.threshold,
            release_after_s: config.lockout.release_after_minutes * 60,
        };
        let sessions = SessionPolicy {
            idle_s: config.session.idle_minutes * 60,
            absolute_s: config.session.absolute_hours * 3600,
        };
        let blobs = config.blob_store().map_err(StateError::Blobs)?;
        let keys = config.key_custody().map_err(StateError::JournalKey)?;
        let journal_signer = store
            .journal_signer(
                &keys,
                &config.journal.origin,
                true,
                &thiqa_store::instance_name(),
            )
            .await
            .map_err(|e| StateError::JournalKey(e.to_string()))?
            .ok_or_else(|| StateError::JournalKey("the journal key was not created".into()))?;
        Ok(AppState(Arc::new(Shared {
            blobs,
            keys,
            journal_signer,
            dossier_key: std::sync::OnceLock::new(),
            store,
            i18n: I18n::load().map_err(StateError::Messages)?,
            hasher,
            password_policy,
            lockout,
            sessions,
            metrics: Metrics::default(),
            catalog: thiqa_catalog::dgssi_cloud_2025(),
            bound: BoundAddresses::default(),
            config,
        })))
    }

    /// Whether a listener of this realm serves HTTPS (cookies get `Secure`).
    pub fn tls_for(&self, dir: thiqa_domain::Directory) -> bool {
        match dir {
            thiqa_domain::Directory::Operators => self.config.admin_tls.enabled(),
            thiqa_domain::Directory::Customers => self.config.tls.enabled(),
        }
    }
}

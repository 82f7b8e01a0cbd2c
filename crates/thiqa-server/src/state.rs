//! What every handler shares.

use std::sync::Arc;

use thiqa_app::App;
use thiqa_store::Store;

use crate::config::Config;
use crate::i18n::I18n;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

pub struct Shared {
    /// The use cases' shared parts (store, catalog, evidence files, keys,
    /// lockout and sign-in rules); `app.store` and the like reach them through `Deref`.
    pub core: App,
    pub config: Config,
    pub i18n: I18n,
    pub metrics: Metrics,
    /// The journal's checkpoint key, read (or created) once at start,
    /// named after `journal.origin`.
    pub journal_signer: thiqa_journal::NoteSigner,
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

impl std::ops::Deref for Shared {
    type Target = App;
    fn deref(&self) -> &App {
        &self.core
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// What the configuration sets for the use cases is unusable (it
    /// names which: evidence storage, keys, password settings).
    #[error("{0}")]
    Setup(String),
    #[error("message files: {0}")]
    Messages(String),
    #[error("{0}")]
    JournalKey(String),
}

impl AppState {
    /// The shared state; reads (or creates) the journal signing key.
    pub async fn new(store: Store, config: Config) -> Result<AppState, StateError> {
        let core = config.app(store).map_err(StateError::Setup)?;
        let journal_signer = core
            .store
            .journal_signer(
                &core.keys,
                &config.journal.origin,
                true,
                &thiqa_store::instance_name(),
            )
            .await
            .map_err(|e| StateError::JournalKey(e.to_string()))?
            .ok_or_else(|| StateError::JournalKey("the journal key was not created".into()))?;
        Ok(AppState(Arc::new(Shared {
            core,
            journal_signer,
            i18n: I18n::load().map_err(StateError::Messages)?,
            metrics: Metrics::default(),
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

//! What every use case shares: storage, the référentiel, evidence files and
//! the signing keys' custody.

use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use thiqa_blobs::BlobStore;
use thiqa_catalog::Catalog;
use thiqa_domain::LockoutPolicy;
use thiqa_store::{KeyCustody, Store};

use crate::signin::SignInRules;

pub struct App {
    pub store: Store,
    pub catalog: &'static Catalog,
    /// Evidence files (content-addressed): a local directory or S3.
    pub blobs: BlobStore,
    /// Where the signing keys are: files under `<data_dir>/keys`, or sealed
    /// in the database under the configured wrapping key.
    pub keys: KeyCustody,
    /// When failed sign-ins lock an account and when the lock releases: the
    /// sign-in applies it, the account lists show it.
    pub lockout: LockoutPolicy,
    /// Password hashing and strength, session lifetimes, attempt limits.
    pub sign_in: SignInRules,
    /// The dossier key once read (it is created by the first dossier).
    pub(crate) dossier_key: OnceLock<SigningKey>,
}

impl App {
    /// The use cases' parts; `Config::app` (thiqa-server) builds them from
    /// the configuration for the server and the command line alike.
    pub fn new(
        store: Store,
        blobs: BlobStore,
        keys: KeyCustody,
        lockout: LockoutPolicy,
        sign_in: SignInRules,
    ) -> App {
        App {
            store,
            catalog: thiqa_catalog::dgssi_cloud_2025(),
            blobs,
            keys,
            lockout,
            sign_in,
            dossier_key: OnceLock::new(),
        }
    }
}

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
    pub fn new(store: Store, blobs: BlobStore, keys: KeyCustody) -> App {
        App {
            store,
            catalog: thiqa_catalog::dgssi_cloud_2025(),
            blobs,
            keys,
            lockout: LockoutPolicy::default(),
            sign_in: SignInRules::default(),
            dossier_key: OnceLock::new(),
        }
    }

    /// The same, with the configured lockout policy (the default is 5
    /// failures, released after 15 minutes).
    pub fn with_lockout(self, lockout: LockoutPolicy) -> App {
        App { lockout, ..self }
    }

    /// The same, with the configured sign-in rules (the default: Argon2id
    /// at OWASP's minimum cost, the default password policy, 30-minute idle
    /// and 12-hour sessions, 30 attempts per address and 10 per account
    /// every 5 minutes).
    pub fn with_sign_in(self, sign_in: SignInRules) -> App {
        App { sign_in, ..self }
    }
}

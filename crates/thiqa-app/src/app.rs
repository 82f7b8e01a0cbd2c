//! What every use case shares: storage, the référentiel, evidence files and
//! the signing keys' custody.

use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use thiqa_blobs::BlobStore;
use thiqa_catalog::Catalog;
use thiqa_store::{KeyCustody, Store};

pub struct App {
    pub store: Store,
    pub catalog: &'static Catalog,
    /// Evidence files (content-addressed): a local directory or S3.
    pub blobs: BlobStore,
    /// Where the signing keys are: files under `<data_dir>/keys`, or sealed
    /// in the database under the configured wrapping key.
    pub keys: KeyCustody,
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
            dossier_key: OnceLock::new(),
        }
    }
}

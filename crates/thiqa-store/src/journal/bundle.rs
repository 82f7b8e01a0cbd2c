//! The self-contained inclusion proof file: everything an auditor needs to
//! check, offline and with only the published verifier key, that one event
//! is in the journal as signed.
//!
//! ```json
//! {
//!   "format": "thiqa-journal-inclusion-proof/1",
//!   "index": 3,
//!   "tree_size": 10,
//!   "leaf": "54514a4501…",            // the leaf bytes, hex
//!   "audit_path": ["9f2c…", "…"],     // RFC 9162 §2.1.3 path, bottom-up, hex
//!   "checkpoint": "thiqa.local/journal\n10\n…\n\n— thiqa.local/journal …\n"
//! }
//! ```
//!
//! JSON with hex because any tool reads it; the leaf's own format is in
//! `crates/thiqa-journal/FORMAT.md`. Nothing in the file is trusted except
//! through the checks of [`InclusionBundle::verify`].

use serde::{Deserialize, Serialize};
use thiqa_journal::merkle::{leaf_hash, verify_inclusion, ProofError};
use thiqa_journal::{Checkpoint, CheckpointError, Event, EventError, Hash, NoteVerifier};

/// Value of the `format` field.
pub const FORMAT: &str = "thiqa-journal-inclusion-proof/1";

/// Proof that leaf `index` is in the signed tree of `tree_size` leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionBundle {
    pub index: u64,
    pub tree_size: u64,
    pub leaf: Vec<u8>,
    pub audit_path: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    format: String,
    index: u64,
    tree_size: u64,
    leaf: String,
    audit_path: Vec<String>,
    checkpoint: String,
}

/// Why a proof file does not prove anything.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not a Thiqa journal proof file: {0}")]
    Malformed(String),
    /// Not signed by the given key, or not a checkpoint.
    #[error("checkpoint rejected: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("the proof is for a tree of {proof} leaves but the checkpoint is for {checkpoint}")]
    SizeMismatch { proof: u64, checkpoint: u64 },
    /// The leaf is not in the signed tree (or the file was altered).
    #[error("inclusion proof does not verify: {0}")]
    Inclusion(#[from] ProofError),
}

/// What a verified bundle establishes.
#[derive(Debug, Clone)]
pub struct VerifiedInclusion {
    /// The log, as named in the signed checkpoint.
    pub origin: String,
    pub index: u64,
    pub tree_size: u64,
    pub root: Hash,
    /// The decoded event (an error if the leaf is not a Thiqa event, which
    /// does not affect the inclusion itself).
    pub event: Result<Event, EventError>,
}

use thiqa_domain::text::hex as to_hex;

fn from_hex(s: &str, what: &str) -> Result<Vec<u8>, BundleError> {
    thiqa_domain::text::from_hex(s)
        .ok_or_else(|| BundleError::Malformed(format!("{what} is not hex")))
}

impl InclusionBundle {
    /// The proof file's text (pretty JSON).
    #[must_use]
    pub fn to_json(&self) -> String {
        let wire = Wire {
            format: FORMAT.to_owned(),
            index: self.index,
            tree_size: self.tree_size,
            leaf: to_hex(&self.leaf),
            audit_path: self.audit_path.iter().map(|h| to_hex(h)).collect(),
            checkpoint: self.checkpoint.clone(),
        };
        let mut text = serde_json::to_string_pretty(&wire).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses a proof file (no check beyond its shape).
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        let wire: Wire =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed(e.to_string()))?;
        if wire.format != FORMAT {
            return Err(BundleError::Malformed(format!(
                "format {:?}, expected {FORMAT:?}",
                wire.format
            )));
        }
        let audit_path = wire
            .audit_path
            .iter()
            .map(|h| {
                from_hex(h, "audit path hash")?
                    .try_into()
                    .map_err(|_| BundleError::Malformed("audit path hash is not 32 bytes".into()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            index: wire.index,
            tree_size: wire.tree_size,
            leaf: from_hex(&wire.leaf, "leaf")?,
            audit_path,
            checkpoint: wire.checkpoint,
        })
    }

    /// Checks, with only the log's verifier key: the checkpoint's signature,
    /// that it is for the proof's tree size, and that the leaf is at `index`
    /// of that tree.
    pub fn verify(&self, key: &NoteVerifier) -> Result<VerifiedInclusion, BundleError> {
        // The origin is the checkpoint's first line; the signature check
        // below is what makes it trustworthy.
        let origin = self.checkpoint.split('\n').next().unwrap_or_default();
        let checkpoint = Checkpoint::open(
            self.checkpoint.as_bytes(),
            origin,
            std::slice::from_ref(key),
        )?;
        if checkpoint.size() != self.tree_size {
            return Err(BundleError::SizeMismatch {
                proof: self.tree_size,
                checkpoint: checkpoint.size(),
            });
        }
        verify_inclusion(
            &leaf_hash(&self.leaf),
            self.index,
            self.tree_size,
            &self.audit_path,
            checkpoint.root(),
        )?;
        Ok(VerifiedInclusion {
            origin: checkpoint.origin().to_owned(),
            index: self.index,
            tree_size: self.tree_size,
            root: *checkpoint.root(),
            event: Event::from_leaf(&self.leaf),
        })
    }
}

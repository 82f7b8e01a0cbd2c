//! The only component that should hold the log's signing key.
//!
//! C2SP tlog-checkpoint: "A log MUST NOT sign any checkpoint which is
//! inconsistent with any checkpoint it previously signed." Two signed,
//! inconsistent heads are a proof of misbehaviour (a split view); for a
//! qualified provider that would void the journal as evidence. So signing
//! goes through a [`Checkpointer`] that remembers the last head it signed and
//! signs a new one only with a valid consistency proof from it. Since
//! consistency is transitive, checking against the last one is enough.
//!
//! The caller must persist each signed checkpoint before publishing it and
//! use [`Checkpointer::resume`] after a restart; [`Checkpointer::new`] is for
//! a log that has never signed anything.

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::keys::NoteSigner;
use crate::merkle::{
    consistency_proof, empty_root, tree_root, verify_consistency, Hash, NodeReader, ProofError,
    TreeError,
};

/// Why the checkpointer refused to sign.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The new head would be smaller than one already signed.
    #[error("tree size {size} is smaller than the last signed size {last}")]
    Rollback { last: u64, size: u64 },
    /// The new head does not extend the last signed one.
    #[error("tree at size {size} is inconsistent with the last signed checkpoint")]
    Inconsistent {
        size: u64,
        #[source]
        cause: ProofError,
    },
    /// The tree could not be read to compute the head or proof.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The checkpoint could not be formed or its last state reopened.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// Signs checkpoints of one log, never two inconsistent ones.
#[derive(Debug)]
pub struct Checkpointer {
    origin: String,
    signer: NoteSigner,
    last: Option<Checkpoint>,
}

impl Checkpointer {
    /// A checkpointer for a log that has never signed a checkpoint.
    pub fn new(origin: &str, signer: NoteSigner) -> Result<Self, SignError> {
        Checkpoint::new(origin, 0, [0; 32])?; // validates the origin
        Ok(Self {
            origin: origin.to_owned(),
            signer,
            last: None,
        })
    }

    /// Resumes from the last checkpoint this log signed (as persisted),
    /// after checking that it is indeed signed by this key for this origin.
    pub fn resume(origin: &str, signer: NoteSigner, last_signed: &[u8]) -> Result<Self, SignError> {
        let last = Checkpoint::open(last_signed, origin, &[signer.verifier()])?;
        Ok(Self {
            origin: origin.to_owned(),
            signer,
            last: Some(last),
        })
    }

    /// The last checkpoint signed (or resumed from).
    #[must_use]
    pub fn last(&self) -> Option<&Checkpoint> {
        self.last.as_ref()
    }

    /// Signs the head `(size, root)` if `proof` shows that it extends the
    /// last signed head. Returns the signed note.
    pub fn sign(&mut self, size: u64, root: Hash, proof: &[Hash]) -> Result<String, SignError> {
        if size == 0 && root != empty_root() {
            return Err(SignError::Inconsistent {
                size,
                cause: ProofError::RootMismatch,
            });
        }
        if let Some(last) = &self.last {
            if size < last.size() {
                return Err(SignError::Rollback {
                    last: last.size(),
                    size,
                });
            }
            verify_consistency(last.size(), size, last.root(), &root, proof)
                .map_err(|cause| SignError::Inconsistent { size, cause })?;
        }
        let checkpoint = Checkpoint::new(&self.origin, size, root)?;
        let signed = checkpoint.sign(&self.signer)?;
        self.last = Some(checkpoint);
        Ok(signed)
    }

    /// Computes the head at `size` and the consistency proof from the last
    /// signed head out of the stored tree, then signs as [`sign`](Self::sign)
    /// does. A tree whose stored hashes were altered since the last
    /// checkpoint fails the proof and is not signed.
    pub fn sign_tree<R: NodeReader + ?Sized>(
        &mut self,
        tree: &R,
        size: u64,
    ) -> Result<String, SignError> {
        let root = tree_root(tree, size)?;
        let proof = match &self.last {
            Some(last) if last.size() <= size => consistency_proof(tree, last.size(), size)?,
            _ => Vec::new(),
        };
        self.sign(size, root, &proof)
    }
}

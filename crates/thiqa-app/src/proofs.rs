//! The journal's public proofs, which anyone may ask for without an
//! account (an auditor's or a customer's verifier, offline): the latest
//! signed checkpoint and RFC 9162 inclusion and consistency proofs against
//! signed tree sizes only, so a proof always ties to a signature.

use thiqa_store::StoredCheckpoint;

use crate::{App, AppError};

/// A leaf's inclusion in a signed tree.
pub struct Inclusion {
    pub tree_size: u64,
    pub leaf_hash: [u8; 32],
    pub audit_path: Vec<[u8; 32]>,
}

/// A signed tree's consistency with a later one.
pub struct Consistency {
    pub to: u64,
    pub proof: Vec<[u8; 32]>,
}

/// Why a proof cannot be given.
#[derive(Debug)]
pub enum ProofRefusal {
    /// No checkpoint was signed at that size (or none at all yet).
    NoCheckpoint,
    /// The leaf index or sizes are outside the signed tree (the sentence
    /// names the bound).
    OutOfRange(String),
}

/// The latest signed checkpoint, if any was signed yet.
pub async fn latest_checkpoint(app: &App) -> Result<Option<StoredCheckpoint>, AppError> {
    Ok(app.store.journal_latest_checkpoint().await?)
}

/// The size to prove against: `size`, which must be a signed checkpoint's,
/// or the latest checkpoint's.
async fn signed_size(app: &App, size: Option<u64>) -> Result<Result<u64, ProofRefusal>, AppError> {
    let found = match size {
        Some(s) => app.store.journal_checkpoint_at(s).await?,
        None => app.store.journal_latest_checkpoint().await?,
    };
    Ok(found.map(|c| c.size).ok_or(ProofRefusal::NoCheckpoint))
}

/// The inclusion proof of leaf `index` in the signed tree of `size`
/// (None: the latest).
pub async fn inclusion(
    app: &App,
    index: u64,
    size: Option<u64>,
) -> Result<Result<Inclusion, ProofRefusal>, AppError> {
    let size = match signed_size(app, size).await? {
        Ok(size) => size,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if index >= size {
        return Ok(Err(ProofRefusal::OutOfRange(format!(
            "index must be below the tree size {size}"
        ))));
    }
    let audit_path = app
        .store
        .journal_inclusion_proof(index, size)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let leaf = app
        .store
        .journal_leaf(index)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Ok(Inclusion {
        tree_size: size,
        leaf_hash: leaf.leaf_hash,
        audit_path,
    }))
}

/// The consistency proof from the signed tree of `from` to the signed
/// tree of `to` (None: the latest).
pub async fn consistency(
    app: &App,
    from: u64,
    to: Option<u64>,
) -> Result<Result<Consistency, ProofRefusal>, AppError> {
    let to = match signed_size(app, to).await? {
        Ok(size) => size,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if let Err(refusal) = signed_size(app, Some(from)).await? {
        return Ok(Err(refusal));
    }
    if from == 0 || from > to {
        return Ok(Err(ProofRefusal::OutOfRange(format!(
            "from must be between 1 and {to}"
        ))));
    }
    let proof = app
        .store
        .journal_consistency_proof(from, to)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Ok(Consistency { to, proof }))
}

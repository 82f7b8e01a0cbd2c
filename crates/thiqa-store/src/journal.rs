//! The tamper-evident journal in storage (référentiel 3.8.6: events kept so
//! that any later alteration shows).
//!
//! [`thiqa_journal`] is the pure core (Merkle tree, checkpoints, proofs,
//! verification); this module keeps its rows in the database:
//!
//! - every security event is appended as a leaf ([`append`]) by
//!   [`crate::events`], in the transaction of the change it records, so a
//!   change and its leaf commit together or not at all;
//! - checkpoints are signed on demand, only after checking consistency with
//!   the last stored one ([`Store::journal_sign_checkpoint`]);
//! - proofs are computed from the stored subtree hashes ([`nodes`]), and a
//!   full verification streams every row ([`verify`]);
//! - the signing key lives in `<data_dir>/keys/journal.ed25519` ([`key`]), the
//!   offline proof file is [`InclusionBundle`] ([`bundle`]).
//!
//! The checkpoint's key name is the log's origin: [`journal_signer`] names
//! the key after the origin it is given, so one `NoteSigner` carries both.

mod append;
mod bundle;
mod columns;
mod file;
mod key;
mod nodes;
mod proofs;
mod search;
mod tenant_read;
mod verify;

use std::path::PathBuf;

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use thiqa_domain::Tenant;
use thiqa_journal::merkle::{consistency_proof, tree_root, TreeError};
use thiqa_journal::{Checkpointer, Hash, NoteSigner, SignError};

use crate::connect::Store;
use crate::error::StoreError;

pub(crate) use append::{append_leaf, LeafMeta};
pub(crate) use append::{append_leaves, lock_for_writing, multi_row_insert, NewLeaf, LEAF_CHUNK};
pub use bundle::{BundleError, InclusionBundle, VerifiedInclusion};
pub use columns::{ColumnProblem, Columns};
pub use key::{existing_journal_signer, journal_signer, JOURNAL_KEY_FILE};
pub use search::{
    JournalSearch, SearchCursor, SearchHit, SearchPage, SEARCH_LIMIT_MAX, SEARCH_PAGE,
    SEARCH_SCAN_MAX,
};
pub use tenant_read::{LeafQuery, LEAF_PAGE_MAX};
pub use thiqa_journal::THIQA_SOURCE;
pub use verify::{HeadProblem, JournalVerification, JOURNAL_VERIFY_BATCH};

/// Origin (log name, and key name) used when the caller has no other.
pub const DEFAULT_JOURNAL_ORIGIN: &str = "thiqa.local/journal";

/// Why a journal operation failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The signing key file could not be read or created.
    #[error("journal key {}: {message}", path.display())]
    Key { path: PathBuf, message: String },
    /// The checkpointer refused: the new head does not extend the last
    /// signed one, or the last stored checkpoint is not ours.
    #[error("checkpoint refused: {0}")]
    Sign(#[from] SignError),
    /// A tree hash needed for a proof is missing or out of range.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// No stored checkpoint has this size.
    #[error("no checkpoint of size {0} is stored")]
    NoCheckpoint(u64),
    /// The leaf is beyond every stored checkpoint.
    #[error("leaf {index} is not covered by a checkpoint (the latest covers {size} leaves); sign one first")]
    NotCovered { index: u64, size: u64 },
    /// Stored rows disagree with each other (altered storage): nothing is
    /// signed or proven from them.
    #[error("journal storage is inconsistent: {0}")]
    Inconsistent(String),
}

impl From<sqlx::Error> for JournalError {
    fn from(e: sqlx::Error) -> Self {
        JournalError::Store(StoreError::Database(e))
    }
}

/// The stored tree head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalHead {
    /// Number of leaves.
    pub size: u64,
    /// Merkle tree head (from the stored compact range).
    pub root: Hash,
    /// Chain value of the last row.
    pub chain: Hash,
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCheckpoint {
    pub id: i64,
    pub size: u64,
    pub root: Hash,
    /// The C2SP signed note, exactly as signed.
    pub note: String,
    pub created_at_ms: i64,
}

/// One stored leaf row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLeaf {
    pub index: u64,
    /// Canonical event bytes ([`thiqa_journal::Event::from_leaf`] decodes them).
    pub leaf: Vec<u8>,
    pub leaf_hash: Hash,
    pub chain: Hash,
    pub event_time_ms: i64,
    pub received_time_ms: i64,
    pub tenant: Option<Tenant>,
    pub source: String,
    /// `security_events.id`, for Thiqa's own events.
    pub event_id: Option<i64>,
}

/// The SQL condition selecting `tenant`'s leaves, its kind written as a
/// literal so the planner can use that kind's partial indexes (migration
/// 0012), followed by `tenant_id = ` and the caller's parameter for the id.
/// The kind is one of two constants of [`Tenant::parts`], never input.
pub(crate) fn tenant_condition(tenant: Tenant) -> &'static str {
    match tenant.parts().0 {
        "organisation" => "tenant_kind = 'organisation' AND tenant_id = ",
        _ => "tenant_kind = 'provider' AND tenant_id = ",
    }
}

pub(crate) fn to_hash(bytes: &[u8], what: &str) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what}: {} bytes, not 32", bytes.len())))
}

pub(crate) fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{n} exceeds the index range")))
}

pub(crate) fn to_u64(n: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} is negative ({n})")))
}

const CHECKPOINT_COLUMNS: &str = "id, size, root, note, created_at_ms";

fn checkpoint_from_row(row: &sqlx::any::AnyRow) -> Result<StoredCheckpoint, StoreError> {
    checkpoint_from_columns(
        row.try_get("id")?,
        row.try_get("size")?,
        &row.try_get::<Vec<u8>, _>("root")?,
        row.try_get("note")?,
        row.try_get("created_at_ms")?,
    )
}

fn checkpoint_from_columns(
    id: i64,
    size: i64,
    root: &[u8],
    note: String,
    created_at_ms: i64,
) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        id,
        size: to_u64(size, "checkpoint size")?,
        root: to_hash(root, "checkpoint root")?,
        note,
        created_at_ms,
    })
}

/// The checkpoint of exactly `size` leaves (the first stored), or the
/// latest (largest) when `size` is None.
async fn checkpoint_on(
    conn: &mut AnyConnection,
    size: Option<u64>,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let row = match size {
        Some(s) => {
            let sql = format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM journal_checkpoints WHERE size = $1 ORDER BY id LIMIT 1"
            );
            sqlx::query(&sql)
                .bind(to_i64(s)?)
                .fetch_optional(conn)
                .await?
        }
        None => {
            let sql = format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM journal_checkpoints ORDER BY size DESC, id DESC LIMIT 1"
            );
            sqlx::query(&sql).fetch_optional(conn).await?
        }
    };
    row.as_ref().map(checkpoint_from_row).transpose()
}

impl Store {
    /// The current tree head.
    pub async fn journal_head(&self) -> Result<JournalHead, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let head = append::read_head(&mut conn, false).await?;
        Ok(JournalHead {
            size: head.range.size(),
            root: head.range.root(),
            chain: head.chain,
        })
    }

    /// Appends an event from another source than Thiqa's own security events
    /// (those are appended by every store change). Returns its index.
    pub async fn journal_append(&self, event: &thiqa_journal::Event) -> Result<u64, StoreError> {
        let leaf = event
            .to_leaf()
            .map_err(|e| StoreError::Corrupt(format!("journal event: {e}")))?;
        let tenant = event.tenant.as_deref().and_then(Tenant::from_text);
        let mut w = self.write().await?;
        w.leaves_sessions();
        append::lock_for_writing(&mut w.tx).await?;
        let index = append_leaf(
            &mut w.tx,
            &leaf,
            &LeafMeta {
                event_time_ms: event.event_time.unix_millis(),
                received_time_ms: event.received_time.unix_millis(),
                tenant,
                source: &event.source,
                event_id: columns::event_id_of(&event.source, || {
                    event.attributes.get("event_id").map(String::as_str)
                }),
            },
        )
        .await?;
        w.commit().await?;
        Ok(index)
    }

    /// Signs a checkpoint of the current head with `signer` (whose name is
    /// the log origin) and stores it.
    ///
    /// The head is locked meanwhile (appenders wait a few milliseconds), so
    /// checkpoints are stored in tree order. The checkpointer resumes from
    /// the last stored note and signs only if a consistency proof, computed
    /// from the stored subtrees, shows that the current tree extends it; the
    /// root from the subtrees must also equal the head row's. When nothing
    /// was appended since the last checkpoint, that one is returned (the
    /// signature would be the same bytes).
    pub async fn journal_sign_checkpoint(
        &self,
        signer: &NoteSigner,
    ) -> Result<StoredCheckpoint, JournalError> {
        let origin = signer.name().to_owned();
        let mut w = self.write().await?;
        w.leaves_sessions();
        append::lock_for_writing(&mut w.tx).await?;
        let head = append::read_head(&mut w.tx, true).await?;
        let size = head.range.size();
        let last = checkpoint_on(&mut w.tx, None).await?;
        let mut checkpointer = match &last {
            Some(c) => Checkpointer::resume(&origin, signer.clone(), c.note.as_bytes())?,
            None => Checkpointer::new(&origin, signer.clone())?,
        };
        if let Some(c) = &last {
            if c.size == size && c.root == head.range.root() {
                return Ok(c.clone());
            }
        }
        let last_size = last.as_ref().map_or(0, |c| c.size).min(size);
        let (root, proof) = nodes::compute(&mut w.tx, head.levels, |r| {
            Ok((tree_root(r, size)?, consistency_proof(r, last_size, size)?))
        })
        .await?;
        if root != head.range.root() {
            return Err(JournalError::Inconsistent(format!(
                "the stored subtrees give another root at size {size} than the head row"
            )));
        }
        let note = checkpointer.sign(size, root, &proof)?;
        let now = self.clock.now_ms();
        let sql = format!(
            "INSERT INTO journal_checkpoints (size, root, note, created_at_ms) \
             VALUES ($1, $2, $3, $4) RETURNING {CHECKPOINT_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(to_i64(size)?)
            .bind(root.to_vec())
            .bind(&note)
            .bind(now)
            .fetch_one(&mut *w.tx)
            .await?;
        let stored = checkpoint_from_row(&row)?;
        w.commit().await?;
        tracing::info!(target: "thiqa::journal", size, "journal checkpoint signed");
        Ok(stored)
    }

    /// The checkpoint of the largest size, if any.
    pub async fn journal_latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        checkpoint_on(&mut conn, None).await
    }

    /// The (first) checkpoint stored for exactly `size` leaves.
    pub async fn journal_checkpoint_at(
        &self,
        size: u64,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        // A size no database column can hold names no checkpoint (asked
        // from outside, e.g. `?from=9223372036854775809`): none, not a fault.
        if i64::try_from(size).is_err() {
            return Ok(None);
        }
        let mut conn = self.pool.acquire().await?;
        checkpoint_on(&mut conn, Some(size)).await
    }

    /// Every stored checkpoint, oldest first.
    pub async fn journal_checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let sql = format!("SELECT {CHECKPOINT_COLUMNS} FROM journal_checkpoints ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(checkpoint_from_row).collect()
    }

    /// Leaf rows `from..from + limit` (at most 10 000), in index order.
    pub async fn journal_leaves(
        &self,
        from: u64,
        limit: u64,
    ) -> Result<Vec<JournalLeaf>, StoreError> {
        let limit = limit.min(10_000);
        if let Some(file) = &self.file_reads {
            return file.run(move |conn| file::leaves(conn, from, limit)).await;
        }
        let mut conn = self.pool.acquire().await?;
        append::read_leaves(&mut conn, from, limit).await
    }

    /// One leaf row.
    pub async fn journal_leaf(&self, index: u64) -> Result<Option<JournalLeaf>, StoreError> {
        Ok(self
            .journal_leaves(index, 1)
            .await?
            .into_iter()
            .find(|l| l.index == index))
    }
}

//! Thiqa's tamper-evident event journal, the core without storage or I/O.
//!
//! The DGSSI qualification asks a cloud provider to keep security events in a
//! way that shows any later alteration. The journal does this the way
//! Certificate Transparency does:
//!
//! - each event becomes canonical leaf bytes ([`Event::to_leaf`], format in
//!   `FORMAT.md`) appended to an RFC 9162 Merkle tree ([`merkle`], [`Appender`]);
//! - the log periodically signs its tree head as a C2SP checkpoint
//!   ([`Checkpoint`], [`note`]) through a [`Checkpointer`], which never signs
//!   two inconsistent heads;
//! - anyone with the published verifier key can check that an event is in the
//!   log ([`merkle::verify_inclusion`]), that the log only grew
//!   ([`merkle::verify_consistency`]), or re-verify everything and be told the
//!   first altered row ([`verify_log`]).
//!
//! Storage (SQLite/PostgreSQL) lives elsewhere and plugs in through
//! [`merkle::NodeReader`] and the rows produced by [`Appender::append`].

pub mod append;
pub mod checkpoint;
pub mod checkpointer;
pub mod event;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod time;
pub mod verify;

pub use append::{chain_hash, AppendedLeaf, Appender};
pub use checkpoint::{Checkpoint, CheckpointError};
pub use checkpointer::{Checkpointer, SignError};
pub use event::{Event, EventError, LeafFields, Outcome, Severity, THIQA_SOURCE};
pub use keys::{KeyError, NoteSigner, NoteVerifier};
pub use merkle::Hash;
pub use note::{NoteError, SignedNote};
pub use time::{Timestamp, TimestampError};
pub use verify::{verify_log, FirstBad, LeafRecord, LogVerifier, Problem, Report};

//! Thiqa's storage. One [`Store`] speaks to embedded SQLite (the default, no
//! configuration) or to PostgreSQL (several `thiqa` instances sharing one
//! database).
//!
//! How a query is written, the one way for both backends: each is one SQL
//! text, in the portable dialect below, next to the function that needs it.
//! Writes run in a transaction (`Store::write`, sqlx's `Any` driver, the
//! event and its journal leaf in the same commit). Reads run either on the
//! pool (`sqlx::query(..).fetch_*(&self.pool)`) or, for the reads a busy
//! page makes on every request, through `Store::read` (module `reads`),
//! which runs the same text on the native driver of each backend (rusqlite
//! on the calling thread for SQLite, sqlx's PostgreSQL driver) and returns
//! rows decoded by column name alike: no query is written twice, and
//! `tests/schema_parity.rs` fails when the two migration sets disagree.
//!
//! Tenant data is reached only through a scope (module `scope`):
//! `store.provider(p)` for what a provider owns, `store.tenant(t)` for what
//! a tenant administers in its directory. Every query under a scope is
//! bound to its tenant; the unscoped readers are private to this crate.
//!
//! Portable SQL rules, kept by every module here: `$1` placeholders, integers
//! as BIGINT (booleans are 0/1, times are Unix seconds or milliseconds UTC),
//! text as TEXT, `RETURNING` for new ids, `ON CONFLICT` for upserts.

mod account_setup;
mod accounts;
mod actions;
mod alerts;
mod assessment_cache;
mod assessment_rows;
mod assessments;
mod audits;
mod auth_cache;
mod backup;
mod connect;
mod contracts;
mod directory_tables;
mod error;
mod events;
mod evidence;
mod evidence_versions;
mod file_reads;
mod findings;
mod incident_preferences;
mod intake;
mod jobs;
mod journal;
mod notices;
mod notices_received;
mod outbox;
mod passwords;
mod ratelimit;
mod reads;
mod rights_error;
mod rights_guard;
mod rights_requests;
mod role_permissions;
mod roles;
mod scope;
mod services;
mod sessions;
mod signing_keys;
mod support;
mod support_received;
mod support_register;
mod tenants;
mod tokens;
mod webhooks;

pub use accounts::{
    username_unavailable_refusal, Account, AccountStatus, LoginFailure, NewAccount, SecondFactor,
};
pub use actions::{ActionItem, NewAction, ACTION_STATUSES};
pub use alerts::{
    format_window, parse_sigma, parse_window, Acknowledgement, Alert, AlertCursor, AlertQuery,
    AlertRun, AlertSeverity, Condition, Field, Pattern, Rule, RuleError, RuleSet, ALERT_BATCH,
    DEFAULT_RULES, MAX_ACK_COMMENT, MAX_THRESHOLD, MAX_WINDOW_MS,
};
pub use assessment_rows::{Assessment, AssessmentChange, AssessmentSet};
pub use audits::{Engagement, NewEngagement};
pub use backup::{
    check_backup, database_missing_from, interrupted_restore, lock_data_dir, mark_data_dir,
    restore_into, BackupError, BackupOptions, BackupSummary, EvidenceFiles, EvidenceFuture,
    RestoreCheck, RestoreReport, RestoreRequest, HELD_DATA_MARKER, RESTORE_MARKER,
};
pub use connect::{Backend, DatabaseLocation, Store};
pub use contracts::{
    ClauseRecord, ClauseState, Contact, Contract, ContractDetail, NewContract, CONTACT_ROLES,
};
pub use error::{Refusal, StoreError};
pub use events::{alert_event_severity, Actor, EventFilter, NewEvent, Outcome, SecurityEvent};
pub use evidence::{Evidence, NewEvidence};
pub use evidence_versions::{EvidenceVersion, NewEvidenceVersion};
pub use findings::{Finding, NewFinding, FINDING_SEVERITIES, FINDING_STATUSES};
pub use incident_preferences::IncidentPreference;
pub use intake::bench::BASELINE_TABLE as INTAKE_BASELINE_TABLE;
pub use intake::{BatchKey, CreatedIntakeSource, IntakeError, IntakeReceipt, IntakeSource};
pub use journal::{
    existing_journal_signer, journal_signer, BundleError, ColumnProblem, Columns, HeadProblem,
    InclusionBundle, JournalError, JournalHead, JournalLeaf, JournalVerification, LeafQuery,
    StoredCheckpoint, VerifiedInclusion, DEFAULT_JOURNAL_ORIGIN, JOURNAL_KEY_FILE,
    JOURNAL_VERIFY_BATCH, LEAF_PAGE_MAX, THIQA_SOURCE,
};
pub use journal::{
    JournalSearch, SearchCursor, SearchHit, SearchPage, SEARCH_LIMIT_MAX, SEARCH_PAGE,
    SEARCH_SCAN_MAX,
};
pub use notices::{
    DeadDelivery, DeliveryCounts, NewNotice, Notice, NoticeDetail, NoticeSent, NoticeSummary,
    NoticeTarget, ANSWERS,
};
pub use notices_received::{NoticeAnswer, ReceivedNotice};
pub use outbox::{Delivery, DeliveryOutcome, LinkMail, OutboxCounts, WebhookTarget};
pub use rights_error::{AssignmentError, AuditorViolation, SelfChange};
pub use rights_guard::AUDITOR_INCOMPATIBLE;
pub use rights_requests::RightsRequest;
pub use roles::{Change, HeldRight, Role};
pub use scope::{ProviderScope, TenantScope};
pub use services::{NewService, Service, Site};
pub use sessions::{Session, SessionPolicy};
pub use signing_keys::{
    file_seed, instance_name, write_new_wrapping_key, KeyCustody, KeyError, SigningKeyName,
};
pub use support::{
    CandidateRequest, NewSupportRequest, SupportCandidates, SupportDetail, SupportRequest,
    SupportSession,
};
pub use support_register::{JumpHost, Vetting, VettingRow};
pub use tenants::Organisation;
pub use thiqa_intake::{
    parse_batch, parse_syslog, valid_source_name, BatchContext, BatchRefusal, IntakeLimits,
    LineError, MAX_REPORTED_ERRORS, THIQA_SD_ID,
};
pub use tokens::{ApiToken, ApiTokenOwner};
pub use webhooks::{WebhookEndpoint, ROTATION_OVERLAP_MS};

mod tx;
mod versions;
/// The write transaction shared by the modules (tx.rs: never reused after
/// a failed COMMIT).
pub(crate) use tx::Tx;

//! Infrastructure events as they arrive at the intake, read into journal
//! events: NDJSON batches (`POST /api/v1/journal/intake`) and syslog
//! messages (RFC 5424, RFC 3164). Pure: the caller reads the bytes and
//! appends what comes out; every size is bounded before anything is held.

pub mod ndjson;
pub mod syslog;

pub use ndjson::{
    parse_batch, valid_source_name, BatchContext, BatchRefusal, IntakeLimits, LineError,
    MAX_REPORTED_ERRORS,
};
pub use syslog::{parse_syslog, THIQA_SD_ID};

//! What a use case answers when it does not do what was asked. The edges
//! turn each kind into their own form (a page, an API error, a CLI message);
//! only `Internal` hides its cause from the user.

use thiqa_store::{Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing of that id in the caller's tenant (another tenant's id is
    /// answered the same way, so ids reveal nothing).
    #[error("not found")]
    NotFound,
    /// The caller may not do this.
    #[error("forbidden")]
    Forbidden,
    /// A rule refused the change; nothing was saved.
    #[error("{}", .0.english())]
    Refused(Refusal),
    /// The change was made from an older version of what it edits; nothing
    /// was saved (the edge shows what is there now).
    #[error("{}", .0.english())]
    Stale(Refusal),
    /// The storage failed (unreachable, full…); nothing was saved.
    #[error(transparent)]
    Store(StoreError),
    /// A signing key is unusable (wrong wrapping key, unreadable file).
    #[error("key {place}: {message}")]
    Key { place: String, message: String },
    /// A defect or corrupt data: logged with its cause, never shown.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(r) => AppError::Refused(r),
            StoreError::Stale(r) => AppError::Stale(r),
            other => AppError::Store(other),
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

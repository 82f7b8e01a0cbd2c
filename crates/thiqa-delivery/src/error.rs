//! The two outcomes a caller acts on. A send either may succeed later (try
//! again on the retry schedule) or never will (dead-letter it now); nothing in
//! between, so that the outbox worker needs no knowledge of SMTP or HTTP.

/// A message that could not be delivered. The text is for the operators who
/// read the outbox: it names what happened, never a secret (no password, no
/// signing key, no URL query string).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The receiver or the network failed for now (connection refused, time
    /// out, a 4xx SMTP reply, HTTP 408, 429 or 5xx): try again later.
    #[error("transient: {0}")]
    Transient(String),
    /// The message will never be accepted as it is (a 5xx SMTP reply, a bad
    /// address, an HTTP 4xx, a URL that points inside): dead-letter it.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl SendError {
    /// Whether trying again can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }

    /// The explanation, without the kind.
    pub fn message(&self) -> &str {
        match self {
            SendError::Transient(text) | SendError::Permanent(text) => text,
        }
    }
}

/// A sender that cannot be set up: the configuration is wrong, or the
/// process lacks what it needs (a tokio runtime, the OS random source).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// A setting is invalid; the text names it.
    #[error("invalid delivery settings: {0}")]
    Config(String),
    /// The environment lacks something the sender needs.
    #[error("delivery unavailable: {0}")]
    Unavailable(String),
}

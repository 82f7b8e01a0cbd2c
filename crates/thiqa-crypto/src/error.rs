//! The crate's one error type.
//!
//! Why one enum: every failure here is either a configuration mistake made by
//! the operator (weak Argon2 parameters, a short key) or a rare environment
//! failure (the OS random generator). None carries secret material, so the
//! messages may be logged; the web layer still shows users a generic text.
//! A wrong password, TOTP code or recovery code is *not* an error: those
//! checks return `bool`/`Option` so callers cannot confuse "wrong" with
//! "broken".

/// What can go wrong in this crate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// An Argon2 parameter is below the floor we accept (OWASP minimum).
    #[error("Argon2 parameter {name}={value} is below the accepted minimum {minimum} ({unit})")]
    WeakParameters {
        /// `m_cost`, `t_cost` or `p_cost`.
        name: &'static str,
        /// The value that was asked for.
        value: u32,
        /// The smallest value accepted.
        minimum: u32,
        /// Unit of the values, for the message.
        unit: &'static str,
    },
    /// An Argon2 parameter is so large that one login could exhaust the host.
    #[error("Argon2 parameter {name}={value} is above the accepted maximum {maximum} ({unit})")]
    ExcessiveParameters {
        /// `m_cost`, `t_cost` or `p_cost`.
        name: &'static str,
        /// The value that was asked for.
        value: u32,
        /// The largest value accepted.
        maximum: u32,
        /// Unit of the values, for the message.
        unit: &'static str,
    },
    /// The Argon2 implementation refused to hash (should not happen with
    /// parameters that passed our checks).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// The operating system's random generator failed; nothing secret can be
    /// produced safely, so the operation is abandoned.
    #[error("the operating system's random number generator failed")]
    Randomness,
    /// A stored TOTP secret is not base32, or is shorter than 128 bits.
    #[error("the TOTP secret is not valid base32 of at least 16 bytes")]
    InvalidTotpSecret,
    /// TOTP codes must have 6 to 8 digits (RFC 4226 §5.3).
    #[error("TOTP codes must have 6, 7 or 8 digits, not {0}")]
    UnsupportedTotpDigits(u32),
    /// A password policy weaker than NIST SP 800-63B allows, or inconsistent.
    #[error("invalid password policy: {0}")]
    InvalidPolicy(&'static str),
    /// A server key (e.g. the CSRF key) is shorter than 256 bits.
    #[error("the key must be at least {minimum} bytes long, got {actual}")]
    KeyTooShort {
        /// Bytes required.
        minimum: usize,
        /// Bytes given.
        actual: usize,
    },
    /// Sealed bytes that the wrapping key does not open: another key, or
    /// bytes altered since they were sealed (the two cannot be told apart).
    #[error("the wrapping key does not open these sealed bytes (another key, or altered)")]
    Unsealing,
}

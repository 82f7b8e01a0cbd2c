//! Correlation rules over journal events: the TOML format and the Sigma
//! subset that read into them, the rules Thiqa ships, and the pure
//! matching the store's evaluation runs. No I/O: callers read rule files.

pub mod rules;
pub mod sigma;

pub use rules::*;
pub use sigma::parse_sigma;

//! Durations in the server's TOML as whole seconds (`timeout_seconds = 20`),
//! the way every other setting of Thiqa's configuration spells time.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Longest timeout accepted: beyond, a stuck receiver would hold an outbox
/// worker for no good reason.
const MAX_SECONDS: u64 = 600;

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    let seconds = u64::deserialize(deserializer)?;
    if seconds == 0 || seconds > MAX_SECONDS {
        return Err(serde::de::Error::custom(format!(
            "must be between 1 and {MAX_SECONDS} seconds"
        )));
    }
    Ok(Duration::from_secs(seconds))
}

//! When to try a failed message again. Exponential backoff, so that a
//! receiver that is down is not hammered, with ±20 % jitter, so that the
//! messages that failed together (a relay restart) do not all come back in
//! the same second. The schedule is the same for e-mail and webhooks.
//!
//! With [`MAX_ATTEMPTS`] = 12, the waits after each failure are about
//! 30 s, 1, 2, 4, 8, 16, 32 min, 1 h 04, 2 h 08, 4 h 16, 6 h: a message is
//! dead-lettered after roughly 14 h 30 of failures, enough to ride out a
//! receiver down for a night.

use std::time::Duration;

/// Attempts in all, the first included. After the last one fails, the caller
/// marks the message dead-lettered instead of asking for a delay.
pub const MAX_ATTEMPTS: u32 = 12;

/// The wait after the first failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(30);

/// No wait is longer, before jitter.
pub const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);

/// Spread of the jitter, in percent either side.
const JITTER_PERCENT: u64 = 20;

/// How long to wait after attempt number `attempt` (1 for the first) failed.
/// `FIRST_DELAY × 2^(attempt−1)`, capped at [`MAX_DELAY`], then ±20 %.
/// Attempt 0 is taken as 1.
pub fn next_attempt_delay(attempt: u32) -> Duration {
    let base = base_delay(attempt);
    // Without the OS random source the wait is the exact base one: jitter
    // only spreads load, no delivery depends on it.
    let random = thiqa_crypto::random_i64().map_or(NO_JITTER, |n| n as u64);
    jittered(base, random)
}

/// The `random` for which [`jittered`] leaves the wait as it is.
const NO_JITTER: u64 = JITTER_PERCENT * 10;

fn base_delay(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(20);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

/// `base` scaled by a factor from 0.8 to 1.2 drawn from `random`.
fn jittered(base: Duration, random: u64) -> Duration {
    // Per-mille factor in [1000 − 200, 1000 + 200].
    let spread = 2 * JITTER_PERCENT * 10 + 1;
    let per_mille = 1000 - JITTER_PERCENT * 10 + random % spread;
    let millis = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(millis.saturating_mul(per_mille) / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_base_schedule_doubles_from_30_s_and_stops_at_6_h() {
        assert_eq!(base_delay(0), secs(30));
        assert_eq!(base_delay(1), secs(30));
        assert_eq!(base_delay(2), secs(60));
        assert_eq!(base_delay(3), secs(120));
        assert_eq!(base_delay(10), secs(30 * 512));
        assert_eq!(base_delay(11), MAX_DELAY);
        assert_eq!(base_delay(u32::MAX), MAX_DELAY);
        let total: Duration = (1..MAX_ATTEMPTS).map(base_delay).sum();
        assert!(
            total > secs(12 * 3600) && total < secs(24 * 3600),
            "{total:?}"
        );
    }

    #[test]
    fn jitter_stays_within_20_percent_and_reaches_both_ends() {
        assert_eq!(jittered(secs(100), 0), secs(80));
        assert_eq!(jittered(secs(100), 400), secs(120));
        assert_eq!(jittered(secs(100), 200), secs(100));
        assert_eq!(jittered(secs(100), NO_JITTER), secs(100));
        assert_eq!(
            jittered(secs(100), u64::MAX),
            jittered(secs(100), u64::MAX % 401)
        );
    }

    #[test]
    fn every_delay_is_within_its_bounds() {
        for attempt in 0..=MAX_ATTEMPTS + 3 {
            let base = base_delay(attempt);
            for _ in 0..50 {
                let delay = next_attempt_delay(attempt);
                assert!(
                    delay >= base.mul_f64(0.8) && delay <= base.mul_f64(1.2),
                    "{attempt}: {delay:?}"
                );
                assert!(delay >= secs(24) && delay <= secs(6 * 3600 * 12 / 10));
            }
        }
    }
}

//! Account lockout (référentiel 3.5.5: "tout mécanisme d'authentification doit
//! inclure un verrouillage du compte après un nombre déterminé de tentatives
//! échouées").

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock the account.
    pub threshold: u32,
    /// Seconds after which a lock releases by itself; 0 = only an operator
    /// releases it.
    pub release_after_s: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            threshold: 5,
            release_after_s: 15 * 60,
        }
    }
}

/// The lock state of one account at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    Open,
    /// Locked; `until` is None when only an operator can release it.
    Locked {
        until: Option<i64>,
    },
    /// Was locked, but the release delay has passed: the next attempt starts
    /// from a clean counter.
    Expired,
}

impl LockoutPolicy {
    pub fn state(&self, locked_at: Option<i64>, now_s: i64) -> LockState {
        match locked_at {
            None => LockState::Open,
            Some(at) if self.release_after_s == 0 => {
                let _ = at;
                LockState::Locked { until: None }
            }
            Some(at) => {
                let until = at + self.release_after_s;
                if now_s < until {
                    LockState::Locked { until: Some(until) }
                } else {
                    LockState::Expired
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_releases_after_the_delay_only_when_one_is_set() {
        let p = LockoutPolicy {
            threshold: 5,
            release_after_s: 60,
        };
        assert_eq!(p.state(None, 100), LockState::Open);
        assert_eq!(
            p.state(Some(100), 159),
            LockState::Locked { until: Some(160) }
        );
        assert_eq!(p.state(Some(100), 160), LockState::Expired);
        let manual = LockoutPolicy {
            threshold: 5,
            release_after_s: 0,
        };
        assert_eq!(
            manual.state(Some(100), 1_000_000),
            LockState::Locked { until: None }
        );
    }
}

//! `[support]`: the delays of support access to a commanditaire's data
//! (3.5.7). A request the customer leaves unanswered expires after
//! `request_hours` (12 by default, as the cloud "customer lockbox"
//! features do); an operator asks for at most `grant_max_hours`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupportConfig {
    /// Hours a request waits for the customer's answer before it expires.
    pub request_hours: u32,
    /// The longest access window an operator may ask for, in hours.
    pub grant_max_hours: u32,
}

impl Default for SupportConfig {
    fn default() -> Self {
        let d = thiqa_app::support::SupportSettings::default();
        SupportConfig {
            request_hours: u32::try_from(d.request_hours).unwrap_or(12),
            grant_max_hours: u32::try_from(d.grant_max_hours).unwrap_or(72),
        }
    }
}

impl SupportConfig {
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !(1..=168).contains(&self.request_hours) {
            return Some((
                "support.request_hours",
                "must be between 1 and 168 (a week)".into(),
            ));
        }
        if !(1..=720).contains(&self.grant_max_hours) {
            return Some((
                "support.grant_max_hours",
                "must be between 1 and 720 (30 days)".into(),
            ));
        }
        None
    }

    /// The delays as the use cases take them.
    pub fn settings(&self) -> thiqa_app::support::SupportSettings {
        thiqa_app::support::SupportSettings {
            request_hours: i64::from(self.request_hours),
            grant_max_hours: i64::from(self.grant_max_hours),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_hours_by_default_and_bounds_named() {
        let c = SupportConfig::default();
        assert_eq!((c.request_hours, c.grant_max_hours), (12, 72));
        assert!(c.problem().is_none());
        let zero = SupportConfig {
            request_hours: 0,
            ..c
        };
        assert_eq!(zero.problem().unwrap().0, "support.request_hours");
    }
}

//! The self-assessment of one obligation for one service: its status and
//! what an auditor reads with it. Parsed and checked here, once, at the edge.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentStatus {
    NotAssessed,
    Compliant,
    PartiallyCompliant,
    NonCompliant,
    /// Needs a written justification.
    NotApplicable,
}

impl AssessmentStatus {
    pub const ALL: [AssessmentStatus; 5] = [
        AssessmentStatus::NotAssessed,
        AssessmentStatus::Compliant,
        AssessmentStatus::PartiallyCompliant,
        AssessmentStatus::NonCompliant,
        AssessmentStatus::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentStatus::NotAssessed => "not_assessed",
            AssessmentStatus::Compliant => "compliant",
            AssessmentStatus::PartiallyCompliant => "partially_compliant",
            AssessmentStatus::NonCompliant => "non_compliant",
            AssessmentStatus::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(s: &str) -> Option<AssessmentStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The fields a person sets on an assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentInput {
    pub status: AssessmentStatus,
    /// How the provider meets the obligation.
    pub statement: String,
    /// Why the obligation does not apply (required for NotApplicable).
    pub justification: String,
    pub owner: String,
    /// `YYYY-MM-DD` or empty.
    pub next_review: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    #[error("a written justification is required to mark an obligation not applicable")]
    JustificationRequired,
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("next_review must be a date written YYYY-MM-DD")]
    BadDate,
}

impl AssessmentInput {
    /// Trims the fields and checks them.
    pub fn checked(mut self) -> Result<AssessmentInput, AssessmentError> {
        for (field, value, max) in [
            ("statement", &mut self.statement, 10_000),
            ("justification", &mut self.justification, 5_000),
            ("owner", &mut self.owner, 120),
            ("next_review", &mut self.next_review, 10),
        ] {
            *value = value.trim().to_string();
            if value.chars().count() > max {
                return Err(AssessmentError::TooLong { field, max });
            }
        }
        if self.status == AssessmentStatus::NotApplicable && self.justification.is_empty() {
            return Err(AssessmentError::JustificationRequired);
        }
        if !self.next_review.is_empty() && !is_iso_date(&self.next_review) {
            return Err(AssessmentError::BadDate);
        }
        Ok(self)
    }
}

/// A real calendar day written YYYY-MM-DD (1970 or later): the one date
/// rule for review dates, due dates and validity dates.
pub fn is_iso_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let num = |x: &str, len: usize| x.len() == len && x.bytes().all(|b| b.is_ascii_digit());
    if !(num(y, 4) && num(m, 2) && num(d, 2)) {
        return false;
    }
    let (y, m, d): (u32, u32, u32) = (
        y.parse().unwrap_or(0),
        m.parse().unwrap_or(0),
        d.parse().unwrap_or(0),
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d) && y >= 1970
}

/// Midnight UTC of a YYYY-MM-DD day as epoch seconds; None when
/// [`is_iso_date`] refuses it. (Howard Hinnant's days-from-civil.)
pub fn iso_date_start(s: &str) -> Option<i64> {
    if !is_iso_date(s) {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[5..7].parse().ok()?;
    let d: i64 = s[8..10].parse().ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_map_to_utc_midnight() {
        assert_eq!(iso_date_start("1970-01-01"), Some(0));
        assert_eq!(iso_date_start("2000-03-01"), Some(951_868_800));
        assert_eq!(iso_date_start("2026-11-29"), Some(1_795_910_400));
        assert_eq!(iso_date_start("2026-02-29"), None);
    }

    fn input(status: AssessmentStatus) -> AssessmentInput {
        AssessmentInput {
            status,
            statement: " Chiffrement AES-256 par volume ".into(),
            justification: String::new(),
            owner: "rssi".into(),
            next_review: "2027-02-28".into(),
        }
    }

    #[test]
    fn not_applicable_needs_a_justification() {
        assert_eq!(
            input(AssessmentStatus::NotApplicable).checked(),
            Err(AssessmentError::JustificationRequired)
        );
        let mut i = input(AssessmentStatus::NotApplicable);
        i.justification = "Pas de supports amovibles".into();
        assert!(i.checked().is_ok());
    }

    #[test]
    fn dates_and_lengths_are_checked() {
        let ok = input(AssessmentStatus::Compliant).checked().unwrap();
        assert_eq!(ok.statement, "Chiffrement AES-256 par volume");
        for bad in ["2027-02-29", "27-01-01", "2027-13-01", "demain"] {
            let mut i = input(AssessmentStatus::Compliant);
            i.next_review = bad.into();
            assert_eq!(i.checked(), Err(AssessmentError::BadDate), "{bad}");
        }
        let mut i = input(AssessmentStatus::Compliant);
        i.owner = "x".repeat(121);
        assert!(matches!(
            i.checked(),
            Err(AssessmentError::TooLong { field: "owner", .. })
        ));
    }

    #[test]
    fn statuses_round_trip() {
        for s in AssessmentStatus::ALL {
            assert_eq!(AssessmentStatus::parse(s.as_str()), Some(s));
        }
    }
}

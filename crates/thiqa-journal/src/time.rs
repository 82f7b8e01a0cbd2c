//! Journal timestamps: UTC, millisecond precision, shown as RFC 3339
//! `YYYY-MM-DDTHH:MM:SS.mmmZ`.
//!
//! Hand-rolled rather than taken from a date crate on purpose: the journal
//! needs exactly one canonical textual form (always `Z`, always three
//! fractional digits, years 0000–9999) so that a timestamp has one spelling
//! in exports and one integer in leaves; general-purpose parsers accept
//! offsets, any number of digits and leap seconds, which we must refuse.
//! The calendar arithmetic is the classic proleptic-Gregorian
//! days-from-civil conversion, property-tested against round trips.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: i64 = 86_400_000;

/// Why a timestamp was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Not of the form `YYYY-MM-DDTHH:MM:SS.mmmZ`, or not a real date/time.
    #[error("timestamp must be UTC RFC 3339 with milliseconds, like 2025-01-31T08:15:00.000Z")]
    Malformed,
    /// Outside years 0000–9999.
    #[error("timestamp outside years 0000-9999")]
    OutOfRange,
}

/// A UTC instant with millisecond precision, years 0000 to 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12); // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

impl Timestamp {
    /// 0000-01-01T00:00:00.000Z
    pub const MIN: Self = Self(-62_167_219_200_000);
    /// 9999-12-31T23:59:59.999Z
    pub const MAX: Self = Self(253_402_300_799_999);

    /// From milliseconds since 1970-01-01T00:00:00Z.
    pub fn from_unix_millis(ms: i64) -> Result<Self, TimestampError> {
        if (Self::MIN.0..=Self::MAX.0).contains(&ms) {
            Ok(Self(ms))
        } else {
            Err(TimestampError::OutOfRange)
        }
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    #[must_use]
    pub fn unix_millis(self) -> i64 {
        self.0
    }

    /// From seconds since the epoch, clamped to the years 0000–9999 (for
    /// display: a time outside them is a defect shown at the bound).
    #[must_use]
    pub fn from_unix_seconds_clamped(seconds: i64) -> Self {
        Self(seconds.saturating_mul(1000).clamp(Self::MIN.0, Self::MAX.0))
    }

    /// UTC calendar fields: (year, month, day, hour, minute, second). The
    /// one civil-date conversion of the product: dates in messages, S3
    /// signatures and archive entries all come from here.
    #[must_use]
    pub fn utc_fields(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(MS_PER_DAY);
        let seconds = u32::try_from(self.0.rem_euclid(MS_PER_DAY) / 1000).unwrap_or(0);
        let (year, month, day) = civil_from_days(days);
        (
            year,
            month,
            day,
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60,
        )
    }

    /// The UTC date, `YYYY-MM-DD`.
    #[must_use]
    pub fn date(self) -> String {
        let mut text = self.to_string();
        text.truncate(10);
        text
    }

    /// From a system clock reading, truncated to the millisecond. The clock
    /// is passed in so that code using the journal stays testable.
    pub fn from_system_time(t: SystemTime) -> Result<Self, TimestampError> {
        let ms = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).map_err(|_| TimestampError::OutOfRange)?,
            Err(e) => {
                let before = i64::try_from(e.duration().as_nanos().div_ceil(1_000_000))
                    .map_err(|_| TimestampError::OutOfRange)?;
                -before
            }
        };
        Self::from_unix_millis(ms)
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let b = s.as_bytes();
        let shape = b"dddd-dd-ddTdd:dd:dd.dddZ";
        if b.len() != shape.len()
            || !b.iter().zip(shape).all(|(c, p)| {
                if *p == b'd' {
                    c.is_ascii_digit()
                } else {
                    c == p
                }
            })
        {
            return Err(TimestampError::Malformed);
        }
        let num = |from: usize, to: usize| {
            b[from..to]
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let (year, month, day) = (i64::from(num(0, 4)), num(5, 7), num(8, 10));
        let (hour, minute, second, milli) = (num(11, 13), num(14, 16), num(17, 19), num(20, 23));
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(TimestampError::Malformed);
        }
        let secs = i64::from(hour * 3600 + minute * 60 + second);
        Self::from_unix_millis(
            days_from_civil(year, month, day) * MS_PER_DAY + secs * 1000 + i64::from(milli),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (secs, milli) = (ms / 1000, ms % 1000);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{milli:03}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_date_is_the_utc_day() {
        let t = Timestamp::parse("2026-05-28T23:59:59.999Z").unwrap();
        assert_eq!(t.date(), "2026-05-28");
        assert_eq!(
            Timestamp::from_unix_millis(t.unix_millis() + 1)
                .unwrap()
                .date(),
            "2026-05-29"
        );
    }

    #[test]
    fn known_instants() {
        for (text, ms) in [
            ("1970-01-01T00:00:00.000Z", 0),
            ("1969-12-31T23:59:59.999Z", -1),
            ("2000-03-01T00:00:00.000Z", 951_868_800_000),
            ("2024-02-29T12:34:56.789Z", 1_709_210_096_789),
            ("0000-01-01T00:00:00.000Z", Timestamp::MIN.0),
            ("9999-12-31T23:59:59.999Z", Timestamp::MAX.0),
        ] {
            let t = Timestamp::parse(text).unwrap();
            assert_eq!(t.unix_millis(), ms, "{text}");
            assert_eq!(t.to_string(), text);
        }
    }

    #[test]
    fn non_canonical_or_impossible_forms_are_refused() {
        for bad in [
            "2024-02-30T00:00:00.000Z",
            "2023-02-29T00:00:00.000Z",
            "2024-13-01T00:00:00.000Z",
            "2024-01-01T24:00:00.000Z",
            "2024-01-01T23:60:00.000Z",
            "2024-01-01T23:59:60.000Z",
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.0000Z",
            "2024-01-01T00:00:00.000+00:00",
            "2024-01-01t00:00:00.000z",
            "2024-01-01 00:00:00.000Z",
            "+2024-01-01T00:00:00.000Z",
            "２024-01-01T00:00:00.000Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
        assert!(Timestamp::from_unix_millis(Timestamp::MAX.0 + 1).is_err());
        assert!(Timestamp::from_unix_millis(Timestamp::MIN.0 - 1).is_err());
    }

    #[test]
    fn system_time_is_truncated_to_the_millisecond() {
        let t = UNIX_EPOCH + std::time::Duration::from_micros(1_500);
        assert_eq!(Timestamp::from_system_time(t).unwrap().unix_millis(), 1);
        let t = UNIX_EPOCH - std::time::Duration::from_micros(1_500);
        assert_eq!(Timestamp::from_system_time(t).unwrap().unix_millis(), -2);
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(ms in Timestamp::MIN.0..=Timestamp::MAX.0) {
            let t = Timestamp::from_unix_millis(ms).unwrap();
            prop_assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        }

        #[test]
        fn civil_conversion_round_trips(days in -800_000i64..3_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!(d >= 1 && d <= days_in_month(y, m));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}

//! Instants as people and machines read them. UTC everywhere: the time
//! reference of the whole product (3.8.8).

/// `2026-11-29 14:05:09 UTC`.
pub fn format_utc(unix_s: i64) -> String {
    let (y, m, d, hh, mm, ss) =
        thiqa_journal::Timestamp::from_unix_seconds_clamped(unix_s).utc_fields();
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02} UTC")
}

/// `2026-11-29T14:05:09Z`: the same instant for machines (RFC 3339).
pub fn rfc3339(unix_s: i64) -> String {
    let (y, m, d, hh, mm, ss) =
        thiqa_journal::Timestamp::from_unix_seconds_clamped(unix_s).utc_fields();
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// `2026-11-30`: the day of an instant (UTC), as dates are typed in forms.
pub fn iso_date(unix_s: i64) -> String {
    let (y, m, d, _, _, _) =
        thiqa_journal::Timestamp::from_unix_seconds_clamped(unix_s).utc_fields();
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_name_the_same_instant() {
        assert_eq!(format_utc(1_796_000_000), "2026-11-30 00:53:20 UTC");
        assert_eq!(rfc3339(1_796_000_000), "2026-11-30T00:53:20Z");
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(iso_date(1_796_000_000), "2026-11-30");
    }
}

//! One NDJSON batch of infrastructure events → journal events (pure).
//!
//! Each non-blank line is one JSON object:
//!
//! | field            | required | meaning                                                         |
//! |------------------|----------|-----------------------------------------------------------------|
//! | `time`           | yes      | RFC 3339 (`Z` or an offset; fractions beyond ms are truncated)  |
//! | `type`           | yes      | dotted action, e.g. `vm.snapshot.delete`                        |
//! | `severity`       | yes      | RFC 5424 name (`warning`, `err`, …) or code 0–7                 |
//! | `commanditaire`  | no       | organisation id the event concerns; one the source may tag      |
//! | `actor`          | no       | who acted                                                       |
//! | `target`         | no       | what was acted on                                               |
//! | `source_address` | no       | IPv4 or IPv6 address the action came from                       |
//! | `outcome`        | no       | `success`, `failure` or `unknown` (the default)                 |
//! | `attributes`     | no       | object of string → string                                       |
//!
//! Anything else is refused naming the field. The event's `source` is the
//! registered source's name, never a field of the line (and never `thiqa`,
//! the source of Thiqa's own events: rules and pages tell them apart by
//! it), and its receipt time is the server's. `time` must lie within
//! [receipt − retention, receipt + 5 min]: older events would be purged at
//! once, later ones come from a wrong clock or a forger. `actor`, `target`
//! and attributes hold no control character (log and terminal injection). A batch is all or nothing: every bad line is reported
//! with its 1-based number and reason, and then no event is returned.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiqa_domain::{OrganisationId, ProviderId, Tenant};
use thiqa_journal::{Event, Outcome, Severity, Timestamp};

/// Most line errors a refusal lists; the count says how many there were.
pub const MAX_REPORTED_ERRORS: usize = 1000;
/// Longest `type`, `actor`, `target`, attribute key.
const MAX_NAME_BYTES: usize = 256;
/// Longest attribute value.
const MAX_VALUE_BYTES: usize = 8192;
/// Most attributes on one event.
const MAX_ATTRIBUTES: usize = 64;
/// Longest line: every field at its limit fits well within it. Longer
/// lines are refused before JSON parsing.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// How far ahead of the server's clock an event time may be.
pub const MAX_AHEAD_MS: i64 = 5 * 60_000;

/// Batch limits (configuration `intake_max_events`, `intake_max_bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeLimits {
    pub max_events: usize,
    pub max_bytes: usize,
    /// `journal.retention_days`: the oldest event time accepted.
    pub retention_days: u32,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        IntakeLimits {
            max_events: 10_000,
            max_bytes: 10 << 20,
            retention_days: 400,
        }
    }
}

/// What a batch is parsed against: who sent it, what it may tag, and when
/// it was received.
#[derive(Debug, Clone)]
pub struct BatchContext<'a> {
    /// The registered source name, the `source` of every event.
    pub source: &'a str,
    pub provider: ProviderId,
    /// Organisations (commanditaires) the source may tag.
    pub organisations: &'a [OrganisationId],
    pub received: Timestamp,
    /// Event times older than this many days before `received` are refused.
    pub retention_days: u32,
}

/// A refused line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineError {
    /// 1-based line number in the batch.
    pub line: usize,
    pub reason: String,
}

/// Why a batch was refused: the first [`MAX_REPORTED_ERRORS`] bad lines, and
/// how many there were in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRefusal {
    pub errors: Vec<LineError>,
    pub total: usize,
}

impl BatchRefusal {
    pub fn push(&mut self, line: usize, reason: String) {
        self.total += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(LineError { line, reason });
        }
    }
}

/// The fields of a line, before checking their values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    time: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    severity: Option<Value>,
    commanditaire: Option<Value>,
    actor: Option<String>,
    target: Option<String>,
    source_address: Option<String>,
    outcome: Option<String>,
    attributes: Option<BTreeMap<String, String>>,
}

/// Parses a whole batch; `Err` lists every bad line. Blank lines are
/// skipped (but counted). A batch with no event at all is refused too.
pub fn parse_batch(
    body: &[u8],
    ctx: &BatchContext<'_>,
    limits: &IntakeLimits,
) -> Result<Vec<Event>, BatchRefusal> {
    let mut refusal = BatchRefusal {
        errors: Vec::new(),
        total: 0,
    };
    if body.len() > limits.max_bytes {
        refusal.push(
            0,
            format!(
                "the batch exceeds intake_max_bytes ({} bytes)",
                limits.max_bytes
            ),
        );
        return Err(refusal);
    }
    let mut events = Vec::new();
    let mut seen = 0usize;
    let mut last_line = 0;
    for (i, raw) in body.split(|b| *b == b'\n').enumerate() {
        let number = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        last_line = number;
        seen += 1;
        if seen > limits.max_events {
            refusal.push(
                number,
                format!(
                    "more than intake_max_events ({}) events in one batch",
                    limits.max_events
                ),
            );
            break;
        }
        if raw.len() > MAX_LINE_BYTES {
            refusal.push(
                number,
                format!("the line is longer than {MAX_LINE_BYTES} bytes"),
            );
            continue;
        }
        match parse_line(raw, ctx) {
            Ok(event) if refusal.total == 0 => events.push(event),
            Ok(_) => {}
            Err(reason) => refusal.push(number, reason),
        }
    }
    if seen == 0 {
        refusal.push(last_line.max(1), "the batch holds no event".into());
    }
    if refusal.total > 0 {
        return Err(refusal);
    }
    Ok(events)
}

/// One line → one event, or the reason it is refused.
pub fn parse_line(raw: &[u8], ctx: &BatchContext<'_>) -> Result<Event, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "not valid UTF-8".to_string())?;
    let line: RawLine = serde_json::from_str(text).map_err(json_reason)?;
    let time = line.time.ok_or("missing field `time`")?;
    let event_time = parse_time(&time)?;
    check_time_window(event_time, ctx)?;
    let action = line.kind.ok_or("missing field `type`")?;
    check_action(&action)?;
    let severity = parse_severity(line.severity.as_ref().ok_or("missing field `severity`")?)?;
    let tenant = match line.commanditaire {
        None | Some(Value::Null) => Tenant::Provider(ctx.provider),
        Some(v) => {
            let id = organisation_id(&v)?;
            if !ctx.organisations.contains(&id) {
                return Err(format!(
                    "`commanditaire`: this source may not tag organisation {}",
                    id.0
                ));
            }
            Tenant::Organisation(id)
        }
    };
    let actor = line.actor.unwrap_or_default();
    check_name("actor", &actor)?;
    let target = line.target.unwrap_or_default();
    check_name("target", &target)?;
    let source_address = match line.source_address {
        None => None,
        Some(a) => Some(
            a.parse::<IpAddr>()
                .map_err(|_| format!("`source_address`: {a:?} is not an IP address"))?,
        ),
    };
    let outcome = match line.outcome.as_deref() {
        None | Some("unknown") => Outcome::Unknown,
        Some("success") => Outcome::Success,
        Some("failure") => Outcome::Failure,
        Some(other) => {
            return Err(format!(
                "`outcome`: {other:?} is not success, failure or unknown"
            ))
        }
    };
    let attributes = line.attributes.unwrap_or_default();
    check_attributes(&attributes)?;
    Ok(Event {
        event_time,
        received_time: ctx.received,
        source: ctx.source.to_owned(),
        action,
        severity,
        actor,
        target,
        tenant: Some(tenant.to_text()),
        source_address,
        outcome,
        attributes,
    })
}

/// serde_json's message without its "at line 1 column N" (the line is ours).
fn json_reason(e: serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    };
    if e.is_syntax() || e.is_eof() {
        format!("not a JSON object: {text}")
    } else {
        text
    }
}

/// `time` within [received − retention, received + [`MAX_AHEAD_MS`]].
pub(crate) fn check_time_window(time: Timestamp, ctx: &BatchContext<'_>) -> Result<(), String> {
    let now = ctx.received.unix_millis();
    if time.unix_millis() > now + MAX_AHEAD_MS {
        return Err(format!(
            "`time`: {time} is more than 5 minutes ahead of the server's clock ({})",
            ctx.received
        ));
    }
    if time.unix_millis() < now - i64::from(ctx.retention_days) * 86_400_000 {
        return Err(format!(
            "`time`: {time} is older than the journal's retention ({} days)",
            ctx.retention_days
        ));
    }
    Ok(())
}

/// At most [`MAX_ATTRIBUTES`], non-empty keys, bounded keys and values.
pub(crate) fn check_attributes(attributes: &BTreeMap<String, String>) -> Result<(), String> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(format!("`attributes`: more than {MAX_ATTRIBUTES} entries"));
    }
    for (k, v) in attributes {
        if k.is_empty() {
            return Err("`attributes`: empty key".into());
        }
        check_length("attributes key", k, MAX_NAME_BYTES)?;
        check_length(&format!("attributes.{k}"), v, MAX_VALUE_BYTES)?;
    }
    Ok(())
}

/// `actor` and `target` are names of at most this many bytes.
pub(crate) fn check_name(field: &str, value: &str) -> Result<(), String> {
    check_length(field, value, MAX_NAME_BYTES)
}

/// Bounded, and no control character (a line break or an escape sequence
/// would forge lines in logs, exports and terminals).
fn check_length(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.len() > max {
        return Err(format!("`{field}`: longer than {max} bytes"));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(format!(
            "`{field}`: holds the control character U+{:04X}",
            u32::from(c)
        ));
    }
    Ok(())
}

/// A dotted action: segments of ASCII letters, digits, `_` and `-`.
pub(crate) fn check_action(action: &str) -> Result<(), String> {
    let ok = !action.is_empty()
        && action.len() <= MAX_NAME_BYTES
        && action.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`type`: {action:?} is not a dotted name like vm.snapshot.delete"
        ))
    }
}

fn organisation_id(v: &Value) -> Result<OrganisationId, String> {
    let id = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse::<i64>().ok(),
        _ => None,
    };
    match id {
        Some(id) if id > 0 => Ok(OrganisationId(id)),
        _ => Err(format!(
            "`commanditaire`: {v} is not an organisation id (a positive integer)"
        )),
    }
}

/// An RFC 5424 severity: its name (or the usual syslog keyword), any case,
/// or its code 0–7 as a number or a string.
pub fn parse_severity(v: &Value) -> Result<Severity, String> {
    let code = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "emergency" | "emerg" | "panic" => Some(0),
            "alert" => Some(1),
            "critical" | "crit" => Some(2),
            "error" | "err" => Some(3),
            "warning" | "warn" => Some(4),
            "notice" => Some(5),
            "informational" | "info" => Some(6),
            "debug" => Some(7),
            digits => digits.parse::<u64>().ok(),
        },
        _ => None,
    };
    code.and_then(|c| u8::try_from(c).ok())
        .and_then(Severity::from_code)
        .ok_or_else(|| {
            format!("`severity`: {v} is not an RFC 5424 severity (emergency … debug, or 0–7)")
        })
}

/// RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `T`/`Z` in
/// either case, or a space for `T`) to a journal timestamp, truncated to the
/// millisecond. Leap seconds and years outside 0000–9999 are refused.
pub fn parse_time(text: &str) -> Result<Timestamp, String> {
    let bad = || format!("`time`: {text:?} is not an RFC 3339 date-time like 2025-01-31T08:15:00Z");
    let b = text.as_bytes();
    if !text.is_ascii() || b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    let (date, rest) = (&text[..10], &text[11..]);
    let (clock, mut zone) = rest.split_at(8.min(rest.len()));
    let mut millis = String::from("000");
    if let Some(frac) = zone.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        millis = frac[..digits].chars().chain("00".chars()).take(3).collect();
        zone = &frac[digits..];
    }
    let offset_minutes: i64 = match zone {
        "Z" | "z" => 0,
        z if z.len() == 6 && matches!(&z[..1], "+" | "-") && &z[3..4] == ":" => {
            let hours: i64 = digits_of(&z[1..3]).ok_or_else(bad)?;
            let minutes: i64 = digits_of(&z[4..6]).ok_or_else(bad)?;
            if hours > 23 || minutes > 59 {
                return Err(bad());
            }
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (hours * 60 + minutes)
        }
        _ => return Err(bad()),
    };
    let canonical = format!("{date}T{clock}.{millis}Z");
    let local = Timestamp::parse(&canonical).map_err(|_| bad())?;
    Timestamp::from_unix_millis(local.unix_millis() - offset_minutes * 60_000)
        .map_err(|_| format!("`time`: {text:?} is outside years 0000-9999"))
}

fn digits_of(s: &str) -> Option<i64> {
    (s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty())
        .then(|| s.parse().ok())
        .flatten()
}

/// Whether `name` can be a source name: 1–64 ASCII letters, digits and
/// `. _ - / :`, starting with a letter or digit, and not `thiqa` (Thiqa's own
/// events carry that source).
pub fn valid_source_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b':'))
        && !name.eq_ignore_ascii_case(thiqa_journal::THIQA_SOURCE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: OrganisationId = OrganisationId(7);

    fn ctx() -> BatchContext<'static> {
        BatchContext {
            source: "hv/kvm-07",
            provider: ProviderId(1),
            organisations: &[ORG],
            received: Timestamp::from_unix_millis(1_780_000_000_000).unwrap(),
            retention_days: 400,
        }
    }

    fn line(json: &str) -> Result<Event, String> {
        parse_line(json.as_bytes(), &ctx())
    }

    #[test]
    fn a_full_line_becomes_an_event_of_the_source() {
        let e = line(
            r#"{"time":"2026-05-28T10:11:12.345678+01:00","type":"vm.snapshot.delete","severity":"warning",
               "commanditaire":7,"actor":"ops:karim","target":"vm-42","source_address":"2001:db8::1",
               "outcome":"success","attributes":{"snapshot":"s-9","reason":"rotation"}}"#,
        )
        .unwrap();
        assert_eq!(e.event_time.to_string(), "2026-05-28T09:11:12.345Z");
        assert_eq!(e.received_time.unix_millis(), 1_780_000_000_000);
        assert_eq!(e.source, "hv/kvm-07");
        assert_eq!(e.action, "vm.snapshot.delete");
        assert_eq!(e.severity, Severity::Warning);
        assert_eq!(e.tenant.as_deref(), Some("organisation:7"));
        assert_eq!(e.actor, "ops:karim");
        assert_eq!(e.target, "vm-42");
        assert_eq!(e.source_address, Some("2001:db8::1".parse().unwrap()));
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.attributes["snapshot"], "s-9");
        // The leaf encodes and decodes back to the same event.
        assert_eq!(Event::from_leaf(&e.to_leaf().unwrap()).unwrap(), e);
    }

    #[test]
    fn optional_fields_default_and_the_provider_owns_untagged_events() {
        let e = line(r#"{"time":"2026-05-28T10:11:12Z","type":"fw.deny","severity":4}"#).unwrap();
        assert_eq!(e.tenant.as_deref(), Some("provider:1"));
        assert_eq!(e.outcome, Outcome::Unknown);
        assert_eq!(e.severity, Severity::Warning);
        assert!(e.actor.is_empty() && e.target.is_empty() && e.attributes.is_empty());
        assert_eq!(e.source_address, None);
    }

    #[test]
    fn each_problem_is_named() {
        for (json, expected) in [
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"host":"x"}"#,
                "unknown field `host`",
            ),
            (r#"{"type":"a.b","severity":4}"#, "missing field `time`"),
            (
                r#"{"time":"2026-05-28T10:11:12Z","severity":4}"#,
                "missing field `type`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b"}"#,
                "missing field `severity`",
            ),
            (
                r#"{"time":"28/05/2026","type":"a.b","severity":4}"#,
                "`time`",
            ),
            (
                r#"{"time":"2026-02-30T10:11:12Z","type":"a.b","severity":4}"#,
                "`time`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:60Z","type":"a.b","severity":4}"#,
                "`time`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a..b","severity":4}"#,
                "`type`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a b","severity":4}"#,
                "`type`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":8}"#,
                "`severity`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":"loud"}"#,
                "`severity`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"commanditaire":8}"#,
                "may not tag organisation 8",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"commanditaire":"x"}"#,
                "`commanditaire`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"source_address":"host"}"#,
                "`source_address`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"outcome":"ok"}"#,
                "`outcome`",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"attributes":{"n":5}}"#,
                "invalid type",
            ),
            (
                r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"#,
                "not a JSON object",
            ),
            ("[1,2]", "invalid type"),
        ] {
            let err = line(json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
        let err = parse_line(b"{\"time\":\"\xff\"}", &ctx()).unwrap_err();
        assert_eq!(err, "not valid UTF-8");
    }

    #[test]
    fn rfc3339_forms_are_accepted_and_normalised() {
        for (text, canonical) in [
            ("2026-05-28T10:11:12Z", "2026-05-28T10:11:12.000Z"),
            ("2026-05-28t10:11:12.5z", "2026-05-28T10:11:12.500Z"),
            ("2026-05-28 10:11:12.123456789Z", "2026-05-28T10:11:12.123Z"),
            ("2026-05-28T00:30:00-02:30", "2026-05-28T03:00:00.000Z"),
            ("2026-01-01T00:00:00+01:00", "2025-12-31T23:00:00.000Z"),
        ] {
            assert_eq!(parse_time(text).unwrap().to_string(), canonical, "{text}");
        }
        for bad in [
            "2026-05-28T10:11:12",
            "2026-05-28T10:11:12.Z",
            "2026-05-28T10:11:12+0100",
            "2026-05-28T10:11:12+24:00",
            "2026-05-28T10:11Z",
            "2026-05-28T10:11:12Zjunk",
            "2026-05-28T10:11:12.éZ",
            "0000-01-01T00:00:00+00:01",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn severities_by_name_keyword_or_code() {
        for (v, s) in [
            (serde_json::json!("Emergency"), Severity::Emergency),
            (serde_json::json!("crit"), Severity::Critical),
            (serde_json::json!("err"), Severity::Error),
            (serde_json::json!("INFO"), Severity::Informational),
            (serde_json::json!(7), Severity::Debug),
            (serde_json::json!("5"), Severity::Notice),
        ] {
            assert_eq!(parse_severity(&v).unwrap(), s, "{v}");
        }
        assert!(parse_severity(&serde_json::json!(-1)).is_err());
        assert!(parse_severity(&serde_json::json!(4.5)).is_err());
    }

    fn good(n: usize) -> String {
        format!(r#"{{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"target":"t{n}"}}"#)
    }

    #[test]
    fn a_batch_is_refused_whole_with_every_bad_line() {
        let body = format!(
            "{}\n\n{}\n{{}}\n{}\r\nnot json\n",
            good(1),
            good(2),
            good(3)
        );
        let refusal = parse_batch(body.as_bytes(), &ctx(), &IntakeLimits::default()).unwrap_err();
        let lines: Vec<usize> = refusal.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 6]);
        assert_eq!(refusal.total, 2);
        let ok = format!("{}\n\n{}\r\n{}", good(1), good(2), good(3));
        let events = parse_batch(ok.as_bytes(), &ctx(), &IntakeLimits::default()).unwrap();
        let targets: Vec<&str> = events.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, ["t1", "t2", "t3"]);
    }

    #[test]
    fn limits_and_empty_batches() {
        let limits = IntakeLimits {
            max_events: 2,
            max_bytes: 1 << 20,
            ..IntakeLimits::default()
        };
        let body = format!("{}\n{}\n{}\n", good(1), good(2), good(3));
        let refusal = parse_batch(body.as_bytes(), &ctx(), &limits).unwrap_err();
        assert_eq!(refusal.errors[0].line, 3);
        assert!(refusal.errors[0].reason.contains("intake_max_events (2)"));
        let refusal = parse_batch(b"\n  \n", &ctx(), &limits).unwrap_err();
        assert!(refusal.errors[0].reason.contains("no event"));
        let small = IntakeLimits {
            max_events: 10,
            max_bytes: 10,
            ..IntakeLimits::default()
        };
        let refusal = parse_batch(body.as_bytes(), &ctx(), &small).unwrap_err();
        assert!(refusal.errors[0]
            .reason
            .contains("intake_max_bytes (10 bytes)"));
    }

    #[test]
    fn reported_errors_are_capped_but_counted() {
        let body = "x\n".repeat(MAX_REPORTED_ERRORS + 5);
        let limits = IntakeLimits {
            max_events: 100_000,
            max_bytes: 1 << 20,
            ..IntakeLimits::default()
        };
        let refusal = parse_batch(body.as_bytes(), &ctx(), &limits).unwrap_err();
        assert_eq!(refusal.errors.len(), MAX_REPORTED_ERRORS);
        assert_eq!(refusal.total, MAX_REPORTED_ERRORS + 5);
    }

    #[test]
    fn source_names() {
        for ok in ["hv/kvm-07", "fw.edge-1", "siem:wazuh", "a"] {
            assert!(valid_source_name(ok), "{ok}");
        }
        for bad in ["", "thiqa", "THIQA", "-x", "a b", "é", &"a".repeat(65)] {
            assert!(!valid_source_name(bad), "{bad}");
        }
    }

    #[test]
    fn times_outside_retention_or_ahead_of_the_clock_are_refused_by_line() {
        let at = |t: &str| format!(r#"{{"time":"{t}","type":"a.b","severity":4}}"#);
        // received: 2026-05-28T20:26:40Z, retention 400 days.
        let body = [
            at("2026-05-28T20:31:40Z"),
            at("2026-05-28T20:31:41Z"),
            at("2025-04-24T20:26:40Z"),
            at("2025-04-23T20:26:39Z"),
            at("2036-01-01T00:00:00Z"),
        ]
        .join("\n");
        let refusal = parse_batch(body.as_bytes(), &ctx(), &IntakeLimits::default()).unwrap_err();
        let lines: Vec<usize> = refusal.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 4, 5], "{refusal:?}");
        assert!(refusal.errors[0]
            .reason
            .contains("more than 5 minutes ahead"));
        assert!(refusal.errors[1]
            .reason
            .contains("older than the journal's retention (400 days)"));
    }

    #[test]
    fn control_characters_in_actor_target_and_attributes_are_refused_by_line() {
        let body = [
            good(1),
            r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"actor":"root\nFAKE login ok"}"#.into(),
            r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"target":"vm\u001b[2J"}"#.into(),
            r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"attributes":{"k":"v\r"}}"#.into(),
            r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"attributes":{"k\u0000":"v"}}"#.into(),
            r#"{"time":"2026-05-28T10:11:12Z","type":"a.b","severity":4,"actor":"Amal Benali-Idrissi (ops) é"}"#.into(),
        ]
        .join("\n");
        let refusal = parse_batch(body.as_bytes(), &ctx(), &IntakeLimits::default()).unwrap_err();
        let named: Vec<(usize, &str)> = refusal
            .errors
            .iter()
            .map(|e| (e.line, e.reason.as_str()))
            .collect();
        assert_eq!(
            named,
            vec![
                (2, "`actor`: holds the control character U+000A"),
                (3, "`target`: holds the control character U+001B"),
                (4, "`attributes.k`: holds the control character U+000D"),
                (5, "`attributes key`: holds the control character U+0000"),
            ]
        );
    }

    #[test]
    fn giant_and_deeply_nested_lines_are_refused_by_line() {
        let giant = format!(r#"{{"time":"{}"}}"#, "x".repeat(MAX_LINE_BYTES));
        // `severity` is read as any JSON value: the one place nesting recurses.
        let nested = format!(
            r#"{{"severity":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let body = format!("{}\n{giant}\n{nested}\n", good(1));
        let limits = IntakeLimits {
            max_bytes: 4 << 20,
            ..IntakeLimits::default()
        };
        let refusal = parse_batch(body.as_bytes(), &ctx(), &limits).unwrap_err();
        assert_eq!(refusal.errors[0].line, 2);
        assert!(refusal.errors[0]
            .reason
            .contains("longer than 1048576 bytes"));
        assert_eq!(refusal.errors[1].line, 3);
        assert!(
            refusal.errors[1].reason.contains("recursion limit"),
            "{refusal:?}"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn ok_text() -> impl Strategy<Value = String> {
            "[a-zA-Z0-9 :/._@é-]{0,40}"
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            /// Any bytes: a batch never panics, and what it accepts keeps
            /// every limit the format promises.
            #[test]
            fn any_batch_is_parsed_or_refused_within_bounds(
                body in proptest::collection::vec(any::<u8>(), 0..4096)
            ) {
                let limits = IntakeLimits { max_events: 50, ..IntakeLimits::default() };
                match parse_batch(&body, &ctx(), &limits) {
                    Ok(events) => {
                        prop_assert!(!events.is_empty() && events.len() <= 50);
                        for e in events {
                            prop_assert!(e.actor.len() <= MAX_NAME_BYTES);
                            prop_assert!(!e.actor.chars().any(char::is_control));
                            prop_assert!(e.attributes.len() <= MAX_ATTRIBUTES);
                            prop_assert!(check_time_window(e.event_time, &ctx()).is_ok());
                        }
                    }
                    Err(r) => {
                        prop_assert!(r.total >= 1 && r.errors.len() <= MAX_REPORTED_ERRORS);
                    }
                }
            }

            /// Lines of JSON-like noise around real field names never panic.
            #[test]
            fn json_shaped_noise_never_panics(
                time in "[0-9TZ:.+ -]{0,30}",
                kind in "[a-z.]{0,10}",
                severity in any::<i64>(),
                actor in any::<String>(),
            ) {
                let line = serde_json::json!({
                    "time": time, "type": kind, "severity": severity, "actor": actor,
                });
                let _ = parse_line(line.to_string().as_bytes(), &ctx());
            }

            /// A well-formed event goes through JSON and back unchanged.
            #[test]
            fn events_round_trip_through_a_line(
                offset_s in -86_400i64 * 399..300,
                actor in ok_text(),
                target in ok_text(),
                attrs in proptest::collection::btree_map("[a-z_]{1,10}", ok_text(), 0..5),
                severity in 0u8..8,
            ) {
                let time = Timestamp::from_unix_millis(
                    ctx().received.unix_millis() + offset_s * 1000,
                ).unwrap();
                let line = serde_json::json!({
                    "time": time.to_string(), "type": "vm.snapshot.delete",
                    "severity": severity, "actor": actor, "target": target,
                    "attributes": attrs,
                });
                let e = parse_line(line.to_string().as_bytes(), &ctx()).unwrap();
                prop_assert_eq!(e.event_time, time);
                prop_assert_eq!(e.actor, actor);
                prop_assert_eq!(e.target, target);
                prop_assert_eq!(e.attributes, attrs);
                prop_assert_eq!(e.severity.code(), severity);
            }

            /// Any text as a time: parsed or refused, never a panic.
            #[test]
            fn any_time_text_never_panics(text in any::<String>()) {
                let _ = parse_time(&text);
            }
        }
    }
}

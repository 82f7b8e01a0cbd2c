//! One RFC 5424 syslog message → one journal event (pure).
//!
//! `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ELEMENT…] MSG`
//!
//! - severity: PRI modulo 8; the facility goes into the attributes;
//! - time: TIMESTAMP (RFC 3339, required: 3.8.8 keeps the source's time);
//! - type: `syslog.<APP-NAME>[.<MSGID>]`, characters outside letters,
//!   digits, `_` and `-` replaced by `_`, unless the `thiqa@32473` element
//!   gives `type`;
//! - the `thiqa@32473` element (32473 is the documentation enterprise
//!   number of RFC 5612) may give `type`, `commanditaire` (an organisation
//!   the source may tag), `actor`, `target`, `outcome`;
//! - attributes: `hostname`, `app_name`, `procid`, `msgid`, `facility`,
//!   `message` (the MSG text) and every other element's parameters as
//!   `<SD-ID>.<name>`.
//!
//! The event's `source` is the registered source (identified by its TLS
//! client certificate), never a field of the message.

use std::collections::BTreeMap;

use thiqa_domain::Tenant;
use thiqa_journal::{Event, Outcome, Severity};

use crate::ndjson::{
    check_action, check_attributes, check_name, check_time_window, parse_time, BatchContext,
};

/// The SD-ID of Thiqa's own parameters.
pub const THIQA_SD_ID: &str = "thiqa@32473";
/// Longest MSG text kept.
const MAX_MESSAGE_BYTES: usize = 8192;

/// Parses one message (the bytes of one octet-counted frame).
pub fn parse_syslog(raw: &[u8], ctx: &BatchContext<'_>) -> Result<Event, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "not valid UTF-8".to_string())?;
    let text = text.trim_end_matches(['\n', '\r']);
    let rest = text.strip_prefix('<').ok_or("does not start with <PRI>")?;
    let (pri, rest) = rest.split_once('>').ok_or("unclosed <PRI>")?;
    let pri: u8 = pri
        .parse()
        .ok()
        .filter(|p| *p <= 191 && !pri.is_empty() && pri.len() <= 3)
        .ok_or_else(|| format!("PRI {pri:?} is not 0–191"))?;
    let rest = rest
        .strip_prefix("1 ")
        .ok_or("not RFC 5424 (VERSION 1 expected after PRI)")?;
    let mut fields = rest.splitn(6, ' ');
    let mut next = |name: &str| {
        fields
            .next()
            .filter(|f| !f.is_empty())
            .ok_or_else(|| format!("missing {name}"))
    };
    let timestamp = next("TIMESTAMP")?;
    let hostname = next("HOSTNAME")?;
    let app_name = next("APP-NAME")?;
    let procid = next("PROCID")?;
    let msgid = next("MSGID")?;
    let rest = fields.next().unwrap_or("");
    if timestamp == "-" {
        return Err("TIMESTAMP is nil: the source's time is required (3.8.8)".into());
    }
    let event_time = parse_time(timestamp)
        .and_then(|t| check_time_window(t, ctx).map(|()| t))
        .map_err(|e| e.replace("`time`", "TIMESTAMP"))?;
    let (elements, message) = structured_data(rest)?;
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(format!("MSG longer than {MAX_MESSAGE_BYTES} bytes"));
    }
    let severity = Severity::from_code(pri & 7).ok_or("bad severity")?;
    let mut attributes = BTreeMap::new();
    for (key, value) in [
        ("hostname", hostname),
        ("app_name", app_name),
        ("procid", procid),
        ("msgid", msgid),
    ] {
        if value != "-" {
            attributes.insert(key.to_string(), value.to_string());
        }
    }
    attributes.insert("facility".into(), (pri >> 3).to_string());
    if !message.is_empty() {
        attributes.insert("message".into(), message.to_string());
    }
    let mut own = BTreeMap::new();
    for (id, params) in elements {
        for (name, value) in params {
            if id == THIQA_SD_ID {
                own.insert(name, value);
            } else {
                attributes.insert(format!("{id}.{name}"), value);
            }
        }
    }
    let action = match own.remove("type") {
        Some(t) => t,
        None => {
            let mut t = format!(
                "syslog.{}",
                token(if app_name == "-" { "unknown" } else { app_name })
            );
            if msgid != "-" {
                t = format!("{t}.{}", token(msgid));
            }
            t
        }
    };
    let tenant = match own.remove("commanditaire") {
        None => Tenant::Provider(ctx.provider),
        Some(id) => {
            let id = id
                .parse::<i64>()
                .ok()
                .filter(|i| *i > 0)
                .map(thiqa_domain::OrganisationId)
                .ok_or_else(|| format!("commanditaire {id:?} is not an organisation id"))?;
            if !ctx.organisations.contains(&id) {
                return Err(format!(
                    "commanditaire: this source may not tag organisation {}",
                    id.0
                ));
            }
            Tenant::Organisation(id)
        }
    };
    let outcome = match own.remove("outcome").as_deref() {
        None | Some("unknown") => Outcome::Unknown,
        Some("success") => Outcome::Success,
        Some("failure") => Outcome::Failure,
        Some(other) => {
            return Err(format!(
                "outcome {other:?} is not success, failure or unknown"
            ))
        }
    };
    let actor = own.remove("actor").unwrap_or_default();
    let target = own.remove("target").unwrap_or_default();
    if let Some(unknown) = own.keys().next() {
        return Err(format!("{THIQA_SD_ID}: unknown parameter {unknown:?}"));
    }
    // The NDJSON intake's limits on names and attributes hold here too.
    check_action(&action).map_err(|e| e.replace("`type`", "type"))?;
    check_name("actor", &actor)?;
    check_name("target", &target)?;
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
        source_address: None,
        outcome,
        attributes,
    })
}

/// Letters, digits, `_` and `-` kept; anything else becomes `_`.
fn token(s: &str) -> String {
    s.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

type Elements = Vec<(String, Vec<(String, String)>)>;

/// STRUCTURED-DATA (`-` or `[id name="value" …]…`) and the MSG after it.
fn structured_data(text: &str) -> Result<(Elements, &str), String> {
    if let Some(msg) = text.strip_prefix('-') {
        return Ok((Vec::new(), msg.strip_prefix(' ').unwrap_or(msg)));
    }
    if !text.starts_with('[') {
        return Err("STRUCTURED-DATA must be '-' or start with '['".into());
    }
    let mut elements = Vec::new();
    let mut rest = text;
    while let Some(inner) = rest.strip_prefix('[') {
        let (id, mut after) = inner
            .split_once([' ', ']'])
            .map(|(id, _)| (id, &inner[id.len()..]))
            .ok_or("unclosed SD-ELEMENT")?;
        if id.is_empty() || id.len() > 32 || id.contains(['=', '"']) {
            return Err(format!("SD-ID {id:?} is not valid"));
        }
        let mut params = Vec::new();
        loop {
            if let Some(r) = after.strip_prefix(']') {
                rest = r;
                break;
            }
            let r = after.strip_prefix(' ').ok_or("malformed SD-PARAM")?;
            let (name, r) = r.split_once("=\"").ok_or("SD-PARAM without =\"value\"")?;
            if name.is_empty() || name.len() > 32 || name.contains([' ', ']', '"']) {
                return Err(format!("SD-PARAM name {name:?} is not valid"));
            }
            let (value, r) = param_value(r)?;
            params.push((name.to_string(), value));
            after = r;
        }
        elements.push((id.to_string(), params));
    }
    Ok((elements, rest.strip_prefix(' ').unwrap_or(rest)))
}

/// A PARAM-VALUE up to its closing quote, with `\"`, `\\` and `\]` unescaped.
fn param_value(text: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[i + 1..])),
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\\' | ']'))) => value.push(e),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => break,
            },
            c => value.push(c),
        }
    }
    Err("unclosed PARAM-VALUE".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use thiqa_domain::{OrganisationId, ProviderId};
    use thiqa_journal::Timestamp;

    fn ctx(orgs: &[OrganisationId]) -> BatchContext<'_> {
        BatchContext {
            source: "fw/edge-01",
            provider: ProviderId(1),
            organisations: orgs,
            received: Timestamp::from_unix_millis(1_764_400_000_000).unwrap(),
            retention_days: 400,
        }
    }

    #[test]
    fn the_rfc_5424_example_with_structured_data() {
        let orgs = [OrganisationId(7)];
        let msg = r#"<165>1 2025-10-11T22:14:15.003Z fw01.example.ma sshd 4242 ID47 [exampleSDID@32473 iut="3" eventSource="Application"][thiqa@32473 commanditaire="7" actor="admin" outcome="failure"] Failed password for admin"#;
        let e = parse_syslog(msg.as_bytes(), &ctx(&orgs)).unwrap();
        assert_eq!(e.severity, Severity::from_code(5).unwrap());
        assert_eq!(e.action, "syslog.sshd.ID47");
        assert_eq!(e.source, "fw/edge-01");
        assert_eq!(e.actor, "admin");
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.tenant.as_deref(), Some("organisation:7"));
        assert_eq!(
            e.event_time,
            parse_time("2025-10-11T22:14:15.003Z").unwrap()
        );
        assert_eq!(e.attributes["facility"], "20");
        assert_eq!(e.attributes["hostname"], "fw01.example.ma");
        assert_eq!(e.attributes["exampleSDID@32473.eventSource"], "Application");
        assert_eq!(e.attributes["message"], "Failed password for admin");
    }

    #[test]
    fn nil_fields_escapes_and_a_bom() {
        let msg =
            "<11>1 2025-10-11T22:14:15+01:00 - - - - [x@1 k=\"a \\\"b\\\" \\] c\"] \u{feff}hello";
        let e = parse_syslog(msg.as_bytes(), &ctx(&[])).unwrap();
        assert_eq!(e.action, "syslog.unknown");
        assert_eq!(e.attributes["x@1.k"], "a \"b\" ] c");
        assert_eq!(e.attributes["message"], "hello");
        assert_eq!(e.tenant.as_deref(), Some("provider:1"));
        assert!(!e.attributes.contains_key("hostname"));
    }

    #[test]
    fn bad_messages_are_refused_with_the_reason() {
        let cases = [
            ("hello", "<PRI>"),
            ("<200>1 2025-10-11T22:14:15Z h a p m - x", "PRI"),
            ("<13>Oct 11 22:14:15 host app: BSD format", "RFC 5424"),
            ("<13>1 - h a p m - x", "TIMESTAMP is nil"),
            ("<13>1 yesterday h a p m - x", "TIMESTAMP"),
            ("<13>1 2025-10-11T22:14:15Z h a", "missing PROCID"),
            (
                "<13>1 2025-10-11T22:14:15Z h a p m [x@1 k=\"v] x",
                "unclosed",
            ),
            ("<13>1 2025-10-11T22:14:15Z h a p m x", "STRUCTURED-DATA"),
            (
                "<13>1 2025-10-11T22:14:15Z h a p m [thiqa@32473 commanditaire=\"9\"] x",
                "may not tag organisation 9",
            ),
            (
                "<13>1 2025-10-11T22:14:15Z h a p m [thiqa@32473 colour=\"red\"] x",
                "unknown parameter",
            ),
        ];
        for (msg, reason) in cases {
            let err = parse_syslog(msg.as_bytes(), &ctx(&[])).unwrap_err();
            assert!(err.contains(reason), "{msg}: {err}");
        }
        assert!(parse_syslog(b"<13>1 \xff", &ctx(&[]))
            .unwrap_err()
            .contains("UTF-8"));
    }

    #[test]
    fn the_type_can_be_given() {
        let msg = "<14>1 2025-10-11T22:14:15Z h kvm p - [thiqa@32473 type=\"vm.snapshot.delete\" target=\"vm-42\"] done";
        let e = parse_syslog(msg.as_bytes(), &ctx(&[])).unwrap();
        assert_eq!(e.action, "vm.snapshot.delete");
        assert_eq!(e.target, "vm-42");
    }

    #[test]
    fn times_out_of_the_window_and_control_characters_are_refused() {
        let cases = [
            ("<13>1 2025-11-29T07:11:41Z h a p m - x", "TIMESTAMP: 2025-11-29T07:11:41.000Z is more than 5 minutes ahead"),
            ("<13>1 2024-10-25T07:06:39Z h a p m - x", "TIMESTAMP: 2024-10-25T07:06:39.000Z is older than the journal's retention (400 days)"),
            ("<13>1 2025-11-29T07:00:00Z h a p m [thiqa@32473 actor=\"root\u{1b}[31m\"] x", "`actor`: holds the control character U+001B"),
            ("<13>1 2025-11-29T07:00:00Z h a p m - line\nFAKE", "`attributes.message`: holds the control character U+000A"),
        ];
        for (msg, reason) in cases {
            let err = parse_syslog(msg.as_bytes(), &ctx(&[])).unwrap_err();
            assert!(err.contains(reason), "{msg}: {err}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            /// Any bytes: parsed or refused, never a panic; an accepted
            /// event keeps the limits.
            #[test]
            fn any_message_is_parsed_or_refused_within_bounds(
                raw in proptest::collection::vec(any::<u8>(), 0..2048)
            ) {
                if let Ok(e) = parse_syslog(&raw, &ctx(&[])) {
                    prop_assert!(e.attributes.len() <= 64);
                    prop_assert!(!e.actor.chars().any(char::is_control));
                    prop_assert!(e.attributes.values().all(|v| !v.chars().any(char::is_control)));
                }
            }

            /// Messages shaped like RFC 5424 with random parts never panic.
            #[test]
            fn rfc5424_shaped_noise_never_panics(
                pri in 0u16..300,
                parts in proptest::collection::vec("[ -~]{0,12}", 0..8),
            ) {
                let msg = format!("<{pri}>1 2025-11-29T07:00:00Z {}", parts.join(" "));
                let _ = parse_syslog(msg.as_bytes(), &ctx(&[]));
            }

            /// Structured-data values with every escape come back as sent.
            #[test]
            fn parameter_values_round_trip(value in "[a-zA-Z0-9 \\\\\\]\"=é]{0,40}", msg in "[a-zA-Z0-9 ]{0,40}") {
                let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace(']', "\\]");
                let text = format!("<14>1 2025-11-29T07:00:00Z h app - - [x@1 k=\"{escaped}\"] {msg}");
                let e = parse_syslog(text.as_bytes(), &ctx(&[])).unwrap();
                prop_assert_eq!(&e.attributes["x@1.k"], &value);
                prop_assert_eq!(e.attributes.get("message").cloned().unwrap_or_default(), msg);
            }
        }
    }
}

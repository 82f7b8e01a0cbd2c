//! Journal events as the formats people and SIEMs read (3.8.6: exported per
//! commanditaire "in a standard format"): NDJSON, CSV, XML, OCSF-shaped
//! JSON and CEF lines. The field list is the same in every format and is
//! documented in `docs/journal-export.md`.
//!
//! Each function writes one event; the caller streams the header, the
//! events and the footer, so an export never sits whole in memory.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};
use thiqa_domain::text::hex;
use thiqa_journal::{Event, Outcome, Severity, Timestamp};

/// One event of an export: its position in the log and the event.
pub struct ExportedEvent<'a> {
    pub index: u64,
    pub leaf_hash: &'a [u8; 32],
    pub event: &'a Event,
}

/// The export formats, by the name used in `?format=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalFormat {
    Ndjson,
    Csv,
    Xml,
    Ocsf,
    Cef,
}

impl JournalFormat {
    pub const NAMES: [&'static str; 5] = ["ndjson", "csv", "xml", "ocsf", "cef"];

    pub fn parse(name: &str) -> Option<JournalFormat> {
        Some(match name {
            "ndjson" => JournalFormat::Ndjson,
            "csv" => JournalFormat::Csv,
            "xml" => JournalFormat::Xml,
            "ocsf" => JournalFormat::Ocsf,
            "cef" => JournalFormat::Cef,
            _ => return None,
        })
    }

    pub fn media_type(self) -> &'static str {
        match self {
            JournalFormat::Ndjson | JournalFormat::Ocsf => "application/x-ndjson",
            JournalFormat::Csv => "text/csv; charset=utf-8",
            JournalFormat::Xml => "application/xml; charset=utf-8",
            JournalFormat::Cef => "text/plain; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            JournalFormat::Ndjson => "ndjson",
            JournalFormat::Ocsf => "ocsf.ndjson",
            JournalFormat::Csv => "csv",
            JournalFormat::Xml => "xml",
            JournalFormat::Cef => "cef",
        }
    }

    /// What comes before the first event.
    pub fn header(self) -> String {
        match self {
            JournalFormat::Csv => crate::csv_out::record(CSV_COLUMNS),
            JournalFormat::Xml => {
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<journal xmlns=\"https://thiqa.ma/ns/journal/1\">\n".into()
            }
            _ => String::new(),
        }
    }

    /// What comes after the last event.
    pub fn footer(self) -> String {
        match self {
            JournalFormat::Xml => "</journal>\n".into(),
            _ => String::new(),
        }
    }

    /// Appends one event, with its line end, to `out`.
    pub fn write_event(self, e: &ExportedEvent<'_>, out: &mut Vec<u8>) {
        match self {
            JournalFormat::Ndjson => {
                // Into a Vec: cannot fail (every map key is a string).
                let _ = serde_json::to_writer(&mut *out, &JsonEvent::of(e));
                out.push(b'\n');
            }
            JournalFormat::Csv => {
                out.extend_from_slice(crate::csv_out::record(fields(e)).as_bytes())
            }
            JournalFormat::Xml => out.extend_from_slice(xml_element(e).as_bytes()),
            JournalFormat::Ocsf => {
                let _ = serde_json::to_writer(&mut *out, &ocsf(e));
                out.push(b'\n');
            }
            JournalFormat::Cef => out.extend_from_slice(cef_line(e).as_bytes()),
        }
    }
}

pub const CSV_COLUMNS: [&str; 14] = [
    "index",
    "event_time",
    "received_time",
    "source",
    "type",
    "severity",
    "severity_code",
    "actor",
    "target",
    "commanditaire",
    "source_address",
    "outcome",
    "attributes",
    "leaf_hash",
];

/// The fields every format carries, in CSV column order.
fn fields(e: &ExportedEvent<'_>) -> [String; 14] {
    let ev = e.event;
    [
        e.index.to_string(),
        ev.event_time.to_string(),
        ev.received_time.to_string(),
        ev.source.clone(),
        ev.action.clone(),
        ev.severity.name().into(),
        ev.severity.code().to_string(),
        ev.actor.clone(),
        ev.target.clone(),
        ev.tenant.clone().unwrap_or_default(),
        ev.source_address.map(|a| a.to_string()).unwrap_or_default(),
        ev.outcome.name().into(),
        ev.attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; "),
        hex(e.leaf_hash),
    ]
}

/// A value written through its `Display`, without an intermediate string.
struct Shown<T>(T);

impl<T: std::fmt::Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// One NDJSON line's object, fields in CSV column order, borrowed from the
/// event: serialized straight into the export's buffer (an export writes
/// hundreds of thousands of these a second).
#[derive(Serialize)]
struct JsonEvent<'a> {
    index: u64,
    event_time: Shown<Timestamp>,
    received_time: Shown<Timestamp>,
    source: &'a str,
    #[serde(rename = "type")]
    action: &'a str,
    severity: &'static str,
    severity_code: u8,
    actor: &'a str,
    target: &'a str,
    commanditaire: Option<&'a str>,
    source_address: Option<Shown<IpAddr>>,
    outcome: &'static str,
    attributes: &'a BTreeMap<String, String>,
    leaf_hash: String,
}

impl<'a> JsonEvent<'a> {
    fn of(e: &ExportedEvent<'a>) -> JsonEvent<'a> {
        let ev = e.event;
        JsonEvent {
            index: e.index,
            event_time: Shown(ev.event_time),
            received_time: Shown(ev.received_time),
            source: &ev.source,
            action: &ev.action,
            severity: ev.severity.name(),
            severity_code: ev.severity.code(),
            actor: &ev.actor,
            target: &ev.target,
            commanditaire: ev.tenant.as_deref(),
            source_address: ev.source_address.map(Shown),
            outcome: ev.outcome.name(),
            attributes: &ev.attributes,
            leaf_hash: hex(e.leaf_hash),
        }
    }
}

/// Text made safe for XML 1.0 content and attribute values: markup
/// escaped, and characters XML cannot carry at all (most C0 controls)
/// replaced by U+FFFD, so the document is well-formed whatever the event
/// text holds.
pub fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn xml_element(e: &ExportedEvent<'_>) -> String {
    let f = fields(e);
    let mut out = format!("  <event index=\"{}\">\n", e.index);
    for (name, value) in CSV_COLUMNS.iter().zip(f.iter()).skip(1) {
        if *name == "attributes" {
            continue;
        }
        out.push_str(&format!("    <{name}>{}</{name}>\n", xml_text(value)));
    }
    out.push_str("    <attributes>\n");
    for (k, v) in &e.event.attributes {
        out.push_str(&format!(
            "      <attribute name=\"{}\">{}</attribute>\n",
            xml_text(k),
            xml_text(v)
        ));
    }
    out.push_str("    </attributes>\n  </event>\n");
    out
}

/// OCSF 1.x-shaped "API Activity" (class 6003): the common attributes SIEMs
/// key on (time, severity, status, actor, endpoint, metadata); Thiqa's own
/// fields go under `unmapped`.
pub fn ocsf(e: &ExportedEvent<'_>) -> Value {
    let ev = e.event;
    let severity_id = match ev.severity {
        Severity::Debug | Severity::Informational => 1,
        Severity::Notice => 2,
        Severity::Warning => 3,
        Severity::Error => 4,
        Severity::Critical => 5,
        Severity::Alert | Severity::Emergency => 6,
    };
    let (status, status_id) = match ev.outcome {
        Outcome::Success => ("Success", 1),
        Outcome::Failure => ("Failure", 2),
        Outcome::Unknown => ("Unknown", 0),
    };
    let mut unmapped = Map::new();
    unmapped.insert("commanditaire".into(), json!(ev.tenant));
    unmapped.insert("target".into(), json!(ev.target));
    unmapped.insert("attributes".into(), json!(ev.attributes));
    unmapped.insert("leaf_hash".into(), json!(hex(e.leaf_hash)));
    json!({
        "category_uid": 6,
        "class_uid": 6003,
        "type_uid": 600399,
        "activity_id": 99,
        "activity_name": ev.action,
        "time": ev.event_time.unix_millis(),
        "severity_id": severity_id,
        "status": status,
        "status_id": status_id,
        "actor": {"user": {"name": ev.actor}},
        "src_endpoint": {"ip": ev.source_address.map(|a| a.to_string())},
        "metadata": {
            "version": "1.1.0",
            "uid": e.index.to_string(),
            "logged_time": ev.received_time.unix_millis(),
            "product": {"name": "Thiqa journal", "vendor_name": ev.source},
        },
        "unmapped": unmapped,
    })
}

/// CEF header fields escape `\` and `|`; extension values escape `\`, `=`
/// and line breaks (ArcSight CEF rules).
fn cef_header(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn cef_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn cef_line(e: &ExportedEvent<'_>) -> String {
    let ev = e.event;
    // RFC 5424 0 (emergency) … 7 (debug) onto CEF 10 … 0.
    let severity = [10, 9, 8, 7, 5, 3, 1, 0][usize::from(ev.severity.code().min(7))];
    let mut ext = vec![
        format!("rt={}", ev.event_time.unix_millis()),
        format!("suser={}", cef_value(&ev.actor)),
        format!("duid={}", cef_value(&ev.target)),
        format!("outcome={}", ev.outcome.name()),
        format!("externalId={}", e.index),
        format!(
            "cs1Label=commanditaire cs1={}",
            cef_value(ev.tenant.as_deref().unwrap_or(""))
        ),
        format!("cs2Label=leafHash cs2={}", hex(e.leaf_hash)),
    ];
    if let Some(a) = ev.source_address {
        ext.push(format!("src={a}"));
    }
    format!(
        "CEF:0|Thiqa|{}|1|{}|{}|{}|{}\n",
        cef_header(&ev.source),
        cef_header(&ev.action),
        cef_header(&ev.action),
        severity,
        ext.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spreadsheet opening the CSV export never runs an event's text as
    /// a formula (the other CSV outputs: `csv_out`'s tests).
    #[test]
    fn csv_export_neutralises_formula_cells() {
        let t = thiqa_journal::Timestamp::parse("2026-11-29T10:00:00.000Z").unwrap();
        let event = thiqa_journal::Event {
            event_time: t,
            received_time: t,
            source: "fw/edge".into(),
            action: "login".into(),
            severity: thiqa_journal::Severity::Warning,
            actor: "=cmd|' /C calc'!A0".into(),
            target: "+target".into(),
            tenant: None,
            source_address: None,
            outcome: thiqa_journal::Outcome::Failure,
            attributes: Default::default(),
        };
        let mut journal = Vec::new();
        JournalFormat::Csv.write_event(
            &ExportedEvent {
                index: 1,
                leaf_hash: &[0; 32],
                event: &event,
            },
            &mut journal,
        );
        let journal = String::from_utf8(journal).unwrap();
        assert!(
            journal.contains(",\"'=cmd|' /C calc'!A0\",\"'+target\","),
            "{journal}"
        );
    }

    /// One event in format `f`, as text.
    fn written(f: JournalFormat, e: &ExportedEvent<'_>) -> String {
        let mut out = Vec::new();
        f.write_event(e, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn event() -> Event {
        let t = Timestamp::parse("2026-11-29T10:00:00.000Z").unwrap();
        Event {
            event_time: t,
            received_time: t,
            source: "hv|kvm-07".into(),
            action: "vm.snapshot.delete".into(),
            severity: Severity::Warning,
            actor: "ops<script>&\"x\"".into(),
            target: "vm=42\nnext".into(),
            tenant: Some("organisation:3".into()),
            source_address: Some("10.0.0.7".parse().unwrap()),
            outcome: Outcome::Failure,
            attributes: BTreeMap::from([("note".into(), "bell\u{7} and ]]> end".into())]),
        }
    }

    #[test]
    fn xml_is_well_formed_whatever_the_text() {
        let ev = event();
        let e = ExportedEvent {
            index: 9,
            leaf_hash: &[7; 32],
            event: &ev,
        };
        let f = JournalFormat::Xml;
        let doc = f.header() + &written(f, &e) + &f.footer();
        assert!(doc.contains("ops&lt;script&gt;&amp;&quot;x&quot;"));
        assert!(doc.contains("bell\u{FFFD} and ]]&gt; end"));
        assert!(!doc.contains('\u{7}'));
    }

    #[test]
    fn cef_escapes_header_and_extension_separators() {
        let ev = event();
        let e = ExportedEvent {
            index: 9,
            leaf_hash: &[7; 32],
            event: &ev,
        };
        let line = written(JournalFormat::Cef, &e);
        assert!(line.starts_with("CEF:0|Thiqa|hv\\|kvm-07|1|vm.snapshot.delete|"));
        assert!(line.contains("|5|"), "warning is CEF 5: {line}");
        assert!(line.contains("duid=vm\\=42\\nnext"));
        assert_eq!(line.matches('\n').count(), 1);
    }

    #[test]
    fn csv_and_json_carry_the_same_fields() {
        let ev = event();
        let e = ExportedEvent {
            index: 9,
            leaf_hash: &[7; 32],
            event: &ev,
        };
        let line = written(JournalFormat::Ndjson, &e);
        assert_eq!(line.matches('\n').count(), 1, "one line: {line}");
        let json: Value = serde_json::from_str(&line).unwrap();
        let text = JournalFormat::Csv.header() + &written(JournalFormat::Csv, &e);
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "9");
        assert_eq!(&row[9], json["commanditaire"].as_str().unwrap());
        assert_eq!(&row[8], "vm=42\nnext");
        assert_eq!(json["severity"], "warning");
        // The same field list as the CSV columns (documented once).
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut columns = CSV_COLUMNS.to_vec();
        columns.sort_unstable();
        assert_eq!(keys, columns);
        assert_eq!(json["leaf_hash"], "07".repeat(32));
        assert_eq!(json["event_time"], "2026-11-29T10:00:00.000Z");
        assert_eq!(json["source_address"], "10.0.0.7");
        assert_eq!(ocsf(&e)["severity_id"], 3);
    }
}

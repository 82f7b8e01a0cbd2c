//! Correlation rules (référentiel 3.8.9): "at least `threshold` events
//! matching these fields, with the same key, within `window`". Parsing and
//! matching only (pure); the format is documented in
//! `docs/correlation-rules.md`, and [`RuleSet::defaults`] are the rules of
//! `rules/default.toml`.

use std::collections::BTreeSet;
use std::fmt;

use thiqa_journal::{Event, Severity};

/// The rules Thiqa ships (`crates/thiqa-rules/rules/default.toml`).
pub const DEFAULT_RULES: &str = include_str!("../rules/default.toml");

/// Largest threshold: the evaluator keeps up to this many recent events per
/// key, so it bounds the state.
pub const MAX_THRESHOLD: u32 = 1000;
/// Longest window (30 days).
pub const MAX_WINDOW_MS: i64 = 30 * 86_400_000;

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertSeverity {
    Low,
    Medium,
    High,
    Critical,
}

impl AlertSeverity {
    /// Most urgent first.
    pub const ALL: [AlertSeverity; 4] = [
        AlertSeverity::Critical,
        AlertSeverity::High,
        AlertSeverity::Medium,
        AlertSeverity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertSeverity::Low => "low",
            AlertSeverity::Medium => "medium",
            AlertSeverity::High => "high",
            AlertSeverity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<AlertSeverity> {
        Some(match s {
            "low" => AlertSeverity::Low,
            "medium" => AlertSeverity::Medium,
            "high" => AlertSeverity::High,
            "critical" => AlertSeverity::Critical,
            _ => return None,
        })
    }

    /// The RFC 5424 severity of the `alert.raise` journal event: low →
    /// notice, medium → warning, high → error, critical → critical.
    pub fn journal_severity(self) -> Severity {
        match self {
            AlertSeverity::Low => Severity::Notice,
            AlertSeverity::Medium => Severity::Warning,
            AlertSeverity::High => Severity::Error,
            AlertSeverity::Critical => Severity::Critical,
        }
    }
}

impl fmt::Display for AlertSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event field a rule reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Action,
    Source,
    Actor,
    Target,
    /// `provider:ID` or `organisation:ID`.
    Tenant,
    /// `success`, `failure` or `unknown`.
    Outcome,
    /// RFC 5424 name: `emergency` … `debug`.
    Severity,
    /// The IP address the action came from.
    SourceAddress,
    /// `attributes.NAME`.
    Attribute(String),
}

impl Field {
    /// Names a rule file may use.
    pub const NAMES: &'static str =
        "action, source, actor, target, tenant, outcome, severity, source_address, attributes.NAME";

    pub fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "action" => Field::Action,
            "source" => Field::Source,
            "actor" => Field::Actor,
            "target" => Field::Target,
            "tenant" => Field::Tenant,
            "outcome" => Field::Outcome,
            "severity" => Field::Severity,
            "source_address" => Field::SourceAddress,
            other => {
                let name = other.strip_prefix("attributes.")?;
                if name.is_empty() {
                    return None;
                }
                Field::Attribute(name.to_owned())
            }
        })
    }

    /// The field's value in `e`; `None` when the event has none (no
    /// address, no such attribute, no tenant).
    pub fn value(&self, e: &Event) -> Option<String> {
        Some(match self {
            Field::Action => e.action.clone(),
            Field::Source => e.source.clone(),
            Field::Actor => e.actor.clone(),
            Field::Target => e.target.clone(),
            Field::Tenant => e.tenant.clone()?,
            Field::Outcome => e.outcome.name().to_owned(),
            Field::Severity => e.severity.name().to_owned(),
            Field::SourceAddress => e.source_address?.to_string(),
            Field::Attribute(name) => e.attributes.get(name)?.clone(),
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Action => "action",
            Field::Source => "source",
            Field::Actor => "actor",
            Field::Target => "target",
            Field::Tenant => "tenant",
            Field::Outcome => "outcome",
            Field::Severity => "severity",
            Field::SourceAddress => "source_address",
            Field::Attribute(n) => return write!(f, "attributes.{n}"),
        })
    }
}

/// One accepted value, compared without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Exact(String),
    /// `value*`
    Prefix(String),
    /// `*value`
    Suffix(String),
    /// `*value*`
    Contains(String),
}

impl Pattern {
    /// `*` at the end, the start or both make a prefix, suffix or
    /// substring match; elsewhere it is an ordinary character.
    pub fn parse(text: &str) -> Pattern {
        let lower = text.to_lowercase();
        match (lower.strip_prefix('*'), lower.strip_suffix('*')) {
            (Some(rest), _) if rest.ends_with('*') && !rest.is_empty() => {
                Pattern::Contains(rest[..rest.len() - 1].to_owned())
            }
            (Some(rest), _) if !rest.is_empty() => Pattern::Suffix(rest.to_owned()),
            (_, Some(rest)) if !rest.is_empty() => Pattern::Prefix(rest.to_owned()),
            _ => Pattern::Exact(lower),
        }
    }

    fn matches(&self, value: &str) -> bool {
        let v = value.to_lowercase();
        match self {
            Pattern::Exact(p) => v == *p,
            Pattern::Prefix(p) => v.starts_with(p.as_str()),
            Pattern::Suffix(p) => v.ends_with(p.as_str()),
            Pattern::Contains(p) => v.contains(p.as_str()),
        }
    }
}

/// `field` has one of `any_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: Field,
    pub any_of: Vec<Pattern>,
}

/// One correlation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Stable id (alerts keep it): letters, digits and `. _ - :`.
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: AlertSeverity,
    /// Every condition must hold.
    pub conditions: Vec<Condition>,
    /// The key events are counted by; empty = one count for all.
    pub group_by: Vec<Field>,
    pub threshold: u32,
    pub window_ms: i64,
}

/// Actions of Thiqa's own alerting: never matched, so an alert can never
/// feed the rules that raised it.
pub const ALERT_ACTION_PREFIX: &str = "alert.";

impl Rule {
    /// Whether `e` counts for this rule.
    pub fn matches(&self, e: &Event) -> bool {
        if e.action.starts_with(ALERT_ACTION_PREFIX) && e.source == thiqa_journal::THIQA_SOURCE {
            return false;
        }
        self.conditions.iter().all(|c| {
            c.field
                .value(e)
                .is_some_and(|v| c.any_of.iter().any(|p| p.matches(&v)))
        })
    }

    /// The key `e` is counted under: `field=value` pairs joined by `, `
    /// (`""` when the rule has no `group_by`). `None` when one of the
    /// fields is missing or empty: such events are not counted.
    pub fn key(&self, e: &Event) -> Option<String> {
        let mut parts = Vec::with_capacity(self.group_by.len());
        for f in &self.group_by {
            let v = f.value(e).filter(|v| !v.is_empty())?;
            parts.push(format!("{f}={v}"));
        }
        Some(parts.join(", "))
    }
}

/// A rule file that cannot be used: which rule, which field, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The rule's id, or `#N` (1-based position) when it has none yet.
    pub rule: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.rule, &self.field) {
            (Some(r), Some(k)) => write!(f, "rule {r}, field `{k}`: {}", self.message),
            (Some(r), None) => write!(f, "rule {r}: {}", self.message),
            (None, Some(k)) => write!(f, "field `{k}`: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RuleError {}

/// The rules in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules Thiqa ships.
    pub fn defaults() -> RuleSet {
        // Checked by a unit test; an error here is a build defect.
        RuleSet::parse_toml(DEFAULT_RULES).unwrap_or_default()
    }

    /// Parses the TOML rule format (docs/correlation-rules.md).
    pub fn parse_toml(text: &str) -> Result<RuleSet, RuleError> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| RuleError {
            rule: None,
            field: None,
            message: format!("not valid TOML: {}", e.message()),
        })?;
        if let Some(k) = doc.keys().find(|k| *k != "rule") {
            return Err(RuleError {
                rule: None,
                field: Some(k.clone()),
                message: "unknown key (a rule file holds [[rule]] tables only)".into(),
            });
        }
        let list = match doc.get("rule") {
            None => return Ok(RuleSet::default()),
            Some(toml::Value::Array(a)) => a,
            Some(_) => {
                return Err(RuleError {
                    rule: None,
                    field: Some("rule".into()),
                    message: "must be an array of tables ([[rule]])".into(),
                })
            }
        };
        let mut rules = Vec::with_capacity(list.len());
        for (n, value) in list.iter().enumerate() {
            let position = format!("#{}", n + 1);
            let table = value.as_table().ok_or_else(|| RuleError {
                rule: Some(position.clone()),
                field: None,
                message: "must be a table".into(),
            })?;
            if let Some(rule) = toml_rule(table, &position)? {
                rules.push(rule);
            }
        }
        RuleSet::checked(rules)
    }

    /// Refuses duplicate ids.
    pub(crate) fn checked(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        let mut seen = BTreeSet::new();
        for r in &rules {
            if !seen.insert(r.id.as_str()) {
                return Err(RuleError {
                    rule: Some(r.id.clone()),
                    field: Some("id".into()),
                    message: "another rule has the same id".into(),
                });
            }
        }
        Ok(RuleSet { rules })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

const RULE_KEYS: &[&str] = &[
    "id",
    "title",
    "description",
    "severity",
    "match",
    "group_by",
    "threshold",
    "window",
    "enabled",
];

/// One `[[rule]]` table; `None` when `enabled = false`.
fn toml_rule(t: &toml::Table, position: &str) -> Result<Option<Rule>, RuleError> {
    let mut name = position.to_owned();
    let err = |name: &str, field: &str, message: String| RuleError {
        rule: Some(name.to_owned()),
        field: Some(field.to_owned()),
        message,
    };
    let id = match t.get("id") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(_) => return Err(err(&name, "id", "must be a string".into())),
        None => return Err(err(&name, "id", "is required".into())),
    };
    check_id(&id).map_err(|m| err(&name, "id", m))?;
    name = id.clone();
    if let Some(k) = t.keys().find(|k| !RULE_KEYS.contains(&k.as_str())) {
        return Err(err(
            &name,
            k,
            format!("unknown key (known: {})", RULE_KEYS.join(", ")),
        ));
    }
    let string = |field: &str, required: bool| -> Result<String, RuleError> {
        match t.get(field) {
            Some(toml::Value::String(s)) => Ok(s.trim().to_owned()),
            Some(_) => Err(err(&name, field, "must be a string".into())),
            None if required => Err(err(&name, field, "is required".into())),
            None => Ok(String::new()),
        }
    };
    if let Some(v) = t.get("enabled") {
        match v.as_bool() {
            Some(false) => return Ok(None),
            Some(true) => {}
            None => return Err(err(&name, "enabled", "must be true or false".into())),
        }
    }
    let title = string("title", true)?;
    if title.is_empty() || title.chars().count() > 200 {
        return Err(err(&name, "title", "must have 1 to 200 characters".into()));
    }
    let description = string("description", false)?;
    let severity_text = string("severity", true)?;
    let severity = AlertSeverity::parse(&severity_text).ok_or_else(|| {
        err(
            &name,
            "severity",
            format!("{severity_text:?} is not low, medium, high or critical"),
        )
    })?;
    let conditions = match t.get("match") {
        Some(toml::Value::Table(m)) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let field_name = format!("match.{k}");
                let field = Field::parse(k).ok_or_else(|| {
                    err(
                        &name,
                        &field_name,
                        format!("unknown event field (known: {})", Field::NAMES),
                    )
                })?;
                let values: Vec<&str> = match v {
                    toml::Value::String(s) => vec![s.as_str()],
                    toml::Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str())
                        .collect::<Option<Vec<_>>>()
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| {
                            err(
                                &name,
                                &field_name,
                                "must be a string or a non-empty list of strings".into(),
                            )
                        })?,
                    _ => {
                        return Err(err(
                            &name,
                            &field_name,
                            "must be a string or a non-empty list of strings".into(),
                        ))
                    }
                };
                out.push(Condition {
                    field,
                    any_of: values.into_iter().map(Pattern::parse).collect(),
                });
            }
            out
        }
        Some(_) => {
            return Err(err(
                &name,
                "match",
                "must be a table of field = value".into(),
            ))
        }
        None => {
            return Err(err(
                &name,
                "match",
                "is required (a rule that matches every event is refused)".into(),
            ))
        }
    };
    if conditions.is_empty() {
        return Err(err(
            &name,
            "match",
            "needs at least one field (a rule that matches every event is refused)".into(),
        ));
    }
    let group_by = match t.get("group_by") {
        None => vec![],
        Some(toml::Value::Array(a)) => {
            let mut out = Vec::with_capacity(a.len());
            for v in a {
                let f = v.as_str().and_then(Field::parse).ok_or_else(|| {
                    err(
                        &name,
                        "group_by",
                        format!("{v} is not an event field (known: {})", Field::NAMES),
                    )
                })?;
                out.push(f);
            }
            out
        }
        Some(_) => {
            return Err(err(
                &name,
                "group_by",
                "must be a list of field names".into(),
            ))
        }
    };
    let threshold = match t.get("threshold") {
        Some(toml::Value::Integer(n)) => {
            check_threshold(*n).map_err(|m| err(&name, "threshold", m))?
        }
        Some(_) => return Err(err(&name, "threshold", "must be an integer".into())),
        None => return Err(err(&name, "threshold", "is required".into())),
    };
    let window_text = string("window", true)?;
    let window_ms = parse_window(&window_text).map_err(|m| err(&name, "window", m))?;
    Ok(Some(Rule {
        id,
        title,
        description,
        severity,
        conditions,
        group_by,
        threshold,
        window_ms,
    }))
}

pub(crate) fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a rule id (1 to 64 letters, digits, . _ - :)"
        ))
    }
}

pub(crate) fn check_threshold(n: i64) -> Result<u32, String> {
    u32::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_THRESHOLD).contains(n))
        .ok_or_else(|| format!("{n} is not between 1 and {MAX_THRESHOLD}"))
}

/// `30s`, `5m`, `1h`, `2d`: 1 second to 30 days.
pub fn parse_window(text: &str) -> Result<i64, String> {
    let bad =
        || format!("{text:?} is not a duration (a number then s, m, h or d: 30s, 5m, 1h, 1d)");
    let unit = text.chars().last().ok_or_else(bad)?;
    let n: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let ms = match unit {
        's' => 1000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        _ => return Err(bad()),
    };
    let window = n.checked_mul(ms).ok_or_else(bad)?;
    if !(1000..=MAX_WINDOW_MS).contains(&window) {
        return Err(format!("{text:?} is outside 1s to 30d"));
    }
    Ok(window)
}

/// A window as the rule file writes it (the largest exact unit).
pub fn format_window(ms: i64) -> String {
    for (unit, size) in [('d', 86_400_000), ('h', 3_600_000), ('m', 60_000)] {
        if ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{}s", ms / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use thiqa_journal::{Outcome, Timestamp};

    fn event(action: &str, outcome: Outcome) -> Event {
        let t = Timestamp::from_unix_millis(1_780_000_000_000).unwrap();
        Event {
            event_time: t,
            received_time: t,
            source: "thiqa".into(),
            action: action.into(),
            severity: Severity::Warning,
            actor: "amal".into(),
            target: "operators:amal".into(),
            tenant: Some("provider:1".into()),
            source_address: Some("192.0.2.7".parse().unwrap()),
            outcome,
            attributes: BTreeMap::from([("details".to_owned(), "wrong password".to_owned())]),
        }
    }

    fn one(text: &str) -> Result<Rule, RuleError> {
        RuleSet::parse_toml(text).map(|s| s.rules.into_iter().next().unwrap())
    }

    const GOOD: &str = r#"
[[rule]]
id = "auth.bruteforce"
title = "10 échecs de connexion pour un même compte en 5 minutes"
severity = "high"
match = { action = "login", outcome = "failure" }
group_by = ["target"]
threshold = 10
window = "5m"
"#;

    #[test]
    fn the_documented_example_parses() {
        let r = one(GOOD).unwrap();
        assert_eq!(r.id, "auth.bruteforce");
        assert_eq!(r.severity, AlertSeverity::High);
        assert_eq!((r.threshold, r.window_ms), (10, 300_000));
        assert_eq!(r.group_by, vec![Field::Target]);
        let e = event("login", Outcome::Failure);
        assert!(r.matches(&e));
        assert_eq!(r.key(&e).as_deref(), Some("target=operators:amal"));
        assert!(!r.matches(&event("login", Outcome::Success)));
        assert!(!r.matches(&event("logout", Outcome::Failure)));
    }

    #[test]
    fn the_shipped_rules_parse() {
        let set = RuleSet::parse_toml(DEFAULT_RULES).unwrap();
        assert!(set.rules.len() >= 4, "{set:?}");
        assert_eq!(RuleSet::defaults(), set);
    }

    #[test]
    fn patterns_match_prefixes_suffixes_and_ignore_case() {
        assert!(Pattern::parse("role.*").matches("role.assign"));
        assert!(!Pattern::parse("role.*").matches("roles"));
        assert!(Pattern::parse("*.delete").matches("vm.snapshot.DELETE"));
        assert!(Pattern::parse("*snap*").matches("vm.snapshot.delete"));
        assert!(Pattern::parse("Failure").matches("failure"));
        assert_eq!(Pattern::parse("*"), Pattern::Exact("*".into()));
    }

    #[test]
    fn fields_read_attributes_addresses_and_names() {
        let e = event("login", Outcome::Failure);
        assert_eq!(
            Field::parse("attributes.details")
                .unwrap()
                .value(&e)
                .as_deref(),
            Some("wrong password")
        );
        assert_eq!(
            Field::parse("source_address").unwrap().value(&e).as_deref(),
            Some("192.0.2.7")
        );
        assert_eq!(
            Field::parse("severity").unwrap().value(&e).as_deref(),
            Some("warning")
        );
        assert_eq!(Field::parse("attributes.none").unwrap().value(&e), None);
        assert_eq!(Field::parse("attributes."), None);
    }

    #[test]
    fn events_without_the_key_are_not_counted() {
        let r = one(&GOOD.replace("[\"target\"]", "[\"attributes.session\"]")).unwrap();
        assert_eq!(r.key(&event("login", Outcome::Failure)), None);
        let r = one(&GOOD.replace("group_by = [\"target\"]", "")).unwrap();
        assert_eq!(
            r.key(&event("login", Outcome::Failure)).as_deref(),
            Some("")
        );
    }

    #[test]
    fn alerts_never_match_their_own_rules() {
        let r = one(&GOOD.replace("action = \"login\"", "action = \"alert.*\"")).unwrap();
        assert!(!r.matches(&event("alert.raise", Outcome::Failure)));
    }

    fn error_of(text: &str) -> RuleError {
        RuleSet::parse_toml(text).unwrap_err()
    }

    #[test]
    fn errors_name_the_rule_and_the_field() {
        let e = error_of(&GOOD.replace("\"5m\"", "\"5x\""));
        assert_eq!(e.rule.as_deref(), Some("auth.bruteforce"));
        assert_eq!(e.field.as_deref(), Some("window"));
        assert!(
            e.to_string()
                .contains("rule auth.bruteforce, field `window`"),
            "{e}"
        );

        let e = error_of(&GOOD.replace("\"high\"", "\"urgent\""));
        assert_eq!(e.field.as_deref(), Some("severity"));
        assert!(e.message.contains("urgent"), "{e}");

        let e = error_of(&GOOD.replace("threshold = 10", "threshold = 0"));
        assert_eq!(e.field.as_deref(), Some("threshold"));

        let e = error_of(&GOOD.replace("threshold = 10", "threshold = \"10\""));
        assert_eq!(e.field.as_deref(), Some("threshold"));

        let e = error_of(&GOOD.replace("threshold = 10\n", ""));
        assert_eq!(e.field.as_deref(), Some("threshold"));
        assert!(e.message.contains("required"));

        let e = error_of(&GOOD.replace("outcome =", "result ="));
        assert_eq!(e.field.as_deref(), Some("match.result"));

        let e = error_of(&GOOD.replace("[\"target\"]", "[\"who\"]"));
        assert_eq!(e.field.as_deref(), Some("group_by"));

        let e = error_of(&GOOD.replace("window = ", "windw = \"1m\"\nwindow = "));
        assert_eq!(e.field.as_deref(), Some("windw"));

        let e = error_of(&GOOD.replace(
            "match = { action = \"login\", outcome = \"failure\" }",
            "match = {}",
        ));
        assert_eq!(e.field.as_deref(), Some("match"));
    }

    #[test]
    fn a_rule_without_an_id_is_named_by_its_position() {
        let text = format!("{GOOD}\n[[rule]]\ntitle = \"x\"\n");
        let e = error_of(&text);
        assert_eq!(e.rule.as_deref(), Some("#2"));
        assert_eq!(e.field.as_deref(), Some("id"));
        let e = error_of(&format!("{GOOD}{GOOD}"));
        assert_eq!(e.rule.as_deref(), Some("auth.bruteforce"));
        assert!(e.message.contains("same id"));
        let e = error_of("rules = 3");
        assert_eq!(e.field.as_deref(), Some("rules"));
        let e = error_of("[[rule]\n");
        assert!(e.message.contains("TOML"), "{e}");
    }

    #[test]
    fn disabled_rules_are_left_out() {
        let set = RuleSet::parse_toml(&GOOD.replace("window", "enabled = false\nwindow")).unwrap();
        assert!(set.is_empty());
    }

    #[test]
    fn windows_parse_and_print() {
        assert_eq!(parse_window("30s"), Ok(30_000));
        assert_eq!(parse_window("2h"), Ok(7_200_000));
        assert_eq!(parse_window("1d"), Ok(86_400_000));
        assert!(parse_window("0s").is_err());
        assert!(parse_window("31d").is_err());
        assert!(parse_window("5").is_err());
        assert!(parse_window("").is_err());
        assert!(parse_window("m").is_err());
        assert_eq!(format_window(300_000), "5m");
        assert_eq!(format_window(90_000), "90s");
        assert_eq!(format_window(86_400_000), "1d");
    }
}

//! A Sigma-compatible subset (docs/correlation-rules.md, "Sigma"): rules
//! written as Sigma v1 detections with one selection and a `count()`
//! aggregation become [`Rule`]s. The YAML reader here understands what
//! such rules use (block mappings, block and flow lists of scalars, quoted
//! and plain scalars, `|` and `>` text, comments, `---` between rules) and
//! refuses anything else with the line number.

use crate::rules::{
    check_id, check_threshold, parse_window, AlertSeverity, Condition, Field, Pattern, Rule,
    RuleError, RuleSet,
};

/// A YAML node of the subset.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Scalar(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn scalar(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

/// One significant line: indentation, text without comment, line number.
struct Line {
    indent: usize,
    text: String,
    /// The whole line, trimmed (text blocks keep their `#`).
    raw: String,
    number: usize,
}

/// Cuts a trailing ` # comment` outside quotes.
fn strip_comment(s: &str) -> &str {
    let mut quote = None;
    let mut prev_space = true;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') if prev_space => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev_space => return s[..i].trim_end(),
            _ => {}
        }
        prev_space = c == ' ' || c == '\t';
    }
    s.trim_end()
}

struct Parser {
    lines: Vec<Line>,
    pos: usize,
}

type ParseResult<T> = Result<T, String>;

impl Parser {
    fn new(doc: &str, first_line: usize) -> ParseResult<Parser> {
        let mut lines = Vec::new();
        for (i, l) in doc.lines().enumerate() {
            if l.starts_with('\t') {
                return Err(format!("line {}: tabs cannot indent YAML", first_line + i));
            }
            let text = strip_comment(l);
            if text.trim().is_empty() {
                continue;
            }
            let indent = text.len() - text.trim_start().len();
            lines.push(Line {
                indent,
                text: text.trim_start().to_owned(),
                raw: l.trim().to_owned(),
                number: first_line + i,
            });
        }
        Ok(Parser { lines, pos: 0 })
    }

    /// The block starting at the current line (a list or a mapping).
    fn block(&mut self) -> ParseResult<Node> {
        let Some(first) = self.lines.get(self.pos) else {
            return Ok(Node::Scalar(String::new()));
        };
        if first.text == "-" || first.text.starts_with("- ") {
            self.list(first.indent)
        } else {
            self.map(first.indent)
        }
    }

    fn list(&mut self, indent: usize) -> ParseResult<Node> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent || !(line.text == "-" || line.text.starts_with("- ")) {
                if line.indent > indent {
                    return Err(format!("line {}: unexpected indentation", line.number));
                }
                break;
            }
            let item = line.text[1..].trim().to_owned();
            let number = line.number;
            self.pos += 1;
            if item.is_empty() || item.contains(": ") || item.ends_with(':') {
                return Err(format!(
                    "line {number}: only lists of plain values are supported"
                ));
            }
            items.push(scalar_or_flow(&item, number)?);
        }
        Ok(Node::List(items))
    }

    fn map(&mut self, indent: usize) -> ParseResult<Node> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent < indent {
                break;
            }
            let number = line.number;
            if line.indent > indent {
                return Err(format!("line {number}: unexpected indentation"));
            }
            let (key, rest) = split_key(&line.text)
                .ok_or_else(|| format!("line {number}: expected `key: value`"))?;
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(format!("line {number}: key {key:?} appears twice"));
            }
            self.pos += 1;
            let value = if rest.is_empty() {
                match self.lines.get(self.pos) {
                    Some(next) if next.indent > indent => self.block()?,
                    // A list may sit at the key's own indentation.
                    Some(next)
                        if next.indent == indent
                            && (next.text == "-" || next.text.starts_with("- ")) =>
                    {
                        self.list(indent)?
                    }
                    _ => Node::Scalar(String::new()),
                }
            } else if rest == "|" || rest == ">" || rest.starts_with("|-") || rest.starts_with(">-")
            {
                self.text_block(indent, rest.starts_with('>'))
            } else {
                scalar_or_flow(&rest, number)?
            };
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }

    /// A `|` or `>` block: the following more-indented lines.
    fn text_block(&mut self, indent: usize, folded: bool) -> Node {
        let mut parts = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent <= indent {
                break;
            }
            parts.push(line.raw.clone());
            self.pos += 1;
        }
        Node::Scalar(parts.join(if folded { " " } else { "\n" }))
    }
}

fn split_key(text: &str) -> Option<(String, String)> {
    let (key, rest) = if let Some(k) = text.strip_suffix(':') {
        (k, "")
    } else {
        let i = text.find(": ")?;
        (&text[..i], text[i + 2..].trim())
    };
    let key = unquote(key.trim()).ok()?;
    (!key.is_empty()).then(|| (key, rest.to_owned()))
}

fn scalar_or_flow(text: &str, number: usize) -> ParseResult<Node> {
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| format!("line {number}: unclosed ["))?;
        if inner.trim().is_empty() {
            return Ok(Node::List(vec![]));
        }
        return inner
            .split(',')
            .map(|s| {
                unquote(s.trim())
                    .map(Node::Scalar)
                    .map_err(|m| format!("line {number}: {m}"))
            })
            .collect::<ParseResult<Vec<_>>>()
            .map(Node::List);
    }
    if text.starts_with('{') {
        return Err(format!(
            "line {number}: flow mappings {{…}} are not supported"
        ));
    }
    unquote(text)
        .map(Node::Scalar)
        .map_err(|m| format!("line {number}: {m}"))
}

fn unquote(text: &str) -> Result<String, String> {
    if let Some(inner) = text.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'').ok_or("unclosed single quote")?;
        return Ok(inner.replace("''", "'"));
    }
    if let Some(inner) = text.strip_prefix('"') {
        let inner = inner.strip_suffix('"').ok_or("unclosed double quote")?;
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(c @ ('"' | '\\' | '/')) => out.push(c),
                other => return Err(format!("unsupported escape \\{}", other.unwrap_or(' '))),
            }
        }
        return Ok(out);
    }
    if text.starts_with(['&', '*', '!', '%', '@', '`']) {
        return Err(format!(
            "{text:?}: anchors, aliases and tags are not supported"
        ));
    }
    Ok(text.to_owned())
}

/// Splits a stream into documents at `---` lines; keeps each one's first
/// line number.
fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" {
            docs.push((i + 2, String::new()));
        } else if let Some((_, d)) = docs.last_mut() {
            d.push_str(line);
            d.push('\n');
        }
    }
    docs.retain(|(_, d)| d.lines().any(|l| !strip_comment(l).trim().is_empty()));
    docs
}

fn parse_yaml(doc: &str, first_line: usize) -> ParseResult<Node> {
    let mut p = Parser::new(doc, first_line)?;
    let node = p.map(0)?;
    if let Some(line) = p.lines.get(p.pos) {
        return Err(format!("line {}: unexpected indentation", line.number));
    }
    Ok(node)
}

/// Parses one or more Sigma rules (separated by `---`).
pub fn parse_sigma(text: &str) -> Result<RuleSet, RuleError> {
    let mut rules = Vec::new();
    for (n, (first_line, doc)) in documents(text).into_iter().enumerate() {
        let position = format!("#{}", n + 1);
        let node = parse_yaml(&doc, first_line).map_err(|message| RuleError {
            rule: Some(position.clone()),
            field: None,
            message: format!("not valid YAML of the supported subset: {message}"),
        })?;
        rules.push(sigma_rule(&node, &position)?);
    }
    RuleSet::checked(rules)
}

fn sigma_rule(node: &Node, position: &str) -> Result<Rule, RuleError> {
    let err = |rule: &str, field: &str, message: String| RuleError {
        rule: Some(rule.to_owned()),
        field: Some(field.to_owned()),
        message,
    };
    let text = |key: &str| node.get(key).and_then(Node::scalar).map(str::trim);
    let id = text("id").ok_or_else(|| err(position, "id", "is required (a string)".into()))?;
    check_id(id).map_err(|m| err(position, "id", m))?;
    let name = id;
    let title = text("title")
        .filter(|t| !t.is_empty() && t.chars().count() <= 200)
        .ok_or_else(|| err(name, "title", "is required (1 to 200 characters)".into()))?;
    let level = text("level").unwrap_or("medium");
    let severity = match level {
        "informational" | "low" => AlertSeverity::Low,
        other => AlertSeverity::parse(other).ok_or_else(|| {
            err(
                name,
                "level",
                format!("{other:?} is not informational, low, medium, high or critical"),
            )
        })?,
    };
    let detection = node
        .get("detection")
        .filter(|d| matches!(d, Node::Map(_)))
        .ok_or_else(|| err(name, "detection", "is required (a mapping)".into()))?;
    let condition = detection
        .get("condition")
        .and_then(Node::scalar)
        .ok_or_else(|| err(name, "detection.condition", "is required (one line)".into()))?;
    let cond = parse_condition(condition).map_err(|m| err(name, "detection.condition", m))?;
    let selection_field = format!("detection.{}", cond.selection);
    let Some(Node::Map(selection)) = detection.get(&cond.selection) else {
        return Err(err(
            name,
            &selection_field,
            "must be a mapping of field: value (the selection the condition names)".into(),
        ));
    };
    if let Node::Map(entries) = detection {
        if let Some((k, _)) = entries
            .iter()
            .find(|(k, _)| *k != "condition" && *k != "timeframe" && *k != cond.selection)
        {
            return Err(err(
                name,
                &format!("detection.{k}"),
                "only one selection is supported; the condition does not use this one".into(),
            ));
        }
    }
    let mut conditions = Vec::with_capacity(selection.len());
    for (key, value) in selection {
        let field_name = format!("{selection_field}.{key}");
        let (field, modifier) = match key.split_once('|') {
            Some((f, m)) => (f, Some(m)),
            None => (key.as_str(), None),
        };
        let field = Field::parse(field).ok_or_else(|| {
            err(
                name,
                &field_name,
                format!("unknown event field (known: {})", Field::NAMES),
            )
        })?;
        let values: Vec<&str> = match value {
            Node::Scalar(s) => vec![s.as_str()],
            Node::List(items) => items
                .iter()
                .map(Node::scalar)
                .collect::<Option<Vec<_>>>()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    err(
                        name,
                        &field_name,
                        "must be a value or a list of values".into(),
                    )
                })?,
            Node::Map(_) => {
                return Err(err(
                    name,
                    &field_name,
                    "must be a value or a list of values".into(),
                ))
            }
        };
        let make = |v: &str| -> Result<Pattern, RuleError> {
            let v = v.to_lowercase();
            Ok(match modifier {
                None => Pattern::parse(&v),
                Some("startswith") => Pattern::Prefix(v),
                Some("endswith") => Pattern::Suffix(v),
                Some("contains") => Pattern::Contains(v),
                Some(m) => {
                    return Err(err(
                        name,
                        &field_name,
                        format!("modifier |{m} is not supported (startswith, endswith, contains)"),
                    ))
                }
            })
        };
        conditions.push(Condition {
            field,
            any_of: values.into_iter().map(make).collect::<Result<_, _>>()?,
        });
    }
    if conditions.is_empty() {
        return Err(err(
            name,
            &selection_field,
            "needs at least one field (a rule that matches every event is refused)".into(),
        ));
    }
    let mut group_by = Vec::new();
    for f in &cond.by {
        group_by.push(Field::parse(f).ok_or_else(|| {
            err(
                name,
                "detection.condition",
                format!("`by {f}`: unknown event field (known: {})", Field::NAMES),
            )
        })?);
    }
    let threshold =
        check_threshold(cond.threshold).map_err(|m| err(name, "detection.condition", m))?;
    let window_ms = match detection.get("timeframe").and_then(Node::scalar) {
        Some(t) => parse_window(t.trim()).map_err(|m| err(name, "detection.timeframe", m))?,
        None if cond.aggregated => {
            return Err(err(
                name,
                "detection.timeframe",
                "is required with count()".into(),
            ))
        }
        // A plain selection raises one alert per minute and key at most.
        None => 60_000,
    };
    Ok(Rule {
        id: id.to_owned(),
        title: title.to_owned(),
        description: text("description").unwrap_or("").to_owned(),
        severity,
        conditions,
        group_by,
        threshold,
        window_ms,
    })
}

struct SigmaCondition {
    selection: String,
    by: Vec<String>,
    threshold: i64,
    aggregated: bool,
}

/// `NAME`, or `NAME | count() [by F[, G]] (>|>=) N`.
fn parse_condition(text: &str) -> Result<SigmaCondition, String> {
    let unsupported = || {
        format!(
            "{text:?} is not supported: write `selection` or `selection | count() [by field] > N` \
             (no and/or/not, no `1 of`, one selection)"
        )
    };
    let is_name = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !matches!(s, "and" | "or" | "not" | "of" | "all" | "them")
    };
    let (selection, aggregation) = match text.split_once('|') {
        Some((s, a)) => (s.trim(), Some(a.trim())),
        None => (text.trim(), None),
    };
    if !is_name(selection) {
        return Err(unsupported());
    }
    let Some(agg) = aggregation else {
        return Ok(SigmaCondition {
            selection: selection.to_owned(),
            by: vec![],
            threshold: 1,
            aggregated: false,
        });
    };
    let rest = agg.strip_prefix("count()").ok_or_else(unsupported)?.trim();
    let (by_part, comparison) = match rest.find(['>', '<', '=']) {
        Some(i) => (rest[..i].trim(), rest[i..].trim()),
        None => return Err(unsupported()),
    };
    let by = if by_part.is_empty() {
        vec![]
    } else {
        let fields = by_part.strip_prefix("by ").ok_or_else(unsupported)?;
        fields.split(',').map(|f| f.trim().to_owned()).collect()
    };
    let (strict, number) = if let Some(n) = comparison.strip_prefix(">=") {
        (false, n)
    } else if let Some(n) = comparison.strip_prefix('>') {
        (true, n)
    } else {
        return Err(format!(
            "{text:?}: only `> N` and `>= N` are supported (an alert is raised when the count reaches a threshold)"
        ));
    };
    let n: i64 = number.trim().parse().map_err(|_| unsupported())?;
    Ok(SigmaCondition {
        selection: selection.to_owned(),
        by,
        threshold: if strict { n.saturating_add(1) } else { n },
        aggregated: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BRUTE: &str = r#"
title: 10 échecs de connexion pour un même compte en 5 minutes
id: 0e95725d-7320-415d-80f7-004da920fc11
status: experimental
description: |
  Devine un mot de passe.
  Deuxième ligne.
logsource:
  product: thiqa
detection:
  selection:
    action: login      # Thiqa's failed logins
    outcome: 'failure'
  condition: selection | count() by actor > 9
  timeframe: 5m
level: high
tags: [attack.credential_access, attack.t1110]
"#;

    #[test]
    fn a_counting_rule_becomes_a_threshold_rule() {
        let set = parse_sigma(BRUTE).unwrap();
        let r = &set.rules[0];
        assert_eq!(r.id, "0e95725d-7320-415d-80f7-004da920fc11");
        assert_eq!(r.severity, AlertSeverity::High);
        assert_eq!((r.threshold, r.window_ms), (10, 300_000));
        assert_eq!(r.group_by, vec![Field::Actor]);
        assert_eq!(r.description, "Devine un mot de passe.\nDeuxième ligne.");
        assert_eq!(r.conditions.len(), 2);
        assert_eq!(
            r.conditions[1].any_of,
            vec![Pattern::Exact("failure".into())]
        );
    }

    #[test]
    fn lists_modifiers_and_several_documents() {
        let text = format!(
            "{BRUTE}---\ntitle: Droits\nid: rights.burst\nlevel: medium\ndetection:\n  sel:\n    action|startswith:\n      - role.\n      - separation.\n    attributes.details|contains: admin\n  condition: sel | count() >= 5\n  timeframe: 10m\n"
        );
        let set = parse_sigma(&text).unwrap();
        assert_eq!(set.rules.len(), 2);
        let r = &set.rules[1];
        assert_eq!(r.threshold, 5);
        assert!(r.group_by.is_empty());
        assert_eq!(
            r.conditions[0].any_of,
            vec![
                Pattern::Prefix("role.".into()),
                Pattern::Prefix("separation.".into())
            ]
        );
        assert_eq!(
            r.conditions[1].any_of,
            vec![Pattern::Contains("admin".into())]
        );
    }

    #[test]
    fn a_plain_selection_alerts_on_every_match() {
        let r = &parse_sigma(&BRUTE.replace("selection | count() by actor > 9", "selection"))
            .unwrap()
            .rules[0];
        assert_eq!(r.threshold, 1);
    }

    fn error_of(text: &str) -> RuleError {
        parse_sigma(text).unwrap_err()
    }

    #[test]
    fn errors_name_the_rule_and_the_field() {
        let id = Some("0e95725d-7320-415d-80f7-004da920fc11");
        let e = error_of(&BRUTE.replace("> 9", "< 9"));
        assert_eq!(
            (e.rule.as_deref(), e.field.as_deref()),
            (id, Some("detection.condition"))
        );
        let e =
            error_of(&BRUTE.replace("selection | count()", "selection and not filter | count()"));
        assert_eq!(e.field.as_deref(), Some("detection.condition"));
        let e = error_of(&BRUTE.replace("timeframe: 5m", "timeframe: 5 minutes"));
        assert_eq!(e.field.as_deref(), Some("detection.timeframe"));
        let e = error_of(&BRUTE.replace("  timeframe: 5m\n", ""));
        assert_eq!(e.field.as_deref(), Some("detection.timeframe"));
        let e = error_of(&BRUTE.replace("action: login", "EventID: 4625"));
        assert_eq!(e.field.as_deref(), Some("detection.selection.EventID"));
        let e = error_of(&BRUTE.replace("action: login", "action|re: log.*"));
        assert_eq!(e.field.as_deref(), Some("detection.selection.action|re"));
        assert!(e.message.contains("|re"), "{e}");
        let e = error_of(&BRUTE.replace("level: high", "level: severe"));
        assert_eq!(e.field.as_deref(), Some("level"));
        let e = error_of(&BRUTE.replace("  condition:", "  filter:\n    actor: x\n  condition:"));
        assert_eq!(e.field.as_deref(), Some("detection.filter"));
        let e = error_of(&BRUTE.replace("id: 0e95725d-7320-415d-80f7-004da920fc11\n", ""));
        assert_eq!(
            (e.rule.as_deref(), e.field.as_deref()),
            (Some("#1"), Some("id"))
        );
    }

    #[test]
    fn yaml_outside_the_subset_is_refused_with_its_line() {
        let e = error_of("title: x\nid: y\ndetection: {a: 1}\n");
        assert!(e.message.contains("line 3"), "{e}");
        let e = error_of("title: x\n  id: y\n");
        assert!(e.message.contains("line 2"), "{e}");
        let e = error_of("title: x\nlist:\n  - a: 1\n");
        assert!(e.message.contains("line 3"), "{e}");
    }

    #[test]
    fn comments_and_quotes() {
        assert_eq!(strip_comment("a: 'x # y' # z"), "a: 'x # y'");
        assert_eq!(strip_comment("a: b#c"), "a: b#c");
        assert_eq!(unquote("'it''s'").unwrap(), "it's");
        assert_eq!(unquote(r#""a\"b""#).unwrap(), "a\"b");
    }
}

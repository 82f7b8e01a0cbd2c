//! Every word a user reads comes from the message files (issue 13, item 6),
//! so the French and English interfaces (and the Arabic one to come) are
//! complete: no text in a template outside `tr.t(…)`, and no refusal built
//! from an English literal in the web edge. Names that are not language
//! (the product's, file formats) and code samples are allowed.

use std::path::Path;

/// Words that are the same in every language.
const NOT_LANGUAGE: &[&str] = &[
    "Thiqa", "thiqa", "PDF", "XLSX", "CSV", "OSCAL", "SSP", "POA", "POAM",
];

fn files(dir: &Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// `text` without the spans between `open` and `close` (both removed).
fn without(text: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        match rest[start..].find(close) {
            Some(end) => rest = &rest[start + end + close.len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Words of two letters or more that are language.
fn language(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 2 && !NOT_LANGUAGE.contains(w))
        .map(str::to_string)
        .collect()
}

#[test]
fn templates_hold_no_text_outside_the_message_files() {
    let mut templates = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
        "html",
        &mut templates,
    );
    assert!(templates.len() > 20, "templates found: {}", templates.len());
    let mut found = Vec::new();
    for path in &templates {
        let source = std::fs::read_to_string(path).unwrap();
        // Template code, comments, code samples, scripts and styles.
        let mut text = without(&source, "{#", "#}");
        for (open, close) in [
            ("{{", "}}"),
            ("{%", "%}"),
            ("<pre", "</pre>"),
            ("<code", "</code>"),
            ("<script", "</script>"),
            ("<style", "</style>"),
        ] {
            text = without(&text, open, close);
        }
        // What a user reads: text between tags, and the attributes shown.
        let mut visible = Vec::new();
        for (i, piece) in text.split('<').enumerate() {
            let (tag, after) = piece.split_once('>').unwrap_or(("", piece));
            visible.push(if i == 0 { piece } else { after }.to_string());
            for attribute in ["title=\"", "placeholder=\"", "aria-label=\"", "alt=\""] {
                if let Some(at) = tag.find(attribute) {
                    let value = &tag[at + attribute.len()..];
                    visible.push(value.split('"').next().unwrap_or("").to_string());
                }
            }
        }
        for piece in visible {
            let words = language(&without(&piece, "&", ";"));
            if !words.is_empty() {
                found.push(format!(
                    "{}: {:?}",
                    path.file_name().unwrap().to_string_lossy(),
                    piece.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "text outside the message files (put it in locales/*.ftl):\n{}",
        found.join("\n")
    );
}

#[test]
fn refusals_are_not_built_from_english_literals() {
    let mut sources = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "rs",
        &mut sources,
    );
    let mut found = Vec::new();
    for path in &sources {
        let source = std::fs::read_to_string(path).unwrap();
        for (n, line) in source.lines().enumerate() {
            // A refusal the visitor reads: BadRequest or Conflict made from
            // a literal (Internal errors are logged, never shown).
            for shown in ["PageError::BadRequest(", "PageError::Conflict("] {
                if let Some(at) = line.find(shown) {
                    let argument = &line[at + shown.len()..];
                    let literal = argument.starts_with("format!(\"") || argument.starts_with('"');
                    let text = argument.split('"').nth(1).unwrap_or("");
                    // `"csrf"`: a message key, translated where it is shown.
                    let key = text.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
                    if literal && !key && !language(text).is_empty() {
                        found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "refusals written in English in the code (use a message key):\n{}",
        found.join("\n")
    );
}

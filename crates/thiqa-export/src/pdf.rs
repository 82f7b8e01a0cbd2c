//! The statement of applicability as a PDF an auditor can file: a header
//! with the service and its counts, then every obligation chapter by
//! chapter with its applicability, status, statement and evidence.
//!
//! Written by the binary itself (no browser, no service) with krilla:
//! Noto Sans and Noto Sans Arabic are embedded (subset to the glyphs used)
//! with their Unicode maps, so every character prints, Arabic included,
//! and the text stays extractable; lines are wrapped with the shaped
//! glyphs' real advances. The words come from `SoaPdfLabels`, so the server
//! renders it in the reader's language; the rows are the same `SoaRow`s as
//! the spreadsheet export.

mod fonts;
mod labels;
mod layout;
mod text;
mod write;

pub use labels::SoaPdfLabels;

use fonts::Faces;
use layout::{
    placed, Item, Layout, Style, ACCENT, BLACK, FOOTER_BASELINE, GRAY, MARGIN, PAGE_W, TEXT_W,
};
use text::Font;

use crate::soa::SoaRow;
use crate::ExportError;

/// What the first page says about the statement.
#[derive(Debug, Clone)]
pub struct SoaPdfHeader {
    pub service: String,
    pub provider: String,
    pub catalog_version: String,
    /// RFC 3339; shown as "2026-01-31 09:30:00 UTC".
    pub generated_at: String,
    pub labels: SoaPdfLabels,
}

const TITLE: Style = Style::new(20.0, 0.0, ACCENT);
const SUBTITLE: Style = Style::new(14.0, 0.0, BLACK);
const HEADING: Style = Style::new(13.0, 0.0, ACCENT);
const INFO: Style = Style::new(10.0, 0.0, BLACK);
const ITEM: Style = Style::new(10.5, 0.0, BLACK);
const BODY: Style = Style::new(9.0, 12.0, BLACK);
const COUNT: Style = Style::new(9.5, 12.0, BLACK);
const FOOTER: f32 = 8.0;

/// `chapters`: (id, title) in the référentiel's order, as for `soa_xlsx`.
/// Rows of a chapter missing from the list still print, after the others.
/// Never fails on content: a character neither font has prints as '?'.
/// Fails only if the embedded fonts or krilla do (`ExportError::Pdf`).
pub fn soa_pdf(
    header: &SoaPdfHeader,
    chapters: &[(String, String)],
    rows: &[SoaRow],
) -> Result<Vec<u8>, ExportError> {
    let faces =
        Faces::load().ok_or(ExportError::Pdf("the embedded fonts are unreadable".into()))?;
    let l = lay_out(&faces, header, chapters, rows);
    let labels = &header.labels;
    let title = format!("{} — {}", labels.title, header.service);
    write::document(
        &l.pages,
        &l.marks,
        &write::Meta {
            title: &title,
            lang: &labels.lang,
        },
    )
    .map_err(|e| ExportError::Pdf(e.to_string()))
}

/// Every page of the statement, footers included.
fn lay_out<'a>(
    faces: &'a Faces,
    header: &SoaPdfHeader,
    chapters: &[(String, String)],
    rows: &[SoaRow],
) -> Layout<'a> {
    let labels = &header.labels;
    let mut l = Layout::new(faces);
    cover(&mut l, header, rows);
    for (id, title) in chapter_order(chapters, rows) {
        let of: Vec<&SoaRow> = rows.iter().filter(|r| r.chapter == id).collect();
        if of.is_empty() {
            continue;
        }
        let heading = join(&id, &title);
        let lines = l.wrap(&[(Font::Bold, &heading)], &HEADING);
        l.gap(16.0);
        // Keep the heading with the first obligation's title.
        l.ensure(lines.len() as f32 * HEADING.leading + 6.0 + ITEM.leading + 2.0 * BODY.leading);
        l.mark(heading);
        l.lines(&lines, &HEADING);
        l.rule(0.55, 0.8);
        for r in of {
            obligation(&mut l, r, labels);
        }
    }
    footer(&mut l, faces, header);
    l
}

fn join(id: &str, title: &str) -> String {
    if title.trim().is_empty() {
        id.to_string()
    } else {
        format!("{id} — {title}")
    }
}

fn chapter_order(chapters: &[(String, String)], rows: &[SoaRow]) -> Vec<(String, String)> {
    let mut out = chapters.to_vec();
    for r in rows {
        if !out.iter().any(|(id, _)| *id == r.chapter) {
            out.push((r.chapter.clone(), String::new()));
        }
    }
    out
}

fn cover(l: &mut Layout, h: &SoaPdfHeader, rows: &[SoaRow]) {
    let labels = &h.labels;
    l.paragraph(&[(Font::Bold, &labels.title)], &TITLE);
    l.paragraph(&[(Font::Bold, &h.service)], &SUBTITLE);
    l.gap(6.0);
    let when = readable_time(&h.generated_at);
    for (label, value) in [
        (&labels.service, &h.service),
        (&labels.provider, &h.provider),
        (&labels.catalog_version, &h.catalog_version),
        (&labels.generated_at, &when),
    ] {
        let key = labels.label(label);
        l.paragraph(
            &[
                (Font::Bold, &key),
                (Font::Regular, " "),
                (Font::Regular, value),
            ],
            &INFO,
        );
    }
    l.gap(12.0);
    l.paragraph(&[(Font::Bold, &labels.summary)], &HEADING);
    l.rule(0.55, 0.8);
    let applicable: Vec<&SoaRow> = rows.iter().filter(|r| r.applicable).collect();
    let edge = 300.0;
    l.row(&labels.obligations, &rows.len().to_string(), edge, &COUNT);
    l.row(
        &labels.applicable,
        &applicable.len().to_string(),
        edge,
        &COUNT,
    );
    let not = rows.len() - applicable.len();
    l.row(&labels.not_applicable, &not.to_string(), edge, &COUNT);
    l.gap(6.0);
    l.paragraph(&[(Font::Bold, &labels.by_status)], &COUNT);
    let mut codes: Vec<&str> = labels.statuses.iter().map(|(c, _)| c.as_str()).collect();
    for r in &applicable {
        if !codes.contains(&r.status.as_str()) {
            codes.push(&r.status);
        }
    }
    let indented = Style {
        indent: 24.0,
        ..COUNT
    };
    for code in codes {
        let n = applicable.iter().filter(|r| r.status == code).count();
        l.row(labels.status_words(code), &n.to_string(), edge, &indented);
    }
    l.gap(4.0);
}

fn obligation(l: &mut Layout, r: &SoaRow, labels: &SoaPdfLabels) {
    let head = join(&r.id, &r.title);
    let lines = l.wrap(&[(Font::Bold, &head)], &ITEM);
    l.gap(9.0);
    // Never leave a title alone at the bottom of a page.
    l.ensure(lines.len() as f32 * ITEM.leading + 2.0 * BODY.leading);
    l.lines(&lines, &ITEM);

    let applicability = if r.applicable {
        &labels.applicable
    } else {
        &labels.not_applicable
    };
    let mut spans = vec![(Font::Bold, applicability.as_str())];
    if !r.reason.trim().is_empty() {
        spans.extend([(Font::Regular, " — "), (Font::Regular, r.reason.as_str())]);
    }
    l.paragraph(&spans, &BODY);

    // Status, owner and next review share one line: they are short.
    let (status, owner, review) = (
        labels.label(&labels.status),
        labels.label(&labels.owner),
        labels.label(&labels.next_review),
    );
    let mut spans = vec![
        (Font::Bold, status.as_str()),
        (Font::Regular, " "),
        (Font::Regular, labels.status_words(&r.status)),
    ];
    for (key, value) in [(&owner, &r.owner), (&review, &r.next_review)] {
        if !value.trim().is_empty() {
            spans.extend([
                (Font::Regular, " · "),
                (Font::Bold, key.as_str()),
                (Font::Regular, " "),
                (Font::Regular, value.as_str()),
            ]);
        }
    }
    l.paragraph(&spans, &BODY);

    // An applicable obligation without a statement or evidence is a gap
    // the auditor must see; elsewhere empty fields are left out.
    for (word, value, always) in [
        (&labels.statement, &r.statement, r.applicable),
        (&labels.justification, &r.justification, false),
        (&labels.evidence, &r.evidence, r.applicable),
    ] {
        let value = value.trim();
        if value.is_empty() && !always {
            continue;
        }
        let key = labels.label(word);
        let value = if value.is_empty() {
            labels.missing.as_str()
        } else {
            value
        };
        l.paragraph(
            &[
                (Font::Bold, &key),
                (Font::Regular, " "),
                (Font::Regular, value),
            ],
            &BODY,
        );
    }
}

fn footer(l: &mut Layout, faces: &Faces, h: &SoaPdfHeader) {
    let labels = &h.labels;
    let left = format!("{} — {}", labels.title, h.service);
    l.stamp(|i, n| {
        let right = format!("{} {} {} {}", labels.page, i + 1, labels.of, n);
        let right = text::fit(faces, &[(Font::Regular, &right)], FOOTER, TEXT_W / 2.0);
        let rw = text::width(&right, FOOTER);
        let left = text::fit(faces, &[(Font::Regular, &left)], FOOTER, TEXT_W - rw - 24.0);
        let mut items = vec![Item::Rule {
            x1: MARGIN,
            x2: PAGE_W - MARGIN,
            y: FOOTER_BASELINE + 12.0,
            width: 0.4,
            gray: 0.7,
        }];
        items.extend(placed(left, MARGIN, FOOTER_BASELINE, FOOTER, GRAY));
        items.extend(placed(
            right,
            PAGE_W - MARGIN - rw,
            FOOTER_BASELINE,
            FOOTER,
            GRAY,
        ));
        items
    });
}

/// "2026-01-31T09:30:00.123Z" → "2026-01-31 09:30:00 UTC"; anything not
/// shaped like RFC 3339 is shown as given.
fn readable_time(s: &str) -> String {
    let s = s.trim();
    let (Some(head), Some(b'T' | b't' | b' ')) = (s.get(..19), s.as_bytes().get(10)) else {
        return s.to_string();
    };
    let mut zone = &s[19..];
    if let Some(rest) = zone.strip_prefix('.') {
        zone = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let zone = match zone {
        "" => String::new(),
        "Z" | "z" | "+00:00" => " UTC".to_string(),
        other => format!(" UTC{other}"),
    };
    format!("{} {}{zone}", &head[..10], &head[11..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_like_dates() {
        assert_eq!(
            readable_time("2026-01-31T09:30:00Z"),
            "2026-01-31 09:30:00 UTC"
        );
        assert_eq!(
            readable_time("2026-01-31T09:30:00.123+01:00"),
            "2026-01-31 09:30:00 UTC+01:00"
        );
        assert_eq!(readable_time("hier"), "hier");
        assert_eq!(
            readable_time("2026-01-31éééééééééé"),
            "2026-01-31éééééééééé"
        );
    }

    #[test]
    fn empty_statement_is_one_page() {
        let header = SoaPdfHeader {
            service: String::new(),
            provider: String::new(),
            catalog_version: String::new(),
            generated_at: String::new(),
            labels: SoaPdfLabels::english(),
        };
        let pdf = soa_pdf(&header, &[], &[]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let faces = Faces::load().unwrap();
        assert_eq!(lay_out(&faces, &header, &[], &[]).pages.len(), 1);
    }
}

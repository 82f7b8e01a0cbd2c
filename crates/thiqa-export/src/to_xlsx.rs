//! XLSX: an "Obligations" sheet ready to filter (bold frozen header,
//! autofilter, wrapped text in sized columns) and a "Synthèse" sheet of counts.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};
use thiqa_catalog::{level_label, model_label, Catalog, Lang};

use crate::rows::{obligation_rows, COLUMNS};
use crate::ExportError;

/// Column widths in characters, by column name; long texts get room and wrap.
fn width(column: &str) -> f64 {
    match column {
        "id" => 12.0,
        "chapter" | "article" | "levels" => 9.0,
        "force" | "models" => 14.0,
        "nature" | "recurrence" | "conditions" => 22.0,
        "title_fr" | "title_en" => 36.0,
        _ => 60.0,
    }
}

/// The catalog as an XLSX workbook, returned as bytes.
///
/// The document's creation date is the instrument's publication date, not the
/// export time, so the same catalog always gives the same file.
pub fn catalog_xlsx(catalog: &Catalog) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let mut props = DocProperties::new()
        .set_title(&catalog.root.title_fr)
        .set_subject(format!("{} {}", catalog.id(), catalog.version()));
    if let Some(date) = published(&catalog.root.published) {
        props = props.set_creation_datetime(&date);
    }
    book.set_properties(&props);

    let header = Format::new()
        .set_bold()
        .set_background_color("D9E1F2")
        .set_align(FormatAlign::Top);
    let cell = Format::new().set_text_wrap().set_align(FormatAlign::Top);

    let rows = obligation_rows(catalog);
    let sheet = book.add_worksheet();
    sheet.set_name("Obligations")?;
    for (c, name) in COLUMNS.iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(0, c, *name, &header)?;
        sheet.set_column_width(c, width(name))?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            sheet.write_string_with_format(r as u32 + 1, c as u16, value, &cell)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows.len() as u32, COLUMNS.len() as u16 - 1)?;

    summary(book.add_worksheet(), catalog, &header)?;
    Ok(book.save_to_buffer()?)
}

fn published(date: &str) -> Option<ExcelDateTime> {
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<u16>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    ExcelDateTime::from_ymd(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?).ok()
}

/// A line of the summary sheet.
enum Line {
    Blank,
    Heading(&'static str),
    Count(String, usize),
}

/// Label / count rows from the catalog's statistics.
fn summary(sheet: &mut Worksheet, catalog: &Catalog, bold: &Format) -> Result<(), ExportError> {
    sheet.set_name("Synthèse")?;
    sheet.set_column_width(0, 48)?;
    sheet.set_column_width(1, 12)?;
    let s = catalog.stats();
    let lang = Lang::Fr;
    sheet.write_string_with_format(0, 0, &catalog.root.title_fr, bold)?;
    sheet.write_string(
        1,
        0,
        format!("{} — version {}", catalog.id(), catalog.version()),
    )?;
    let count = |label: &str, n: usize| Line::Count(label.to_string(), n);
    let mut lines = vec![
        Line::Blank,
        count("Chapitres", s.chapters),
        count("Articles", s.articles),
        count("Obligations", s.obligations),
        count("Éléments de liste", s.items),
        count("Obligations conditionnelles", s.conditional),
    ];
    let mut section = |title: &'static str, entries: Vec<Line>| {
        lines.push(Line::Blank);
        lines.push(Line::Heading(title));
        lines.extend(entries);
    };
    section(
        "Par force",
        s.by_force
            .iter()
            .map(|(k, n)| count(k.label_in(lang), *n))
            .collect(),
    );
    section(
        "Par nature",
        s.by_nature
            .iter()
            .map(|(k, n)| count(k.label_in(lang), *n))
            .collect(),
    );
    section(
        "Par récurrence",
        s.by_recurrence
            .iter()
            .map(|(k, n)| count(k.label_in(lang), *n))
            .collect(),
    );
    section(
        "Par niveau",
        s.by_level
            .iter()
            .map(|(k, n)| count(&level_label(k, lang), *n))
            .collect(),
    );
    section(
        "Par modèle",
        s.by_model
            .iter()
            .map(|(k, n)| count(&model_label(k, lang), *n))
            .collect(),
    );
    for (r, line) in lines.iter().enumerate() {
        let r = r as u32 + 2;
        match line {
            Line::Blank => {}
            Line::Heading(h) => {
                sheet.write_string_with_format(r, 0, *h, bold)?;
            }
            Line::Count(label, n) => {
                sheet.write_string(r, 0, label)?;
                sheet.write_number(r, 1, *n as f64)?;
            }
        }
    }
    Ok(())
}

//! The statement of applicability of one service, as a spreadsheet: every
//! obligation, whether it applies and why, its assessment and its evidence.
//! XLSX has a summary sheet and one sheet per chapter; CSV one row each.

use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use crate::ExportError;

/// One obligation of the statement; the caller fills it from the catalog,
/// the applicability engine and the stored assessment.
#[derive(Debug, Clone, Default)]
pub struct SoaRow {
    pub chapter: String,
    pub id: String,
    pub title: String,
    pub applicable: bool,
    pub reason: String,
    pub status: String,
    pub statement: String,
    pub justification: String,
    pub owner: String,
    pub next_review: String,
    pub evidence: String,
}

pub const SOA_COLUMNS: [&str; 11] = [
    "id",
    "title",
    "applicable",
    "reason",
    "status",
    "statement",
    "justification",
    "owner",
    "next_review",
    "evidence",
    "chapter",
];

fn cells(r: &SoaRow) -> [&str; 11] {
    [
        &r.id,
        &r.title,
        if r.applicable { "yes" } else { "no" },
        &r.reason,
        &r.status,
        &r.statement,
        &r.justification,
        &r.owner,
        &r.next_review,
        &r.evidence,
        &r.chapter,
    ]
}

pub fn soa_csv<W: std::io::Write>(rows: &[SoaRow], writer: W) -> Result<(), ExportError> {
    let mut w = crate::csv_out::CsvWriter::new(writer);
    w.write_record(SOA_COLUMNS)?;
    for r in rows {
        w.write_record(cells(r))?;
    }
    w.flush()?;
    Ok(())
}

/// `chapters`: (id, title) in order. Sheet names are the chapter ids.
pub fn soa_xlsx(
    service: &str,
    chapters: &[(String, String)],
    rows: &[SoaRow],
) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color("D9E1F2")
        .set_align(FormatAlign::Top);
    let cell = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let summary = book.add_worksheet();
    summary.set_name("Synthèse")?;
    summary.write_string_with_format(
        0,
        0,
        format!("Déclaration d'applicabilité — {service}"),
        &header,
    )?;
    let heads = [
        "chapter",
        "title",
        "applicable",
        "compliant",
        "partially_compliant",
        "non_compliant",
        "not_applicable",
        "not_assessed",
    ];
    for (c, h) in heads.iter().enumerate() {
        summary.write_string_with_format(2, c as u16, *h, &header)?;
    }
    for (i, (id, title)) in chapters.iter().enumerate() {
        let of: Vec<&SoaRow> = rows
            .iter()
            .filter(|r| &r.chapter == id && r.applicable)
            .collect();
        let count = |s: &str| of.iter().filter(|r| r.status == s).count() as f64;
        let r = i as u32 + 3;
        summary.write_string(r, 0, id)?;
        summary.write_string(r, 1, title)?;
        summary.write_number(r, 2, of.len() as f64)?;
        for (c, s) in [
            "compliant",
            "partially_compliant",
            "non_compliant",
            "not_applicable",
            "not_assessed",
        ]
        .iter()
        .enumerate()
        {
            summary.write_number(r, c as u16 + 3, count(s))?;
        }
    }
    summary.set_column_width(1, 60.0)?;
    for (id, _) in chapters {
        let sheet = book.add_worksheet();
        sheet.set_name(id)?;
        for (c, name) in SOA_COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *name, &header)?;
            sheet.set_column_width(
                c as u16,
                if matches!(
                    *name,
                    "title" | "reason" | "statement" | "justification" | "evidence"
                ) {
                    40.0
                } else {
                    14.0
                },
            )?;
        }
        let of: Vec<&SoaRow> = rows.iter().filter(|r| &r.chapter == id).collect();
        for (i, r) in of.iter().enumerate() {
            for (c, v) in cells(r).iter().enumerate() {
                sheet.write_string_with_format(i as u32 + 1, c as u16, *v, &cell)?;
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        if !of.is_empty() {
            sheet.autofilter(0, 0, of.len() as u32, SOA_COLUMNS.len() as u16 - 1)?;
        }
    }
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx};

    fn rows() -> Vec<SoaRow> {
        vec![
            SoaRow {
                chapter: "3.1".into(),
                id: "3.1.1.a".into(),
                title: "PSSI".into(),
                applicable: true,
                status: "compliant".into(),
                ..Default::default()
            },
            SoaRow {
                chapter: "3.6".into(),
                id: "3.6.3.b".into(),
                title: "Clés".into(),
                applicable: false,
                reason: "niveau 2".into(),
                status: "not_assessed".into(),
                ..Default::default()
            },
        ]
    }

    #[test]
    fn csv_has_one_row_per_obligation() {
        let mut out = Vec::new();
        soa_csv(&rows(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.contains("3.6.3.b,Clés,no,niveau 2"));
    }

    #[test]
    fn xlsx_has_a_summary_and_a_sheet_per_chapter() {
        let chapters = vec![
            ("3.1".to_string(), "Politiques".to_string()),
            ("3.6".to_string(), "Cryptographie".to_string()),
        ];
        let bytes = soa_xlsx("IaaS", &chapters, &rows()).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["Synthèse", "3.1", "3.6"]);
        let s = book.worksheet_range("3.6").unwrap();
        assert_eq!(s.get_value((1, 0)).unwrap().to_string(), "3.6.3.b");
        let sum = book.worksheet_range("Synthèse").unwrap();
        assert_eq!(
            sum.get_value((3, 3)).unwrap().to_string(),
            "1",
            "3.1 has one compliant obligation"
        );
    }
}

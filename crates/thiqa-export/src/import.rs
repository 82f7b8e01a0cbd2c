//! Importing an existing self-assessment from XLSX or CSV, so users leave
//! their spreadsheets behind. Rows name an obligation (`3.5.5.c`) or a whole
//! article (`3.5.5`: every obligation of it). Every row is checked first; one
//! bad row rejects the file and the report names each bad row with its
//! reason, so nothing is half-imported.

#[doc(hidden)]
pub mod hostile;
mod read;

use std::collections::BTreeMap;

use thiqa_catalog::Catalog;
use thiqa_domain::{AssessmentInput, AssessmentStatus};

pub use read::{read_rows, MAX_CELL_BYTES, MAX_COLUMNS, MAX_ROWS, MAX_XLSX_BYTES};

/// One problem, by spreadsheet row number (1 = the header row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub row: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Every row is valid: the assessments to save, by obligation id.
    Accepted(Vec<(String, AssessmentInput)>),
    /// Nothing to import; the problems of every bad row.
    Rejected(Vec<RowProblem>),
}

/// Column names understood (case and accents ignored), French or English.
const ID: &[&str] = &[
    "id",
    "obligation",
    "exigence",
    "article",
    "numero",
    "reference",
];
const STATUS: &[&str] = &["status", "statut", "etat"];
const STATEMENT: &[&str] = &[
    "statement",
    "implementation",
    "mise en oeuvre",
    "commentaire",
    "comment",
];
const JUSTIFICATION: &[&str] = &["justification"];
const OWNER: &[&str] = &["owner", "responsable", "proprietaire"];
const REVIEW: &[&str] = &["next_review", "next review", "prochaine revue", "revue"];

fn fold(s: &str) -> String {
    thiqa_catalog::search::fold(s).trim().to_string()
}

/// Status words people write, French and English, with or without accents.
fn status(raw: &str) -> Option<AssessmentStatus> {
    let v = fold(raw).replace(['_', '-'], " ");
    Some(match v.as_str() {
        "" | "not assessed" | "non evalue" | "non evaluee" | "a evaluer" => {
            AssessmentStatus::NotAssessed
        }
        "compliant" | "conforme" | "oui" | "yes" => AssessmentStatus::Compliant,
        "partially compliant" | "partial" | "partiellement conforme" | "partiel" | "partielle" => {
            AssessmentStatus::PartiallyCompliant
        }
        "non compliant" | "noncompliant" | "non conforme" | "non" | "no" => {
            AssessmentStatus::NonCompliant
        }
        "not applicable" | "non applicable" | "n/a" | "na" | "sans objet" => {
            AssessmentStatus::NotApplicable
        }
        _ => return None,
    })
}

/// An Excel serial date (days since 1899-12-30) as YYYY-MM-DD (clamped to
/// the years 0000–9999: a hostile serial such as 1e300 must not overflow).
fn excel_date(serial: f64) -> String {
    let days = (serial.floor() as i64).saturating_sub(25_569);
    thiqa_journal::Timestamp::from_unix_seconds_clamped(days.saturating_mul(86_400)).date()
}

/// A review date as written, or an Excel serial number (a date cell without
/// a date format) turned into YYYY-MM-DD.
fn review_date(raw: &str) -> String {
    match raw.parse::<f64>() {
        Ok(n) if (20_000.0..80_000.0).contains(&n) => excel_date(n),
        _ => raw.to_string(),
    }
}

/// Checks every row against the catalog; see [`ImportOutcome`].
pub fn assessments(catalog: &Catalog, rows: &[Vec<String>]) -> ImportOutcome {
    let Some(header) = rows.first() else {
        return ImportOutcome::Rejected(vec![RowProblem {
            row: 1,
            message: "the file is empty".into(),
        }]);
    };
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&fold(h).as_str()))
    };
    let Some(id_col) = find(ID) else {
        return ImportOutcome::Rejected(vec![RowProblem {
            row: 1,
            message: format!(
                "no column naming the obligation (one of: {})",
                ID.join(", ")
            ),
        }]);
    };
    let Some(status_col) = find(STATUS) else {
        return ImportOutcome::Rejected(vec![RowProblem {
            row: 1,
            message: format!("no status column (one of: {})", STATUS.join(", ")),
        }]);
    };
    let cols = (
        find(STATEMENT),
        find(JUSTIFICATION),
        find(OWNER),
        find(REVIEW),
    );
    let cell = |r: &Vec<String>, c: Option<usize>| {
        c.and_then(|c| r.get(c))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut accepted: BTreeMap<String, (usize, AssessmentInput)> = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, r) in rows.iter().enumerate().skip(1) {
        let row = i + 1;
        let id = cell(r, Some(id_col));
        if id.is_empty() && r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let targets: Vec<String> = if catalog.obligation(&id).is_some() {
            vec![id.clone()]
        } else if let Some(article) = catalog.article(&id) {
            article.obligations.iter().map(|o| o.id.clone()).collect()
        } else {
            problems.push(RowProblem {
                row,
                message: format!(
                    "\"{id}\" is neither an obligation nor an article of the référentiel"
                ),
            });
            continue;
        };
        let Some(st) = status(&cell(r, Some(status_col))) else {
            problems.push(RowProblem { row, message: format!("unknown status \"{}\" (conforme, partiellement conforme, non conforme, non applicable, non évaluée)", cell(r, Some(status_col))) });
            continue;
        };
        let input = AssessmentInput {
            status: st,
            statement: cell(r, cols.0),
            justification: cell(r, cols.1),
            owner: cell(r, cols.2),
            next_review: review_date(&cell(r, cols.3)),
        };
        let input = match input.checked() {
            Ok(i) => i,
            Err(e) => {
                problems.push(RowProblem {
                    row,
                    message: format!("{id}: {e}"),
                });
                continue;
            }
        };
        for t in targets {
            if let Some((first, _)) = accepted.get(&t) {
                problems.push(RowProblem {
                    row,
                    message: format!("{t} is already assessed by row {first}"),
                });
            } else {
                accepted.insert(t, (row, input.clone()));
            }
        }
    }
    if !problems.is_empty() {
        return ImportOutcome::Rejected(problems);
    }
    if accepted.is_empty() {
        return ImportOutcome::Rejected(vec![RowProblem {
            row: 2,
            message: "no row to import".into(),
        }]);
    }
    ImportOutcome::Accepted(accepted.into_iter().map(|(k, (_, v))| (k, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_rows(text: &str) -> Vec<Vec<String>> {
        read_rows(text.as_bytes(), false).unwrap()
    }

    #[test]
    fn french_spreadsheet_with_articles_and_obligations_is_accepted() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let rows = csv_rows("Exigence;Statut;Mise en œuvre;Responsable;Prochaine revue\n3.1.1;Conforme;PSSI v4;RSSI;2027-01-31\n3.6.3.a;partiellement conforme;;;\n");
        let ImportOutcome::Accepted(items) = assessments(c, &rows) else {
            panic!("rejected")
        };
        let n311 = c.article("3.1.1").unwrap().obligations.len();
        assert_eq!(items.len(), n311 + 1);
        let a = items.iter().find(|(id, _)| id == "3.6.3.a").unwrap();
        assert_eq!(a.1.status, AssessmentStatus::PartiallyCompliant);
        assert!(items
            .iter()
            .filter(|(id, _)| id.starts_with("3.1.1."))
            .all(|(_, i)| i.owner == "RSSI"));
    }

    #[test]
    fn one_bad_row_rejects_the_file_and_every_problem_is_named() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let rows = csv_rows("id,status,justification,next_review\n3.6.3.a,compliant,,\n9.9.9,compliant,,\n3.4.4.b,not applicable,,\n3.1.2.a,done,,\n3.1.2.b,compliant,,31/12/2027\n3.6.3.a,non compliant,,\n");
        let ImportOutcome::Rejected(p) = assessments(c, &rows) else {
            panic!("accepted")
        };
        let rows_named: Vec<usize> = p.iter().map(|x| x.row).collect();
        assert_eq!(rows_named, vec![3, 4, 5, 6, 7], "{p:?}");
        assert!(p[0].message.contains("9.9.9"));
        assert!(p[1].message.contains("justification"));
        assert!(p[2].message.contains("done"));
        assert!(p[3].message.contains("YYYY-MM-DD"));
        assert!(p[4].message.contains("row 2"));
    }

    #[test]
    fn an_xlsx_workbook_is_read_from_its_first_sheet() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["Obligation", "Statut", "Responsable", "Prochaine revue"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "3.5.5.a").unwrap();
        sheet.write_string(1, 1, "Non conforme").unwrap();
        sheet.write_string(1, 2, "DSI").unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2027, 3, 15).unwrap();
        sheet.write_datetime(1, 3, &date).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let rows = read_rows(&bytes, true).unwrap();
        let ImportOutcome::Accepted(items) = assessments(thiqa_catalog::dgssi_cloud_2025(), &rows)
        else {
            panic!("rejected: {rows:?}")
        };
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].1.status, AssessmentStatus::NonCompliant);
        assert_eq!(items[0].1.next_review, "2027-03-15");
    }

    #[test]
    fn excel_serial_dates_become_iso_dates() {
        assert_eq!(excel_date(46_387.0), "2026-12-31");
        assert_eq!(excel_date(25_569.0), "1970-01-01");
        // A hostile serial is clamped, not an overflow.
        assert_eq!(excel_date(1e300), "9999-12-31");
    }

    #[test]
    fn missing_columns_are_named() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let ImportOutcome::Rejected(p) =
            assessments(c, &csv_rows("reference,comment\n3.1.1.a,x\n"))
        else {
            panic!()
        };
        assert!(p[0].message.contains("status"), "{p:?}");
    }
}

//! The one CSV writer of every CSV Thiqa produces (catalog, statement of
//! applicability, journal export): RFC 4180 quoting, and no cell a
//! spreadsheet would run as a formula.
//!
//! CSV injection (OWASP): a cell starting with `=`, `+`, `-`, `@`, a tab or
//! a carriage return is taken as a formula by Excel, LibreOffice and Google
//! Sheets (`=HYPERLINK(…)`, `@SUM(…)`, DDE). Such a cell is written with a
//! leading single quote and inside double quotes, so a spreadsheet shows it
//! as text. This applies to numbers too: `-3` comes out as `"'-3"`. Thiqa's
//! numeric columns (journal index, severity code, catalog levels) are never
//! negative, and a reader that wants the value strips the quote; OWASP's
//! advice is to prefix whatever the column, which is what this does.
//!
//! Writing through [`CsvWriter`] (or [`record`]) is the only way the export
//! crate writes CSV, so a new export is neutralised by construction.

use std::borrow::Cow;
use std::io::Write;

/// First characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as a spreadsheet must see it: prefixed with `'` when it would
/// start a formula. Whether to quote is [`record`]'s business.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// One record, with its `\n` line end: cells separated by commas, quoted
/// (inner quotes doubled) when they hold a comma, a quote or a line break,
/// when they were neutralised, or when the record is one empty cell (which
/// would otherwise be a blank line).
pub fn record<I, S>(cells: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    let mut count = 0;
    for cell in cells {
        let raw = cell.as_ref();
        if count > 0 {
            out.push(',');
        }
        count += 1;
        let cell = neutralised(raw);
        let quote = matches!(cell, Cow::Owned(_)) || cell.contains([',', '"', '\n', '\r']);
        if quote {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    if out.is_empty() && count == 1 {
        out.push_str("\"\"");
    }
    out.push('\n');
    out
}

/// Writes records to `W` (buffered by the caller when it matters).
pub struct CsvWriter<W: Write> {
    out: W,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W) -> Self {
        CsvWriter { out }
    }

    pub fn write_record<I, S>(&mut self, cells: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.out.write_all(record(cells).as_bytes())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The record as a CSV reader sees it, after a header line (a reader
    /// drops a byte-order mark at the very start of a file).
    fn read_back(text: &str) -> Vec<String> {
        let text = format!("h\n{text}");
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        r.records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn formula_cells_are_prefixed_and_quoted() {
        let line = record([
            "=HYPERLINK(\"http://x\",\"clic\")",
            "+1",
            "-3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "plain",
            "a=b",
        ]);
        assert_eq!(
            line,
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"clic\"\")\",\"'+1\",\"'-3\",\"'@SUM(A1)\",\"'\tx\",\"'\rx\",plain,a=b\n"
        );
    }

    #[test]
    fn ordinary_records_are_rfc_4180() {
        assert_eq!(
            record(["a", "b,c", "d\"e", "f\ng"]),
            "a,\"b,c\",\"d\"\"e\",\"f\ng\"\n"
        );
        assert_eq!(record([""]), "\"\"\n");
        assert_eq!(record(["", ""]), ",\n");
    }

    /// Each CSV the product writes (statement of applicability, also signed
    /// into the dossier; journal export; catalog) neutralises formula cells.
    #[test]
    fn every_csv_output_neutralises_formula_cells() {
        let row = crate::SoaRow {
            id: "3.5.5.a".into(),
            statement: "=HYPERLINK(\"https://evil.example\",\"voir\")".into(),
            owner: "@SUM(1+1)*cmd|' /C calc'!A0".into(),
            justification: "-2+3".into(),
            ..Default::default()
        };
        let mut soa = Vec::new();
        crate::soa_csv(&[row], &mut soa).unwrap();
        let soa = String::from_utf8(soa).unwrap();
        assert!(
            soa.contains("\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"voir\"\")\""),
            "{soa}"
        );
        assert!(soa.contains("\"'@SUM(1+1)*cmd|' /C calc'!A0\""), "{soa}");
        assert!(soa.contains("\"'-2+3\""), "{soa}");

        let mut catalog = Vec::new();
        crate::catalog_csv(thiqa_catalog::dgssi_cloud_2025(), &mut catalog).unwrap();
        let mut r = csv::Reader::from_reader(catalog.as_slice());
        for rec in r.records() {
            assert!(rec.unwrap().iter().all(|c| !c.starts_with(FORMULA_STARTS)));
        }
    }

    proptest! {
        /// Any record reads back as the same cells, each neutralised, and
        /// no cell a spreadsheet reads starts a formula.
        #[test]
        fn records_round_trip_and_never_start_a_formula(
            cells in proptest::collection::vec(".{0,12}", 1..6)
        ) {
            let back = read_back(&record(&cells));
            prop_assert_eq!(back.len(), cells.len());
            for (b, c) in back.iter().zip(&cells) {
                let expected = neutralised(c);
                prop_assert_eq!(b.as_str(), expected.as_ref());
                prop_assert!(!b.starts_with(FORMULA_STARTS));
            }
        }
    }
}

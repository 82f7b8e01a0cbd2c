//! An uploaded spreadsheet (XLSX or CSV) as rows of text, within limits
//! checked before anything is allocated after them.
//!
//! A 1.6 KB workbook whose only cells are A1 and XFD1048576 made calamine's
//! `worksheet_range` allocate a dense range of 16,384 × 1,048,576 cells
//! (512 GiB) and abort the process; a shared-strings part declaring
//! `uniqueCount="10000000000000"` makes `Xlsx::new` reserve as much; a zip
//! entry can inflate a thousandfold. So, in order:
//!
//! 1. every zip entry is inflated into a counter, the bytes actually
//!    produced (declared sizes can lie) bounded by [`MAX_XLSX_BYTES`] in all;
//! 2. the shared-strings part's `uniqueCount` is read and bounded;
//! 3. only then calamine opens the workbook, and its cell reader streams
//!    the first sheet cell by cell, each position and text checked against
//!    [`MAX_ROWS`], [`MAX_COLUMNS`] and [`MAX_CELL_BYTES`] before it is kept.
//!
//! A refusal names the limit; the import reports it on row 1 (422).

use std::io::{Cursor, Read};

use calamine::{Data, DataRef, Reader, Xlsx};

/// Most rows read (the référentiel has 255 obligations).
pub const MAX_ROWS: usize = 10_000;
/// Most columns read.
pub const MAX_COLUMNS: usize = 64;
/// Longest cell (Excel's own limit is 32,767 characters).
pub const MAX_CELL_BYTES: usize = 32_767;
/// Most bytes all parts of a workbook may inflate to.
pub const MAX_XLSX_BYTES: u64 = 16 << 20;
/// Most parts (zip entries) in a workbook.
pub const MAX_XLSX_ENTRIES: usize = 1_000;
/// Most distinct shared strings a workbook may declare.
const MAX_SHARED_STRINGS: u64 = (MAX_ROWS * MAX_COLUMNS) as u64;

/// Reads the first sheet of an XLSX file, or a CSV file, as rows of text.
pub fn read_rows(bytes: &[u8], is_xlsx: bool) -> Result<Vec<Vec<String>>, String> {
    if is_xlsx {
        xlsx_rows(bytes)
    } else {
        csv_rows(bytes)
    }
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    check_parts(bytes)?;
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("not a readable XLSX file: {e}"))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("the workbook has no sheet")?;
    let mut cells = book
        .worksheet_cells_reader(&name)
        .map_err(|e| format!("sheet {name}: {e}"))?;
    let mut grid = Grid::default();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| format!("sheet {name}: {e}"))?
    {
        let (row, col) = cell.get_position();
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::DateTime(d) => super::excel_date(d.as_f64()),
            other => Data::from(other.clone()).to_string(),
        };
        grid.put(row as usize, col as usize, text)?;
    }
    Ok(grid.into_rows())
}

/// Steps 1 and 2 of the module documentation.
fn check_parts(bytes: &[u8]) -> Result<(), String> {
    let unreadable = |e: zip::result::ZipError| format!("not a readable XLSX file: {e}");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if zip.len() > MAX_XLSX_ENTRIES {
        return Err(format!(
            "the workbook has more than {MAX_XLSX_ENTRIES} parts (the import limit)"
        ));
    }
    let too_big = || {
        format!(
            "the workbook decompresses to more than {} MiB (the import limit)",
            MAX_XLSX_BYTES >> 20
        )
    };
    let mut left = MAX_XLSX_BYTES;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(unreadable)?;
        let shared_strings = entry
            .name()
            .map_err(unreadable)?
            .to_ascii_lowercase()
            .ends_with("sharedstrings.xml");
        let unreadable_part = |e: std::io::Error| format!("not a readable XLSX file: {e}");
        let mut bounded = entry.take(left + 1);
        // Only the shared strings are read for their content; every other
        // part is inflated into a counter, never held.
        let inflated = if shared_strings {
            let mut part = Vec::new();
            bounded.read_to_end(&mut part).map_err(unreadable_part)?;
            if part.len() as u64 <= left {
                check_shared_strings(&part)?;
            }
            part.len() as u64
        } else {
            std::io::copy(&mut bounded, &mut std::io::sink()).map_err(unreadable_part)?
        };
        left = left.checked_sub(inflated).ok_or_else(too_big)?;
    }
    Ok(())
}

/// The `uniqueCount` of the `<sst>` element, which calamine reserves room
/// for: a plain decimal within [`MAX_SHARED_STRINGS`], or absent.
fn check_shared_strings(part: &[u8]) -> Result<(), String> {
    let refused = || {
        format!(
            "the workbook declares more than {MAX_SHARED_STRINGS} shared strings (the import limit)"
        )
    };
    let mut xml = quick_xml::Reader::from_reader(part);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| format!("not a readable XLSX file: shared strings: {e}"))?;
        match event {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.local_name().as_ref() == "sst" =>
            {
                for attr in e.attributes().with_checks(false) {
                    let attr = attr.map_err(|_| refused())?;
                    if attr.key.local_name().as_ref() != "uniqueCount" {
                        continue;
                    }
                    let value: &str = &attr.value;
                    let ok = !value.is_empty()
                        && value.len() <= 12
                        && value.bytes().all(|b| b.is_ascii_digit())
                        && value.parse::<u64>().is_ok_and(|n| n <= MAX_SHARED_STRINGS);
                    if !ok {
                        return Err(refused());
                    }
                }
                return Ok(());
            }
            quick_xml::events::Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// Cells by position, each checked against the limits as it comes.
#[derive(Default)]
struct Grid {
    cells: Vec<(usize, usize, String)>,
}

impl Grid {
    fn put(&mut self, row: usize, col: usize, text: String) -> Result<(), String> {
        check_cell(row, col, &text)?;
        // A sheet may repeat a position; the count stays within the grid.
        if self.cells.len() >= MAX_ROWS * MAX_COLUMNS {
            return Err(format!(
                "the sheet has more than {} cells (the import limit)",
                MAX_ROWS * MAX_COLUMNS
            ));
        }
        self.cells.push((row, col, text));
        Ok(())
    }

    /// Rows from the first used row, columns from the first used column
    /// (as calamine's ranges start), every row as wide as the widest.
    fn into_rows(self) -> Vec<Vec<String>> {
        let top = self.cells.iter().map(|c| c.0).min().unwrap_or(0);
        let left = self.cells.iter().map(|c| c.1).min().unwrap_or(0);
        let height = self.cells.iter().map(|c| c.0 + 1 - top).max().unwrap_or(0);
        let width = self.cells.iter().map(|c| c.1 + 1 - left).max().unwrap_or(0);
        let mut rows = vec![vec![String::new(); width]; height];
        for (r, c, text) in self.cells {
            rows[r - top][c - left] = text;
        }
        rows
    }
}

/// `row`, `col` (0-based) and the text within the limits, or the limit
/// that is passed.
fn check_cell(row: usize, col: usize, text: &str) -> Result<(), String> {
    if row >= MAX_ROWS {
        return Err(format!(
            "row {} is past the limit of {MAX_ROWS} rows",
            row + 1
        ));
    }
    if col >= MAX_COLUMNS {
        return Err(format!(
            "row {}: column {} is past the limit of {MAX_COLUMNS} columns",
            row + 1,
            col + 1
        ));
    }
    if text.len() > MAX_CELL_BYTES {
        return Err(format!(
            "row {}: a cell is longer than {MAX_CELL_BYTES} bytes (the import limit)",
            row + 1
        ));
    }
    Ok(())
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| "the CSV file is not UTF-8 text".to_string())?;
    // Spreadsheets in French locales write CSV with semicolons.
    let delimiter = if text
        .lines()
        .next()
        .is_some_and(|l| l.matches(';').count() > l.matches(',').count())
    {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| format!("CSV: {e}"))?
    {
        let row = rows.len();
        for (col, cell) in record.iter().enumerate() {
            check_cell(row, col, cell)?;
        }
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::super::hostile;
    use super::*;
    use proptest::prelude::*;

    fn refusal(bytes: &[u8], is_xlsx: bool) -> String {
        read_rows(bytes, is_xlsx).unwrap_err()
    }

    #[test]
    fn a_workbook_with_a_far_corner_cell_is_refused_without_allocating_its_range() {
        let bytes = hostile::corner_cells();
        assert!(bytes.len() < 2048, "{} bytes", bytes.len());
        let err = refusal(&bytes, true);
        assert!(err.contains("limit of 10000 rows"), "{err}");
    }

    #[test]
    fn a_huge_shared_strings_count_is_refused_before_calamine_reserves_it() {
        let err = refusal(&hostile::huge_shared_strings(), true);
        assert!(err.contains("shared strings (the import limit)"), "{err}");
    }

    #[test]
    fn a_zip_bomb_is_refused_by_the_bytes_it_inflates_to() {
        let bomb = hostile::zip_bomb(40);
        assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
        let err = refusal(&bomb, true);
        assert!(err.contains("more than 16 MiB"), "{err}");
    }

    #[test]
    fn columns_and_cell_lengths_are_bounded_in_both_formats() {
        let err = refusal(
            &hostile::workbook(&hostile::sheet(&[("BZ1", "x")]), None),
            true,
        );
        assert!(err.contains("limit of 64 columns"), "{err}");
        let long = "a".repeat(MAX_CELL_BYTES + 1);
        let err = refusal(
            &hostile::workbook(&hostile::sheet(&[("A1", &long)]), None),
            true,
        );
        assert!(err.contains("longer than 32767 bytes"), "{err}");
        let err = refusal(format!("id,status\n3.1.1.a,{long}\n").as_bytes(), false);
        assert!(err.contains("row 2: a cell is longer"), "{err}");
        let err = refusal(format!("{}\n", ",".repeat(MAX_COLUMNS)).as_bytes(), false);
        assert!(err.contains("limit of 64 columns"), "{err}");
        let err = refusal("id\n".repeat(MAX_ROWS + 1).as_bytes(), false);
        assert!(err.contains("limit of 10000 rows"), "{err}");
    }

    #[test]
    fn a_hand_built_workbook_reads_from_its_first_used_cell() {
        let sheet = hostile::sheet(&[("B2", "id"), ("C2", "status"), ("B3", "3.1.1.a")]);
        let rows = read_rows(&hostile::workbook(&sheet, None), true).unwrap();
        assert_eq!(rows, vec![vec!["id", "status"], vec!["3.1.1.a", ""]]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the bytes, reading never panics and what it returns
        /// stays within the limits.
        #[test]
        fn any_bytes_are_read_or_refused_within_the_limits(
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
            is_xlsx in any::<bool>(),
        ) {
            if let Ok(rows) = read_rows(&bytes, is_xlsx) {
                prop_assert!(rows.len() <= MAX_ROWS);
                prop_assert!(rows.iter().all(|r| r.len() <= MAX_COLUMNS
                    && r.iter().all(|c| c.len() <= MAX_CELL_BYTES)));
            }
        }

        /// Any cell anywhere in a sheet: read back at its place within the
        /// limits, refused naming the limit past them.
        #[test]
        fn any_cell_position_is_read_or_refused_by_name(
            row in 1u32..1_048_577,
            col in 0u32..16_384,
            // Position is the property here; a cell of spaces only reads
            // as empty (whitespace-only XML text), which the import trims
            // anyway, so the text starts and ends with a character.
            text in "[a-z0-9]([a-z0-9 ]{0,18}[a-z0-9])?",
        ) {
            let mut letters = String::new();
            let mut c = col + 1;
            while c > 0 {
                letters.insert(0, char::from(b'A' + ((c - 1) % 26) as u8));
                c = (c - 1) / 26;
            }
            let sheet = hostile::sheet(&[("A1", "id"), (&format!("{letters}{row}"), &text)]);
            match read_rows(&hostile::workbook(&sheet, None), true) {
                Ok(rows) => {
                    prop_assert!((row as usize) <= MAX_ROWS && (col as usize) < MAX_COLUMNS);
                    prop_assert_eq!(&rows[row as usize - 1][col as usize], &text);
                }
                Err(e) => prop_assert!(e.contains("limit of"), "{}", e),
            }
        }

        /// CSV written by the export writer reads back cell for cell.
        #[test]
        fn csv_round_trips_through_the_export_writer(
            cells in proptest::collection::vec(
                proptest::collection::vec("[a-zA-Z0-9 ,\"é.]{0,12}", 2..5), 1..20),
        ) {
            let text: String = cells.iter().map(crate::csv_out::record).collect();
            let rows = read_rows(text.as_bytes(), false).unwrap();
            prop_assert_eq!(rows, cells);
        }
    }
}

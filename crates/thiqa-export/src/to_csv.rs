//! CSV: one header row, then one row per obligation (RFC 4180 quoting, so
//! multi-line cells survive; formula cells neutralised, see `csv_out`).

use thiqa_catalog::Catalog;

use crate::csv_out::CsvWriter;
use crate::rows::{obligation_rows, COLUMNS};
use crate::ExportError;

/// Writes the catalog as CSV to `writer`.
pub fn catalog_csv<W: std::io::Write>(catalog: &Catalog, writer: W) -> Result<(), ExportError> {
    let mut w = CsvWriter::new(writer);
    w.write_record(COLUMNS)?;
    for row in obligation_rows(catalog) {
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

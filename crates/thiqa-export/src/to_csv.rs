//! CSV: one header row, then one row per obligation (RFC 4180 quoting, so
//! multi-line cells survive).

use thiqa_catalog::Catalog;

use crate::rows::{obligation_rows, COLUMNS};
use crate::ExportError;

/// Writes the catalog as CSV to `writer`.
pub fn catalog_csv<W: std::io::Write>(catalog: &Catalog, writer: W) -> Result<(), ExportError> {
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(COLUMNS)?;
    for row in obligation_rows(catalog) {
        w.write_record(&row)?;
    }
    w.flush().map_err(csv::Error::from)?;
    Ok(())
}

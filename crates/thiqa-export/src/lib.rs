//! Spreadsheets in and out: exports of the DGSSI catalog (CSV for tools, XLSX
//! for people) and the import of an existing self-assessment.
//!
//! Auditors, customers and compliance teams work in spreadsheets; they get one
//! row per obligation with everything needed to filter and plan (force, nature,
//! models, levels, conditions, recurrence), the official French text and its
//! English translation. Both formats share one row layout (`rows`), so they
//! never disagree.

pub mod csv_out;
pub mod dossier;
pub mod import;
pub mod journal;
pub mod oscal;
pub mod pdf;
mod rows;
mod soa;
mod to_csv;
mod to_xlsx;

pub use pdf::{soa_pdf, SoaPdfHeader, SoaPdfLabels};
pub use rows::{obligation_rows, COLUMNS};
pub use soa::{soa_csv, soa_xlsx, SoaRow, SOA_COLUMNS};
pub use to_csv::catalog_csv;
pub use to_xlsx::catalog_xlsx;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing CSV: {0}")]
    Csv(#[from] std::io::Error),
    #[error("writing XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The PDF writer failed (its message), never because of the content.
    #[error("writing PDF: {0}")]
    Pdf(String),
}

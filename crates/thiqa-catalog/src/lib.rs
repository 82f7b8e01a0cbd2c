//! The DGSSI cloud-provider qualification référentiel (annex to arrêté 3-17-25,
//! 1 August 2025) as precise data, and the engine that says which obligations
//! apply to a service and why.
//!
//! This crate is pure: the data files are embedded at compile time and nothing
//! here touches the network, the disk or the clock.

mod load;
pub mod model;

pub use load::{Catalog, CatalogError, ObligationRef};
pub use model::*;

/// The catalog embedded in the binary: the 2025 référentiel.
pub fn dgssi_cloud_2025() -> &'static Catalog {
    load::embedded()
}

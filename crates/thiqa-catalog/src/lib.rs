//! The DGSSI cloud-provider qualification référentiel (annex to arrêté 3-17-25,
//! 1 August 2025) as precise data, and the engine that says which obligations
//! apply to a service and why.
//!
//! This crate is pure: the data files are embedded at compile time and nothing
//! here touches the network, the disk or the clock. Exports (JSON, OSCAL)
//! produce values or strings; writing them is the caller's business.

pub mod applicability;
#[cfg(test)]
mod fixture;
pub mod json;
pub mod lang;
mod load;
pub mod model;
mod names;
pub mod oscal;
pub mod search;
pub mod stats;
mod uuid;
pub mod versions;

pub use applicability::{Decision, Difference, Profile, ProfileError, Reason, Subject};
pub use lang::Lang;
pub use load::{embedded_sources, Catalog, CatalogError, OFFICIAL_TEXT_FR};
pub use model::*;
pub use search::{Hit, SearchIndex, SearchQuery};
pub use stats::{level_label, model_label, Stats};

/// The catalog embedded in the binary: the 2025 référentiel.
///
/// Panics if the embedded data does not parse; the crate's tests make sure
/// such a build never ships.
pub fn dgssi_cloud_2025() -> &'static Catalog {
    load::embedded()
}

/// The name-based UUID Thiqa gives the object named `name` (e.g.
/// `thiqa/service/7/finding/12`): other crates' OSCAL exports (SSP, assessment
/// results, POA&M) use it so that their UUIDs are reproducible like the catalog's.
pub fn thiqa_uuid(name: &str) -> String {
    uuid::thiqa(name)
}

/// The embedded catalog, or the parse error: for tools that must report
/// broken data rather than stop (the completeness tests, `thiqa catalog check`).
pub fn try_dgssi_cloud_2025() -> Result<&'static Catalog, &'static CatalogError> {
    load::try_embedded()
}

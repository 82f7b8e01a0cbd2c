//! A small catalog for unit tests (`tests/fixtures/`, shared with the
//! integration tests), so the engine is tested whatever state the real data
//! files are in.

use crate::load::Catalog;

pub(crate) const ROOT: &str = include_str!("../tests/fixtures/catalog.toml");
pub(crate) const CH1: &str = include_str!("../tests/fixtures/3.01.toml");
pub(crate) const CH2: &str = include_str!("../tests/fixtures/3.05.toml");

/// The fixture catalog: two chapters with every kind of restriction.
pub(crate) fn catalog() -> Catalog {
    Catalog::parse(ROOT, &[("3.01.toml", CH1), ("3.05.toml", CH2)]).expect("fixture parses")
}

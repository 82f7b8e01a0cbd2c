//! Correlation rules over journal events: the TOML format and the Sigma
//! subset that read into them, the rules Thiqa ships, and the pure
//! matching the store's evaluation runs. No I/O: callers read rule files.

pub mod rules;
pub mod sigma;

pub use rules::*;
pub use sigma::parse_sigma;

impl RuleSet {
    /// A rule file's text by its name: the Sigma subset for `*.yml` and
    /// `*.yaml` (several rules separated by `---`), TOML otherwise. Here,
    /// above both readers, so neither format's module depends on the other.
    pub fn parse_file(name: &str, text: &str) -> Result<RuleSet, RuleError> {
        match std::path::Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
        {
            Some("yml" | "yaml") => parse_sigma(text),
            _ => RuleSet::parse_toml(text),
        }
    }
}

//! The two languages the catalog carries. French is the official text; English
//! is a faithful translation for readers who need it.

use serde::{Deserialize, Serialize};

/// Language of a rendering (explanations, exports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// The official language of the référentiel, hence the default.
    #[default]
    Fr,
    En,
}

impl Lang {
    /// Picks the text in this language out of a French/English pair.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// Picks a list; an empty English list falls back to the French one.
    pub fn pick_list<'a, T>(self, fr: &'a [T], en: &'a [T]) -> &'a [T] {
        match self {
            Lang::En if !en.is_empty() => en,
            _ => fr,
        }
    }

    /// Picks an optional text; a missing English text falls back to French.
    pub fn pick_opt<'a>(self, fr: &'a Option<String>, en: &'a Option<String>) -> Option<&'a str> {
        match (self, en) {
            (Lang::En, Some(en)) => Some(en),
            _ => fr.as_deref(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

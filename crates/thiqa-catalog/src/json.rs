//! The whole catalog as one JSON document, for tools that do not read TOML
//! (the web console's scripts, spreadsheets' importers, other platforms), and
//! back: a JSON export can be loaded as a catalog, so a published revision can
//! be kept and compared with a later one (see `versions`).

use serde::{Deserialize, Serialize};

use crate::load::{Catalog, CatalogError};
use crate::model::{CatalogRoot, Chapter};

/// Name of the format, so a reader can tell what it is looking at.
pub const FORMAT: &str = "thiqa-catalog";
/// Bumped when the document's shape changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// The JSON document: identity first, then the data as the TOML files hold it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogDocument {
    pub format: String,
    pub format_version: u32,
    /// Catalog id and version, repeated from `root` for quick reading.
    pub id: String,
    pub version: String,
    pub root: CatalogRoot,
    pub chapters: Vec<Chapter>,
}

/// The catalog as a JSON value.
pub fn to_value(catalog: &Catalog) -> serde_json::Value {
    let doc = CatalogDocument {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        id: catalog.id().into(),
        version: catalog.version().into(),
        root: catalog.root.clone(),
        chapters: catalog.chapters.clone(),
    };
    serde_json::to_value(doc).expect("catalog types serialise to JSON")
}

/// The catalog as pretty-printed JSON text.
pub fn to_string(catalog: &Catalog) -> String {
    serde_json::to_string_pretty(&to_value(catalog)).expect("a JSON value prints")
}

/// Loads a catalog from a document written by [`to_string`].
pub fn from_str(text: &str) -> Result<Catalog, CatalogError> {
    let doc: CatalogDocument = serde_json::from_str(text).map_err(|e| CatalogError::Parse {
        file: "catalog.json".into(),
        message: e.to_string(),
    })?;
    if doc.format != FORMAT || doc.format_version != FORMAT_VERSION {
        return Err(CatalogError::Invalid(format!(
            "not a {FORMAT} v{FORMAT_VERSION} document: {} v{}",
            doc.format, doc.format_version
        )));
    }
    if doc.id != doc.root.id || doc.version != doc.root.version {
        return Err(CatalogError::Invalid(format!(
            "header says {} {} but the root says {} {}",
            doc.id, doc.version, doc.root.id, doc.root.version
        )));
    }
    Catalog::from_parts(doc.root, doc.chapters)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn round_trips() {
        let c = fixture::catalog();
        let text = to_string(&c);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["format"], FORMAT);
        assert_eq!(v["version"], "2025-01-01");
        assert_eq!(
            v["chapters"][1]["article"][0]["obligation"][2]["id"],
            "3.5.5.c"
        );
        let back = from_str(&text).unwrap();
        assert_eq!(back.root, c.root);
        assert_eq!(back.chapters, c.chapters);
        assert!(back.obligation("3.5.5.c").is_some(), "indexes rebuilt");
    }

    #[test]
    fn rejects_other_documents() {
        let c = fixture::catalog();
        let mut v = to_value(&c);
        v["format_version"] = 99.into();
        let err = from_str(&v.to_string()).unwrap_err();
        assert!(err.to_string().contains("v99"), "{err}");
        assert!(from_str("{}").is_err());
    }
}

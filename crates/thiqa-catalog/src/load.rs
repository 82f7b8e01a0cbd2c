//! Parsing and validating the embedded TOML data files.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::{Article, CatalogRoot, Chapter, Item, Obligation, ObligationRef};
use crate::search::SearchIndex;

/// The data files, embedded so that the binary needs nothing at run time.
/// Order matters: chapters are shown in this order.
const ROOT: &str = include_str!("../../../catalog/dgssi-cloud-2025/catalog.toml");
const CHAPTERS: [(&str, &str); 15] = [
    (
        "3.01.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.01.toml"),
    ),
    (
        "3.02.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.02.toml"),
    ),
    (
        "3.03.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.03.toml"),
    ),
    (
        "3.04.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.04.toml"),
    ),
    (
        "3.05.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.05.toml"),
    ),
    (
        "3.06.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.06.toml"),
    ),
    (
        "3.07.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.07.toml"),
    ),
    (
        "3.08.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.08.toml"),
    ),
    (
        "3.09.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.09.toml"),
    ),
    (
        "3.10.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.10.toml"),
    ),
    (
        "3.11.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.11.toml"),
    ),
    (
        "3.12.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.12.toml"),
    ),
    (
        "3.13.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.13.toml"),
    ),
    (
        "3.14.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.14.toml"),
    ),
    (
        "3.15.toml",
        include_str!("../../../catalog/dgssi-cloud-2025/3.15.toml"),
    ),
];

/// The official text, the tests' oracle; shipped so `thiqa catalog` can show it.
pub const OFFICIAL_TEXT_FR: &str = include_str!(
    "../../../catalog/dgssi-cloud-2025/source/referentiel-qualification-cloud-2025.fr.txt"
);

/// The embedded data files, for callers that parse them themselves (the
/// completeness tests, which want the parse error rather than a panic, and the
/// benchmarks, which time the parse).
pub fn embedded_sources() -> (&'static str, &'static [(&'static str, &'static str)]) {
    (ROOT, &CHAPTERS)
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// A parsed catalog with its lookup indexes. Immutable once built, so the
/// indexes (and the search index, built on first use) can never go stale.
pub struct Catalog {
    pub root: CatalogRoot,
    pub chapters: Vec<Chapter>,
    obligation_index: HashMap<String, ObligationRef>,
    article_index: HashMap<String, (usize, usize)>,
    search: OnceLock<SearchIndex>,
}

impl std::fmt::Debug for Catalog {
    // The derived form would print the whole référentiel and the indexes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("id", &self.root.id)
            .field("version", &self.root.version)
            .field("chapters", &self.chapters.len())
            .field("obligations", &self.obligation_index.len())
            .finish()
    }
}

impl Catalog {
    /// Parses and validates a catalog from its root file and chapter files.
    pub fn parse(root: &str, chapters: &[(&str, &str)]) -> Result<Catalog, CatalogError> {
        let root: CatalogRoot = toml::from_str(root).map_err(|e| CatalogError::Parse {
            file: "catalog.toml".into(),
            message: e.to_string(),
        })?;
        let chapters = chapters
            .iter()
            .map(|(file, text)| {
                toml::from_str::<Chapter>(text).map_err(|e| CatalogError::Parse {
                    file: (*file).to_string(),
                    message: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Catalog::from_parts(root, chapters)
    }

    /// Builds a catalog from already-deserialised parts (JSON import, tests
    /// and benchmarks that generate a catalog).
    pub fn from_parts(root: CatalogRoot, chapters: Vec<Chapter>) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog {
            root,
            chapters,
            obligation_index: HashMap::new(),
            article_index: HashMap::new(),
            search: OnceLock::new(),
        };
        catalog.build_indexes()?;
        Ok(catalog)
    }

    fn build_indexes(&mut self) -> Result<(), CatalogError> {
        for (ci, chapter) in self.chapters.iter().enumerate() {
            for (ai, article) in chapter.articles.iter().enumerate() {
                if self
                    .article_index
                    .insert(article.id.clone(), (ci, ai))
                    .is_some()
                {
                    return Err(CatalogError::Invalid(format!(
                        "article id {} appears twice",
                        article.id
                    )));
                }
                for (oi, ob) in article.obligations.iter().enumerate() {
                    let at = ObligationRef {
                        chapter: ci,
                        article: ai,
                        obligation: oi,
                    };
                    if self.obligation_index.insert(ob.id.clone(), at).is_some() {
                        return Err(CatalogError::Invalid(format!(
                            "obligation id {} appears twice",
                            ob.id
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn id(&self) -> &str {
        &self.root.id
    }

    pub fn version(&self) -> &str {
        &self.root.version
    }

    pub fn article(&self, id: &str) -> Option<&Article> {
        let (c, a) = *self.article_index.get(id)?;
        Some(&self.chapters[c].articles[a])
    }

    pub fn chapter(&self, id: &str) -> Option<&Chapter> {
        self.chapters.iter().find(|c| c.id == id)
    }

    pub fn obligation(&self, id: &str) -> Option<&Obligation> {
        self.locate(id).map(|at| self.at(at))
    }

    pub fn locate(&self, id: &str) -> Option<ObligationRef> {
        self.obligation_index.get(id).copied()
    }

    pub fn at(&self, at: ObligationRef) -> &Obligation {
        &self.chapters[at.chapter].articles[at.article].obligations[at.obligation]
    }

    /// Every article, in the text's order.
    pub fn articles(&self) -> impl Iterator<Item = (&Chapter, &Article)> {
        self.chapters
            .iter()
            .flat_map(|c| c.articles.iter().map(move |a| (c, a)))
    }

    /// Every obligation with its chapter and article, in the text's order.
    pub fn obligations(&self) -> impl Iterator<Item = (&Chapter, &Article, &Obligation)> {
        self.articles()
            .flat_map(|(c, a)| a.obligations.iter().map(move |o| (c, a, o)))
    }

    /// Every fact: the root's, then those chapters introduce.
    pub fn facts(&self) -> impl Iterator<Item = &crate::model::Fact> {
        self.root
            .facts
            .iter()
            .chain(self.chapters.iter().flat_map(|c| c.facts.iter()))
    }

    pub fn fact(&self, id: &str) -> Option<&crate::model::Fact> {
        self.facts().find(|f| f.id == id)
    }

    /// Every item with its obligation, depth first, in the text's order.
    pub fn items(&self) -> impl Iterator<Item = (&Obligation, &Item)> {
        self.obligations()
            .flat_map(|(_, _, o)| o.all_items().into_iter().map(move |i| (o, i)))
    }

    /// Searches the catalog; the index is built on the first call.
    pub fn search(&self, query: &crate::search::SearchQuery) -> Vec<crate::search::Hit<'_>> {
        self.search_index().search(&self.chapters, query)
    }

    /// The search index, built on first use and kept for the catalog's life.
    pub fn search_index(&self) -> &SearchIndex {
        self.search.get_or_init(|| SearchIndex::new(&self.chapters))
    }
}

/// The catalog data converted from TOML to JSON by `build.rs` (same model,
/// parsed five times faster).
const EMBEDDED_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/catalog.json"));

impl Catalog {
    /// Loads the catalog embedded in the binary (from its build-time JSON).
    pub fn load_embedded() -> Result<Catalog, CatalogError> {
        let (root, chapters): (CatalogRoot, Vec<Chapter>) = serde_json::from_str(EMBEDDED_JSON)
            .map_err(|e| CatalogError::Parse {
                file: "catalog.json (built from the TOML files)".into(),
                message: e.to_string(),
            })?;
        Catalog::from_parts(root, chapters)
    }
}

/// The embedded catalog, or the reason it does not parse.
pub(crate) fn try_embedded() -> Result<&'static Catalog, &'static CatalogError> {
    static CATALOG: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
    CATALOG.get_or_init(Catalog::load_embedded).as_ref()
}

pub(crate) fn embedded() -> &'static Catalog {
    // The data is validated by this crate's tests; a failure here is a build
    // of broken data, which must not ship.
    match try_embedded() {
        Ok(c) => c,
        Err(e) => panic!("embedded catalog is invalid: {e}"),
    }
}

//! Full-text search over the catalog, in French and English.
//!
//! People type without accents ("securite", "chiffrement des donnees") and in
//! either language, so text is folded (lower case, accents and ligatures
//! removed) before it is split into words. Everything costly happens once, when
//! the index is built: a query only folds its own few words and walks a sorted
//! vocabulary, which keeps it far under a millisecond for the ~300 obligations
//! of the référentiel (see `benches/catalog.rs`).
//!
//! Ranking: a word in the obligation's title counts more than one in its
//! article's title, which counts more than one in the text, items or evidence;
//! a whole-word match counts more than a prefix ("chiffr" finds "chiffrement").
//! Every query word must match (AND), common function words excepted.

use crate::model::{
    Chapter, Force, Level, Nature, Obligation, ObligationRef, Recurrence, ServiceModel,
};

/// What to look for. An empty `text` lists every obligation the filters keep,
/// in the text's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    /// Keep obligations applicable to this model (no model restriction, or this one).
    pub model: Option<ServiceModel>,
    /// Keep obligations applicable at this level.
    pub level: Option<Level>,
    pub nature: Option<Nature>,
    pub force: Option<Force>,
    pub recurrence: Option<Recurrence>,
    /// Chapter id, e.g. "3.5".
    pub chapter: Option<String>,
}

impl SearchQuery {
    pub fn new(text: impl Into<String>) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            ..SearchQuery::default()
        }
    }
}

/// One result, best first.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    pub at: ObligationRef,
    pub obligation: &'a Obligation,
    pub score: u32,
    /// At least one query word is in the obligation's title.
    pub in_title: bool,
}

/// Where a word occurs; the order is the ranking order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Title,
    Heading,
    Body,
}

impl Field {
    fn weight(self, exact: bool) -> u32 {
        match (self, exact) {
            (Field::Title, true) => 100,
            (Field::Title, false) => 60,
            (Field::Heading, true) => 30,
            (Field::Heading, false) => 20,
            (Field::Body, true) => 10,
            (Field::Body, false) => 5,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    field: Field,
    count: u16,
}

/// What the filters need, precomputed per obligation as bit sets.
#[derive(Debug, Clone)]
struct Doc {
    at: ObligationRef,
    id: String,
    models: u8,
    levels: u8,
    natures: u16,
    force: Force,
    recurrences: u16,
}

/// An inverted index of one catalog. Build it with [`SearchIndex::new`] or let
/// [`Catalog::search`] build and keep one.
pub struct SearchIndex {
    docs: Vec<Doc>,
    /// Sorted by word, so a prefix is a contiguous range.
    vocab: Vec<(String, Vec<Posting>)>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("docs", &self.docs.len())
            .field("words", &self.vocab.len())
            .finish()
    }
}

fn bit<T: PartialEq>(all: &[T], v: &T) -> u16 {
    all.iter().position(|x| x == v).map_or(0, |i| 1 << i)
}

fn mask<T: PartialEq>(all: &[T], values: &[T]) -> u16 {
    if values.is_empty() {
        // Unrestricted: matches every filter value.
        return u16::MAX;
    }
    values.iter().fold(0, |m, v| m | bit(all, v))
}

impl SearchIndex {
    /// The index of the chapters of one catalog (`&catalog.chapters`).
    pub fn new(chapters: &[Chapter]) -> SearchIndex {
        use std::collections::HashMap;
        let mut docs = Vec::new();
        // Postings arrive in document order, and within a document in field
        // order (titles, then headings, then body), so a word's occurrence
        // either extends its last posting or appends one.
        let mut words: HashMap<String, Vec<Posting>> = HashMap::new();
        for (ci, chapter) in chapters.iter().enumerate() {
            for (ai, article) in chapter.articles.iter().enumerate() {
                for (oi, o) in article.obligations.iter().enumerate() {
                    let doc = docs.len() as u32;
                    docs.push(Doc {
                        at: ObligationRef {
                            chapter: ci,
                            article: ai,
                            obligation: oi,
                        },
                        id: o.id.clone(),
                        models: mask(&ServiceModel::ALL, &o.models) as u8,
                        levels: mask(&Level::ALL, &o.levels) as u8,
                        natures: bit_set(Nature::ALL, &o.nature),
                        force: o.force,
                        recurrences: bit_set(Recurrence::ALL, &o.recurrence),
                    });
                    let mut add = |text: &str, field: Field| {
                        let folded = fold(text);
                        for w in words_of(&folded) {
                            let postings = match words.get_mut(w) {
                                Some(p) => p,
                                None => words.entry(w.to_string()).or_default(),
                            };
                            match postings.last_mut() {
                                Some(p) if p.doc == doc && p.field == field => {
                                    p.count = p.count.saturating_add(1);
                                }
                                _ => postings.push(Posting {
                                    doc,
                                    field,
                                    count: 1,
                                }),
                            }
                        }
                    };
                    add(&o.title_fr, Field::Title);
                    add(&o.title_en, Field::Title);
                    add(&article.title_fr, Field::Heading);
                    add(&article.title_en, Field::Heading);
                    add(&o.text_fr, Field::Body);
                    add(&o.text_en, Field::Body);
                    for item in o.all_items() {
                        add(&item.text_fr, Field::Body);
                        add(&item.text_en, Field::Body);
                    }
                    for e in o.evidence_fr.iter().chain(&o.evidence_en) {
                        add(e, Field::Body);
                    }
                }
            }
        }
        let mut vocab: Vec<(String, Vec<Posting>)> = words.into_iter().collect();
        vocab.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        SearchIndex { docs, vocab }
    }

    /// Number of distinct words indexed.
    pub fn vocabulary_len(&self) -> usize {
        self.vocab.len()
    }

    /// Runs a query. `chapters` must be those this index was built from.
    pub fn search<'a>(&self, chapters: &'a [Chapter], query: &SearchQuery) -> Vec<Hit<'a>> {
        let (ids, words) = parse_query(&query.text);
        let n = self.docs.len();
        let mut score = vec![0u32; n];
        let mut matched = vec![0u16; n];
        let mut in_title = vec![false; n];
        let mut best = vec![0u32; n];
        let mut title_now = vec![false; n];
        for word in &words {
            best.iter_mut().for_each(|b| *b = 0);
            title_now.iter_mut().for_each(|t| *t = false);
            let start = self
                .vocab
                .partition_point(|(w, _)| w.as_str() < word.as_str());
            for (w, postings) in self.vocab[start..]
                .iter()
                .take_while(|(w, _)| w.starts_with(word.as_str()))
            {
                let exact = w == word;
                for p in postings {
                    let s = p.field.weight(exact) + u32::from(p.count.min(5)) - 1;
                    let d = p.doc as usize;
                    best[d] = best[d].max(s);
                    title_now[d] |= p.field == Field::Title;
                }
            }
            for d in 0..n {
                if best[d] > 0 {
                    score[d] += best[d];
                    matched[d] += 1;
                    in_title[d] |= title_now[d];
                }
            }
        }
        for id in &ids {
            for (d, doc) in self.docs.iter().enumerate() {
                if doc.id == *id {
                    score[d] += 1000;
                    matched[d] += 1;
                } else if doc.id.starts_with(id.as_str()) && doc.id[id.len()..].starts_with('.') {
                    score[d] += 500;
                    matched[d] += 1;
                }
            }
        }
        let needed = (ids.len() + words.len()) as u16;
        let mut hits: Vec<(usize, u32)> = (0..n)
            .filter(|&d| matched[d] == needed && self.keeps(d, chapters, query))
            .map(|d| (d, score[d]))
            .collect();
        // Stable: equal scores stay in the text's order.
        hits.sort_by_key(|h| std::cmp::Reverse(h.1));
        hits.into_iter()
            .map(|(d, s)| Hit {
                at: self.docs[d].at,
                obligation: obligation_at(chapters, self.docs[d].at),
                score: s,
                in_title: in_title[d],
            })
            .collect()
    }

    fn keeps(&self, d: usize, chapters: &[Chapter], q: &SearchQuery) -> bool {
        let doc = &self.docs[d];
        q.model
            .is_none_or(|m| doc.models & bit(&ServiceModel::ALL, &m) as u8 != 0)
            && q.level
                .is_none_or(|l| doc.levels & bit(&Level::ALL, &l) as u8 != 0)
            && q.nature
                .is_none_or(|v| doc.natures & bit(Nature::ALL, &v) != 0)
            && q.force.is_none_or(|f| doc.force == f)
            && q.recurrence
                .is_none_or(|r| doc.recurrences & bit(Recurrence::ALL, &r) != 0)
            && q.chapter
                .as_deref()
                .is_none_or(|c| chapters[doc.at.chapter].id == c)
    }
}

/// Exact bit set (empty = no bit), for multi-valued attributes where empty
/// means "none", not "all".
fn bit_set<T: PartialEq>(all: &[T], values: &[T]) -> u16 {
    values.iter().fold(0, |m, v| m | bit(all, v))
}

fn obligation_at(chapters: &[Chapter], at: ObligationRef) -> &Obligation {
    &chapters[at.chapter].articles[at.article].obligations[at.obligation]
}

/// Words too common to narrow a search; dropped from queries that have others.
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "en", "et", "la", "le",
    "les", "ou", "par", "pour", "sur", "un", "une", "an", "and", "for", "in", "of", "on", "or",
    "the", "to", "with",
];

/// Splits a query into obligation-id terms ("3.5.5", "3.5.5.c") and folded
/// words, without stop words unless the query has nothing else.
fn parse_query(text: &str) -> (Vec<String>, Vec<String>) {
    let mut ids = Vec::new();
    let mut words = Vec::new();
    for raw in text.split_whitespace() {
        let raw = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if raw.starts_with(|c: char| c.is_ascii_digit()) && raw.contains('.') {
            ids.push(raw.to_lowercase());
        } else {
            words.extend(tokenize(raw));
        }
    }
    let content: Vec<String> = words
        .iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .cloned()
        .collect();
    if !content.is_empty() || !ids.is_empty() {
        words = content;
    }
    words.sort();
    words.dedup();
    (ids, words)
}

/// Folds text for matching (one folding for every search: see
/// [`thiqa_domain::text::fold`]).
pub use thiqa_domain::text::fold;

/// Folded words of a text. Single letters (the l' and d' of elisions) are
/// dropped; numbers are kept.
pub fn tokenize(text: &str) -> Vec<String> {
    words_of(&fold(text)).map(str::to_string).collect()
}

/// The words of already folded text.
fn words_of(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| match w.len() {
            0 => false,
            1 => !w.chars().all(char::is_alphabetic),
            _ => true,
        })
}

#[cfg(test)]
mod tests;

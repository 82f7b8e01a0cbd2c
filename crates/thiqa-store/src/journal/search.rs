//! Searching the journal (référentiel 3.8.9): by time range, commanditaire,
//! source, type (action prefix), severity and free text, over any period
//! the journal keeps (at least 12 months, so 6 months of search and more).
//!
//! What the rows' columns hold (event time, tenant, source) is filtered in
//! SQL, on the indexes of migration 0009 (`(event_time_ms, idx)`, and the
//! same prefixed by the tenant or the source); the rest (action, severity,
//! text) is only in the leaf bytes, so leaves are decoded and filtered here.
//! Rows are read in pages of [`SEARCH_PAGE`], newest first, until `limit`
//! hits are found or [`JournalSearch::max_scan`] rows were examined: a
//! search over six months never holds more than one page in memory, and a
//! search that stops early says where to resume ([`SearchPage::older`]).
//!
//! Order is by event time, then index (the position in the log), both
//! descending; paging cursors are `(event time, index)` pairs, so pages are
//! stable while new events arrive.

use std::fmt;
use std::str::FromStr;

use thiqa_domain::text::fold;

use thiqa_domain::Tenant;
use thiqa_journal::Event;

use super::append::{leaf_from_row, LEAF_COLUMNS};
use super::columns::check_leaf;
use crate::connect::Store;
use crate::error::StoreError;
use crate::reads::{pool_query, Param};

/// Rows read per SQL query.
pub const SEARCH_PAGE: u64 = 500;
/// Rows one search examines at most unless told otherwise.
pub const SEARCH_SCAN_MAX: u64 = 200_000;
/// Most hits one search returns.
pub const SEARCH_LIMIT_MAX: u64 = 1_000;

/// A position in the search order: an event time and a leaf index.
/// Written `TIME_MS.INDEX` in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SearchCursor {
    pub time_ms: i64,
    pub index: u64,
}

impl fmt::Display for SearchCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.time_ms, self.index)
    }
}

impl FromStr for SearchCursor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a search position (TIME_MS.INDEX)");
        let (t, i) = s.rsplit_once('.').ok_or_else(bad)?;
        Ok(SearchCursor {
            time_ms: t.parse().map_err(|_| bad())?,
            index: i.parse().map_err(|_| bad())?,
        })
    }
}

/// What to look for. `tenant: None` searches every leaf (the provider's
/// view, behind `journal.read`); a commanditaire's users always search with
/// their own organisation here, taken from their session.
#[derive(Debug, Clone)]
pub struct JournalSearch {
    pub tenant: Option<Tenant>,
    /// Event time range, epoch milliseconds, `[from_ms, to_ms)`.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Exact source (`thiqa` for Thiqa's own events, or an intake source).
    pub source: Option<String>,
    /// Action prefix, e.g. `login` or `role.` (ASCII case ignored).
    pub action_prefix: Option<String>,
    /// RFC 5424 code: only events this severe or more (lower code).
    pub min_severity: Option<u8>,
    /// Words that must all appear (case and accents ignored) in the actor,
    /// target, action, source address or an attribute (key or value).
    pub text: Option<String>,
    /// Older than this position (the next page).
    pub after: Option<SearchCursor>,
    /// Newer than this position (the previous page). Ignored when `after`
    /// is given.
    pub before: Option<SearchCursor>,
    /// Hits wanted, 1 to [`SEARCH_LIMIT_MAX`].
    pub limit: u64,
    /// Rows examined at most (0 = [`SEARCH_SCAN_MAX`]).
    pub max_scan: u64,
}

impl Default for JournalSearch {
    fn default() -> Self {
        JournalSearch {
            tenant: None,
            from_ms: i64::MIN,
            to_ms: i64::MAX,
            source: None,
            action_prefix: None,
            min_severity: None,
            text: None,
            after: None,
            before: None,
            limit: 50,
            max_scan: 0,
        }
    }
}

/// One event found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// Its leaf index in the journal.
    pub index: u64,
    pub event: Event,
    /// The leaf row's tenant (the event's, parsed).
    pub tenant: Option<Tenant>,
}

impl SearchHit {
    pub fn cursor(&self) -> SearchCursor {
        SearchCursor {
            time_ms: self.event.event_time.unix_millis(),
            index: self.index,
        }
    }
}

/// One page of results, newest first.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// Where to continue towards older events (`after`), when the search
    /// stopped before the start of the range.
    pub older: Option<SearchCursor>,
    /// Where to go back towards newer events (`before`), when this is not
    /// the newest page.
    pub newer: Option<SearchCursor>,
    /// Rows examined.
    pub scanned: u64,
    /// The search stopped at `max_scan` rows, not at `limit` hits or at the
    /// end of the range: `older` (or `newer`) resumes it.
    pub truncated: bool,
}

/// The filters applied to decoded events.
struct EventFilter {
    action_prefix: Option<String>,
    min_severity: Option<u8>,
    words: Vec<String>,
}

impl EventFilter {
    fn new(q: &JournalSearch) -> EventFilter {
        EventFilter {
            action_prefix: q
                .action_prefix
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_ascii_lowercase),
            min_severity: q.min_severity,
            words: q
                .text
                .as_deref()
                .map(|t| fold(t).split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        }
    }

    fn matches(&self, e: &Event) -> bool {
        if let Some(p) = &self.action_prefix {
            if !e.action.to_ascii_lowercase().starts_with(p.as_str()) {
                return false;
            }
        }
        if let Some(min) = self.min_severity {
            if e.severity.code() > min {
                return false;
            }
        }
        if self.words.is_empty() {
            return true;
        }
        let mut hay = String::new();
        for part in [&e.actor, &e.target, &e.action] {
            hay.push_str(&fold(part));
            hay.push('\n');
        }
        if let Some(a) = e.source_address {
            hay.push_str(&a.to_string());
            hay.push('\n');
        }
        for (k, v) in &e.attributes {
            hay.push_str(&fold(k));
            hay.push('=');
            hay.push_str(&fold(v));
            hay.push('\n');
        }
        self.words.iter().all(|w| hay.contains(w.as_str()))
    }
}

/// The SQL of one page and its parameters, in order of appearance (SQLite
/// numbers `$n` in that order, so each is written once, left to right).
fn page_sql(q: &JournalSearch, at: Option<SearchCursor>, descending: bool) -> (String, Vec<Param>) {
    let mut sql = format!("SELECT {LEAF_COLUMNS} FROM journal_leaves WHERE ");
    let mut params = Vec::new();
    let mut push = |sql: &mut String, clause: &str, p: Param| {
        params.push(p);
        sql.push_str(&clause.replace('?', &format!("${}", params.len())));
    };
    if let Some(t) = q.tenant {
        let condition = format!("{}? AND ", super::tenant_condition(t));
        push(&mut sql, &condition, Param::Int(t.parts().1));
    }
    if let Some(s) = &q.source {
        push(&mut sql, "source = ? AND ", Param::Text(s.clone()));
    }
    push(&mut sql, "event_time_ms >= ? ", Param::Int(q.from_ms));
    push(&mut sql, "AND event_time_ms < ? ", Param::Int(q.to_ms));
    if let Some(c) = at {
        let idx = i64::try_from(c.index).unwrap_or(i64::MAX);
        if descending {
            push(&mut sql, "AND event_time_ms <= ? ", Param::Int(c.time_ms));
            push(&mut sql, "AND (event_time_ms < ? ", Param::Int(c.time_ms));
            push(&mut sql, "OR idx < ?) ", Param::Int(idx));
        } else {
            push(&mut sql, "AND event_time_ms >= ? ", Param::Int(c.time_ms));
            push(&mut sql, "AND (event_time_ms > ? ", Param::Int(c.time_ms));
            push(&mut sql, "OR idx > ?) ", Param::Int(idx));
        }
    }
    let dir = if descending { "DESC" } else { "ASC" };
    push(
        &mut sql,
        &format!("ORDER BY event_time_ms {dir}, idx {dir} LIMIT ?"),
        Param::Int(SEARCH_PAGE as i64),
    );
    (sql, params)
}

impl Store {
    /// Searches the journal; see [`JournalSearch`]. Newest first.
    pub async fn journal_search(&self, q: &JournalSearch) -> Result<SearchPage, StoreError> {
        let limit = usize::try_from(q.limit.clamp(1, SEARCH_LIMIT_MAX)).unwrap_or(50);
        let max_scan = if q.max_scan == 0 {
            SEARCH_SCAN_MAX
        } else {
            q.max_scan
        };
        let filter = EventFilter::new(q);
        // Paging towards newer events scans upwards, then turns the page.
        let (descending, start) = match (q.after, q.before) {
            (Some(a), _) => (true, Some(a)),
            (None, Some(b)) => (false, Some(b)),
            (None, None) => (true, None),
        };
        let mut at = start;
        let mut hits = Vec::new();
        let mut scanned = 0u64;
        let mut exhausted = false;
        'pages: while hits.len() < limit && scanned < max_scan {
            let (sql, params) = page_sql(q, at, descending);
            let rows = pool_query(&sql, &params).fetch_all(&self.pool).await?;
            let full = rows.len() as u64 == SEARCH_PAGE;
            for row in &rows {
                let leaf = leaf_from_row(row)?;
                let index = leaf.index;
                at = Some(SearchCursor {
                    time_ms: leaf.event_time_ms,
                    index,
                });
                scanned += 1;
                // The row was selected by its columns: refused if they
                // differ from its leaf (a hit filed under the wrong tenant
                // or time).
                check_leaf(&leaf)?;
                // An empty leaf is a payload purged past retention.
                if !leaf.leaf.is_empty() {
                    match Event::from_leaf(&leaf.leaf) {
                        Ok(event) if filter.matches(&event) => {
                            hits.push(SearchHit {
                                index,
                                event,
                                tenant: leaf.tenant,
                            });
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(target: "thiqa::journal", index, error = %e, "undecodable leaf skipped by search");
                        }
                    }
                }
                if hits.len() >= limit || scanned >= max_scan {
                    break 'pages;
                }
            }
            if !full {
                exhausted = true;
                break;
            }
        }
        // A stop on the very last row of the range still offers a next
        // page; it comes back empty, which is harmless.
        let stopped = (!exhausted).then_some(at).flatten();
        let truncated = !exhausted && hits.len() < limit;
        if descending {
            Ok(SearchPage {
                newer: start.map(|s| hits.first().map_or(s, SearchHit::cursor)),
                older: stopped,
                hits,
                scanned,
                truncated,
            })
        } else {
            hits.reverse();
            Ok(SearchPage {
                older: start.map(|s| hits.last().map_or(s, SearchHit::cursor)),
                newer: stopped,
                hits,
                scanned,
                truncated,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_through_text() {
        let c = SearchCursor {
            time_ms: -5,
            index: 42,
        };
        assert_eq!(c.to_string().parse::<SearchCursor>().unwrap(), c);
        assert!("12".parse::<SearchCursor>().is_err());
        assert!("a.b".parse::<SearchCursor>().is_err());
    }

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(
            fold("Échec de CONNEXION à l'hôte"),
            "echec de connexion a l'hote"
        );
        assert_eq!(fold("e\u{301}te\u{301}"), "ete");
    }

    #[test]
    fn parameters_are_numbered_in_order() {
        let q = JournalSearch {
            tenant: Some(Tenant::Organisation(thiqa_domain::OrganisationId(3))),
            source: Some("fw".into()),
            ..JournalSearch::default()
        };
        let (sql, params) = page_sql(
            &q,
            Some(SearchCursor {
                time_ms: 1,
                index: 2,
            }),
            true,
        );
        // The tenant's kind is a literal (its partial indexes), its id a
        // parameter.
        assert!(
            sql.contains("tenant_kind = 'organisation' AND tenant_id = $1"),
            "{sql}"
        );
        assert_eq!(params.len(), 8);
        let mut last = 0;
        for n in 1..=8 {
            let at = sql.find(&format!("${n}")).unwrap();
            assert!(at > last, "{sql}");
            last = at;
        }
    }
}

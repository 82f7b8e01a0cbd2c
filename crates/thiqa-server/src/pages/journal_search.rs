//! Journal search (référentiel 3.8.9): by period, commanditaire, source,
//! type, severity and text, newest first, page by page. Operators with
//! `journal.read` search every event (or one commanditaire's); a
//! commanditaire's users with `org.journal.read` search their
//! organisation's only: the tenant comes from the session, never from the
//! query.

use crate::web::forms::PageQuery;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use thiqa_domain::assessment::iso_date_start;
use thiqa_domain::{OrganisationId, Tenant};
use thiqa_store::{JournalSearch, SearchCursor, SearchHit};

use crate::auth::visit::Signed;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::ok;
use thiqa_app::events::{self, SearchScope, Searched};
use thiqa_app::time::iso_date;

/// Hits per page.
const PAGE: u64 = 50;
/// The default period: the last six months.
const DEFAULT_DAYS: i64 = 183;

/// The form's fields, as in the URL (all optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Operators only: `""` every event, `provider` the provider's own,
    /// or an organisation id.
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub source: String,
    /// Action prefix.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// RFC 5424 code: this severity or worse.
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub before: String,
}

impl SearchForm {
    /// This search's URL, at another page.
    fn link(&self, after: Option<SearchCursor>, before: Option<SearchCursor>) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("organisation", self.organisation.clone()),
            ("source", self.source.clone()),
            ("type", self.kind.clone()),
            ("severity", self.severity.clone()),
            ("q", self.q.clone()),
        ];
        pairs.retain(|(_, v)| !v.is_empty());
        if let Some(a) = after {
            pairs.push(("after", a.to_string()));
        }
        if let Some(b) = before {
            pairs.push(("before", b.to_string()));
        }
        format!(
            "/journal/search?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }
}

/// One event as a table row.
pub struct HitRow {
    pub index: u64,
    pub time: String,
    pub source: String,
    /// Thiqa's own security event, not an intake source's (whose types,
    /// such as `login`, may look like Thiqa's).
    pub own: bool,
    pub action: String,
    pub severity: &'static str,
    pub outcome: &'static str,
    pub actor: String,
    pub target: String,
    pub tenant: String,
    pub address: String,
    pub attributes: String,
}

fn row(hit: SearchHit, tenant_label: &dyn Fn(Option<Tenant>) -> String) -> HitRow {
    let e = hit.event;
    let outcome = e.outcome.name();
    HitRow {
        index: hit.index,
        time: e.event_time.to_string(),
        own: e.source == thiqa_store::THIQA_SOURCE,
        source: e.source,
        action: e.action,
        severity: e.severity.name(),
        outcome,
        actor: e.actor,
        target: e.target,
        tenant: tenant_label(hit.tenant),
        address: e.source_address.map(|a| a.to_string()).unwrap_or_default(),
        attributes: e
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" · "),
    }
}

#[derive(Template)]
#[template(path = "journal_search.html")]
struct SearchPage<'a> {
    chrome: Chrome<'a>,
    form: SearchForm,
    /// Operators choose among (value, label); empty on the portal.
    organisations: Vec<(String, String)>,
    severities: Vec<(String, &'static str)>,
    rows: Vec<HitRow>,
    newer: Option<String>,
    older: Option<String>,
    truncated: bool,
    scanned: String,
    show_tenant: bool,
}

/// Whose events the form asks for: everyone's (empty), the provider's
/// own, or one commanditaire's by id (the use case checks it is the
/// provider's, and ignores the choice for an organisation's member).
fn search_scope(tr: &crate::i18n::Tr<'_>, choice: &str) -> Result<SearchScope, PageError> {
    Ok(match choice {
        "" => SearchScope::All,
        "provider" => SearchScope::Provider,
        id => SearchScope::Organisation(OrganisationId(id.parse().map_err(|_| {
            PageError::BadRequest(tr.t1("error-query-param", "param", "organisation"))
        })?)),
    })
}

fn cursor(text: &str) -> Result<Option<SearchCursor>, PageError> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(PageError::BadRequest)
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    PageQuery(mut form): PageQuery<SearchForm>,
) -> Result<Response, PageError> {
    me.require(R::READ_EVENTS)?;
    let tr = me.tr(&app);
    let now = app.store.clock().now_s();
    if form.to.is_empty() {
        form.to = iso_date(now);
    }
    if form.from.is_empty() {
        form.from = iso_date(now - DEFAULT_DAYS * 86_400);
    }
    let (Some(from), Some(to)) = (iso_date_start(&form.from), iso_date_start(&form.to)) else {
        return Err(PageError::BadRequest(tr.t("error-search-dates")));
    };
    if from > to {
        return Err(PageError::BadRequest(tr.t("error-search-dates")));
    }
    let scope = search_scope(&tr, form.organisation.trim())?;
    let min_severity = match form.severity.trim() {
        "" => None,
        s => Some(
            s.parse::<u8>()
                .ok()
                .filter(|c| *c <= 7)
                .ok_or_else(|| PageError::BadRequest(tr.t("error-search-severity")))?,
        ),
    };
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let q = JournalSearch {
        // Set by the use case from the member and the scope chosen above.
        tenant: None,
        from_ms: from * 1000,
        // The end date is included.
        to_ms: (to + 86_400) * 1000,
        source: text(&form.source),
        action_prefix: text(&form.kind),
        min_severity,
        text: text(&form.q),
        after: cursor(&form.after)?,
        before: cursor(&form.before)?,
        limit: PAGE,
        max_scan: 0,
    };
    let Searched {
        page: found,
        organisations: orgs,
    } = events::search(&app, &me.member(), scope, q).await?;
    let names: Vec<(i64, String)> = orgs.iter().map(|o| (o.id.0, o.name.clone())).collect();
    let organisations = match me.tenant() {
        Tenant::Provider(_) => {
            let mut choices = vec![
                (String::new(), tr.t("search-all-tenants")),
                ("provider".to_owned(), tr.t("search-provider-tenant")),
            ];
            choices.extend(names.iter().map(|(id, n)| (id.to_string(), n.clone())));
            choices
        }
        Tenant::Organisation(_) => vec![],
    };
    let provider_label = tr.t("search-provider-tenant");
    let label = |t: Option<Tenant>| match t {
        None => String::new(),
        Some(Tenant::Provider(_)) => provider_label.clone(),
        Some(Tenant::Organisation(o)) => names
            .iter()
            .find(|(id, _)| *id == o.0)
            .map_or_else(|| format!("organisation:{}", o.0), |(_, n)| n.clone()),
    };
    let show_tenant = matches!(me.tenant(), Tenant::Provider(_));
    let rows = found.hits.into_iter().map(|h| row(h, &label)).collect();
    ok(&SearchPage {
        chrome: Chrome::new::<R>(&app, &me.visit, "/journal/search"),
        newer: found.newer.map(|c| form.link(None, Some(c))),
        older: found.older.map(|c| form.link(Some(c), None)),
        truncated: found.truncated,
        scanned: found.scanned.to_string(),
        organisations,
        severities: (0u8..=7)
            .filter_map(thiqa_journal::Severity::from_code)
            .map(|s| (s.code().to_string(), s.name()))
            .collect(),
        rows,
        show_tenant,
        form,
    })
}

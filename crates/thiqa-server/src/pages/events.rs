//! Security events (3.8.6): operators see the provider's, commanditaire users
//! their organisation's only.

use crate::web::forms::PageQuery;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use thiqa_app::events;
use thiqa_domain::OrganisationId;
use thiqa_export::journal::JournalFormat;
use thiqa_store::SecurityEvent;

use crate::journal_export::{
    current_checkpoint, download, events_body, proofs_body, record_export, ExportQuery,
    ExportRequest,
};

use crate::auth::visit::Signed;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::ok;
use thiqa_app::time::format_utc;

/// One event as shown in a table.
pub struct EventRow {
    pub time: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub source: String,
    pub details: String,
}

impl From<SecurityEvent> for EventRow {
    fn from(e: SecurityEvent) -> Self {
        EventRow {
            time: format_utc(e.occurred_at_ms.div_euclid(1000)),
            actor: e.actor_name.unwrap_or_default(),
            action: e.action,
            target: e.target.unwrap_or_default(),
            outcome: e.outcome,
            source: e.source_ip.unwrap_or_default(),
            details: e.details.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage<'a> {
    chrome: Chrome<'a>,
    events: Vec<EventRow>,
    /// Leaves in the tamper-evident journal, and the last signed size.
    journal_size: u64,
    checkpoint: Option<(u64, String)>,
    /// Operators choose the commanditaire whose events they export.
    organisations: Vec<(i64, String)>,
    formats: [&'static str; 5],
    today: String,
    month_ago: String,
    /// NTP state of the host clock (3.8.8), as the OS reports it.
    clock_key: &'static str,
    clock_line: String,
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    let overview = events::overview(&app, &me.member()).await?;
    let now = app.store.clock().now_s();
    let day = thiqa_app::time::iso_date;
    let clock = crate::clock_sync::current().await;
    ok(&EventsPage {
        chrome: Chrome::new::<R>(&app, &me.visit, "/events"),
        events: overview.events.into_iter().map(EventRow::from).collect(),
        journal_size: overview.journal_size,
        checkpoint: overview
            .checkpoint
            .map(|c| (c.size, format_utc(c.created_at_ms.div_euclid(1000)))),
        organisations: overview
            .organisations
            .into_iter()
            .map(|o| (o.id.0, o.name))
            .collect(),
        formats: JournalFormat::NAMES,
        today: day(now),
        month_ago: day(now - 30 * 86_400),
        clock_key: clock.key(),
        clock_line: clock.describe(),
    })
}

/// The export request of a signed visitor, or the error page naming the
/// problem (the tenant comes from the session, never from the query).
async fn export_request<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    q: ExportQuery,
) -> Result<ExportRequest, PageError> {
    let tenant = events::export_tenant(app, &me.member(), q.organisation.map(OrganisationId))
        .await?
        .map_err(|r| PageError::BadRequest(r.english().to_string()))?;
    ExportRequest::parse(
        tenant,
        q.from.as_deref(),
        q.to.as_deref(),
        q.format.as_deref(),
    )
    .map_err(PageError::BadRequest)
}

/// A commanditaire's events as a download (NDJSON, CSV, XML, OCSF, CEF).
pub async fn export<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    PageQuery(q): PageQuery<ExportQuery>,
) -> Result<Response, PageError> {
    let req = export_request(&app, &me, q).await?;
    record_export(&app.store, &me.actor(), &req, "events").await?;
    Ok(download(
        req.format.media_type(),
        &req.filename(req.format.extension()),
        events_body(&app, req),
    ))
}

/// The inclusion proofs of the same events, to check them offline.
pub async fn export_proofs<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    PageQuery(q): PageQuery<ExportQuery>,
) -> Result<Response, PageError> {
    let req = export_request(&app, &me, q).await?;
    record_export(&app.store, &me.actor(), &req, "proofs").await?;
    let checkpoint = current_checkpoint(&app)
        .await
        .map_err(PageError::Internal)?;
    Ok(download(
        "application/x-ndjson",
        &req.filename("proofs.ndjson"),
        proofs_body(&app, req, checkpoint),
    ))
}

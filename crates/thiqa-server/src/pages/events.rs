//! Security events (3.8.6): operators see the provider's, commanditaire users
//! their organisation's only.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use thiqa_store::{EventFilter, SecurityEvent};

use crate::auth::login::format_utc;
use crate::auth::realm::Realm;
use crate::auth::visit::Signed;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::ok;

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
}

pub async fn recent(
    app: &AppState,
    tenant: thiqa_domain::Tenant,
    limit: i64,
) -> Result<Vec<EventRow>, PageError> {
    let events = app
        .store
        .events(&EventFilter {
            tenant: Some(tenant),
            action_prefix: None,
            limit,
        })
        .await?;
    Ok(events.into_iter().map(EventRow::from).collect())
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    me.require(R::READ_EVENTS)?;
    let events = recent(&app, me.tenant(), 500).await?;
    ok(&EventsPage {
        chrome: Chrome::new::<R>(&app, &me.visit, "/events"),
        events,
    })
}

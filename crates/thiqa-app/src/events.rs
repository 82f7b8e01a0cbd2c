//! A tenant's security events and the state of the journal that holds them
//! (référentiel 3.8.6 to 3.8.9): the provider's staff who read the journal
//! see the provider's, an organisation's members who read its journal see
//! their organisation's; the tenant is the member's own.

use thiqa_domain::Tenant;
use thiqa_store::{EventFilter, Organisation, SecurityEvent, StoredCheckpoint};

use crate::{App, AppError, Member};

/// Events listed at most on the journal's page.
pub const LIST_MAX: i64 = 500;

/// What the journal's page shows.
pub struct JournalOverview {
    /// The tenant's newest events, newest first.
    pub events: Vec<SecurityEvent>,
    /// The provider's commanditaires, whose events its staff may export
    /// (none for an organisation's member).
    pub organisations: Vec<Organisation>,
    /// Leaves in the journal.
    pub journal_size: u64,
    /// The latest signed checkpoint, if one was signed.
    pub checkpoint: Option<StoredCheckpoint>,
}

/// The newest `limit` events of the member's tenant (the journal reader's
/// right of its directory).
pub async fn recent(
    app: &App,
    member: &Member<'_>,
    limit: i64,
) -> Result<Vec<SecurityEvent>, AppError> {
    member.require(member.directory().read_journal())?;
    Ok(app.store.events(&newest(member, limit)).await?)
}

fn newest(member: &Member<'_>, limit: i64) -> EventFilter {
    EventFilter {
        tenant: Some(member.tenant()),
        action_prefix: None,
        limit,
    }
}

pub async fn overview(app: &App, member: &Member<'_>) -> Result<JournalOverview, AppError> {
    member.require(member.directory().read_journal())?;
    let organisations = async {
        match member.tenant() {
            Tenant::Provider(p) => app.store.organisations(p).await,
            Tenant::Organisation(_) => Ok(vec![]),
        }
    };
    let filter = newest(member, LIST_MAX);
    let (events, organisations, head, checkpoint) = tokio::try_join!(
        app.store.events(&filter),
        organisations,
        app.store.journal_head(),
        app.store.journal_latest_checkpoint(),
    )?;
    Ok(JournalOverview {
        events,
        organisations,
        journal_size: head.size,
        checkpoint,
    })
}

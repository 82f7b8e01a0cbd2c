//! A tenant's security events and the state of the journal that holds them
//! (référentiel 3.8.6 to 3.8.9): the provider's staff who read the journal
//! see the provider's, an organisation's members who read its journal see
//! their organisation's; the tenant is the member's own.

use thiqa_domain::{OrganisationId, Tenant};
use thiqa_store::{
    EventFilter, JournalSearch, Organisation, SearchPage, SecurityEvent, StoredCheckpoint,
};

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
            Tenant::Provider(p) => app.store.provider(p).organisations().await,
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

/// Whose events a journal search covers, as the provider's staff choose
/// it (an organisation's member always searches its own organisation's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchScope {
    /// Every tenant's.
    All,
    /// The provider's own.
    Provider,
    /// One of the provider's commanditaires'.
    Organisation(OrganisationId),
}

/// A page of search hits, and the commanditaires the provider's staff may
/// narrow the search to (none for an organisation's member).
pub struct Searched {
    pub page: SearchPage,
    pub organisations: Vec<Organisation>,
}

/// Searches the journal with the journal reader's right of the member's
/// directory. The tenant comes from the member, never from the query: an
/// organisation's member searches its organisation's events whatever
/// `scope` says, and another provider's organisation is NotFound.
pub async fn search(
    app: &App,
    member: &Member<'_>,
    scope: SearchScope,
    query: JournalSearch,
) -> Result<Searched, AppError> {
    member.require(member.directory().read_journal())?;
    let (tenant, provider) = match member.tenant() {
        own @ Tenant::Organisation(_) => (Some(own), None),
        own @ Tenant::Provider(p) => {
            let tenant = match scope {
                SearchScope::All => None,
                SearchScope::Provider => Some(own),
                SearchScope::Organisation(o) => Some(Tenant::Organisation(
                    app.store.provider(p).organisation(o).await?.id,
                )),
            };
            (tenant, Some(p))
        }
    };
    let query = JournalSearch { tenant, ..query };
    let organisations = async {
        match provider {
            Some(p) => app.store.provider(p).organisations().await,
            None => Ok(vec![]),
        }
    };
    let (page, organisations) = tokio::try_join!(app.store.journal_search(&query), organisations)?;
    Ok(Searched {
        page,
        organisations,
    })
}

/// Why an export's tenant was refused (the request names it wrongly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportRefusal {
    /// The provider's staff export one commanditaire's events at a time
    /// and named none.
    NoOrganisation,
    /// An organisation's member named another organisation.
    NotOwnOrganisation,
}

impl ExportRefusal {
    pub fn english(self) -> &'static str {
        match self {
            ExportRefusal::NoOrganisation => {
                "organisation: name the commanditaire whose events to export"
            }
            ExportRefusal::NotOwnOrganisation => {
                "organisation: you export your own organisation's events only"
            }
        }
    }
}

/// Whose events the member may export (with the journal reader's right of
/// its directory): its own organisation's, or for the provider's staff
/// the commanditaire `organisation` names, which must be the provider's
/// (NotFound otherwise).
pub async fn export_tenant(
    app: &App,
    member: &Member<'_>,
    organisation: Option<OrganisationId>,
) -> Result<Result<Tenant, ExportRefusal>, AppError> {
    member.require(member.directory().read_journal())?;
    Ok(match (member.tenant(), organisation) {
        (Tenant::Organisation(own), Some(o)) if o != own => Err(ExportRefusal::NotOwnOrganisation),
        (own @ Tenant::Organisation(_), _) => Ok(own),
        (Tenant::Provider(_), None) => Err(ExportRefusal::NoOrganisation),
        (Tenant::Provider(p), Some(o)) => Ok(Tenant::Organisation(
            app.store.provider(p).organisation(o).await?.id,
        )),
    })
}

//! What the landing page of each realm shows the signed member: for the
//! provider's staff, the référentiel's size, how many commanditaires and
//! staff accounts there are and, with `services.read`, each service with the
//! number of obligations that apply to it; for an organisation's member,
//! its organisation. Both see their tenant's latest events when they may
//! read its journal. (The cockpit of the compliance calendar replaces it.)

use thiqa_domain::{Permission, Tenant};
use thiqa_store::{SecurityEvent, Service};

use crate::services::{applicable_ids, profile_of};
use crate::{events, App, AppError, Member};

/// Latest events on the landing page.
pub const EVENTS_SHOWN: i64 = 10;

pub enum Landing {
    Provider {
        obligations: usize,
        organisations: usize,
        active_accounts: usize,
        /// Each service readable, with how many obligations apply to it.
        services: Vec<(Service, usize)>,
        /// Notices whose consents are refused or missing with no decision.
        notices_blocked: usize,
    },
    Organisation {
        name: String,
        /// Notices it has not answered yet (with `portal.read`).
        notices_waiting: usize,
    },
}

pub struct Home {
    pub landing: Landing,
    pub events: Vec<SecurityEvent>,
}

pub async fn view(app: &App, member: &Member<'_>) -> Result<Home, AppError> {
    let landing = match member.tenant() {
        Tenant::Provider(provider) => {
            let services = async {
                match member.can(Permission::ServicesRead) {
                    true => app.store.provider(provider).services().await,
                    false => Ok(vec![]),
                }
            };
            let notices = async {
                match member.can(Permission::ServicesRead) {
                    true => app.store.provider(provider).notices().await,
                    false => Ok(vec![]),
                }
            };
            let (organisations, accounts, services, notices) = tokio::try_join!(
                app.store.provider(provider).organisations(),
                app.store.tenant(member.tenant()).accounts(),
                services,
                notices,
            )?;
            let mut counted = Vec::with_capacity(services.len());
            for s in services {
                let applicable = applicable_ids(app.catalog, &profile_of(app.catalog, &s)?).len();
                counted.push((s, applicable));
            }
            Landing::Provider {
                obligations: app.catalog.obligations().count(),
                organisations: organisations.len(),
                active_accounts: accounts.iter().filter(|a| a.is_active()).count(),
                services: counted,
                notices_blocked: notices
                    .iter()
                    .filter(|n| n.blocking > 0 && n.notice.status == "open")
                    .count(),
            }
        }
        Tenant::Organisation(org) => {
            let scope = app.store.tenant(Tenant::Organisation(org));
            let received = async {
                match member.can(Permission::PortalRead) {
                    true => scope.notices_received().await,
                    false => Ok(vec![]),
                }
            };
            let (organisation, received) = tokio::try_join!(scope.organisation(), received)?;
            Landing::Organisation {
                name: organisation.name,
                notices_waiting: received
                    .iter()
                    .filter(|r| r.state == "pending" && r.notice.status == "open")
                    .count(),
            }
        }
    };
    let events = match member.can(member.directory().read_journal()) {
        true => events::recent(app, member, EVENTS_SHOWN).await?,
        false => vec![],
    };
    Ok(Home { landing, events })
}

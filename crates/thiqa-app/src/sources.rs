//! Event sources of the provider's infrastructure (référentiel 3.8.6,
//! 3.8.7): each is registered with a name and the commanditaires it may
//! tag, gets a token shown once (and optionally a pinned syslog client
//! certificate), and can be revoked. The console (`config.manage`) and the
//! command line do it through the same functions.

use thiqa_domain::{OrganisationId, ProviderId, SourceId};
use thiqa_store::{valid_source_name, Actor, CreatedIntakeSource, IntakeSource, Organisation};

use crate::{App, AppError};

/// Who may change the provider's configuration: staff with
/// `config.manage` ([`crate::Staff::config_admin`]) or the command line
/// ([`crate::Shell::config_admin`]).
pub struct ConfigAdmin {
    pub(crate) provider: ProviderId,
    pub(crate) actor: Actor,
}

/// What is wrong with a new source; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceProblem {
    /// Not 1–64 of letters, digits and `._/:-`, starting with a letter or
    /// digit.
    Name,
}

/// A new source's name and the commanditaires it may tag, checked.
#[derive(Debug, Clone)]
pub struct SourceInput {
    name: String,
    organisations: Vec<OrganisationId>,
}

impl SourceInput {
    pub fn check(
        name: &str,
        organisations: Vec<OrganisationId>,
    ) -> Result<SourceInput, SourceProblem> {
        let name = name.trim();
        if !valid_source_name(name) {
            return Err(SourceProblem::Name);
        }
        Ok(SourceInput {
            name: name.to_string(),
            organisations,
        })
    }
}

/// Registers a source; its token is in the answer only. Refused for a name
/// in use or a commanditaire that is not the provider's.
pub async fn register(
    app: &App,
    admin: &ConfigAdmin,
    source: &SourceInput,
) -> Result<CreatedIntakeSource, AppError> {
    Ok(app
        .store
        .provider(admin.provider)
        .create_intake_source(&source.name, &source.organisations, &admin.actor)
        .await?)
}

/// Pins the syslog client certificate (its SHA-256 fingerprint) a source
/// must present.
pub async fn pin_certificate(
    app: &App,
    admin: &ConfigAdmin,
    source: SourceId,
    fingerprint: &str,
) -> Result<(), AppError> {
    Ok(app
        .store
        .provider(admin.provider)
        .set_intake_source_certificate(source, fingerprint, &admin.actor)
        .await?)
}

/// The provider's sources, by name, revoked ones included.
pub async fn list(app: &App, admin: &ConfigAdmin) -> Result<Vec<IntakeSource>, AppError> {
    Ok(app.store.provider(admin.provider).intake_sources().await?)
}

/// The live (not revoked) source named `name`; NotFound otherwise.
pub async fn live(app: &App, admin: &ConfigAdmin, name: &str) -> Result<IntakeSource, AppError> {
    list(app, admin)
        .await?
        .into_iter()
        .find(|s| s.name == name && s.is_active())
        .ok_or(AppError::NotFound)
}

/// The sources and the commanditaires a new one may tag.
pub async fn overview(
    app: &App,
    admin: &ConfigAdmin,
) -> Result<(Vec<IntakeSource>, Vec<Organisation>), AppError> {
    Ok(tokio::try_join!(
        app.store.provider(admin.provider).intake_sources(),
        app.store.provider(admin.provider).organisations(),
    )?)
}

/// Revokes a source: its token stops working at once.
pub async fn revoke(app: &App, admin: &ConfigAdmin, source: SourceId) -> Result<(), AppError> {
    Ok(app
        .store
        .provider(admin.provider)
        .revoke_intake_source(source, &admin.actor)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_named_like_a_host_or_a_path() {
        assert!(SourceInput::check(" fw-rabat-01 ", vec![]).is_ok());
        assert!(SourceInput::check("k8s/prod:api", vec![]).is_ok());
        for bad in ["", "-fw", "pare feu", &"a".repeat(65)] {
            assert_eq!(
                SourceInput::check(bad, vec![]).unwrap_err(),
                SourceProblem::Name,
                "{bad:?}"
            );
        }
    }
}

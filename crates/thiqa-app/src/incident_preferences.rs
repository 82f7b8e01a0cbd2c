//! Incident notification preferences (3.12.2): each commanditaire chooses
//! which severities notify which of its members, and through which channel.
//! Its members read them in the portal (`portal.read`); its administrators
//! change them (`org.users.manage`). The incidents register will address
//! its notifications with them.

use thiqa_domain::{Permission, Tenant};
use thiqa_store::IncidentPreference;

use crate::{App, AppError, Member};

/// The provider's incident scale, most severe first.
pub const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// How a member is told: the portal's inbox, or e-mail to its address.
pub const CHANNELS: [&str; 2] = ["inbox", "email"];

/// The organisation's members and what each is told of.
pub struct Preferences {
    /// Active members: (id, display name, has an e-mail address).
    pub members: Vec<(i64, String, bool)>,
    pub chosen: Vec<IncidentPreference>,
}

impl Preferences {
    /// The channel member `user` is told of `severity` through, if any.
    pub fn channel(&self, severity: &str, user: i64) -> Option<&str> {
        self.chosen
            .iter()
            .find(|p| p.severity == severity && p.user_id == user)
            .map(|p| p.channel.as_str())
    }
}

fn organisation_member(member: &Member<'_>) -> Result<(), AppError> {
    match member.tenant() {
        Tenant::Organisation(_) => Ok(()),
        Tenant::Provider(_) => Err(AppError::Forbidden),
    }
}

/// The member's organisation's preferences (`portal.read`).
pub async fn read(app: &App, member: &Member<'_>) -> Result<Preferences, AppError> {
    organisation_member(member)?;
    member.require_any(&[Permission::PortalRead, Permission::OrgUsersManage])?;
    let tenant = app.store.tenant(member.tenant());
    let (accounts, chosen) = tokio::try_join!(tenant.accounts(), tenant.incident_preferences())?;
    let members = accounts
        .into_iter()
        .filter(|a| a.is_active())
        .map(|a| (a.id, a.display_name.clone(), a.email.is_some()))
        .collect();
    Ok(Preferences { members, chosen })
}

/// What is wrong with a submitted set of preferences; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreferenceProblem {
    /// A field that names no severity, member or channel of the form.
    Field(String),
}

/// Reads the form's `p.<severity>.<member id>` fields (`none`, `inbox` or
/// `email`); every field must name a known severity and channel.
pub fn check(fields: &[(String, String)]) -> Result<Vec<IncidentPreference>, PreferenceProblem> {
    let mut out = Vec::new();
    for (name, value) in fields {
        let Some(rest) = name.strip_prefix("p.") else {
            continue;
        };
        let bad = || PreferenceProblem::Field(name.clone());
        let (severity, user) = rest.split_once('.').ok_or_else(bad)?;
        let user: i64 = user.parse().map_err(|_| bad())?;
        if !SEVERITIES.contains(&severity) {
            return Err(bad());
        }
        match value.as_str() {
            "none" => {}
            v if CHANNELS.contains(&v) => out.push(IncidentPreference {
                severity: severity.to_string(),
                user_id: user,
                channel: v.to_string(),
            }),
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// Replaces the organisation's preferences (`org.users.manage`); refused
/// when a member is not the organisation's; journaled.
pub async fn save(
    app: &App,
    member: &Member<'_>,
    chosen: &[IncidentPreference],
) -> Result<(), AppError> {
    organisation_member(member)?;
    member.require(Permission::OrgUsersManage)?;
    Ok(app
        .store
        .tenant(member.tenant())
        .set_incident_preferences(chosen, member.actor())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn the_form_names_a_known_severity_member_and_channel() {
        let chosen = check(&[
            f("csrf", "x"),
            f("p.critical.7", "email"),
            f("p.low.7", "none"),
            f("p.high.8", "inbox"),
        ])
        .unwrap();
        assert_eq!(chosen.len(), 2);
        assert_eq!(chosen[0].channel, "email");
        for bad in [
            f("p.urgent.7", "email"),
            f("p.critical.x", "email"),
            f("p.critical.7", "sms"),
            f("p.critical", "email"),
        ] {
            assert!(check(std::slice::from_ref(&bad)).is_err(), "{bad:?}");
        }
    }
}

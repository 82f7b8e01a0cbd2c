//! Audit engagements: the RSSI (`audits.manage`) invites an external PASSI
//! auditor to one service for a period and can end it early; every other
//! console account sees the engagements it holds itself. An engagement is
//! the only way an auditor reaches a service (see [`crate::AuditorScope`]).

use thiqa_domain::assessment::iso_date_start;
use thiqa_domain::{EngagementId, Permission, ServiceId};
use thiqa_store::{Engagement, NewEngagement};

use crate::{App, AppError, Staff};

/// The longest engagement one invitation grants: an audit campaign, not a
/// standing access (renewed by a new invitation, which is journaled).
pub const MAX_ENGAGEMENT_DAYS: i64 = 366;
/// The longest firm name, in characters.
pub const FIRM_MAX: usize = 200;

/// What is wrong with an invitation; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvitationProblem {
    /// No auditor account chosen.
    Auditor,
    /// No service chosen.
    Service,
    /// The firm is empty or longer than [`FIRM_MAX`].
    Firm,
    /// The dates are not real days, the end is before the start, or the
    /// period is longer than [`MAX_ENGAGEMENT_DAYS`].
    Period,
    /// The inviter named itself: nobody audits what it runs.
    SelfAudit,
}

/// The invitation form as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct InvitationText<'a> {
    /// The auditor's account id.
    pub auditor: &'a str,
    /// The service's id.
    pub service: &'a str,
    pub firm: &'a str,
    /// First day of access, YYYY-MM-DD.
    pub from: &'a str,
    /// Last day of access (inclusive), YYYY-MM-DD.
    pub until: &'a str,
}

/// An invitation, checked: the only input [`invite`] takes.
#[derive(Debug, Clone)]
pub struct Invitation(NewEngagement);

impl Invitation {
    /// Checks the form for `inviter` (the account inviting); every problem
    /// is named.
    pub fn check(
        inviter: i64,
        t: InvitationText<'_>,
    ) -> Result<Invitation, Vec<InvitationProblem>> {
        let mut problems = Vec::new();
        let auditor = t.auditor.trim().parse::<i64>().ok();
        let service = t.service.trim().parse::<i64>().ok();
        if auditor.is_none() {
            problems.push(InvitationProblem::Auditor);
        }
        if service.is_none() {
            problems.push(InvitationProblem::Service);
        }
        let firm = t.firm.trim();
        if firm.is_empty() || firm.chars().count() > FIRM_MAX {
            problems.push(InvitationProblem::Firm);
        }
        let period = period(t.from.trim(), t.until.trim());
        if period.is_none() {
            problems.push(InvitationProblem::Period);
        }
        if auditor == Some(inviter) {
            problems.push(InvitationProblem::SelfAudit);
        }
        match (auditor, service, period) {
            (Some(auditor_id), Some(service), Some((starts_at, expires_at)))
                if problems.is_empty() =>
            {
                Ok(Invitation(NewEngagement {
                    service: ServiceId(service),
                    auditor_id,
                    firm: firm.to_string(),
                    starts_at,
                    expires_at,
                }))
            }
            _ => Err(problems),
        }
    }
}

/// Access from the first day's midnight to the midnight after the last day
/// (UTC), when that is a period of at most [`MAX_ENGAGEMENT_DAYS`].
fn period(from: &str, until: &str) -> Option<(i64, i64)> {
    let starts_at = iso_date_start(from)?;
    let expires_at = iso_date_start(until)? + 86_400;
    (expires_at > starts_at && expires_at - starts_at <= MAX_ENGAGEMENT_DAYS * 86_400)
        .then_some((starts_at, expires_at))
}

/// Engages an auditor on a service of the provider (`audits.manage`);
/// Refused when the auditor holds rights that would let it edit what it
/// audits, NotFound for another provider's service or account.
pub async fn invite(
    app: &App,
    staff: &Staff<'_>,
    invitation: &Invitation,
) -> Result<EngagementId, AppError> {
    staff.require(Permission::AuditsManage)?;
    if invitation.0.auditor_id == staff.account() {
        return Err(AppError::Forbidden);
    }
    Ok(app
        .store
        .provider(staff.provider())
        .create_engagement(&invitation.0, staff.actor())
        .await?)
}

/// Ends an engagement now (`audits.manage`).
pub async fn revoke(
    app: &App,
    staff: &Staff<'_>,
    engagement: EngagementId,
) -> Result<(), AppError> {
    staff.require(Permission::AuditsManage)?;
    Ok(app
        .store
        .provider(staff.provider())
        .revoke_engagement(engagement, staff.actor())
        .await?)
}

/// What the audits page shows: every engagement of the provider and what
/// an invitation may name, for `audits.manage`; else the account's own
/// engagements only.
pub struct AuditsView {
    pub can_manage: bool,
    pub engagements: Vec<Engagement>,
    /// (id, username, display name) of the active accounts one may invite
    /// (never the inviter).
    pub auditors: Vec<(i64, String, String)>,
    /// (id, name) of the provider's services.
    pub services: Vec<(i64, String)>,
}

pub async fn view(app: &App, staff: &Staff<'_>) -> Result<AuditsView, AppError> {
    let provider = staff.provider();
    if !staff.can(Permission::AuditsManage) {
        return Ok(AuditsView {
            can_manage: false,
            engagements: app
                .store
                .provider(provider)
                .engagements_of_auditor(staff.account())
                .await?,
            auditors: vec![],
            services: vec![],
        });
    }
    let (engagements, accounts, services) = tokio::try_join!(
        app.store.provider(provider).engagements(None),
        app.store.tenant(staff.tenant()).accounts(),
        app.store.provider(provider).services(),
    )?;
    Ok(AuditsView {
        can_manage: true,
        engagements,
        auditors: accounts
            .into_iter()
            .filter(|a| a.is_active() && a.id != staff.account())
            .map(|a| (a.id, a.username, a.display_name))
            .collect(),
        services: services.into_iter().map(|s| (s.id.0, s.name)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>() -> InvitationText<'a> {
        InvitationText {
            auditor: "7",
            service: "3",
            firm: "Audit SA",
            from: "2027-01-01",
            until: "2027-01-31",
        }
    }

    #[test]
    fn an_invitation_grants_whole_days_for_at_most_a_year_to_someone_else() {
        let ok = Invitation::check(1, text()).unwrap();
        assert_eq!(ok.0.expires_at - ok.0.starts_at, 31 * 86_400);
        let year = InvitationText {
            until: "2027-12-31",
            ..text()
        };
        assert!(Invitation::check(1, year).is_ok(), "365 days");
        let too_long = InvitationText {
            until: "2028-01-02",
            ..text()
        };
        assert_eq!(
            Invitation::check(1, too_long).unwrap_err(),
            vec![InvitationProblem::Period]
        );
        let bad = InvitationText {
            auditor: "x",
            service: "",
            firm: " ",
            until: "2026-12-31",
            ..text()
        };
        assert_eq!(
            Invitation::check(1, bad).unwrap_err(),
            vec![
                InvitationProblem::Auditor,
                InvitationProblem::Service,
                InvitationProblem::Firm,
                InvitationProblem::Period,
            ]
        );
        assert_eq!(
            Invitation::check(7, text()).unwrap_err(),
            vec![InvitationProblem::SelfAudit]
        );
    }
}

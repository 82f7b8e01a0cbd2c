//! Support access to a commanditaire's data, only with its consent
//! (référentiel 3.5.7; 3.15.2.e/f for support from abroad; 3.3.1 vetting).
//!
//! An operator holding `support.request` asks for access under one of the
//! customer's contracts: why, the ticket, which resources of the service,
//! when and for how long, from Morocco or from abroad (refused at level 2;
//! at level 1 only through a declared supervised jump host), and only once
//! its vetting is recorded. The customer's members holding
//! `org.support.consent` grant or refuse it in the portal; unanswered, it
//! expires after `[support] request_hours`; granted, it lets the operator
//! in over its window only, until the customer revokes it or the operator
//! closes it. The provider's bastion asks whether an access may happen now
//! and records the sessions ([`bastion`]). Every step is journaled as
//! administration for both the provider and the customer.

pub mod bastion;
pub mod register;

use thiqa_domain::assessment::is_iso_date;
use thiqa_domain::support::{
    location_allowed, parse_resources, LocationRefusal, RESOURCES_MAX, RESOURCE_MAX,
};
use thiqa_domain::{ContractId, JumpHostId, Permission, SupportRequestId};
use thiqa_store::{Contract, JumpHost, NewSupportRequest, Refusal, SupportDetail, SupportRequest};

use crate::notices::datetime_s;
use crate::{App, AppError, Member, Staff};

const HOUR_MS: i64 = 3_600_000;
/// The longest reason or comment, in characters.
pub const TEXT_MAX: usize = 2000;
/// The longest ticket reference or State name, in characters.
pub const LINE_MAX: usize = 100;
/// How far ahead a window may open.
pub const START_MAX_DAYS: i64 = 30;
/// How far back a typed start is taken as "now" (the form has minutes).
const START_SLACK_MS: i64 = 15 * 60_000;

/// The delays of `[support]` in the configuration.
#[derive(Debug, Clone, Copy)]
pub struct SupportSettings {
    /// How long a request waits for the customer's answer (12 hours by
    /// default, as the cloud "customer lockbox" features do).
    pub request_hours: i64,
    /// The longest window an operator may ask for.
    pub grant_max_hours: i64,
}

impl Default for SupportSettings {
    fn default() -> Self {
        SupportSettings {
            request_hours: 12,
            grant_max_hours: 72,
        }
    }
}

/// What is wrong with a submitted request; nothing is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportProblem {
    /// No contract chosen.
    Contract,
    Reason,
    Ticket,
    /// No resource, too many, or one too long.
    Resources,
    /// Neither Morocco nor abroad.
    Location,
    /// From abroad without naming the State.
    Country,
    JumpHost,
    /// Not a date and time.
    Start,
    /// Not a whole number of hours within the maximum.
    Duration,
}

/// The request form as typed.
pub struct SupportText<'a> {
    pub contract: &'a str,
    pub reason: &'a str,
    pub ticket: &'a str,
    pub resources: &'a str,
    /// `morocco` or `abroad`.
    pub location: &'a str,
    pub country: &'a str,
    /// A jump host id, or empty.
    pub jump_host: &'a str,
    /// `YYYY-MM-DDTHH:MM` (UTC), or empty for now.
    pub starts_at: &'a str,
    pub hours: &'a str,
}

/// A request checked field by field.
#[derive(Debug)]
pub struct SupportInput {
    contract: ContractId,
    reason: String,
    ticket: String,
    resources: Vec<String>,
    abroad: bool,
    country: Option<String>,
    jump_host: Option<JumpHostId>,
    starts_at_s: Option<i64>,
    hours: i64,
}

fn line(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().count() <= max && !s.contains(['\n', '\r'])).then(|| s.to_string())
}

fn text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().count() <= TEXT_MAX).then(|| s.replace("\r\n", "\n"))
}

impl SupportInput {
    /// Checks the form; every problem is named.
    pub fn check(
        t: &SupportText<'_>,
        settings: &SupportSettings,
    ) -> Result<SupportInput, Vec<SupportProblem>> {
        let mut problems = Vec::new();
        let mut need = |ok: bool, p: SupportProblem| {
            if !ok {
                problems.push(p);
            }
        };
        let contract = t.contract.trim().parse::<i64>().ok().map(ContractId);
        need(contract.is_some(), SupportProblem::Contract);
        let reason = text(t.reason);
        need(reason.is_some(), SupportProblem::Reason);
        let ticket = line(t.ticket, LINE_MAX);
        need(ticket.is_some(), SupportProblem::Ticket);
        let resources = parse_resources(t.resources);
        need(
            !resources.is_empty()
                && resources.len() <= RESOURCES_MAX
                && resources.iter().all(|r| r.chars().count() <= RESOURCE_MAX),
            SupportProblem::Resources,
        );
        let abroad = match t.location.trim() {
            "morocco" => Some(false),
            "abroad" => Some(true),
            _ => None,
        };
        need(abroad.is_some(), SupportProblem::Location);
        let abroad = abroad.unwrap_or(false);
        let country = if abroad {
            let c = line(t.country, LINE_MAX);
            need(c.is_some(), SupportProblem::Country);
            c
        } else {
            None
        };
        let jump_host = match t.jump_host.trim() {
            "" => None,
            id => {
                let parsed = id.parse::<i64>().ok().map(JumpHostId);
                need(parsed.is_some(), SupportProblem::JumpHost);
                parsed
            }
        };
        let starts_at_s = match t.starts_at.trim() {
            "" => None,
            s => {
                let parsed = datetime_s(s);
                need(parsed.is_some(), SupportProblem::Start);
                parsed
            }
        };
        let hours = t.hours.trim().parse::<i64>().unwrap_or(0);
        need(
            (1..=settings.grant_max_hours).contains(&hours),
            SupportProblem::Duration,
        );
        match (contract, reason, ticket) {
            (Some(contract), Some(reason), Some(ticket)) if problems.is_empty() => {
                Ok(SupportInput {
                    contract,
                    reason,
                    ticket,
                    resources,
                    abroad,
                    country,
                    // A jump host serves support from abroad only.
                    jump_host: jump_host.filter(|_| abroad),
                    starts_at_s,
                    hours,
                })
            }
            _ => Err(problems),
        }
    }
}

pub(crate) fn refusal(key: &'static str, english: impl Into<String>) -> AppError {
    AppError::Refused(Refusal::new(key, english))
}

/// Whether contract `c` is in force on `today` (YYYY-MM-DD).
fn in_force(c: &Contract, today: &str) -> bool {
    c.starts_on.as_str() <= today && c.ends_on.as_deref().is_none_or(|end| end >= today)
}

/// Asks for access (`support.request`) as the signed operator, who must be
/// vetted; the contract's level decides whether it may come from abroad.
/// The operator's vetting and the jump host are checked where the request
/// is recorded, in its statement (the store names which one failed).
pub async fn request(
    app: &App,
    staff: &Staff<'_>,
    input: &SupportInput,
    settings: &SupportSettings,
) -> Result<SupportRequestId, AppError> {
    staff.require(Permission::SupportRequest)?;
    let provider = app.store.provider(staff.provider());
    let contract = provider.contract(input.contract).await?.contract;
    let now_ms = app.store.clock().now_ms();
    if !in_force(&contract, &crate::time::iso_date(now_ms / 1000)) {
        return Err(refusal(
            "refusal-support-contract",
            "the contract is not in force today",
        ));
    }
    match location_allowed(contract.level, input.abroad, input.jump_host.is_some()) {
        Ok(()) => {}
        Err(LocationRefusal::AbroadAtLevel2) => {
            return Err(refusal(
                "refusal-support-abroad-level-2",
                "the contract is at level 2: support from abroad is refused",
            ))
        }
        Err(LocationRefusal::JumpHostRequired) => {
            return Err(refusal(
                "refusal-support-jump-host-required",
                "at level 1, support from abroad comes through a declared jump host",
            ))
        }
    }
    let starts_at = match input.starts_at_s.map(|s| s * 1000) {
        None => now_ms,
        Some(s) if s < now_ms - START_SLACK_MS => {
            return Err(refusal(
                "refusal-support-start-past",
                "the access cannot start in the past",
            ))
        }
        Some(s) if s > now_ms + START_MAX_DAYS * 24 * HOUR_MS => {
            return Err(refusal(
                "refusal-support-start-far",
                "the access must start within 30 days",
            ))
        }
        Some(s) => s.max(now_ms),
    };
    let ends_at = starts_at + input.hours * HOUR_MS;
    let new = NewSupportRequest {
        contract: input.contract,
        operator: staff.account(),
        reason: input.reason.clone(),
        ticket: input.ticket.clone(),
        resources: input.resources.clone(),
        abroad: input.abroad,
        country: input.country.clone(),
        jump_host: input.jump_host,
        starts_at,
        ends_at,
        // Unanswered after the delay, or once the window is over.
        answer_by: (now_ms + settings.request_hours * HOUR_MS).min(ends_at),
    };
    Ok(provider.create_support_request(&new, staff.actor()).await?)
}

/// What the request form offers: the contracts in force and the jump
/// hosts still declared (`support.request`).
pub async fn form_choices(
    app: &App,
    staff: &Staff<'_>,
) -> Result<(Vec<Contract>, Vec<JumpHost>), AppError> {
    staff.require(Permission::SupportRequest)?;
    let provider = app.store.provider(staff.provider());
    let today = crate::time::iso_date(app.store.clock().now_s());
    let contracts = provider
        .contracts(None)
        .await?
        .into_iter()
        .filter(|c| in_force(c, &today))
        .collect();
    let hosts = provider
        .jump_hosts()
        .await?
        .into_iter()
        .filter(|j| j.retired_at.is_none())
        .collect();
    Ok((contracts, hosts))
}

/// Forbidden unless the staff member holds one of `rights`.
pub(crate) fn require_any(staff: &Staff<'_>, rights: &[Permission]) -> Result<(), AppError> {
    if rights.iter().any(|p| staff.can(*p)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn require_read(staff: &Staff<'_>) -> Result<(), AppError> {
    require_any(
        staff,
        &[
            Permission::SupportRequest,
            Permission::ServicesRead,
            Permission::OperatorsManage,
        ],
    )
}

/// The provider's requests, newest first (`support.request`,
/// `services.read` or `operators.manage`).
pub async fn list(app: &App, staff: &Staff<'_>) -> Result<Vec<SupportRequest>, AppError> {
    require_read(staff)?;
    Ok(app
        .store
        .provider(staff.provider())
        .support_requests()
        .await?)
}

/// One request with its sessions.
pub async fn view(
    app: &App,
    staff: &Staff<'_>,
    id: SupportRequestId,
) -> Result<SupportDetail, AppError> {
    require_read(staff)?;
    Ok(app
        .store
        .provider(staff.provider())
        .support_request(id)
        .await?)
}

/// The requester withdraws its pending request or closes its grant once
/// the work is done (3.5.7.d.4); nobody else may.
pub async fn close(app: &App, staff: &Staff<'_>, id: SupportRequestId) -> Result<(), AppError> {
    staff.require(Permission::SupportRequest)?;
    let provider = app.store.provider(staff.provider());
    if provider.support_request(id).await?.request.operator_id != staff.account() {
        return Err(AppError::Forbidden);
    }
    Ok(provider
        .close_support_request(id, staff.account(), staff.actor())
        .await?)
}

// The portal's rights below belong to the customers' directory only, so a
// provider's staff never holds them; the store's organisation scope answers
// NotFound for a provider besides.

/// The requests for access to the member's organisation's data
/// (`portal.read` or `org.support.consent`).
pub async fn received(app: &App, member: &Member<'_>) -> Result<Vec<SupportRequest>, AppError> {
    member.require_any(&[Permission::PortalRead, Permission::OrgSupportConsent])?;
    Ok(app
        .store
        .tenant(member.tenant())
        .support_requests_received()
        .await?)
}

/// One of them, with the sessions recorded under it.
pub async fn received_one(
    app: &App,
    member: &Member<'_>,
    id: SupportRequestId,
) -> Result<SupportDetail, AppError> {
    member.require_any(&[Permission::PortalRead, Permission::OrgSupportConsent])?;
    Ok(app
        .store
        .tenant(member.tenant())
        .support_request_received(id)
        .await?)
}

fn comment_of(comment: &str) -> Result<String, AppError> {
    let comment = comment.trim();
    if comment.chars().count() > TEXT_MAX {
        return Err(refusal(
            "refusal-support-comment",
            "the comment is too long",
        ));
    }
    Ok(comment.replace("\r\n", "\n"))
}

/// The organisation's explicit answer (`org.support.consent`); a refusal
/// says why.
pub async fn answer(
    app: &App,
    member: &Member<'_>,
    id: SupportRequestId,
    grant: bool,
    comment: &str,
) -> Result<(), AppError> {
    member.require(Permission::OrgSupportConsent)?;
    let comment = comment_of(comment)?;
    if !grant && comment.is_empty() {
        return Err(refusal(
            "refusal-support-refusal-comment",
            "a refusal says why in a comment",
        ));
    }
    Ok(app
        .store
        .tenant(member.tenant())
        .answer_support_request(id, grant, &comment, member.actor())
        .await?)
}

/// Revokes a grant at once (`org.support.consent`).
pub async fn revoke(
    app: &App,
    member: &Member<'_>,
    id: SupportRequestId,
    comment: &str,
) -> Result<(), AppError> {
    member.require(Permission::OrgSupportConsent)?;
    let comment = comment_of(comment)?;
    Ok(app
        .store
        .tenant(member.tenant())
        .revoke_support_grant(id, &comment, member.actor())
        .await?)
}

/// Whether a vetting date is a real day not after `today`.
pub(crate) fn vetting_date_ok(date: &str, today: &str) -> bool {
    is_iso_date(date) && date <= today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed<'a>() -> SupportText<'a> {
        SupportText {
            contract: "4",
            reason: "Analyse d'une lenteur du stockage",
            ticket: "INC-2041",
            resources: "vm-prod-12\nbucket-sauvegardes",
            location: "morocco",
            country: "",
            jump_host: "",
            starts_at: "",
            hours: "4",
        }
    }

    #[test]
    fn a_complete_request_passes_and_every_problem_is_named() {
        let settings = SupportSettings::default();
        let ok = SupportInput::check(&typed(), &settings).unwrap();
        assert_eq!(ok.resources, ["vm-prod-12", "bucket-sauvegardes"]);
        let mut bad = typed();
        bad.reason = " ";
        bad.resources = "\n";
        bad.location = "abroad";
        bad.hours = "73";
        assert_eq!(
            SupportInput::check(&bad, &settings).unwrap_err(),
            [
                SupportProblem::Reason,
                SupportProblem::Resources,
                SupportProblem::Country,
                SupportProblem::Duration
            ]
        );
    }

    #[test]
    fn a_jump_host_is_kept_only_for_support_from_abroad() {
        let settings = SupportSettings::default();
        let mut t = typed();
        t.jump_host = "2";
        assert_eq!(SupportInput::check(&t, &settings).unwrap().jump_host, None);
        t.location = "abroad";
        t.country = "France";
        assert_eq!(
            SupportInput::check(&t, &settings).unwrap().jump_host,
            Some(JumpHostId(2))
        );
    }

    #[test]
    fn a_vetting_date_is_a_day_already_past() {
        assert!(vetting_date_ok("2026-01-31", "2026-02-01"));
        assert!(!vetting_date_ok("2026-02-02", "2026-02-01"));
        assert!(!vetting_date_ok("2026-02-30", "2026-03-01"));
    }
}

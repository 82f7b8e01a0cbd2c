//! Support access to a commanditaire's data (référentiel 3.5.7): the rules
//! that need no storage. A request's state is computed from its stored
//! decision and its times at the instant asked, so a request left
//! unanswered expires and a grant ends exactly on time without any job;
//! where an operator may work from depends on the contract's level; and
//! the bastion's question "may this operator reach this resource now?" is
//! answered from the requests and the operator's vetting (3.3.1).

use serde::Serialize;

use crate::ids::SupportRequestId;

/// What a request is at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportState {
    /// Awaiting the commanditaire's answer.
    Pending,
    /// Left unanswered past its deadline.
    Expired,
    Refused,
    /// Withdrawn by the operator before any answer.
    Withdrawn,
    /// Granted, its window not yet open.
    Scheduled,
    /// Granted and open now: the only state that lets the operator in.
    Active,
    /// Granted, and its window is over.
    Ended,
    /// Granted, then revoked by the commanditaire.
    Revoked,
    /// Granted, then closed by the operator when the work was done
    /// (3.5.7.d.4: the authorisation removed at the end of the actions).
    Closed,
}

impl SupportState {
    /// The state at `now_ms` of a request whose stored decision is
    /// `stored` (`pending`, `granted`, `refused`, `withdrawn`, `revoked`
    /// or `closed`). Times are ms since the epoch; a window is
    /// `[starts_at, ends_at)` and an answer is due before `answer_by`.
    pub fn at(stored: &str, now_ms: i64, answer_by: i64, starts_at: i64, ends_at: i64) -> Self {
        match stored {
            "pending" if now_ms < answer_by => SupportState::Pending,
            "pending" => SupportState::Expired,
            "granted" if now_ms >= ends_at => SupportState::Ended,
            "granted" if now_ms < starts_at => SupportState::Scheduled,
            "granted" => SupportState::Active,
            "refused" => SupportState::Refused,
            "withdrawn" => SupportState::Withdrawn,
            "revoked" => SupportState::Revoked,
            // `closed`, and anything this version does not know: no access.
            _ => SupportState::Closed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SupportState::Pending => "pending",
            SupportState::Expired => "expired",
            SupportState::Refused => "refused",
            SupportState::Withdrawn => "withdrawn",
            SupportState::Scheduled => "scheduled",
            SupportState::Active => "active",
            SupportState::Ended => "ended",
            SupportState::Revoked => "revoked",
            SupportState::Closed => "closed",
        }
    }

    /// A grant that may still let the operator in (now or later).
    pub fn is_live_grant(self) -> bool {
        matches!(self, SupportState::Scheduled | SupportState::Active)
    }
}

/// Why an operator may not work from where it asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationRefusal {
    /// Level 2: support from outside Morocco is refused.
    AbroadAtLevel2,
    /// Level 1: from abroad only through a declared supervised jump host
    /// (3.5.7.e).
    JumpHostRequired,
}

/// Whether an operator may work from abroad (or from Morocco) on data
/// kept at `level`, through a declared jump host or not.
pub fn location_allowed(level: i64, abroad: bool, jump_host: bool) -> Result<(), LocationRefusal> {
    match (abroad, level) {
        (false, _) => Ok(()),
        (true, l) if l >= 2 => Err(LocationRefusal::AbroadAtLevel2),
        (true, _) if !jump_host => Err(LocationRefusal::JumpHostRequired),
        (true, _) => Ok(()),
    }
}

/// The whole scope of the service, when typed as a resource.
pub const ALL_RESOURCES: &str = "*";
/// The longest resource name, in characters.
pub const RESOURCE_MAX: usize = 200;
/// The most resources one request names.
pub const RESOURCES_MAX: usize = 50;

/// The resources typed one per line (or separated by commas), trimmed,
/// without blanks or repeats, in the order typed. Reading stops at the
/// first resource past [`RESOURCES_MAX`] (the caller refuses the list
/// then), so a huge paste costs no more than a list one too long.
pub fn parse_resources(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in text.split(['\n', ',']).map(str::trim) {
        if out.len() > RESOURCES_MAX {
            break;
        }
        if !r.is_empty() && !out.iter().any(|o| o == r) {
            out.push(r.to_string());
        }
    }
    out
}

/// Whether a request naming `resources` covers `resource`.
pub fn covers(resources: &[String], resource: &str) -> bool {
    resources
        .iter()
        .any(|r| r == ALL_RESOURCES || r == resource)
}

/// One of the operator's requests on the organisation's service, as the
/// bastion's question weighs it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: SupportRequestId,
    pub state: SupportState,
    pub ends_at: i64,
    pub resources: Vec<String>,
    /// The jump host the operator must come through (level 1 from abroad),
    /// by name, and whether it is still declared.
    pub jump_host: Option<(String, bool)>,
}

/// Why the bastion must say no: a stable code it can log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Denial {
    /// No active operator of that name at the provider.
    UnknownOperator,
    /// The operator has no vetting record (3.3.1).
    NotVetted,
    /// No request of this operator on this organisation's service.
    NoGrant,
    /// Requests exist, none naming this resource.
    OutOfScope,
    /// The grant needs the declared jump host, and the access does not
    /// come through it (or it was retired).
    JumpHostRequired,
    /// The latest request covering the resource is in this state.
    Pending,
    NotStarted,
    Expired,
    Refused,
    Withdrawn,
    Ended,
    Revoked,
    Closed,
}

impl Denial {
    pub fn as_str(self) -> &'static str {
        match self {
            Denial::UnknownOperator => "unknown_operator",
            Denial::NotVetted => "not_vetted",
            Denial::NoGrant => "no_grant",
            Denial::OutOfScope => "out_of_scope",
            Denial::JumpHostRequired => "jump_host_required",
            Denial::Pending => "pending",
            Denial::NotStarted => "not_started",
            Denial::Expired => "expired",
            Denial::Refused => "refused",
            Denial::Withdrawn => "withdrawn",
            Denial::Ended => "ended",
            Denial::Revoked => "revoked",
            Denial::Closed => "closed",
        }
    }

    fn of(state: SupportState) -> Denial {
        match state {
            SupportState::Pending => Denial::Pending,
            SupportState::Expired => Denial::Expired,
            SupportState::Refused => Denial::Refused,
            SupportState::Withdrawn => Denial::Withdrawn,
            SupportState::Scheduled => Denial::NotStarted,
            // An active grant is denied only for its jump host (below).
            SupportState::Active => Denial::JumpHostRequired,
            SupportState::Ended => Denial::Ended,
            SupportState::Revoked => Denial::Revoked,
            SupportState::Closed => Denial::Closed,
        }
    }
}

/// The grant that lets the operator in, and until when (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    pub grant: SupportRequestId,
    pub until: i64,
}

/// The bastion's answer for `resource`, reached through jump host `via`
/// (by name, when the access comes through one), given whether the
/// operator is vetted now and its requests (newest first) with their
/// states at the instant of the question. Among several active grants
/// covering it, the one that lasts longest.
pub fn verdict(
    vetted: bool,
    candidates: &[Candidate],
    resource: &str,
    via: Option<&str>,
) -> Result<Allowed, Denial> {
    if !vetted {
        return Err(Denial::NotVetted);
    }
    if candidates.is_empty() {
        return Err(Denial::NoGrant);
    }
    let covering: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| covers(&c.resources, resource))
        .collect();
    let through = |c: &Candidate| match &c.jump_host {
        None => true,
        Some((name, declared)) => *declared && via == Some(name.as_str()),
    };
    let best = covering
        .iter()
        .filter(|c| c.state == SupportState::Active && through(c))
        .max_by_key(|c| c.ends_at);
    match (best, covering.first()) {
        (Some(c), _) => Ok(Allowed {
            grant: c.id,
            until: c.ends_at,
        }),
        (None, Some(_)) if covering.iter().any(|c| c.state == SupportState::Active) => {
            Err(Denial::JumpHostRequired)
        }
        (None, Some(latest)) => Err(Denial::of(latest.state)),
        (None, None) => Err(Denial::OutOfScope),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn a_request_expires_and_a_grant_ends_exactly_on_time() {
        let (answer_by, starts, ends) = (12 * H, 2 * H, 6 * H);
        let at = |stored, now| SupportState::at(stored, now, answer_by, starts, ends);
        assert_eq!(at("pending", answer_by - 1), SupportState::Pending);
        assert_eq!(at("pending", answer_by), SupportState::Expired);
        assert_eq!(at("granted", starts - 1), SupportState::Scheduled);
        assert_eq!(at("granted", starts), SupportState::Active);
        assert_eq!(at("granted", ends - 1), SupportState::Active);
        assert_eq!(at("granted", ends), SupportState::Ended);
        assert_eq!(at("revoked", starts + 1), SupportState::Revoked);
        assert_eq!(at("something new", starts + 1), SupportState::Closed);
    }

    #[test]
    fn the_level_decides_whether_support_may_come_from_abroad() {
        assert_eq!(location_allowed(2, false, false), Ok(()));
        assert_eq!(
            location_allowed(2, true, true),
            Err(LocationRefusal::AbroadAtLevel2)
        );
        assert_eq!(
            location_allowed(1, true, false),
            Err(LocationRefusal::JumpHostRequired)
        );
        assert_eq!(location_allowed(1, true, true), Ok(()));
    }

    #[test]
    fn resources_are_read_one_per_line_or_comma() {
        let r = parse_resources(" vm-12\r\nbucket-a, vm-12 ,\n\n");
        assert_eq!(r, ["vm-12", "bucket-a"]);
        assert!(covers(&r, "bucket-a") && !covers(&r, "vm-13"));
        assert!(covers(&[ALL_RESOURCES.to_string()], "anything"));
    }

    #[test]
    fn a_huge_list_is_read_no_further_than_one_past_the_limit() {
        let typed: String = (0..100_000).map(|i| format!("vm-{i}\n")).collect();
        assert_eq!(parse_resources(&typed).len(), RESOURCES_MAX + 1);
    }

    fn candidate(id: i64, state: SupportState, jump: Option<(&str, bool)>) -> Candidate {
        Candidate {
            id: SupportRequestId(id),
            state,
            ends_at: 100 + id,
            resources: vec!["vm-12".into()],
            jump_host: jump.map(|(n, d)| (n.to_string(), d)),
        }
    }

    #[test]
    fn only_an_active_grant_of_a_vetted_operator_lets_it_in() {
        let active = candidate(1, SupportState::Active, None);
        assert_eq!(
            verdict(true, std::slice::from_ref(&active), "vm-12", None),
            Ok(Allowed {
                grant: SupportRequestId(1),
                until: 101
            })
        );
        assert_eq!(
            verdict(false, std::slice::from_ref(&active), "vm-12", None),
            Err(Denial::NotVetted)
        );
        assert_eq!(
            verdict(true, &[active], "vm-13", None),
            Err(Denial::OutOfScope)
        );
        assert_eq!(verdict(true, &[], "vm-12", None), Err(Denial::NoGrant));
        // The newest request says why: revoked after an older expiry.
        let history = [
            candidate(3, SupportState::Revoked, None),
            candidate(2, SupportState::Expired, None),
        ];
        assert_eq!(verdict(true, &history, "vm-12", None), Err(Denial::Revoked));
    }

    #[test]
    fn a_grant_from_abroad_needs_its_declared_jump_host() {
        let through = candidate(1, SupportState::Active, Some(("rebond-1", true)));
        let c = [through];
        assert_eq!(
            verdict(true, &c, "vm-12", None),
            Err(Denial::JumpHostRequired)
        );
        assert!(verdict(true, &c, "vm-12", Some("rebond-1")).is_ok());
        let retired = [candidate(
            1,
            SupportState::Active,
            Some(("rebond-1", false)),
        )];
        assert_eq!(
            verdict(true, &retired, "vm-12", Some("rebond-1")),
            Err(Denial::JumpHostRequired)
        );
    }
}

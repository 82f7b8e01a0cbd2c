//! Enforcement where access happens: the provider's bastion or PAM, with
//! an account holding `support.enforce`, asks "may operator X reach
//! resource Y of organisation Z's service now?" and records the sessions
//! it opens and closes under a grant. The answer is read from the stored
//! times and decisions at the instant of the question: a grant that ended
//! a millisecond ago, or that the customer revoked, answers no.

use thiqa_domain::support::{verdict, Candidate, Denial};
use thiqa_domain::{OrganisationId, Permission, ServiceId, SupportRequestId, Tenant};
use thiqa_store::{NewEvent, Refusal};

use crate::{App, AppError, Staff};

/// The longest session reference, resource or jump host name.
pub const NAME_MAX: usize = 200;

/// The bastion's question.
pub struct CheckQuery<'a> {
    /// The operator's username.
    pub operator: &'a str,
    pub organisation: OrganisationId,
    pub service: ServiceId,
    pub resource: &'a str,
    /// The jump host the access comes through, by name, if any.
    pub jump_host: Option<&'a str>,
}

/// The answer: allowed under which grant and until when (ms), or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckAnswer {
    pub allowed: bool,
    pub grant: Option<SupportRequestId>,
    pub until_ms: Option<i64>,
    /// `granted`, or the code of the denial (`revoked`, `not_vetted`…).
    pub reason: &'static str,
}

fn name_ok(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().count() <= NAME_MAX && !s.contains(['\n', '\r'])
}

/// Refused unless each of `names` (field, value; None when not given) is
/// 1 to [`NAME_MAX`] characters on one line: they are journaled.
fn names_ok(names: &[(&str, Option<&str>)]) -> Result<(), AppError> {
    match names.iter().find(|(_, v)| v.is_some_and(|v| !name_ok(v))) {
        Some((what, _)) => Err(invalid(what)),
        None => Ok(()),
    }
}

fn invalid(what: &str) -> AppError {
    AppError::Refused(
        Refusal::new(
            "refusal-support-name",
            format!("{what}: 1 to {NAME_MAX} characters on one line"),
        )
        .arg("field", what),
    )
}

/// Answers the bastion (`support.enforce`). A denial is journaled as a
/// failure in the provider's journal: someone tried to reach a
/// customer's data without a grant in force.
pub async fn check(
    app: &App,
    staff: &Staff<'_>,
    q: &CheckQuery<'_>,
) -> Result<CheckAnswer, AppError> {
    staff.require(Permission::SupportEnforce)?;
    names_ok(&[
        ("operator", Some(q.operator)),
        ("resource", Some(q.resource)),
        ("jump_host", q.jump_host),
    ])?;
    let now_ms = app.store.clock().now_ms();
    let found = app
        .store
        .provider(staff.provider())
        .support_candidates(q.operator, q.organisation, q.service)
        .await?;
    let outcome = match found {
        None => Err(Denial::UnknownOperator),
        Some(c) => {
            let candidates: Vec<Candidate> =
                c.requests.iter().map(|r| r.candidate(now_ms)).collect();
            verdict(c.vetted, &candidates, q.resource, q.jump_host)
        }
    };
    match outcome {
        Ok(allowed) => Ok(CheckAnswer {
            allowed: true,
            grant: Some(allowed.grant),
            until_ms: Some(allowed.until),
            reason: "granted",
        }),
        Err(denial) => {
            let event = NewEvent::failure("support.check")
                .target(format!("operators:{}", q.operator))
                .tenant(Tenant::Provider(staff.provider()))
                .details(format!(
                    "administration — denied ({}): organisation {}, service {}, resource {}{}",
                    denial.as_str(),
                    q.organisation.0,
                    q.service.0,
                    q.resource,
                    q.jump_host
                        .map_or(String::new(), |j| format!(", through {j}"))
                ));
            app.store.record_event(staff.actor(), event).await?;
            Ok(CheckAnswer {
                allowed: false,
                grant: None,
                until_ms: None,
                reason: denial.as_str(),
            })
        }
    }
}

/// Whether the bastion opens or closes a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEvent {
    Start,
    End,
}

/// Records a session opened (only while the grant lets the operator in
/// now, through its jump host if it needs one) or closed under grant
/// `grant` (`support.enforce`); returns the session's id. NotFound for
/// another provider's grant (told apart by the store once the statement
/// refused, so a session recorded costs no read before it); refused when
/// the caller is the grant's own operator.
pub async fn session(
    app: &App,
    staff: &Staff<'_>,
    grant: SupportRequestId,
    event: SessionEvent,
    reference: &str,
    jump_host: Option<&str>,
) -> Result<i64, AppError> {
    staff.require(Permission::SupportEnforce)?;
    names_ok(&[("reference", Some(reference)), ("jump_host", jump_host)])?;
    let provider = app.store.provider(staff.provider());
    let reference = reference.trim();
    Ok(match event {
        SessionEvent::Start => {
            provider
                .start_support_session(grant, reference, jump_host, staff.actor())
                .await?
        }
        SessionEvent::End => {
            provider
                .end_support_session(grant, reference, staff.actor())
                .await?
        }
    })
}

//! A service's audit findings. The auditor, under an engagement active now,
//! records findings per obligation and closes them; the provider's staff
//! who edit the assessment answer them; whoever may read the service reads
//! them. An auditor never edits what it audits: it records and closes, the
//! provider answers.

use thiqa_catalog::Catalog;
use thiqa_domain::{FindingId, Permission, ServiceId};
use thiqa_store::{Finding, NewFinding, FINDING_SEVERITIES};

use crate::{App, AppError, AuditorScope, ServiceScope, Staff};

/// The longest finding, answer or closure note, in characters.
pub const TEXT_MAX: usize = 10_000;

/// What is wrong with a submitted finding, answer or note; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingProblem {
    /// An obligation id the référentiel does not have.
    UnknownObligation(String),
    /// Not one of [`FINDING_SEVERITIES`].
    Severity,
    /// Empty (where a text is required) or longer than [`TEXT_MAX`].
    Text,
}

/// A finding as typed, checked: the only input [`record`] takes.
#[derive(Debug, Clone)]
pub struct FindingInput(NewFinding);

impl FindingInput {
    pub fn check(
        c: &Catalog,
        obligation: &str,
        severity: &str,
        description: &str,
    ) -> Result<FindingInput, Vec<FindingProblem>> {
        let (obligation, description) = (obligation.trim(), description.trim());
        let mut problems = Vec::new();
        if c.obligation(obligation).is_none() {
            problems.push(FindingProblem::UnknownObligation(obligation.to_string()));
        }
        if !FINDING_SEVERITIES.contains(&severity) {
            problems.push(FindingProblem::Severity);
        }
        if let Err(p) = required_text(description) {
            problems.push(p);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(FindingInput(NewFinding {
            obligation_id: obligation.to_string(),
            severity: severity.to_string(),
            description: description.to_string(),
        }))
    }
}

/// A finding's answer must say something; no text may exceed [`TEXT_MAX`].
pub fn required_text(text: &str) -> Result<(), FindingProblem> {
    if text.trim().is_empty() {
        return Err(FindingProblem::Text);
    }
    optional_text(text)
}

/// A closure note may be empty, not longer than [`TEXT_MAX`].
pub fn optional_text(text: &str) -> Result<(), FindingProblem> {
    if text.chars().count() > TEXT_MAX {
        return Err(FindingProblem::Text);
    }
    Ok(())
}

/// Records a finding under the auditor's engagement. Returns its id.
pub async fn record(
    app: &App,
    auditor: &AuditorScope,
    finding: &FindingInput,
) -> Result<FindingId, AppError> {
    Ok(app
        .store
        .provider(auditor.provider())
        .record_finding(
            auditor.service(),
            Some(auditor.engagement().id),
            &finding.0,
            auditor.actor(),
        )
        .await?)
}

/// The provider's answer to a finding (`assessment.edit`), from the
/// `version` its editor saw; Stale when it moved meanwhile, Refused once
/// the finding is closed.
pub async fn respond(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    finding: FindingId,
    response: &str,
    version: i64,
) -> Result<(), AppError> {
    staff.require(Permission::AssessmentEdit)?;
    required_text(response).map_err(|_| text_refusal())?;
    Ok(app
        .store
        .provider(staff.provider())
        .respond_to_finding(
            service,
            finding,
            response.trim(),
            Some(version),
            staff.actor(),
        )
        .await?)
}

/// The auditor closes a finding with an optional note, from the `version`
/// it saw.
pub async fn close(
    app: &App,
    auditor: &AuditorScope,
    finding: FindingId,
    note: &str,
    version: i64,
) -> Result<(), AppError> {
    optional_text(note).map_err(|_| text_refusal())?;
    Ok(app
        .store
        .provider(auditor.provider())
        .close_finding(
            auditor.service(),
            finding,
            note.trim(),
            Some(version),
            auditor.actor(),
        )
        .await?)
}

/// For a caller that skipped the check its edge should have made.
fn text_refusal() -> AppError {
    AppError::Refused(
        thiqa_store::Refusal::new(
            "error-finding-text",
            format!("a finding's text is required and at most {TEXT_MAX} characters"),
        )
        .arg("max", TEXT_MAX),
    )
}

/// A service's findings, open ones first, and its name.
pub struct FindingList {
    pub service_name: String,
    pub findings: Vec<Finding>,
}

/// The findings of the service `scope` reads.
pub async fn of_service(app: &App, scope: &ServiceScope) -> Result<FindingList, AppError> {
    let (service, findings) = tokio::try_join!(
        app.store
            .provider(scope.provider())
            .service(scope.service()),
        app.store
            .provider(scope.provider())
            .findings(scope.service()),
    )?;
    Ok(FindingList {
        service_name: service.name,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_names_a_known_obligation_a_severity_and_what_was_found() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        assert!(FindingInput::check(c, "3.1.1.a", "minor", " Gap ").is_ok());
        assert_eq!(
            FindingInput::check(c, "9.9", "grave", " ").unwrap_err(),
            vec![
                FindingProblem::UnknownObligation("9.9".into()),
                FindingProblem::Severity,
                FindingProblem::Text,
            ]
        );
        let long = "x".repeat(TEXT_MAX + 1);
        assert_eq!(required_text(&long), Err(FindingProblem::Text));
        assert_eq!(optional_text(""), Ok(()));
        assert_eq!(optional_text(&long), Err(FindingProblem::Text));
    }
}

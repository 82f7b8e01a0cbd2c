//! A service's self-assessment: the status, statement, justification,
//! owner and next review of each obligation that applies to it, edited one
//! at a time, in bulk, or imported from a spreadsheet, every change kept in
//! the history and journaled. Editing is `assessment.edit`; whoever may read
//! the service reads it.

use thiqa_domain::assessment::{AssessmentError, AssessmentInput, AssessmentStatus};
use thiqa_domain::{Permission, ServiceId};
use thiqa_export::import::{read_rows, ImportOutcome, RowProblem};
use thiqa_store::{Assessment, AssessmentChange, AssessmentSet, Evidence, Service};

use crate::services::{applicable_ids, profile_of};
use crate::{App, AppError, ServiceScope, Staff};

/// The service, the obligations that apply to it (catalog order) and what
/// is recorded for them, by obligation id.
pub struct Sheet {
    pub service: Service,
    pub applicable: Vec<String>,
    pub recorded: AssessmentSet,
}

/// The sheet of the service `scope` reads.
pub async fn sheet(app: &App, scope: &ServiceScope) -> Result<Sheet, AppError> {
    let (service, recorded) = app
        .store
        .provider(scope.provider())
        .service_and_assessments(scope.service())
        .await?;
    let applicable = applicable_ids(app.catalog, &profile_of(app.catalog, &service)?);
    Ok(Sheet {
        service,
        applicable,
        recorded,
    })
}

/// One obligation of a service as its page shows it.
pub struct Entry {
    pub service: Service,
    /// Whether the obligation applies to the service's profile.
    pub applicable: bool,
    /// What is recorded, if anything.
    pub recorded: Option<Assessment>,
    /// Every change, newest first.
    pub history: Vec<AssessmentChange>,
    /// The evidence linked to the obligation.
    pub evidence: Vec<Evidence>,
}

/// The obligation `obligation` of the service `scope` reads; NotFound for
/// an id the référentiel does not have.
pub async fn entry(app: &App, scope: &ServiceScope, obligation: &str) -> Result<Entry, AppError> {
    if app.catalog.obligation(obligation).is_none() {
        return Err(AppError::NotFound);
    }
    let (p, s) = (scope.provider(), scope.service());
    let (service, recorded, history, evidence) = tokio::try_join!(
        app.store.provider(p).service(s),
        app.store.provider(p).assessment(s, obligation),
        app.store.provider(p).assessment_history(s, obligation),
        app.store.provider(p).evidence(s, Some(obligation)),
    )?;
    let applicable = applicable_ids(app.catalog, &profile_of(app.catalog, &service)?)
        .iter()
        .any(|i| i == obligation);
    Ok(Entry {
        service,
        applicable,
        recorded,
        history,
        evidence,
    })
}

/// An assessment as typed, trimmed and checked: the only input [`save`]
/// takes.
#[derive(Debug, Clone)]
pub struct Checked(AssessmentInput);

impl Checked {
    pub fn check(input: AssessmentInput) -> Result<Checked, AssessmentError> {
        input.checked().map(Checked)
    }
}

/// Saves one obligation's assessment from the `version` its editor saw
/// (0: none recorded yet); Stale when it changed meanwhile, NotFound for an
/// obligation the référentiel does not have or another provider's service.
pub async fn save(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    obligation: &str,
    input: Checked,
    version: i64,
) -> Result<(), AppError> {
    staff.require(Permission::AssessmentEdit)?;
    if app.catalog.obligation(obligation).is_none() {
        return Err(AppError::NotFound);
    }
    let edit = [(obligation.to_string(), input.0, version)];
    app.store
        .provider(staff.provider())
        .save_assessments_from(service, &edit, staff.actor())
        .await?;
    Ok(())
}

/// The same status (and, when given, owner and justification) for many
/// obligations at once; statements and review dates already recorded are
/// kept.
pub struct BulkEdit<'a> {
    pub obligations: &'a [String],
    pub status: AssessmentStatus,
    /// Empty: each keeps its own.
    pub owner: &'a str,
    /// Empty: each keeps its own.
    pub justification: &'a str,
}

/// What a bulk edit did.
#[derive(Debug)]
pub enum BulkOutcome {
    /// Every obligation saved (how many).
    Saved(usize),
    /// Nothing chosen; nothing saved.
    NothingChosen,
    /// An obligation id the référentiel does not have; nothing saved.
    UnknownObligation(String),
    /// An obligation that does not apply the rule (e.g. not applicable
    /// without a justification); nothing saved.
    Invalid {
        obligation: String,
        problem: AssessmentError,
    },
}

/// Applies a bulk edit in one transaction (`assessment.edit`): all or
/// nothing. Stale when one of them was saved by someone else since it was read
/// here (its statement would otherwise be overwritten with an old one).
pub async fn bulk(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    edit: &BulkEdit<'_>,
) -> Result<BulkOutcome, AppError> {
    staff.require(Permission::AssessmentEdit)?;
    if edit.obligations.is_empty() {
        return Ok(BulkOutcome::NothingChosen);
    }
    if let Some(unknown) = edit
        .obligations
        .iter()
        .find(|o| app.catalog.obligation(o).is_none())
    {
        return Ok(BulkOutcome::UnknownObligation(unknown.clone()));
    }
    let recorded = app
        .store
        .provider(staff.provider())
        .assessments(service)
        .await?;
    let or_kept = |typed: &str, kept: Option<&String>| match typed.trim() {
        "" => kept.cloned().unwrap_or_default(),
        typed => typed.to_string(),
    };
    let mut edits = Vec::with_capacity(edit.obligations.len());
    for oid in edit.obligations {
        let old = recorded.get(oid);
        let input = AssessmentInput {
            status: edit.status,
            statement: old.map(|a| a.statement.clone()).unwrap_or_default(),
            justification: or_kept(edit.justification, old.map(|a| &a.justification)),
            owner: or_kept(edit.owner, old.map(|a| &a.owner)),
            next_review: old.map(|a| a.next_review.clone()).unwrap_or_default(),
        };
        match input.checked() {
            Ok(input) => edits.push((oid.clone(), input, old.map_or(0, |a| a.version))),
            Err(problem) => {
                return Ok(BulkOutcome::Invalid {
                    obligation: oid.clone(),
                    problem,
                })
            }
        }
    }
    let saved = app
        .store
        .provider(staff.provider())
        .save_assessments_from(service, &edits, staff.actor())
        .await?;
    Ok(BulkOutcome::Saved(saved))
}

/// Imports a self-assessment from an XLSX or CSV file
/// (`assessment.edit`): every row is checked first and all are saved in
/// one transaction, or none, with every bad row named. Saved when the
/// outcome is Accepted.
pub struct Imported {
    pub service_name: String,
    pub outcome: ImportOutcome,
}

pub async fn import(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    file: impl AsRef<[u8]> + Send + 'static,
    is_xlsx: bool,
) -> Result<Imported, AppError> {
    staff.require(Permission::AssessmentEdit)?;
    let service_name = app
        .store
        .provider(staff.provider())
        .service(service)
        .await?
        .name;
    // Inflating and reading up to the import limits is CPU work: off the
    // async workers.
    let read = tokio::task::spawn_blocking(move || read_rows(file.as_ref(), is_xlsx))
        .await
        .map_err(|e| AppError::Internal(format!("import reader: {e}")))?;
    let outcome = match read {
        Ok(rows) => thiqa_export::import::assessments(app.catalog, &rows),
        Err(message) => ImportOutcome::Rejected(vec![RowProblem { row: 1, message }]),
    };
    if let ImportOutcome::Accepted(items) = &outcome {
        app.store
            .provider(staff.provider())
            .save_assessments(service, items, staff.actor())
            .await?;
    }
    Ok(Imported {
        service_name,
        outcome,
    })
}

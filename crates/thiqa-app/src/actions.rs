//! A service's action plan (plan of action and milestones): actions with an
//! owner and a due date that close the gaps of named obligations and answer
//! auditors' findings. Planning and moving them is the editors' work
//! (`assessment.edit`); anyone who may read the service reads the plan.

use thiqa_catalog::Catalog;
use thiqa_domain::{ActionId, FindingId, Permission, ServiceId};
use thiqa_store::{ActionItem, NewAction, ACTION_STATUSES};

use crate::time::iso_date;
use crate::{App, AppError, ServiceScope, Staff};

/// The longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// The longest description, in characters.
pub const DESCRIPTION_MAX: usize = 5000;
/// The longest owner, in characters.
pub const OWNER_MAX: usize = 120;

/// What is wrong with a submitted action; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionProblem {
    /// Empty or longer than [`TITLE_MAX`].
    Title,
    /// Longer than [`DESCRIPTION_MAX`].
    Description,
    /// Longer than [`OWNER_MAX`].
    Owner,
    /// No obligation named: an action closes the gap of at least one.
    NoObligation,
    /// An obligation id the référentiel does not have.
    UnknownObligation(String),
    /// A finding reference that is not a number (`12` or `#12`).
    Finding(String),
    /// The due date is missing or not a real day (YYYY-MM-DD).
    Due,
}

/// An action as typed, checked: the only input [`plan`] takes.
#[derive(Debug, Clone)]
pub struct ActionInput(NewAction);

/// The fields of the new-action form, as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ActionText<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub owner: &'a str,
    /// Obligation ids separated by spaces, commas or semicolons.
    pub obligations: &'a str,
    /// Finding numbers (`12` or `#12`), separated the same way.
    pub findings: &'a str,
    pub due_date: &'a str,
}

/// The items of a list typed in one field.
fn items(text: &str) -> impl Iterator<Item = &str> {
    text.split([' ', ',', ';']).filter(|s| !s.is_empty())
}

impl ActionInput {
    /// Trims the texts and checks everything against the catalog; every
    /// problem is named.
    pub fn check(c: &Catalog, t: ActionText<'_>) -> Result<ActionInput, Vec<ActionProblem>> {
        let mut problems = Vec::new();
        let (title, description, owner) = (t.title.trim(), t.description.trim(), t.owner.trim());
        if title.is_empty() || title.chars().count() > TITLE_MAX {
            problems.push(ActionProblem::Title);
        }
        if description.chars().count() > DESCRIPTION_MAX {
            problems.push(ActionProblem::Description);
        }
        if owner.chars().count() > OWNER_MAX {
            problems.push(ActionProblem::Owner);
        }
        let obligations: Vec<String> = items(t.obligations).map(str::to_string).collect();
        if obligations.is_empty() {
            problems.push(ActionProblem::NoObligation);
        }
        for o in &obligations {
            if c.obligation(o).is_none() {
                problems.push(ActionProblem::UnknownObligation(o.clone()));
            }
        }
        let mut findings = Vec::new();
        for f in items(t.findings) {
            match f.trim_start_matches('#').parse::<i64>() {
                Ok(n) => findings.push(FindingId(n)),
                Err(_) => problems.push(ActionProblem::Finding(f.to_string())),
            }
        }
        // The one date rule of the domain (YYYY-MM-DD, a real day).
        let due = t.due_date.trim();
        if !thiqa_domain::assessment::is_iso_date(due) {
            problems.push(ActionProblem::Due);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ActionInput(NewAction {
            title: title.to_string(),
            description: description.to_string(),
            owner: owner.to_string(),
            due_date: due.to_string(),
            obligations,
            findings,
        }))
    }
}

/// Plans an action on a service of the staff member's provider
/// (`assessment.edit`); NotFound for another provider's service, Refused
/// when a finding named is not one of the service's. Returns its id.
pub async fn plan(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    action: &ActionInput,
) -> Result<ActionId, AppError> {
    staff.require(Permission::AssessmentEdit)?;
    Ok(app
        .store
        .provider(staff.provider())
        .create_action(service, &action.0, staff.actor())
        .await?)
}

/// Whether `status` is one an action can be in.
pub fn is_status(status: &str) -> bool {
    ACTION_STATUSES.contains(&status)
}

/// Moves an action to `status` from the `version` its editor saw
/// (`assessment.edit`); Stale when it moved meanwhile, Refused for a status
/// that does not exist.
pub async fn set_status(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    action: ActionId,
    status: &str,
    version: i64,
) -> Result<(), AppError> {
    staff.require(Permission::AssessmentEdit)?;
    Ok(app
        .store
        .provider(staff.provider())
        .set_action_status(service, action, status, version, staff.actor())
        .await?)
}

/// One action of the plan, and whether it is late.
pub struct PlannedAction {
    pub item: ActionItem,
    /// Due before today and still open or in progress.
    pub overdue: bool,
}

/// A service's plan, soonest due first.
pub struct ActionPlan {
    pub service_name: String,
    pub actions: Vec<PlannedAction>,
}

/// The plan of the service `scope` reads.
pub async fn plan_of(app: &App, scope: &ServiceScope) -> Result<ActionPlan, AppError> {
    let (service, items) = tokio::try_join!(
        app.store
            .provider(scope.provider())
            .service(scope.service()),
        app.store
            .provider(scope.provider())
            .actions(scope.service()),
    )?;
    let today = iso_date(app.store.clock().now_s());
    let actions = items
        .into_iter()
        .map(|item| PlannedAction {
            overdue: is_overdue(&item, &today),
            item,
        })
        .collect();
    Ok(ActionPlan {
        service_name: service.name,
        actions,
    })
}

fn is_overdue(item: &ActionItem, today: &str) -> bool {
    item.due_date.as_str() < today && matches!(item.status.as_str(), "open" | "in_progress")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>() -> ActionText<'a> {
        ActionText {
            title: " Patch ",
            obligations: "3.1.1.a",
            due_date: "2027-02-28",
            ..ActionText::default()
        }
    }

    #[test]
    fn an_action_needs_a_title_a_known_obligation_and_a_real_due_date() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let ok = ActionInput::check(c, text()).unwrap();
        assert_eq!(ok.0.title, "Patch");
        let bad = ActionText {
            title: "",
            obligations: "3.1.1.a, 9.9.9",
            findings: "#4 x",
            due_date: "2027-02-30",
            owner: &"o".repeat(121),
            ..text()
        };
        assert_eq!(
            ActionInput::check(c, bad).unwrap_err(),
            vec![
                ActionProblem::Title,
                ActionProblem::Owner,
                ActionProblem::UnknownObligation("9.9.9".into()),
                ActionProblem::Finding("x".into()),
                ActionProblem::Due,
            ]
        );
        let none = ActionText {
            obligations: " ;",
            ..text()
        };
        assert_eq!(
            ActionInput::check(c, none).unwrap_err(),
            vec![ActionProblem::NoObligation]
        );
    }

    #[test]
    fn only_open_work_past_its_date_is_overdue() {
        let item = |due: &str, status: &str| ActionItem {
            id: ActionId(1),
            title: String::new(),
            description: String::new(),
            owner: String::new(),
            due_date: due.into(),
            status: status.into(),
            created_by: String::new(),
            obligations: vec![],
            findings: vec![],
            version: 1,
        };
        let today = "2027-01-10";
        assert!(is_overdue(&item("2027-01-09", "open"), today));
        assert!(is_overdue(&item("2027-01-09", "in_progress"), today));
        assert!(!is_overdue(&item("2027-01-09", "done"), today));
        assert!(!is_overdue(&item("2027-01-10", "open"), today));
    }
}

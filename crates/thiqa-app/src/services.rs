//! What a declared service is under the référentiel: its profile (model,
//! level, the text's conditions) and the obligations that apply to it; and
//! declaring or changing one, as the console's forms and the API both do.

use std::collections::BTreeMap;

use thiqa_catalog::{Catalog, Level, Profile, ServiceModel, Subject};
use thiqa_domain::{Permission, ServiceId};
use thiqa_store::{AssessmentSet, NewService, Service, Site};

use crate::{App, AppError, Staff};

/// The longest service name, in characters.
pub const NAME_MAX: usize = 120;
/// The longest service description, in characters.
pub const DESCRIPTION_MAX: usize = 1000;

/// What is wrong with a submitted service, field by field; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceProblem {
    /// Empty or longer than [`NAME_MAX`].
    Name,
    /// Longer than [`DESCRIPTION_MAX`].
    Description,
    /// The profile names what the catalog does not know (the reason).
    Profile(String),
}

/// A service's name, description and profile, checked against the catalog:
/// the only input [`declare`] and [`change`] take.
#[derive(Debug, Clone)]
pub struct ServiceInput {
    name: String,
    description: String,
    profile: Profile,
}

impl ServiceInput {
    /// Trims the texts and checks everything; every problem is named.
    pub fn check(
        c: &Catalog,
        name: &str,
        description: &str,
        profile: Profile,
    ) -> Result<ServiceInput, Vec<ServiceProblem>> {
        let mut problems = text_problems(name, description);
        if let Err(e) = profile.validate(c) {
            problems.push(ServiceProblem::Profile(e.to_string()));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ServiceInput {
            name: name.trim().to_string(),
            description: description.trim().to_string(),
            profile,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }
}

/// The problems of a service's name and description alone: for an edge
/// that could not even read the profile, so the form names them all.
pub fn text_problems(name: &str, description: &str) -> Vec<ServiceProblem> {
    let name = name.trim();
    let mut problems = Vec::new();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        problems.push(ServiceProblem::Name);
    }
    if description.trim().chars().count() > DESCRIPTION_MAX {
        problems.push(ServiceProblem::Description);
    }
    problems
}

/// Declares a service of the staff member's provider (`services.manage`).
/// Refused (`refusal-exists-service`) when the provider has one of that
/// name already.
pub async fn declare(
    app: &App,
    staff: &Staff<'_>,
    input: &ServiceInput,
) -> Result<ServiceId, AppError> {
    staff.require(Permission::ServicesManage)?;
    let facts = facts_json(&input.profile);
    let new = new_service(input, &facts);
    Ok(app
        .store
        .provider(staff.provider())
        .create_service(&new, staff.actor())
        .await?)
}

/// What a profile change did to applicability, obligation ids in the
/// text's order.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub became_applicable: Vec<String>,
    pub became_not_applicable: Vec<String>,
}

/// Changes a service of the staff member's provider (`services.manage`),
/// edited from `version`. Stale when someone changed it meanwhile (nothing
/// saved), Refused when the new name is taken;
/// NotFound for another provider's service.
pub async fn change(
    app: &App,
    staff: &Staff<'_>,
    id: ServiceId,
    input: &ServiceInput,
    version: i64,
) -> Result<ProfileChange, AppError> {
    staff.require(Permission::ServicesManage)?;
    let facts = facts_json(&input.profile);
    let new = new_service(input, &facts);
    let before = app
        .store
        .provider(staff.provider())
        .update_service(id, &new, version, staff.actor())
        .await?;
    let old = applicable_ids(app.catalog, &profile_of(app.catalog, &before)?);
    let now = applicable_ids(app.catalog, &input.profile);
    Ok(ProfileChange {
        became_applicable: now.iter().filter(|i| !old.contains(i)).cloned().collect(),
        became_not_applicable: old.iter().filter(|i| !now.contains(i)).cloned().collect(),
    })
}

fn facts_json(p: &Profile) -> String {
    serde_json::to_string(&p.facts).unwrap_or_else(|_| "{}".into())
}

fn new_service<'a>(input: &'a ServiceInput, facts: &'a str) -> NewService<'a> {
    NewService {
        name: &input.name,
        description: &input.description,
        model: input.profile.model.as_str(),
        level: i64::from(input.profile.level.number()),
        facts_json: facts,
    }
}

/// The applicability profile of a stored service. Only facts the catalog
/// knows are kept: a condition removed from a later catalog version is
/// ignored rather than failing the page.
pub fn profile_of(c: &Catalog, s: &Service) -> Result<Profile, AppError> {
    let corrupt = |what: String| AppError::Internal(format!("service {}: {what}", s.id));
    let model =
        ServiceModel::from_name(&s.model).ok_or_else(|| corrupt(format!("model {}", s.model)))?;
    let level = Level::try_from(u8::try_from(s.level).unwrap_or(0)).map_err(corrupt)?;
    let facts: BTreeMap<String, bool> =
        serde_json::from_str(&s.facts).map_err(|e| corrupt(format!("facts: {e}")))?;
    let mut p = Profile::new(model, level);
    for (k, v) in facts {
        if c.fact(&k).is_some() {
            p.facts.insert(k, v);
        }
    }
    Ok(p)
}

/// The ids of the obligations that apply under `p`, in the text's order.
pub fn applicable_ids(c: &Catalog, p: &Profile) -> Vec<String> {
    c.applicability(p)
        .into_iter()
        .filter(|d| d.applicable && matches!(d.subject, Subject::Obligation))
        .map(|d| d.id)
        .collect()
}

/// A service as the API describes it: its row, its profile, the
/// obligations that apply under it and its sites (3.15.2).
pub struct Described {
    pub service: Service,
    pub profile: Profile,
    pub applicable: Vec<String>,
    pub sites: Vec<Site>,
}

impl Described {
    fn of(c: &Catalog, service: Service, sites: Vec<Site>) -> Result<Described, AppError> {
        let profile = profile_of(c, &service)?;
        Ok(Described {
            applicable: applicable_ids(c, &profile),
            service,
            profile,
            sites,
        })
    }
}

/// The service `id` of the staff's provider, described, for whoever may
/// read it or manage the provider's services: a change is answered with
/// the service as it now is, also to a role that may change services but
/// holds no `services.read`.
pub async fn describe_changed(
    app: &App,
    staff: &Staff<'_>,
    id: ServiceId,
) -> Result<Described, AppError> {
    let (p, s) = shown_to(app, staff, id).await?;
    let (service, sites) = tokio::try_join!(
        app.store.provider(p).service(s),
        app.store.provider(p).sites(s)
    )?;
    Described::of(app.catalog, service, sites)
}

/// The provider and service when the staff may see the service's page:
/// with `services.manage`, or through [`Staff::service`]'s read access.
async fn shown_to(
    app: &App,
    staff: &Staff<'_>,
    id: ServiceId,
) -> Result<(thiqa_domain::ProviderId, ServiceId), AppError> {
    if staff.can(Permission::ServicesManage) {
        return Ok((staff.provider(), id));
    }
    let scope = staff.service(app, id).await?;
    Ok((scope.provider(), scope.service()))
}

/// Every service of the staff's provider, described (`services.read`):
/// the rows listed once, then each one's sites.
pub async fn describe_all(app: &App, staff: &Staff<'_>) -> Result<Vec<Described>, AppError> {
    staff.require(Permission::ServicesRead)?;
    let p = staff.provider();
    let mut out = Vec::new();
    for service in app.store.provider(p).services().await? {
        let sites = app.store.provider(p).sites(service.id).await?;
        out.push(Described::of(app.catalog, service, sites)?);
    }
    Ok(out)
}

/// The service `id` described, with what is recorded for its obligations:
/// the service's page, for whoever may read the service or manage the
/// provider's services (the page is shown again after a change).
pub async fn with_assessments(
    app: &App,
    staff: &Staff<'_>,
    id: ServiceId,
) -> Result<(Described, AssessmentSet), AppError> {
    let (p, s) = shown_to(app, staff, id).await?;
    let ((service, recorded), sites) = tokio::try_join!(
        app.store.provider(p).service_and_assessments(s),
        app.store.provider(p).sites(s)
    )?;
    Ok((Described::of(app.catalog, service, sites)?, recorded))
}

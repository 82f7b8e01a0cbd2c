//! The services a provider qualifies: declare one with its profile (model,
//! level, the catalog's questions answered) and sites; change a profile and
//! see which obligations became applicable or not (issue: services).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_catalog::{Catalog, Level, Profile, ServiceModel};
use thiqa_domain::{Permission, ServiceId, SiteId};
use thiqa_store::Site;

use crate::auth::visit::Signed;
use crate::catalog_params::Params;
use crate::i18n::{Lang, Tr};
use crate::pages::catalog::applicability::form_profile;
use crate::pages::catalog::bad_param;
use crate::pages::service_access::{read_access, visible_services};
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{edited_version, field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::services::{
    self, applicable_ids, change, declare, profile_of, text_problems, Described, ServiceInput,
    ServiceProblem,
};
use thiqa_app::sites::{self, SiteInput, SiteProblem};
use thiqa_app::AppError;

pub struct FactField {
    pub id: String,
    pub question: String,
    pub yes: bool,
}

/// The service form's values (blank, a service's, or what was sent back).
pub struct ServiceForm {
    pub action: String,
    pub submit_key: &'static str,
    pub name: String,
    pub description: String,
    pub models: Vec<(&'static str, &'static str, bool)>,
    pub levels: Vec<(u8, bool)>,
    pub facts: Vec<FactField>,
    /// The version an edit form was loaded at (None: a new service).
    pub version: Option<i64>,
}

impl ServiceForm {
    fn new(
        c: &Catalog,
        lang: Lang,
        action: String,
        submit_key: &'static str,
        name: &str,
        description: &str,
        profile: &Profile,
    ) -> ServiceForm {
        let l = thiqa_catalog::Lang::from(lang);
        ServiceForm {
            action,
            submit_key,
            name: name.to_string(),
            description: description.to_string(),
            models: ServiceModel::ALL
                .iter()
                .map(|m| (m.as_str(), m.label(), *m == profile.model))
                .collect(),
            levels: Level::ALL
                .iter()
                .map(|lv| (lv.number(), *lv == profile.level))
                .collect(),
            facts: c
                .facts()
                .map(|f| FactField {
                    id: f.id.clone(),
                    question: l.pick(&f.question_fr, &f.question_en).to_string(),
                    yes: profile.facts.get(&f.id).copied().unwrap_or(f.default),
                })
                .collect(),
            version: None,
        }
    }
}

/// The stored profile of a service (the store keeps it as given; it was
/// validated against the catalog when saved).
pub struct ServiceRow {
    pub id: i64,
    pub name: String,
    pub model: &'static str,
    pub level: i64,
    pub applicable: usize,
}

#[derive(Template)]
#[template(path = "services.html")]
struct ListPage<'a> {
    chrome: Chrome<'a>,
    services: Vec<ServiceRow>,
    can_manage: bool,
    form: ServiceForm,
    errors: Vec<String>,
}

async fn list_page(
    app: &AppState,
    me: &Signed<Console>,
    form: Option<ServiceForm>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let c = app.catalog;
    let mut services = Vec::new();
    for s in visible_services(app, me).await? {
        let p = profile_of(c, &s)?;
        services.push(ServiceRow {
            id: s.id.0,
            name: s.name,
            model: p.model.label(),
            level: s.level,
            applicable: applicable_ids(c, &p).len(),
        });
    }
    let form = form.unwrap_or_else(|| {
        ServiceForm::new(
            c,
            me.visit.lang,
            "/services".into(),
            "service-create-submit",
            "",
            "",
            &Profile::new(ServiceModel::Saas, Level::One),
        )
    });
    render(
        status,
        &ListPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/services"),
            services,
            can_manage: me.can(Permission::ServicesManage),
            form,
            errors,
        },
    )
}

pub async fn list(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    list_page(&app, &me, None, vec![], StatusCode::OK).await
}

/// A refused service form: the problems, named, and what the user typed
/// (the profile too, when it could be read) to show again.
struct Refused {
    errors: Vec<String>,
    name: String,
    description: String,
    profile: Option<Profile>,
}

fn problem_text(tr: &Tr, p: &ServiceProblem) -> String {
    match p {
        ServiceProblem::Name => tr.t("error-service-name"),
        ServiceProblem::Description => tr.t("error-service-description"),
        ServiceProblem::Profile(_) => tr.t1("catalog-error-param", "param", "fact"),
    }
}

fn parse_form(c: &Catalog, tr: &Tr, pairs: &[(String, String)]) -> Result<ServiceInput, Refused> {
    let (name, description) = (field(pairs, "name"), field(pairs, "description"));
    let mut params = Params::default();
    for (k, v) in pairs
        .iter()
        .filter(|(k, _)| k == "model" || k == "level" || k.starts_with("fact_"))
    {
        params = params.with(k, v.clone());
    }
    let refused = |errors: Vec<String>, profile: Option<Profile>| Refused {
        errors,
        name: name.trim().to_string(),
        description: description.trim().to_string(),
        profile,
    };
    let profile = match form_profile(c, &params) {
        Ok(p) => p,
        Err(e) => {
            let mut errors: Vec<String> = text_problems(&name, &description)
                .iter()
                .map(|p| problem_text(tr, p))
                .collect();
            errors.push(match bad_param(tr, &e) {
                PageError::BadRequest(m) => m,
                other => format!("{other:?}"),
            });
            return Err(refused(errors, None));
        }
    };
    ServiceInput::check(c, &name, &description, profile.clone()).map_err(|problems| {
        refused(
            problems.iter().map(|p| problem_text(tr, p)).collect(),
            Some(profile),
        )
    })
}

/// What a refused service form shows again, as the user typed it.
struct Typed<'a> {
    name: &'a str,
    description: &'a str,
    profile: &'a Profile,
}

impl<'a> Typed<'a> {
    /// A checked input the store then refused, shown back as typed.
    fn of(input: &'a ServiceInput) -> Typed<'a> {
        Typed {
            name: input.name(),
            description: input.description(),
            profile: input.profile(),
        }
    }
}

/// The services list again, its new-service form holding what was typed.
async fn create_refused(
    app: &AppState,
    me: &Signed<Console>,
    typed: &Typed<'_>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let form = ServiceForm::new(
        app.catalog,
        me.visit.lang,
        "/services".into(),
        "service-create-submit",
        typed.name,
        typed.description,
        typed.profile,
    );
    list_page(app, me, Some(form), errors, status).await
}

/// The service page again, its form holding what was typed, still editing
/// `version` (a stale one is moved to the current version by the page).
async fn edit_refused(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    version: i64,
    typed: &Typed<'_>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let mut form = ServiceForm::new(
        app.catalog,
        me.visit.lang,
        format!("/services/{}", id.0),
        "service-save",
        typed.name,
        typed.description,
        typed.profile,
    );
    form.version = Some(version);
    let shown = Shown {
        form: Some(form),
        errors,
        ..Shown::default()
    };
    detail_page(app, me, id, shown, status).await
}

pub async fn create(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::ServicesManage)?;
    let tr = me.tr(&app);
    let input = match parse_form(app.catalog, &tr, &pairs) {
        Ok(input) => input,
        Err(refused) => {
            let default = Profile::new(ServiceModel::Saas, Level::One);
            let typed = Typed {
                name: &refused.name,
                description: &refused.description,
                profile: refused.profile.as_ref().unwrap_or(&default),
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return create_refused(&app, &me, &typed, refused.errors, status).await;
        }
    };
    match declare(&app, &me.staff()?, &input).await {
        Ok(id) => Ok(confirmed(&format!("/services/{}", id.0), Notice::Added)),
        Err(AppError::Refused(r)) => {
            let errors = vec![tr.refusal(&r)];
            create_refused(&app, &me, &Typed::of(&input), errors, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Obligations that became applicable or not with a profile change.
pub struct Change {
    pub became_applicable: Vec<(String, String)>,
    pub became_not_applicable: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "service.html")]
struct DetailPage<'a> {
    chrome: Chrome<'a>,
    id: i64,
    name: String,
    description: String,
    profile: String,
    applicable: usize,
    applicability_href: String,
    sites: Vec<Site>,
    dashboard: crate::pages::dashboard::Dashboard,
    change: Option<Change>,
    can_manage: bool,
    can_sign: bool,
    form: ServiceForm,
    errors: Vec<String>,
    site: SiteForm,
}

/// The add-a-site form: empty (country MA), or refused with what was typed
/// and the problems beside it.
pub struct SiteForm {
    pub name: String,
    pub city: String,
    pub country: String,
    pub errors: Vec<String>,
}

impl Default for SiteForm {
    fn default() -> SiteForm {
        SiteForm {
            name: String::new(),
            city: String::new(),
            country: "MA".into(),
            errors: Vec::new(),
        }
    }
}

/// What the service page shows beside the service: a profile change just
/// saved, or a refused form with its problems.
#[derive(Default)]
struct Shown {
    change: Option<Change>,
    form: Option<ServiceForm>,
    errors: Vec<String>,
    site: SiteForm,
}

async fn detail_page(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, PageError> {
    let Shown {
        change,
        form,
        errors,
        site,
    } = shown;
    let c = app.catalog;
    let (described, stored) = services::with_assessments(app, &me.staff()?, id).await?;
    let Described {
        service: s,
        profile: p,
        applicable,
        sites,
    } = described;
    let l = thiqa_catalog::Lang::from(me.visit.lang);
    let mut href = format!(
        "/catalog/applicability?model={}&level={}",
        p.model.as_str(),
        p.level.number()
    );
    for f in c.facts() {
        let yes = p.facts.get(&f.id).copied().unwrap_or(f.default);
        href.push_str(&format!(
            "&fact_{}={}",
            f.id,
            if yes { "yes" } else { "no" }
        ));
    }
    let mut form = form.unwrap_or_else(|| {
        ServiceForm::new(
            c,
            me.visit.lang,
            format!("/services/{}", id.0),
            "service-save",
            &s.name,
            &s.description,
            &p,
        )
    });
    // A fresh form, or one refused as stale (409), edits the current version.
    if form.version.is_none() || status == StatusCode::CONFLICT {
        form.version = Some(s.version);
    }
    let soon = thiqa_app::time::iso_date(app.store.clock().now_s() + 30 * 86_400);
    let dashboard = crate::pages::dashboard::build(c, me.visit.lang, &applicable, &stored, &soon);
    render(
        status,
        &DetailPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/services"),
            id: id.0,
            profile: p.describe(l),
            applicable: applicable.len(),
            applicability_href: href,
            sites,
            dashboard,
            name: s.name,
            description: s.description,
            change,
            can_manage: me.can(Permission::ServicesManage),
            can_sign: me.can(Permission::AssessmentValidate),
            form,
            errors,
            site,
        },
    )
}

/// The service `id` as saved now, described.
async fn saved(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
) -> Result<Described, PageError> {
    Ok(services::describe_changed(app, &me.staff()?, id).await?)
}

pub async fn detail(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
) -> Result<Response, PageError> {
    read_access(&app, &me, id).await?;
    detail_page(&app, &me, id, Shown::default(), StatusCode::OK).await
}

/// Saves a profile change and shows what it did to applicability. Every
/// newly applicable obligation is flagged: none has an assessment yet (the
/// assessment step of the services issue will narrow this to those without).
pub async fn update(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::ServicesManage)?;
    let tr = me.tr(&app);
    let c = app.catalog;
    let version = edited_version(&tr, &field(&pairs, "version"))?;
    let input = match parse_form(c, &tr, &pairs) {
        Ok(input) => input,
        Err(refused) => {
            // The profile as typed when it could be read, else as saved.
            let profile = match refused.profile {
                Some(p) => p,
                None => saved(&app, &me, id).await?.profile,
            };
            let typed = Typed {
                name: &refused.name,
                description: &refused.description,
                profile: &profile,
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return edit_refused(&app, &me, id, version, &typed, refused.errors, status).await;
        }
    };
    let outcome = match change(&app, &me.staff()?, id, &input, version).await {
        Ok(changed) => Ok(changed),
        Err(AppError::Stale(_)) => {
            // The user's input stays in the form; the values saved
            // meanwhile are named beside it.
            let now = saved(&app, &me, id).await?.service;
            Err(vec![
                tr.t("error-edit-stale"),
                format!(
                    "{}: {} ({}, {} {}) {}",
                    tr.t("edit-current-values"),
                    now.name,
                    now.model,
                    tr.t("service-level"),
                    now.level,
                    now.description
                ),
            ])
        }
        Err(AppError::Refused(r)) => Err(vec![tr.refusal(&r)]),
        Err(e) => return Err(e.into()),
    };
    let changed = match outcome {
        Ok(changed) => changed,
        Err(errors) => {
            let (typed, status) = (Typed::of(&input), StatusCode::CONFLICT);
            return edit_refused(&app, &me, id, version, &typed, errors, status).await;
        }
    };
    let l = thiqa_catalog::Lang::from(me.visit.lang);
    let titled = |ids: Vec<String>| -> Vec<(String, String)> {
        ids.into_iter()
            .map(|i| {
                let title = c
                    .obligation(&i)
                    .map(|o| l.pick(&o.title_fr, &o.title_en).to_string())
                    .unwrap_or_default();
                (i, title)
            })
            .collect()
    };
    let change = Change {
        became_applicable: titled(changed.became_applicable),
        became_not_applicable: titled(changed.became_not_applicable),
    };
    let shown = Shown {
        change: Some(change),
        ..Shown::default()
    };
    detail_page(&app, &me, id, shown, StatusCode::OK).await
}

pub async fn add_site(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::ServicesManage)?;
    let tr = me.tr(&app);
    let (name, city, country) = (
        field(&pairs, "name"),
        field(&pairs, "city"),
        field(&pairs, "country"),
    );
    let site = match SiteInput::check(&name, &city, &country) {
        Ok(site) => site,
        Err(problems) => {
            let errors = problems
                .iter()
                .map(|p| match p {
                    SiteProblem::Fields => tr.t("error-site-fields"),
                    SiteProblem::Country => tr.t("error-site-country"),
                })
                .collect();
            let shown = Shown {
                site: SiteForm {
                    name,
                    city,
                    country,
                    errors,
                },
                ..Shown::default()
            };
            return detail_page(&app, &me, id, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    sites::add_site(&app, &me.staff()?, id, &site).await?;
    Ok(confirmed(&format!("/services/{id}"), Notice::Added))
}

pub async fn remove_site(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, site)): Path<(ServiceId, SiteId)>,
) -> Result<Response, PageError> {
    sites::remove_site(&app, &me.staff()?, id, site).await?;
    Ok(confirmed(&format!("/services/{id}"), Notice::Removed))
}

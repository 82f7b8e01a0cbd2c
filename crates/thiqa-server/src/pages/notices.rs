//! The console's notices to commanditaires: the list with where answers
//! stand, the form of each kind (its fields come from notices/kinds.toml),
//! and one notice with every organisation's answer, the decisions recorded
//! for refused or missing consents, the authority, and its messages.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use thiqa_app::notices::{self, FieldType, NoticeInput, NoticeKind, NoticeProblem, NoticeText};
use thiqa_app::time::format_utc;
use thiqa_app::AppError;
use thiqa_domain::{NoticeId, OrganisationId, Permission};

use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, values, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

/// One notice as listed.
pub struct NoticeRow {
    id: i64,
    title: String,
    kind: String,
    sent: String,
    answer_by: String,
    /// "3 / 5 answered"
    answers: String,
    blocking: i64,
    done: bool,
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage<'a> {
    chrome: Chrome<'a>,
    notices: Vec<NoticeRow>,
    /// (id, title, obligations) of every kind, for "new notice".
    kinds: Vec<(String, String, String)>,
    can_send: bool,
}

fn answers(tr: &Tr, targets: i64, pending: i64) -> String {
    tr.t2(
        "notice-answered",
        ("answered", &(targets - pending).to_string()),
        ("targets", &targets.to_string()),
    )
}

pub async fn list(State(app): State<AppState>, me: Signed<Console>) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let all = notices::list(&app, &staff).await?;
    let tr = me.tr(&app);
    let lang = me.visit.lang.into();
    render(
        StatusCode::OK,
        &NoticesPage {
            notices: all
                .into_iter()
                .map(|s| NoticeRow {
                    id: s.notice.id.0,
                    kind: notices::kind_title(&s.notice.kind, lang),
                    sent: format_utc(s.notice.created_at / 1000),
                    answer_by: format_utc(s.notice.answer_by / 1000),
                    answers: answers(&tr, s.targets, s.pending),
                    blocking: s.blocking,
                    done: s.notice.status == "done",
                    title: s.notice.title,
                })
                .collect(),
            kinds: notices::kinds::all()
                .iter()
                .map(|k| {
                    (
                        k.id.clone(),
                        k.title(lang).to_string(),
                        k.obligations.join(", "),
                    )
                })
                .collect(),
            can_send: staff.can(Permission::OrganisationsManage),
            chrome: Chrome::new::<Console>(&app, &me.visit, "/notices"),
        },
    )
}

/// A field of the form as shown: its input type and what was typed.
pub struct FieldRow {
    name: String,
    label: String,
    /// `text`, `textarea`, `datetime-local` or `date`.
    input: &'static str,
    value: String,
    error: bool,
}

#[derive(Template)]
#[template(path = "notice_form.html")]
struct NoticeFormPage<'a> {
    chrome: Chrome<'a>,
    kind: &'static NoticeKind,
    kind_title: String,
    everyone: bool,
    title: String,
    answer_by: String,
    /// (id, name, chosen)
    services: Vec<(i64, String, bool)>,
    fields: Vec<FieldRow>,
    errors: Vec<String>,
}

#[derive(serde::Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

async fn form_with(
    app: &AppState,
    me: &Signed<Console>,
    kind: &'static NoticeKind,
    typed: &[(String, String)],
    problems: &[NoticeProblem],
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let lang = me.visit.lang.into();
    let chosen: Vec<&str> = values(typed, "service").collect();
    let services = notices::form_services(app, &staff)
        .await?
        .into_iter()
        .filter(|s| kind.models.is_empty() || kind.models.contains(&s.model))
        .map(|s| {
            (
                s.id.0,
                s.name,
                chosen.contains(&s.id.0.to_string().as_str()),
            )
        })
        .collect();
    let fields = kind
        .fields
        .iter()
        .map(|f| FieldRow {
            name: f.name.clone(),
            label: f.label(lang).to_string(),
            input: match f.kind {
                FieldType::Line => "text",
                FieldType::Text => "textarea",
                FieldType::Datetime => "datetime-local",
                FieldType::Date => "date",
            },
            value: field(typed, &format!("f.{}", f.name)),
            error: problems.contains(&NoticeProblem::Field(f.name.clone())),
        })
        .collect();
    render(
        status,
        &NoticeFormPage {
            kind,
            kind_title: kind.title(lang).to_string(),
            everyone: kind.to_everyone(),
            title: field(typed, "title"),
            answer_by: field(typed, "answer_by"),
            services,
            fields,
            errors,
            chrome: Chrome::new::<Console>(app, &me.visit, "/notices"),
        },
    )
}

/// The form of one kind (`?kind=`); without a kind, the list to pick from.
pub async fn new_form(
    State(app): State<AppState>,
    me: Signed<Console>,
    Query(q): Query<KindQuery>,
) -> Result<Response, PageError> {
    me.require(Permission::OrganisationsManage)?;
    match q.kind.as_deref().and_then(notices::kinds::find) {
        Some(kind) => form_with(&app, &me, kind, &[], &[], vec![], StatusCode::OK).await,
        // The kinds are listed on the notices page.
        None => Ok(Redirect::to("/notices").into_response()),
    }
}

fn notice_problem(
    tr: &Tr,
    kind: &NoticeKind,
    lang: thiqa_catalog::Lang,
    p: &NoticeProblem,
) -> String {
    match p {
        NoticeProblem::Kind => tr.t("error-notice-kind"),
        NoticeProblem::Title => tr.t("error-notice-title"),
        NoticeProblem::Services => tr.t("error-notice-services"),
        NoticeProblem::Deadline => tr.t("error-notice-deadline"),
        NoticeProblem::Field(name) => {
            let label = kind
                .fields
                .iter()
                .find(|f| &f.name == name)
                .map_or(name.as_str(), |f| f.label(lang));
            tr.t1("error-notice-field", "field", label)
        }
    }
}

pub async fn send(
    State(app): State<AppState>,
    me: Signed<Console>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::OrganisationsManage)?;
    let tr = me.tr(&app);
    let lang = me.visit.lang.into();
    let kind_id = field(&pairs, "kind");
    let Some(kind) = notices::kinds::find(&kind_id) else {
        return Err(PageError::BadRequest(tr.t("error-notice-kind")));
    };
    let (title, answer_by) = (field(&pairs, "title"), field(&pairs, "answer_by"));
    let text = NoticeText {
        kind: &kind_id,
        title: &title,
        services: values(&pairs, "service").collect(),
        answer_by: &answer_by,
        fields: pairs
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("f.").map(|n| (n, v.as_str())))
            .collect(),
    };
    let input = match NoticeInput::check(&text) {
        Ok(i) => i,
        Err(problems) => {
            let errors = problems
                .iter()
                .map(|p| notice_problem(&tr, kind, lang, p))
                .collect();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return form_with(&app, &me, kind, &pairs, &problems, errors, status).await;
        }
    };
    match notices::send(&app, &me.staff()?, &input).await {
        Ok(sent) => Ok(confirmed(&format!("/notices/{}", sent.id), Notice::Added)),
        Err(AppError::Refused(r)) => {
            let m = tr.refusal(&r);
            form_with(&app, &me, kind, &pairs, &[], vec![m], StatusCode::CONFLICT).await
        }
        // A service of another provider is named like a mistyped one.
        Err(AppError::NotFound) => {
            let m = tr.t("error-notice-services");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            form_with(&app, &me, kind, &pairs, &[], vec![m], status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One organisation's answer as shown.
pub struct TargetRow {
    organisation_id: i64,
    organisation: String,
    state: String,
    /// "by whom, when"
    answered: Option<String>,
    comment: Option<String>,
    /// "decision — by whom, when"
    decision: Option<String>,
    blocks: bool,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage<'a> {
    chrome: Chrome<'a>,
    id: i64,
    title: String,
    kind: String,
    obligations: Vec<String>,
    /// "Consent expected" or "Acknowledgement expected".
    asks: String,
    sent: String,
    answer_by: String,
    done: Option<String>,
    authority: bool,
    authority_informed: Option<String>,
    services: Vec<(i64, String)>,
    fields: Vec<(String, String)>,
    targets: Vec<TargetRow>,
    blocking: usize,
    /// "n sent, m waiting"
    messages: String,
    dead: Vec<thiqa_store::DeadDelivery>,
    can_manage: bool,
    error: Option<String>,
    typed: Typed,
}

/// What was typed in the page's forms, shown again when refused.
#[derive(Default)]
pub struct Typed {
    /// (organisation id, decision)
    decision: Option<(i64, String)>,
    reference: String,
}

impl Typed {
    fn decision_for(&self, org: &i64) -> &str {
        match &self.decision {
            Some((o, text)) if o == org => text,
            _ => "",
        }
    }
}

async fn detail_with(
    app: &AppState,
    me: &Signed<Console>,
    id: NoticeId,
    error: Option<String>,
    typed: Typed,
    status: StatusCode,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let d = notices::view(app, &staff, id).await?;
    let lang = me.visit.lang.into();
    let n = &d.notice;
    let by_when = |who: &Option<String>, at: Option<i64>| {
        at.map(|at| {
            format!(
                "{} — {}",
                who.clone().unwrap_or_default(),
                format_utc(at / 1000)
            )
        })
    };
    let targets: Vec<TargetRow> = d
        .targets
        .iter()
        .map(|t| TargetRow {
            organisation_id: t.organisation_id.0,
            organisation: t.organisation_name.clone(),
            state: t.state.clone(),
            answered: by_when(&t.answered_by, t.answered_at),
            comment: t.comment.clone().filter(|c| !c.is_empty()),
            decision: t.decision.as_ref().map(|dec| {
                format!(
                    "{dec} ({})",
                    by_when(&t.decided_by, t.decided_at).unwrap_or_default()
                )
            }),
            blocks: t.blocks(&n.answer),
        })
        .collect();
    let kind = notices::kinds::find(&n.kind);
    render(
        status,
        &NoticePage {
            id: n.id.0,
            title: n.title.clone(),
            kind: notices::kind_title(&n.kind, lang),
            obligations: kind.map(|k| k.obligations.clone()).unwrap_or_default(),
            asks: me.tr(app).t(&format!("notice-asks-{}", n.answer)),
            sent: format!("{} — {}", n.created_by, format_utc(n.created_at / 1000)),
            answer_by: format_utc(n.answer_by / 1000),
            done: by_when(&n.done_by, n.done_at),
            authority: n.authority,
            authority_informed: n.authority_informed_at.map(|at| {
                format!(
                    "{} — {}",
                    format_utc(at / 1000),
                    n.authority_reference.clone().unwrap_or_default()
                )
            }),
            services: d.services.iter().map(|(i, s)| (i.0, s.clone())).collect(),
            fields: notices::fields_of(n, lang),
            blocking: targets.iter().filter(|t| t.blocks).count(),
            targets,
            messages: me.tr(app).t2(
                "notice-messages-counts",
                ("sent", &d.deliveries.sent.to_string()),
                ("pending", &d.deliveries.pending.to_string()),
            ),
            dead: d.dead,
            can_manage: staff.can(Permission::OrganisationsManage),
            error,
            typed,
            chrome: Chrome::new::<Console>(app, &me.visit, "/notices"),
        },
    )
}

pub async fn detail(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<NoticeId>,
) -> Result<Response, PageError> {
    detail_with(&app, &me, id, None, Typed::default(), StatusCode::OK).await
}

/// Shows a refused change on the notice's page; anything else is an error.
async fn after(
    app: &AppState,
    me: &Signed<Console>,
    id: NoticeId,
    result: Result<(), AppError>,
    typed: Typed,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(confirmed(&format!("/notices/{id}"), Notice::Saved)),
        Err(AppError::Refused(r)) => {
            let m = me.tr(app).refusal(&r);
            detail_with(app, me, id, Some(m), typed, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn decide(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, org)): Path<(NoticeId, OrganisationId)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let decision = field(&pairs, "decision");
    let result = notices::decide(&app, &me.staff()?, id, org, &decision).await;
    let typed = Typed {
        decision: Some((org.0, decision)),
        ..Typed::default()
    };
    after(&app, &me, id, result, typed).await
}

pub async fn mark_done(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<NoticeId>,
) -> Result<Response, PageError> {
    let result = notices::mark_done(&app, &me.staff()?, id).await;
    after(&app, &me, id, result, Typed::default()).await
}

pub async fn authority(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<NoticeId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let reference = field(&pairs, "reference");
    let result = notices::authority_informed(&app, &me.staff()?, id, &reference).await;
    let typed = Typed {
        reference,
        ..Typed::default()
    };
    after(&app, &me, id, result, typed).await
}

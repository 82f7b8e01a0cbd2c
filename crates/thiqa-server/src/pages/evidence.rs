//! Evidence of a service: files streamed to the content-addressed blob store
//! (size-limited, never held whole in memory), URLs and notes; each supports
//! one or more obligations, with a validity date and expiry warnings.

use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::evidence::{self, Content, EvidenceMeta, EvidenceProblem, Validity};
use thiqa_domain::{EvidenceId, Permission, ServiceId};

use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::pages::evidence_files::{receive_file, send};
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;

pub struct Row {
    pub title: String,
    /// The item's page (versions of a file), for files.
    pub versions_href: Option<String>,
    pub version: i64,
    pub href: Option<String>,
    pub detail: Option<String>,
    pub obligations: Vec<String>,
    pub valid_until: String,
    pub validity_key: Option<&'static str>,
    pub added: String,
}

#[derive(Template)]
#[template(path = "evidence.html")]
struct EvidencePage<'a> {
    chrome: Chrome<'a>,
    service_id: i64,
    service_name: String,
    items: Vec<Row>,
    can_edit: bool,
    limit_mb: u64,
    /// What the two forms show: empty (obligations pre-filled from a link),
    /// or the refused one as typed.
    typed: Typed,
    errors: Vec<String>,
}

/// Which form was refused.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Refused {
    Upload,
    LinkOrNote,
}

/// What the user typed in a refused form (a chosen file cannot be kept:
/// the upload form says to choose it again).
#[derive(Default)]
struct Typed {
    refused: Option<Refused>,
    title: String,
    obligations: String,
    valid_until: String,
    url: String,
    note: String,
}

impl Typed {
    fn upload_refused(&self) -> bool {
        self.refused == Some(Refused::Upload)
    }

    fn link_refused(&self) -> bool {
        self.refused == Some(Refused::LinkOrNote)
    }

    /// The obligations pre-filled in a form nobody submitted yet.
    fn fresh(&self) -> bool {
        self.refused.is_none()
    }
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    typed: Typed,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let scope = me.staff()?.service(app, id).await?;
    let list = evidence::of_service(app, &scope).await?;
    let items = list
        .items
        .into_iter()
        .map(|(e, validity)| Row {
            href: match e.kind.as_str() {
                "file" => Some(format!("/services/{}/evidence/{}/download", id.0, e.id)),
                "url" => e.url.clone(),
                _ => None,
            },
            detail: match e.kind.as_str() {
                "file" => Some(format!(
                    "{} · {} · {} o · sha256 {}",
                    e.filename.clone().unwrap_or_default(),
                    e.media_type.clone().unwrap_or_default(),
                    e.size.unwrap_or(0),
                    e.sha256.clone().unwrap_or_default()
                )),
                "note" => e.note.clone(),
                _ => e.url.clone(),
            },
            versions_href: (e.kind == "file")
                .then(|| format!("/services/{}/evidence/{}", id.0, e.id)),
            version: e.version,
            validity_key: match validity {
                Validity::Valid => None,
                Validity::Expiring => Some("evidence-expiring"),
                Validity::Expired => Some("evidence-expired"),
            },
            title: e.title,
            obligations: e.obligations,
            valid_until: e.valid_until,
            added: format!("{} · {}", format_utc(e.created_at), e.created_by),
        })
        .collect();
    render(
        status,
        &EvidencePage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/services"),
            service_id: id.0,
            service_name: list.service_name,
            items,
            can_edit: me.can(Permission::AssessmentEdit),
            limit_mb: app.config.evidence_max_mb,
            typed,
            errors,
        },
    )
}

pub async fn list(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    // `?o=3.6.3.b` pre-fills the obligations (link from an obligation page).
    let prefill = q
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(&q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "o").map(|(_, v)| v))
        .filter(|v| thiqa_catalog::dgssi_cloud_2025().obligation(v).is_some())
        .unwrap_or_default();
    let typed = Typed {
        obligations: prefill,
        ..Typed::default()
    };
    page_with(&app, &me, id, typed, vec![], StatusCode::OK).await
}

/// The message of one problem of either form.
pub fn problem_message(tr: &Tr, p: &EvidenceProblem) -> String {
    match p {
        EvidenceProblem::Title => tr.t("error-evidence-title"),
        EvidenceProblem::NoObligation => tr.t("error-evidence-obligations"),
        EvidenceProblem::UnknownObligation(id) => tr.t1("error-unknown-obligation", "id", id),
        EvidenceProblem::ValidUntil => tr.t("error-review-date"),
        EvidenceProblem::UrlOrNote => tr.t("error-evidence-url-or-note"),
        EvidenceProblem::File => tr.t("error-evidence-file"),
    }
}

/// The item, or every problem of what was typed (meta first, then content).
fn checked(
    app: &AppState,
    typed: &Typed,
    content: Result<Content, EvidenceProblem>,
) -> Result<(EvidenceMeta, Content), Vec<EvidenceProblem>> {
    let meta = EvidenceMeta::check(
        app.catalog,
        &typed.title,
        &typed.obligations,
        &typed.valid_until,
    );
    match (meta, content) {
        (Ok(meta), Ok(content)) => Ok((meta, content)),
        (meta, content) => {
            let mut problems = meta.err().unwrap_or_default();
            problems.extend(content.err());
            Err(problems)
        }
    }
}

/// Adds the item, or shows the refused form again as typed (422).
async fn add_or_refuse(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    typed: Typed,
    content: Result<Content, EvidenceProblem>,
) -> Result<Response, PageError> {
    match checked(app, &typed, content) {
        Ok((meta, content)) => {
            evidence::add(app, &me.staff()?, id, meta, content).await?;
            Ok(confirmed(
                &format!("/services/{}/evidence", id.0),
                Notice::Added,
            ))
        }
        Err(problems) => {
            let tr = me.tr(app);
            let errors = problems.iter().map(|p| problem_message(&tr, p)).collect();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page_with(app, me, id, typed, errors, status).await
        }
    }
}

pub async fn add_link_or_note(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let typed = Typed {
        refused: Some(Refused::LinkOrNote),
        title: field(&pairs, "title"),
        obligations: field(&pairs, "obligations"),
        valid_until: field(&pairs, "valid_until"),
        url: field(&pairs, "url"),
        note: field(&pairs, "note"),
    };
    let content = Content::link_or_note(&typed.url, &typed.note);
    add_or_refuse(&app, &me, id, typed, content).await
}

/// Streams the file to the blob store while hashing it; the record is
/// written only once the whole file is stored.
pub async fn upload(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    evidence::may_add(&app, &me.staff()?, id).await?;
    let tr = me.tr(&app);
    let bad = |m: String| PageError::BadRequest(m);
    let mut typed = Typed {
        refused: Some(Refused::Upload),
        ..Typed::default()
    };
    let mut stored = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            match receive_file(&app, &tr, field).await {
                Ok(file) => stored = Some(file),
                Err(refused) => return Ok(refused),
            }
        } else {
            let text = field.text().await.map_err(|e| bad(e.body_text()))?;
            if text.len() > 10_000 {
                return Err(bad(tr.t1("error-too-long", "field", &name)));
            }
            match name.as_str() {
                "title" => typed.title = text,
                "obligations" => typed.obligations = text,
                "valid_until" => typed.valid_until = text,
                _ => {}
            }
        }
    }
    add_or_refuse(&app, &me, id, typed, Content::file(stored)).await
}

/// Streams the current version's file back with its original name and
/// media type.
pub async fn download(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, eid)): Path<(ServiceId, EvidenceId)>,
) -> Result<Response, PageError> {
    let scope = me.staff()?.service(&app, id).await?;
    send(evidence::open(&app, &scope, eid, None).await?).await
}

//! The self-assessment of a service: every applicable obligation with its
//! status, filters, bulk edit, and one page per obligation with its history.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thiqa_app::assessment::{self, BulkEdit, BulkOutcome, Checked, Entry};
use thiqa_app::AppError;
use thiqa_domain::{AssessmentError, AssessmentInput, AssessmentStatus, Permission, ServiceId};

use crate::auth::visit::Signed;
use crate::i18n::{Lang, Tr};
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{back_to, edited_version, field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;

fn status_key(s: AssessmentStatus) -> &'static str {
    match s {
        AssessmentStatus::NotAssessed => "status-not_assessed",
        AssessmentStatus::Compliant => "status-compliant",
        AssessmentStatus::PartiallyCompliant => "status-partially_compliant",
        AssessmentStatus::NonCompliant => "status-non_compliant",
        AssessmentStatus::NotApplicable => "status-not_applicable",
    }
}

fn statuses(selected: Option<AssessmentStatus>) -> Vec<(&'static str, &'static str, bool)> {
    AssessmentStatus::ALL
        .iter()
        .map(|s| (s.as_str(), status_key(*s), Some(*s) == selected))
        .collect()
}

/// The text in the reader's language.
fn pick(lang: Lang, fr: &str, en: &str) -> String {
    thiqa_catalog::Lang::from(lang).pick(fr, en).to_string()
}

fn error_text(tr: &Tr, e: &AssessmentError) -> String {
    match e {
        AssessmentError::JustificationRequired => tr.t("error-justification-required"),
        AssessmentError::BadDate => tr.t("error-review-date"),
        AssessmentError::TooLong { field, max } => {
            tr.t1("error-too-long", "field", &format!("{field} ({max})"))
        }
    }
}

/// One obligation of the list, borrowed from the catalog and the stored
/// assessments: a fully assessed service has some 250 rows per request.
pub struct Row<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub status: &'static str,
    /// The status in the reader's language, looked up once per status.
    pub status_label: &'a str,
    pub owner: &'a str,
    pub next_review: &'a str,
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct ListPage<'a> {
    chrome: Chrome<'a>,
    service_id: i64,
    service_name: String,
    counts: Vec<(&'static str, String)>,
    chapters: Vec<(String, String, bool)>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    owner_filter: String,
    rows: Vec<Row<'a>>,
    can_edit: bool,
    error: Option<String>,
}

/// Query filters: chapter, status, owner (unknown parameters are refused).
struct Filters {
    chapter: Option<String>,
    status: Option<AssessmentStatus>,
    owner: String,
}

fn filters(tr: &Tr, raw: Option<&str>) -> Result<Filters, PageError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| PageError::BadRequest(tr.t("error-bad-query")))?;
    let mut f = Filters {
        chapter: None,
        status: None,
        owner: String::new(),
    };
    for (k, v) in pairs {
        match k.as_str() {
            _ if v.is_empty() => {}
            "chapter" => f.chapter = Some(v),
            "status" => {
                f.status = Some(AssessmentStatus::parse(&v).ok_or_else(|| {
                    PageError::BadRequest(tr.t1("error-query-param", "param", "status"))
                })?)
            }
            "owner" => f.owner = v.chars().take(120).collect(),
            other => {
                return Err(PageError::BadRequest(tr.t1(
                    "error-query-param",
                    "param",
                    other,
                )))
            }
        }
    }
    Ok(f)
}

async fn list_page(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    raw: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let scope = me.staff()?.service(app, id).await?;
    let tr = me.tr(app);
    let f = filters(&tr, raw)?;
    let c = app.catalog;
    let assessment::Sheet {
        service,
        applicable,
        recorded: stored,
    } = assessment::sheet(app, &scope).await?;
    let lang = me.visit.lang;
    let labels: HashMap<AssessmentStatus, String> = AssessmentStatus::ALL
        .iter()
        .map(|s| (*s, tr.t(status_key(*s))))
        .collect();
    let owner_filter = f.owner.to_lowercase();
    let mut counts: HashMap<AssessmentStatus, usize> = HashMap::new();
    let mut rows = Vec::new();
    for oid in &applicable {
        let a = stored.get(oid);
        let st = a.map(|a| a.status).unwrap_or(AssessmentStatus::NotAssessed);
        *counts.entry(st).or_default() += 1;
        let Some(at) = c.locate(oid) else { continue };
        let chapter = &c.chapters[at.chapter].id;
        let owner = a.map(|a| a.owner.as_str()).unwrap_or_default();
        if f.chapter.as_ref().is_some_and(|ch| ch != chapter)
            || f.status.is_some_and(|s| s != st)
            || (!owner_filter.is_empty() && !owner.to_lowercase().contains(&owner_filter))
        {
            continue;
        }
        let o = c.at(at);
        rows.push(Row {
            id: oid,
            title: thiqa_catalog::Lang::from(lang).pick(&o.title_fr, &o.title_en),
            status: st.as_str(),
            status_label: &labels[&st],
            owner,
            next_review: a.map(|a| a.next_review.as_str()).unwrap_or_default(),
        });
    }
    let compliant = counts
        .get(&AssessmentStatus::Compliant)
        .copied()
        .unwrap_or(0);
    let readiness = if applicable.is_empty() {
        0
    } else {
        compliant * 100 / applicable.len()
    };
    let mut tiles = vec![
        ("assessment-readiness", format!("{readiness} %")),
        ("service-applicable", applicable.len().to_string()),
    ];
    for s in AssessmentStatus::ALL {
        tiles.push((
            status_key(s),
            counts.get(&s).copied().unwrap_or(0).to_string(),
        ));
    }
    render(
        status,
        &ListPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/services"),
            service_id: id.0,
            service_name: service.name,
            counts: tiles,
            chapters: c
                .chapters
                .iter()
                .map(|ch| {
                    (
                        ch.id.clone(),
                        format!("{} {}", ch.id, pick(lang, &ch.title_fr, &ch.title_en)),
                        f.chapter.as_deref() == Some(ch.id.as_str()),
                    )
                })
                .collect(),
            statuses: statuses(f.status),
            owner_filter: f.owner,
            rows,
            can_edit: me.can(Permission::AssessmentEdit),
            error,
        },
    )
}

pub async fn list(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    list_page(&app, &me, id, raw.as_deref(), None, StatusCode::OK).await
}

/// Bulk edit: the same status (and owner, justification) for every checked
/// obligation; statements and review dates already recorded are kept.
pub async fn bulk(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let tr = me.tr(&app);
    let status = AssessmentStatus::parse(&field(&pairs, "status"))
        .ok_or_else(|| PageError::BadRequest(tr.t1("error-query-param", "param", "status")))?;
    let chosen: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "o")
        .map(|(_, v)| v.clone())
        .collect();
    let (owner, justification) = (field(&pairs, "owner"), field(&pairs, "justification"));
    let edit = BulkEdit {
        obligations: &chosen,
        status,
        owner: &owner,
        justification: &justification,
    };
    let refused = |error: String, status| list_page(&app, &me, id, None, Some(error), status);
    match assessment::bulk(&app, &me.staff()?, id, &edit).await {
        // Back to the list as it was filtered.
        Ok(BulkOutcome::Saved(_)) => Ok(confirmed(
            &back_to(&pairs, &format!("/services/{}/assessment", id.0)),
            Notice::Saved,
        )),
        Ok(BulkOutcome::NothingChosen) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            refused(tr.t("error-nothing-selected"), status).await
        }
        Ok(BulkOutcome::UnknownObligation(oid)) => Err(PageError::BadRequest(tr.t1(
            "error-unknown-obligation",
            "id",
            &oid,
        ))),
        Ok(BulkOutcome::Invalid {
            obligation,
            problem,
        }) => {
            let error = format!("{obligation}: {}", error_text(&tr, &problem));
            refused(error, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        // The kept statements and review dates were read by the use case:
        // a save made meanwhile is not overwritten with them, the user is
        // told instead.
        Err(AppError::Stale(r)) => {
            let error = format!("{}. {}", tr.refusal(&r), tr.t("error-edit-stale"));
            refused(error, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "assessment_item.html")]
struct ItemPage<'a> {
    chrome: Chrome<'a>,
    service_id: i64,
    service_name: String,
    obligation_id: String,
    title: String,
    text: String,
    /// (id, text) of each bullet, depth first.
    items: Vec<(String, String)>,
    applicable: bool,
    statuses: Vec<(&'static str, &'static str, bool)>,
    form: AssessmentInput,
    /// The version the form edits, sent back with it.
    version: i64,
    /// After a stale save: the values saved meanwhile (status key, statement,
    /// justification, owner, next review, by, at).
    current: Option<[String; 7]>,
    history: Vec<(String, String, String, String, String)>,
    /// (title, href) of the evidence supporting the obligation.
    evidence: Vec<(String, Option<String>)>,
    can_edit: bool,
    errors: Vec<String>,
}

async fn item_page(
    app: &AppState,
    me: &Signed<Console>,
    entry: Entry,
    oid: &str,
    form: Option<(AssessmentInput, i64)>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let c = app.catalog;
    let o = c.obligation(oid).ok_or(PageError::NotFound)?;
    let lang = me.visit.lang;
    let Entry {
        service,
        applicable,
        recorded: stored,
        history,
        evidence,
    } = entry;
    let tr = me.tr(app);
    // 409: the user's input stays in the form, the current values beside it,
    // and the form now edits the current version.
    let stale = status == StatusCode::CONFLICT;
    let current = stored.as_ref().filter(|_| stale).map(|a| {
        [
            tr.t(status_key(a.status)),
            a.statement.clone(),
            a.justification.clone(),
            a.owner.clone(),
            a.next_review.clone(),
            a.updated_by.clone(),
            format_utc(a.updated_at),
        ]
    });
    let stored_version = stored.as_ref().map(|a| a.version).unwrap_or(0);
    let (form, version) = match form {
        Some((f, v)) => (Some(f), if stale { stored_version } else { v }),
        None => (None, stored_version),
    };
    let form = form.unwrap_or_else(|| AssessmentInput {
        status: stored
            .as_ref()
            .map(|a| a.status)
            .unwrap_or(AssessmentStatus::NotAssessed),
        statement: stored
            .as_ref()
            .map(|a| a.statement.clone())
            .unwrap_or_default(),
        justification: stored
            .as_ref()
            .map(|a| a.justification.clone())
            .unwrap_or_default(),
        owner: stored.as_ref().map(|a| a.owner.clone()).unwrap_or_default(),
        next_review: stored
            .as_ref()
            .map(|a| a.next_review.clone())
            .unwrap_or_default(),
    });
    let history = history
        .into_iter()
        .map(|h| {
            (
                format_utc(h.changed_at),
                h.changed_by,
                h.field,
                h.old_value,
                h.new_value,
            )
        })
        .collect();
    let evidence = evidence
        .into_iter()
        .map(|e| {
            let href = match e.kind.as_str() {
                "file" => Some(format!(
                    "/services/{}/evidence/{}/download",
                    service.id.0, e.id
                )),
                "url" => e.url.clone(),
                _ => None,
            };
            (e.title, href)
        })
        .collect();
    render(
        status,
        &ItemPage {
            evidence,
            chrome: Chrome::new::<Console>(app, &me.visit, "/services"),
            service_id: service.id.0,
            obligation_id: oid.to_string(),
            title: pick(lang, &o.title_fr, &o.title_en),
            text: pick(lang, &o.text_fr, &o.text_en),
            items: o
                .all_items()
                .iter()
                .map(|i| (i.id.clone(), pick(lang, &i.text_fr, &i.text_en)))
                .collect(),
            applicable,
            service_name: service.name,
            statuses: statuses(Some(form.status)),
            form,
            version,
            current,
            history,
            can_edit: me.can(Permission::AssessmentEdit),
            errors,
        },
    )
}

pub async fn item(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, oid)): Path<(ServiceId, String)>,
) -> Result<Response, PageError> {
    let scope = me.staff()?.service(&app, id).await?;
    let entry = assessment::entry(&app, &scope, &oid).await?;
    item_page(&app, &me, entry, &oid, None, vec![], StatusCode::OK).await
}

pub async fn save(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, oid)): Path<(ServiceId, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let staff = me.staff()?;
    let service = id;
    let tr = me.tr(&app);
    let status = AssessmentStatus::parse(&field(&pairs, "status"))
        .ok_or_else(|| PageError::BadRequest(tr.t1("error-query-param", "param", "status")))?;
    let version = edited_version(&tr, &field(&pairs, "version"))?;
    let input = AssessmentInput {
        status,
        statement: field(&pairs, "statement"),
        justification: field(&pairs, "justification"),
        owner: field(&pairs, "owner"),
        next_review: field(&pairs, "next_review"),
    };
    let (error, status) = match Checked::check(input.clone()) {
        Ok(checked) => {
            match assessment::save(&app, &staff, service, &oid, checked, version).await {
                Ok(()) => return Ok(confirmed(&format!("/services/{id}/o/{oid}"), Notice::Saved)),
                Err(AppError::Stale(_)) => (tr.t("error-edit-stale"), StatusCode::CONFLICT),
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => (error_text(&tr, &e), StatusCode::UNPROCESSABLE_ENTITY),
    };
    // The form again as typed, beside what is recorded now.
    let scope = staff.service(&app, service).await?;
    let entry = assessment::entry(&app, &scope, &oid).await?;
    item_page(
        &app,
        &me,
        entry,
        &oid,
        Some((input, version)),
        vec![error],
        status,
    )
    .await
}

#[derive(Template)]
#[template(path = "import_report.html")]
struct ImportReport<'a> {
    chrome: Chrome<'a>,
    service_id: ServiceId,
    service_name: String,
    imported: usize,
    problems: Vec<(usize, String)>,
}

/// Largest spreadsheet accepted for import.
pub const IMPORT_LIMIT: usize = 20 * 1024 * 1024;

/// Imports a self-assessment from XLSX or CSV: every row checked first,
/// all saved in one transaction, or none with a report of every bad row.
pub async fn import(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let staff = me.staff()?;
    let tr = me.tr(&app);
    // Over IMPORT_LIMIT: 413 naming it; any other broken body: 400.
    let refused = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let mb = (IMPORT_LIMIT >> 20).to_string();
            PageError::BadRequest(tr.t1("error-import-too-large", "mb", &mb))
                .into_response_with(StatusCode::PAYLOAD_TOO_LARGE)
        } else {
            PageError::BadRequest(e.body_text()).into_response()
        }
    };
    let mut file: Option<(String, bytes::Bytes)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Ok(refused(e)),
        };
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_lowercase();
            match field.bytes().await {
                Ok(bytes) => file = Some((name, bytes)),
                Err(e) => return Ok(refused(e)),
            }
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(PageError::BadRequest(tr.t("error-evidence-file")));
    };
    let is_xlsx = name.ends_with(".xlsx") || bytes.starts_with(b"PK");
    let imported = assessment::import(&app, &staff, id, bytes, is_xlsx).await?;
    let (count, problems, status) = match imported.outcome {
        thiqa_export::import::ImportOutcome::Accepted(items) => {
            (items.len(), vec![], StatusCode::OK)
        }
        thiqa_export::import::ImportOutcome::Rejected(p) => (
            0,
            p.into_iter().map(|p| (p.row, p.message)).collect(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    render(
        status,
        &ImportReport {
            chrome: Chrome::new::<Console>(&app, &me.visit, "/services"),
            service_id: id,
            service_name: imported.service_name,
            imported: count,
            problems,
        },
    )
}

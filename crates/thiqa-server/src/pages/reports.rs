//! The statement of applicability of a service: every obligation, whether it
//! applies and why, its status, statement and evidence — printable HTML,
//! PDF, XLSX (summary + one sheet per chapter) and CSV — and the service's
//! OSCAL documents (SSP, assessment results, POA&M). Every export is
//! journaled.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use thiqa_catalog::Subject;
use thiqa_domain::{Permission, ServiceId};
use thiqa_export::SoaRow;
use thiqa_store::NewEvent;

use crate::auth::login::format_utc;
use crate::auth::realm::Console;
use crate::auth::visit::Signed;
use crate::i18n::Lang;
use crate::pages::service_access::read_access;
use crate::pages::services::profile_of;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::ok;

async fn rows(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
) -> Result<(String, String, Vec<SoaRow>), PageError> {
    let (provider, _) = read_access(app, me, id).await?;
    soa_rows(app, provider, id, me.visit.lang).await
}

/// The statement's rows, in the référentiel's order: (service name,
/// profile in words, rows). Also used by `thiqa dossier build`.
pub async fn soa_rows(
    app: &AppState,
    provider: thiqa_domain::ProviderId,
    id: ServiceId,
    lang: Lang,
) -> Result<(String, String, Vec<SoaRow>), PageError> {
    let c = app.catalog;
    let service = app.store.service(provider, id).await?;
    let profile = profile_of(c, &service)?;
    let l = thiqa_catalog::Lang::from(lang);
    let stored: HashMap<String, thiqa_store::Assessment> = app
        .store
        .assessments(provider, id)
        .await?
        .into_iter()
        .map(|a| (a.obligation_id.clone(), a))
        .collect();
    let mut evidence: HashMap<String, Vec<String>> = HashMap::new();
    for e in app.store.evidence(provider, id, None).await? {
        let label = match (&e.kind[..], &e.sha256) {
            ("file", Some(sha)) => format!("{} (sha256 {})", e.title, &sha[..12]),
            _ => e.title.clone(),
        };
        for o in e.obligations {
            evidence.entry(o).or_default().push(label.clone());
        }
    }
    let decisions = c.applicability(&profile);
    let mut out = Vec::new();
    for d in decisions
        .iter()
        .filter(|d| matches!(d.subject, Subject::Obligation))
    {
        let Some(at) = c.locate(&d.id) else { continue };
        let o = c.at(at);
        let a = stored.get(&d.id);
        out.push(SoaRow {
            chapter: c.chapters[at.chapter].id.clone(),
            id: d.id.clone(),
            title: l.pick(&o.title_fr, &o.title_en).to_string(),
            applicable: d.applicable,
            reason: d.explain(l, c),
            status: a
                .map(|a| a.status.as_str())
                .unwrap_or("not_assessed")
                .to_string(),
            statement: a.map(|a| a.statement.clone()).unwrap_or_default(),
            justification: a.map(|a| a.justification.clone()).unwrap_or_default(),
            owner: a.map(|a| a.owner.clone()).unwrap_or_default(),
            next_review: a.map(|a| a.next_review.clone()).unwrap_or_default(),
            evidence: evidence
                .get(&d.id)
                .map(|v| v.join("; "))
                .unwrap_or_default(),
        });
    }
    Ok((service.name, profile.describe(l), out))
}

async fn journal(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    format: &str,
) -> Result<(), PageError> {
    app.store
        .record_event(
            &me.actor(),
            NewEvent::success("report.export")
                .target(format!("service:{}", id.0))
                .tenant(me.tenant())
                .details(format!("statement of applicability, {format}")),
        )
        .await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "soa.html")]
struct SoaPage<'a> {
    chrome: Chrome<'a>,
    service_id: i64,
    service_name: String,
    profile: String,
    catalog_label: String,
    generated: String,
    rows: Vec<SoaRow>,
}

pub async fn html(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let id = ServiceId(id);
    let (name, profile, mut rows) = rows(&app, &me, id).await?;
    // People read words; the CSV and XLSX keep the stable codes.
    let tr = me.tr(&app);
    for r in &mut rows {
        r.status = tr.t(&format!("status-{}", r.status));
    }
    journal(&app, &me, id, "html").await?;
    ok(&SoaPage {
        chrome: Chrome::new::<Console>(&app, &me.visit, "/services"),
        service_id: id.0,
        service_name: name,
        profile,
        catalog_label: format!("{} {}", app.catalog.id(), app.catalog.version()),
        generated: format_utc(app.store.clock().now_s()),
        rows,
    })
}

fn attachment(name: &str, ext: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("attachment; filename=\"soa-{safe}.{ext}\"")
}

pub async fn csv(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let id = ServiceId(id);
    let (name, _, rows) = rows(&app, &me, id).await?;
    let mut out = Vec::new();
    thiqa_export::soa_csv(&rows, &mut out).map_err(|e| PageError::Internal(e.to_string()))?;
    journal(&app, &me, id, "csv").await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (CONTENT_DISPOSITION, attachment(&name, "csv")),
        ],
        out,
    )
        .into_response())
}

pub async fn xlsx(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let id = ServiceId(id);
    let (name, _, rows) = rows(&app, &me, id).await?;
    let chapters = chapters(&app, me.visit.lang);
    let service_name = name.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        thiqa_export::soa_xlsx(&service_name, &chapters, &rows)
    })
    .await
    .map_err(|e| PageError::Internal(e.to_string()))?
    .map_err(|e| PageError::Internal(e.to_string()))?;
    journal(&app, &me, id, "xlsx").await?;
    Ok((
        [
            (
                CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (CONTENT_DISPOSITION, attachment(&name, "xlsx")),
        ],
        bytes,
    )
        .into_response())
}

/// The chapters as (id, title) in the visitor's language.
pub fn chapters(app: &AppState, lang: Lang) -> Vec<(String, String)> {
    let l = thiqa_catalog::Lang::from(lang);
    app.catalog
        .chapters
        .iter()
        .map(|c| (c.id.clone(), l.pick(&c.title_fr, &c.title_en).to_string()))
        .collect()
}

/// The statement's rows as a PDF, built by Thiqa itself (no external
/// service); the rows come from [`soa_rows`], read once by the caller.
pub async fn soa_pdf_bytes(
    app: &AppState,
    provider: thiqa_domain::ProviderId,
    service_name: &str,
    rows: Vec<SoaRow>,
    lang: Lang,
) -> Result<Vec<u8>, PageError> {
    let header = thiqa_export::SoaPdfHeader {
        service: service_name.to_string(),
        provider: app.store.provider_name(provider).await?,
        catalog_version: format!("{} {}", app.catalog.id(), app.catalog.version()),
        generated_at: crate::auth::login::rfc3339(app.store.clock().now_s()),
        labels: match lang {
            Lang::Fr => thiqa_export::SoaPdfLabels::french(),
            Lang::En => thiqa_export::SoaPdfLabels::english(),
        },
    };
    let chapters = chapters(app, lang);
    tokio::task::spawn_blocking(move || thiqa_export::soa_pdf(&header, &chapters, &rows))
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?
        .map_err(|e| PageError::Internal(e.to_string()))
}

pub async fn pdf(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let id = ServiceId(id);
    let (provider, _) = read_access(&app, &me, id).await?;
    let (name, _, rows) = soa_rows(&app, provider, id, me.visit.lang).await?;
    let bytes = soa_pdf_bytes(&app, provider, &name, rows, me.visit.lang).await?;
    journal(&app, &me, id, "pdf").await?;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (CONTENT_DISPOSITION, attachment(&name, "pdf")),
        ],
        bytes,
    )
        .into_response())
}

/// One of the service's OSCAL documents, by its file name.
pub async fn oscal(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, file)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let id = ServiceId(id);
    let (provider, _) = read_access(&app, &me, id).await?;
    let docs = crate::oscal_docs::build(&app, provider, id).await?;
    let Some((name, doc)) = docs.files().into_iter().find(|(n, _)| *n == file) else {
        return Err(PageError::NotFound);
    };
    let body = serde_json::to_vec_pretty(doc).map_err(|e| PageError::Internal(e.to_string()))?;
    journal(&app, &me, id, &format!("OSCAL {name}")).await?;
    Ok((
        [
            (CONTENT_TYPE, "application/json".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The dossier button: builds the signed dossier and streams it. Signing in
/// the provider's name is the RSSI's act (assessment.validate).
pub async fn dossier(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentValidate)?;
    let provider = me.provider()?;
    let service = app.store.service(provider, ServiceId(id)).await?;
    let dir = app.config.data_dir.join("dossiers");
    std::fs::create_dir_all(&dir).map_err(|e| PageError::Internal(e.to_string()))?;
    let path = dir.join(format!("{}-{}.zip", id, app.store.clock().now_ms()));
    crate::dossier::build(&app, provider, ServiceId(id), &path, &me.actor())
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    // The open handle keeps the data; the name goes at once (Unix).
    let _ = std::fs::remove_file(&path);
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (CONTENT_TYPE, "application/zip".to_string()),
            (
                CONTENT_DISPOSITION,
                attachment(&service.name, "zip").replace("soa-", "dossier-"),
            ),
        ],
        body,
    )
        .into_response())
}

/// The public key that signs dossiers (hex), for whoever verifies them.
pub async fn dossier_key(
    State(app): State<AppState>,
    me: Signed<Console>,
) -> Result<Response, PageError> {
    me.require(Permission::ServicesRead)?;
    // A read never creates the key (a new one signed nothing): none
    // until the first dossier is built.
    let key = app
        .dossier_key(false)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?
        .ok_or(PageError::NotFound)?;
    Ok((
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        crate::dossier::hex(key.verifying_key().as_bytes()) + "\n",
    )
        .into_response())
}

//! The statement of applicability of a service: every obligation, whether
//! it applies and why, its status, statement and evidence, in the
//! référentiel's order; as rows for a page, CSV, XLSX or PDF. Every export
//! is journaled (`report.export`).

use std::collections::HashMap;

use thiqa_catalog::{Catalog, Lang, Subject};
use thiqa_domain::ServiceId;
use thiqa_export::SoaRow;
use thiqa_store::{NewEvent, Site};

use crate::services::profile_of;
use crate::time::rfc3339;
use crate::{App, AppError, ServiceScope};

/// A service's statement, read once.
pub struct Statement {
    pub service_name: String,
    /// The profile in words ("IaaS, niveau 2, …").
    pub profile: String,
    pub rows: Vec<SoaRow>,
}

/// The forms a statement is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoaFormat {
    /// The printable page (rendered by the web edge).
    Html,
    Csv,
    Xlsx,
    Pdf,
}

impl SoaFormat {
    fn journal_name(self) -> &'static str {
        match self {
            SoaFormat::Html => "html",
            SoaFormat::Csv => "csv",
            SoaFormat::Xlsx => "xlsx",
            SoaFormat::Pdf => "pdf",
        }
    }
}

/// An exported statement: its rows, and its bytes unless it is the page.
pub struct SoaExport {
    pub statement: Statement,
    pub bytes: Option<Vec<u8>>,
}

/// Exports the statement of the scope's service in `format`, in `lang`, and
/// journals the export.
pub async fn export(
    app: &App,
    scope: &ServiceScope,
    format: SoaFormat,
    lang: Lang,
) -> Result<SoaExport, AppError> {
    let statement = statement(app, scope.provider(), scope.service(), lang).await?;
    let bytes = match format {
        SoaFormat::Html => None,
        SoaFormat::Csv => Some(csv(&statement)?),
        SoaFormat::Xlsx => Some(xlsx(app, &statement, lang).await?),
        SoaFormat::Pdf => Some(pdf(app, scope.provider(), &statement, lang).await?),
    };
    journal_export(app, scope, format.journal_name()).await?;
    Ok(SoaExport { statement, bytes })
}

/// Journals an export of the scope's service (`report.export`), in one
/// form for every format so the journal reads the same whatever was taken.
pub(crate) async fn journal_export(
    app: &App,
    scope: &ServiceScope,
    form: &str,
) -> Result<(), AppError> {
    app.store
        .record_event(
            scope.actor(),
            NewEvent::success("report.export")
                .target(format!("service:{}", scope.service().0))
                .tenant(scope.tenant())
                .details(format!("statement of applicability, {form}")),
        )
        .await?;
    Ok(())
}

/// The statement's rows, in the référentiel's order.
pub(crate) async fn statement(
    app: &App,
    provider: thiqa_domain::ProviderId,
    id: ServiceId,
    lang: Lang,
) -> Result<Statement, AppError> {
    let c = app.catalog;
    let service = app.store.provider(provider).service(id).await?;
    let profile = profile_of(c, &service)?;
    let stored = app.store.provider(provider).assessments(id).await?;
    let mut evidence: HashMap<String, Vec<String>> = HashMap::new();
    for e in app.store.provider(provider).evidence(id, None).await? {
        let label = match (&e.kind[..], &e.sha256) {
            ("file", Some(sha)) => format!("{} (sha256 {})", e.title, &sha[..12]),
            _ => e.title.clone(),
        };
        for o in e.obligations {
            evidence.entry(o).or_default().push(label.clone());
        }
    }
    for (obligation, label) in contract_evidence(app, provider, id).await? {
        evidence.entry(obligation).or_default().push(label);
    }
    for (obligation, label) in notice_evidence(app, provider, id, lang).await? {
        evidence.entry(obligation).or_default().push(label);
    }
    let mut rows = Vec::new();
    for d in c
        .applicability(&profile)
        .iter()
        .filter(|d| matches!(d.subject, Subject::Obligation))
    {
        let Some(at) = c.locate(&d.id) else { continue };
        let o = c.at(at);
        let a = stored.get(&d.id);
        rows.push(SoaRow {
            chapter: c.chapters[at.chapter].id.clone(),
            id: d.id.clone(),
            title: lang.pick(&o.title_fr, &o.title_en).to_string(),
            applicable: d.applicable,
            reason: d.explain(lang, c),
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
    Ok(Statement {
        service_name: service.name,
        profile: profile.describe(lang),
        rows,
    })
}

/// What the service's contracts prove (3.15.1, 3.15.2), as (obligation,
/// label): each clause an agreement is recorded to hold, under the
/// obligation it answers ("CONV-1 · Banque · 3.15.1.c.3 article 4"), and
/// each contract's sites under the data-location obligation.
async fn contract_evidence(
    app: &App,
    provider: thiqa_domain::ProviderId,
    service: ServiceId,
) -> Result<Vec<(String, String)>, AppError> {
    let scope = app.store.provider(provider);
    let mut out = Vec::new();
    for c in scope.contracts(Some(service)).await? {
        let detail = scope.contract(c.id).await?;
        let who = format!("{} · {}", c.reference, c.organisation_name);
        for clause in detail.clauses.iter().filter(|r| r.present) {
            // An item (3.15.1.c.3) proves its obligation (3.15.1.c).
            let obligation = clause
                .clause_id
                .split('.')
                .take(4)
                .collect::<Vec<_>>()
                .join(".");
            let label = format!("{who} · {} {}", clause.clause_id, clause.reference);
            out.push((obligation, label.trim_end().to_string()));
        }
        if !detail.sites.is_empty() {
            let sites: Vec<String> = detail.sites.iter().map(Site::label).collect();
            out.push((
                DATA_LOCATION.to_string(),
                format!("{who} · {}", sites.join(" ; ")),
            ));
        }
    }
    Ok(out)
}

/// What the notices about the service prove (3.8.2, 3.11.1, 3.15.2…), as
/// (obligation, label): each notice under the obligations its kind serves
/// ("Avis 7 · Maintenance · 2026-12-07 · 12 commanditaire(s), 10 réponse(s)").
async fn notice_evidence(
    app: &App,
    provider: thiqa_domain::ProviderId,
    service: ServiceId,
    lang: Lang,
) -> Result<Vec<(String, String)>, AppError> {
    let mut out = Vec::new();
    for s in app.store.provider(provider).notices_about(service).await? {
        let Some(kind) = crate::notices::kinds::find(&s.notice.kind) else {
            continue;
        };
        let label = format!(
            "{} {} · {} · {} · {} → {}/{}",
            lang.pick("Avis", "Notice"),
            s.notice.id,
            s.notice.title,
            crate::time::iso_date(s.notice.created_at / 1000),
            kind.title(lang),
            s.targets - s.pending,
            s.targets,
        );
        for obligation in &kind.obligations {
            out.push((obligation.clone(), label.clone()));
        }
    }
    Ok(out)
}

/// The obligation to document and tell each customer where its data lives.
const DATA_LOCATION: &str = "3.15.2.a";

/// The chapters as (id, title) in `lang`.
pub fn chapters(c: &Catalog, lang: Lang) -> Vec<(String, String)> {
    c.chapters
        .iter()
        .map(|ch| {
            (
                ch.id.clone(),
                lang.pick(&ch.title_fr, &ch.title_en).to_string(),
            )
        })
        .collect()
}

pub(crate) fn csv(statement: &Statement) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    thiqa_export::soa_csv(&statement.rows, &mut out)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(out)
}

/// The spreadsheet (summary + one sheet per chapter), built off the async
/// runtime.
pub(crate) async fn xlsx(
    app: &App,
    statement: &Statement,
    lang: Lang,
) -> Result<Vec<u8>, AppError> {
    let chapters = chapters(app.catalog, lang);
    let (name, rows) = (statement.service_name.clone(), statement.rows.clone());
    tokio::task::spawn_blocking(move || thiqa_export::soa_xlsx(&name, &chapters, &rows))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// The PDF, written by Thiqa itself (no external service), off the async
/// runtime.
pub(crate) async fn pdf(
    app: &App,
    provider: thiqa_domain::ProviderId,
    statement: &Statement,
    lang: Lang,
) -> Result<Vec<u8>, AppError> {
    let header = thiqa_export::SoaPdfHeader {
        service: statement.service_name.clone(),
        provider: app.store.provider(provider).name().await?,
        catalog_version: format!("{} {}", app.catalog.id(), app.catalog.version()),
        generated_at: rfc3339(app.store.clock().now_s()),
        labels: match lang {
            Lang::Fr => thiqa_export::SoaPdfLabels::french(),
            Lang::En => thiqa_export::SoaPdfLabels::english(),
        },
    };
    let chapters = chapters(app.catalog, lang);
    let rows = statement.rows.clone();
    tokio::task::spawn_blocking(move || thiqa_export::soa_pdf(&header, &chapters, &rows))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))
}

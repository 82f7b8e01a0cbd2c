//! The statement of applicability of a service: every obligation, whether it
//! applies and why, its status, statement and evidence — printable HTML,
//! PDF, XLSX (summary + one sheet per chapter) and CSV — and the service's
//! OSCAL documents (SSP, assessment results, POA&M). Every export is
//! journaled.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use thiqa_app::soa::{self, SoaExport, SoaFormat};
use thiqa_app::time::format_utc;
use thiqa_domain::{Permission, ServiceId};
use thiqa_export::SoaRow;

use crate::auth::visit::Signed;
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::ok;

/// The statement of the signed reader's service in `format`, journaled.
async fn export(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    format: SoaFormat,
) -> Result<SoaExport, PageError> {
    let scope = me.staff()?.service(app, id).await?;
    Ok(soa::export(app, &scope, format, me.visit.lang.into()).await?)
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
    Path(id): Path<ServiceId>,
) -> Result<Response, PageError> {
    let mut statement = export(&app, &me, id, SoaFormat::Html).await?.statement;
    // People read words; the CSV and XLSX keep the stable codes.
    let tr = me.tr(&app);
    for r in &mut statement.rows {
        r.status = tr.t(&format!("status-{}", r.status));
    }
    ok(&SoaPage {
        chrome: Chrome::new::<Console>(&app, &me.visit, "/services"),
        service_id: id.0,
        service_name: statement.service_name,
        profile: statement.profile,
        catalog_label: format!("{} {}", app.catalog.id(), app.catalog.version()),
        generated: format_utc(app.store.clock().now_s()),
        rows: statement.rows,
    })
}

fn attachment(name: &str, ext: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("attachment; filename=\"soa-{safe}.{ext}\"")
}

/// A download of the statement: its bytes under the service's name.
async fn download(
    app: AppState,
    me: Signed<Console>,
    id: ServiceId,
    format: SoaFormat,
    (ext, content_type): (&str, &str),
) -> Result<Response, PageError> {
    let done = export(&app, &me, id, format).await?;
    let bytes = done
        .bytes
        .ok_or_else(|| PageError::Internal("an export without bytes".into()))?;
    Ok((
        [
            (CONTENT_TYPE, content_type.to_string()),
            (
                CONTENT_DISPOSITION,
                attachment(&done.statement.service_name, ext),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn csv(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
) -> Result<Response, PageError> {
    download(
        app,
        me,
        id,
        SoaFormat::Csv,
        ("csv", "text/csv; charset=utf-8"),
    )
    .await
}

pub async fn xlsx(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
) -> Result<Response, PageError> {
    let sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    download(app, me, id, SoaFormat::Xlsx, ("xlsx", sheet)).await
}

pub async fn pdf(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<ServiceId>,
) -> Result<Response, PageError> {
    download(app, me, id, SoaFormat::Pdf, ("pdf", "application/pdf")).await
}

/// One of the service's OSCAL documents, by its file name.
pub async fn oscal(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, file)): Path<(ServiceId, String)>,
) -> Result<Response, PageError> {
    let scope = me.staff()?.service(&app, id).await?;
    let (name, body) = thiqa_app::oscal::export(&app, &scope, &file)
        .await?
        .ok_or(PageError::NotFound)?;
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
    Path(id): Path<ServiceId>,
) -> Result<Response, PageError> {
    let signer = me.staff()?.dossier_signer()?;
    let dir = app.config.data_dir.join("dossiers");
    std::fs::create_dir_all(&dir).map_err(|e| PageError::Internal(e.to_string()))?;
    let path = dir.join(format!("{}-{}.zip", id, app.store.clock().now_ms()));
    let built = thiqa_app::dossier::build(&app, &signer, id, &path).await?;
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
                attachment(&built.service_name, "zip").replace("soa-", "dossier-"),
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
    let key = app.dossier_public_key().await?.ok_or(PageError::NotFound)?;
    Ok((
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        thiqa_domain::text::hex(&key) + "\n",
    )
        .into_response())
}

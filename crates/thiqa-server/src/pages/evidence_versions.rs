//! One evidence item and its versions: the history of its files (who added
//! which file when, each downloadable) and, for editors, the form that adds
//! a new version (a renewed certificate, next year's report) while the
//! item's links to obligations stay.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::evidence::{self, check_valid_until, Content};
use thiqa_app::AppError;
use thiqa_domain::{EvidenceId, Permission, ServiceId};
use thiqa_store::{Evidence, EvidenceVersion};

use crate::auth::visit::Signed;
use crate::pages::evidence::problem_message;
use crate::pages::evidence_files::{receive_file, send};
use crate::realm::Console;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::edited_version;
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;

pub struct VersionRow {
    pub version: i64,
    pub href: String,
    pub detail: String,
    pub valid_until: String,
    pub added: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "evidence_item.html")]
struct ItemPage<'a> {
    chrome: Chrome<'a>,
    service_id: i64,
    service_name: String,
    item: Evidence,
    versions: Vec<VersionRow>,
    can_edit: bool,
    limit_mb: u64,
    errors: Vec<String>,
}

fn row(service: i64, item: &Evidence, v: EvidenceVersion) -> VersionRow {
    VersionRow {
        href: format!(
            "/services/{service}/evidence/{}/versions/{}/download",
            item.id, v.version
        ),
        detail: format!(
            "{} · {} · {} o · sha256 {}",
            v.filename, v.media_type, v.size, v.sha256
        ),
        current: v.version == item.version,
        version: v.version,
        valid_until: v.valid_until,
        added: format!("{} · {}", format_utc(v.created_at), v.created_by),
    }
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    eid: EvidenceId,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let scope = me.staff()?.service(app, id).await?;
    let history = evidence::history(app, &scope, eid).await?;
    let item = history.item;
    let versions = history
        .versions
        .into_iter()
        .map(|v| row(id.0, &item, v))
        .collect();
    render(
        status,
        &ItemPage {
            chrome: Chrome::new::<Console>(app, &me.visit, "/services"),
            service_id: id.0,
            service_name: history.service_name,
            can_edit: me.can(Permission::AssessmentEdit) && item.kind == "file",
            item,
            versions,
            limit_mb: app.config.evidence_max_mb,
            errors,
        },
    )
}

/// `GET /services/{id}/evidence/{eid}`.
pub async fn item(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, eid)): Path<(ServiceId, EvidenceId)>,
) -> Result<Response, PageError> {
    page_with(&app, &me, id, eid, vec![], StatusCode::OK).await
}

/// `POST /services/{id}/evidence/{eid}/versions` (multipart: `file`,
/// `valid_until`): the file becomes the item's current version.
pub async fn add_version(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, eid)): Path<(ServiceId, EvidenceId)>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let staff = me.staff()?;
    let item = evidence::editable_item(&app, &staff, id, eid).await?;
    let tr = me.tr(&app);
    if item.kind != "file" {
        return Err(PageError::BadRequest(tr.t("error-evidence-version-kind")));
    }
    let (mut stored, mut valid_until) = (None, String::new());
    // The version the uploader saw as current (older forms send none).
    let mut replacing = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| PageError::BadRequest(e.body_text()))?
    {
        match field.name().unwrap_or("") {
            "file" => match receive_file(&app, &tr, field).await {
                Ok(file) => stored = Some(file),
                Err(refused) => return Ok(refused),
            },
            "replacing" => {
                let raw = field
                    .text()
                    .await
                    .map_err(|e| PageError::BadRequest(e.body_text()))?;
                let seen = edited_version(&tr, &raw)?;
                // The form sends this before the file: a stale upload is
                // refused before its bytes are received (the store checks
                // again at commit, for uploads racing each other).
                if seen != item.version {
                    return stale_version(&app, &me, id, eid).await;
                }
                replacing = Some(seen);
            }
            "valid_until" => {
                valid_until = field
                    .text()
                    .await
                    .map_err(|e| PageError::BadRequest(e.body_text()))?
                    .trim()
                    .to_string();
            }
            _ => {}
        }
    }
    let checked = (check_valid_until(&valid_until), Content::file(stored));
    let (valid_until, file) = match checked {
        (Ok(v), Ok(Content::File(file))) => (v, file),
        (v, f) => {
            let tr = me.tr(&app);
            let errors = [v.err(), f.err()]
                .iter()
                .flatten()
                .map(|p| problem_message(&tr, p))
                .collect();
            return page_with(&app, &me, id, eid, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match evidence::add_version(&app, &staff, id, eid, file, valid_until, replacing).await {
        Ok(_) => Ok(confirmed(
            &format!("/services/{}/evidence/{eid}", id.0),
            Notice::Added,
        )),
        // The page shows the version added meanwhile; the uploader decides
        // whether theirs still replaces it.
        Err(AppError::Stale(_)) => stale_version(&app, &me, id, eid).await,
        Err(e) => Err(e.into()),
    }
}

/// Someone added a version since the uploader's page was loaded: the page
/// again, with that version and the refusal.
async fn stale_version(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    eid: EvidenceId,
) -> Result<Response, PageError> {
    let error = me.tr(app).t("error-evidence-version-stale");
    page_with(app, me, id, eid, vec![error], StatusCode::CONFLICT).await
}

/// `GET /services/{id}/evidence/{eid}/versions/{version}/download`.
pub async fn download_version(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, eid, version)): Path<(ServiceId, EvidenceId, i64)>,
) -> Result<Response, PageError> {
    let scope = me.staff()?.service(&app, id).await?;
    send(evidence::open(&app, &scope, eid, Some(version)).await?).await
}

//! Evidence of a service: files streamed to the content-addressed blob store
//! (size-limited, never held whole in memory), URLs and notes; each supports
//! one or more obligations, with a validity date and expiry warnings.

use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_domain::{Permission, ServiceId};
use thiqa_store::NewEvidence;

use crate::auth::realm::Console;
use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::pages::evidence_files::{journaled_download, receive_file, Received, StoredFile};
use crate::pages::service_access::read_access;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;
use thiqa_app::time::iso_date;

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
    let (provider, _) = read_access(app, me, id).await?;
    let service = app.store.service(provider, id).await?;
    let today = iso_date(app.store.clock().now_s());
    let soon = iso_date(app.store.clock().now_s() + 30 * 86_400);
    let items = app
        .store
        .evidence(provider, id, None)
        .await?
        .into_iter()
        .map(|e| Row {
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
            validity_key: if e.valid_until.is_empty() {
                None
            } else if e.valid_until < today {
                Some("evidence-expired")
            } else if e.valid_until <= soon {
                Some("evidence-expiring")
            } else {
                None
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
            service_name: service.name,
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
    Path(id): Path<i64>,
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
    page_with(&app, &me, ServiceId(id), typed, vec![], StatusCode::OK).await
}

/// The common fields of both forms, checked; problems named.
struct Meta {
    title: String,
    obligations: Vec<String>,
    valid_until: String,
}

fn check_meta(
    app: &AppState,
    tr: &Tr,
    title: &str,
    obligations: &str,
    valid_until: &str,
) -> Result<Meta, Vec<String>> {
    let mut errors = vec![];
    let title = title.trim().to_string();
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(tr.t("error-evidence-title"));
    }
    let ids: Vec<String> = obligations
        .split([' ', ',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        errors.push(tr.t("error-evidence-obligations"));
    }
    for id in &ids {
        if app.catalog.obligation(id).is_none() {
            errors.push(tr.t1("error-unknown-obligation", "id", id));
        }
    }
    let valid_until = valid_until.trim().to_string();
    let date_ok = valid_until.is_empty() || thiqa_domain::assessment::is_iso_date(&valid_until);
    if !date_ok {
        errors.push(tr.t("error-review-date"));
    }
    if errors.is_empty() {
        Ok(Meta {
            title,
            obligations: ids,
            valid_until,
        })
    } else {
        Err(errors)
    }
}

pub async fn add_link_or_note(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let provider = me.provider()?;
    let id = ServiceId(id);
    let tr = me.tr(&app);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let (url, note) = (get("url"), get("note"));
    let mut meta = check_meta(
        &app,
        &tr,
        &get("title"),
        &get("obligations"),
        &get("valid_until"),
    );
    let url_ok = url.is_empty()
        || ((url.starts_with("https://") || url.starts_with("http://"))
            && url.len() <= 2000
            && !url.contains(char::is_whitespace));
    if !url_ok || (url.is_empty() && note.is_empty()) || note.chars().count() > 10_000 {
        let e = tr.t("error-evidence-url-or-note");
        match &mut meta {
            Ok(_) => meta = Err(vec![e]),
            Err(v) => v.push(e),
        }
    }
    let meta = match meta {
        Ok(m) => m,
        Err(errors) => {
            let typed = Typed {
                refused: Some(Refused::LinkOrNote),
                title: get("title"),
                obligations: get("obligations"),
                valid_until: get("valid_until"),
                url,
                note,
            };
            return page_with(
                &app,
                &me,
                id,
                typed,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let new = NewEvidence {
        kind: if url.is_empty() { "note" } else { "url" },
        title: meta.title,
        url: Some(url).filter(|u| !u.is_empty()),
        note: Some(note).filter(|n| !n.is_empty()),
        valid_until: meta.valid_until,
        obligations: meta.obligations,
        ..Default::default()
    };
    app.store
        .create_evidence(provider, id, &new, &me.actor())
        .await?;
    Ok(confirmed(
        &format!("/services/{}/evidence", id.0),
        Notice::Added,
    ))
}

/// Streams the file to the blob store while hashing it; the record is
/// written only once the whole file is stored.
pub async fn upload(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    me.require(Permission::AssessmentEdit)?;
    let provider = me.provider()?;
    let id = ServiceId(id);
    app.store.service(provider, id).await?;
    let tr = me.tr(&app);
    let bad = |m: String| PageError::BadRequest(m);
    let (mut title, mut obligations, mut valid_until) =
        (String::new(), String::new(), String::new());
    let mut stored: Option<Received> = None;
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
                "title" => title = text,
                "obligations" => obligations = text,
                "valid_until" => valid_until = text,
                _ => {}
            }
        }
    }
    let mut errors = match check_meta(&app, &tr, &title, &obligations, &valid_until) {
        Ok(_) => vec![],
        Err(e) => e,
    };
    let file = stored.filter(|f| f.size > 0);
    if file.is_none() {
        errors.push(tr.t("error-evidence-file"));
    }
    let Some(file) = file.filter(|_| errors.is_empty()) else {
        let typed = Typed {
            refused: Some(Refused::Upload),
            title,
            obligations,
            valid_until,
            ..Typed::default()
        };
        return page_with(
            &app,
            &me,
            id,
            typed,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let meta =
        check_meta(&app, &tr, &title, &obligations, &valid_until).map_err(|e| bad(e.join(" ")))?;
    let new = NewEvidence {
        kind: "file",
        title: meta.title,
        sha256: Some(file.sha256),
        size: Some(file.size as i64),
        filename: Some(file.filename),
        media_type: Some(file.media_type),
        valid_until: meta.valid_until,
        obligations: meta.obligations,
        ..Default::default()
    };
    app.store
        .create_evidence(provider, id, &new, &me.actor())
        .await?;
    Ok(confirmed(
        &format!("/services/{}/evidence", id.0),
        Notice::Added,
    ))
}

/// Streams the current version's file back with its original name and
/// media type.
pub async fn download(
    State(app): State<AppState>,
    me: Signed<Console>,
    Path((id, eid)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (provider, _) = read_access(&app, &me, ServiceId(id)).await?;
    let e = app
        .store
        .evidence_item(provider, ServiceId(id), eid)
        .await?;
    journaled_download(
        &app,
        &me,
        ServiceId(id),
        StoredFile {
            evidence: eid,
            version: e.version,
            sha256: e.sha256.as_deref().unwrap_or(""),
            name: e.filename.as_deref().unwrap_or("evidence"),
            media_type: e
                .media_type
                .as_deref()
                .unwrap_or("application/octet-stream"),
        },
    )
    .await
}

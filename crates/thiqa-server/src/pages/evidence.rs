//! Evidence of a service: files streamed to the content-addressed blob store
//! (size-limited, never held whole in memory), URLs and notes; each supports
//! one or more obligations, with a validity date and expiry warnings.

use askama::Template;
use axum::body::Body;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use thiqa_domain::{Permission, ServiceId};
use thiqa_store::{NewEvidence, UploadError};

use crate::auth::login::format_utc;
use crate::auth::realm::Console;
use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::pages::dashboard::iso_date;
use crate::pages::service_access::read_access;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::render;

pub struct Row {
    pub title: String,
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
    prefill: String,
    errors: Vec<String>,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Console>,
    id: ServiceId,
    prefill: String,
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
            prefill,
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
    page_with(&app, &me, ServiceId(id), prefill, vec![], StatusCode::OK).await
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
            return page_with(
                &app,
                &me,
                id,
                String::new(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
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
    Ok(Redirect::to(&format!("/services/{}/evidence", id.0)).into_response())
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
    let mut stored: Option<(String, u64, String, String)> = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let filename = field
                .file_name()
                .map(|f| {
                    f.rsplit(['/', '\\'])
                        .next()
                        .unwrap_or("")
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(200)
                        .collect::<String>()
                })
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| "evidence".into());
            let media_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .chars()
                .take(100)
                .collect::<String>();
            let limit = app.config.evidence_max_mb * 1024 * 1024;
            let mut up = app
                .blobs
                .begin(limit)
                .await
                .map_err(|e| PageError::Internal(e.to_string()))?;
            while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.body_text()))? {
                match up.write(&chunk).await {
                    Ok(()) => {}
                    Err(UploadError::TooLarge { limit_mb }) => {
                        // Dropping `up` removes the partial file.
                        let msg = tr.t1("error-evidence-too-large", "mb", &limit_mb.to_string());
                        return Ok(PageError::BadRequest(msg)
                            .into_response_with(StatusCode::PAYLOAD_TOO_LARGE));
                    }
                    Err(UploadError::Io(e)) => return Err(PageError::Internal(e.to_string())),
                }
            }
            let (sha, size) = up
                .finish()
                .await
                .map_err(|e| PageError::Internal(e.to_string()))?;
            stored = Some((sha, size, filename, media_type));
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
    let Some((sha, size, filename, media_type)) = stored.filter(|s| s.1 > 0) else {
        errors.push(tr.t("error-evidence-file"));
        return page_with(
            &app,
            &me,
            id,
            String::new(),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if !errors.is_empty() {
        return page_with(
            &app,
            &me,
            id,
            String::new(),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let meta =
        check_meta(&app, &tr, &title, &obligations, &valid_until).map_err(|e| bad(e.join(" ")))?;
    let new = NewEvidence {
        kind: "file",
        title: meta.title,
        sha256: Some(sha),
        size: Some(size as i64),
        filename: Some(filename),
        media_type: Some(media_type),
        valid_until: meta.valid_until,
        obligations: meta.obligations,
        ..Default::default()
    };
    app.store
        .create_evidence(provider, id, &new, &me.actor())
        .await?;
    Ok(Redirect::to(&format!("/services/{}/evidence", id.0)).into_response())
}

/// Bytes read from the stored file per chunk of a download.
const DOWNLOAD_CHUNK: usize = 256 * 1024;

/// Streams the stored file back with its original name and media type.
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
    let path = e
        .sha256
        .as_deref()
        .and_then(|s| app.blobs.path_of(s))
        .ok_or(PageError::NotFound)?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|err| PageError::Internal(err.to_string()))?;
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    app.store
        .record_event(
            &me.actor(),
            thiqa_store::NewEvent::success("evidence.download")
                .target(format!("service:{id}"))
                .tenant(me.tenant())
                .details(format!("evidence {eid}")),
        )
        .await?;
    let name = e.filename.unwrap_or_else(|| "evidence".into());
    // RFC 6266: an ASCII fallback and the UTF-8 name, percent-encoded.
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    // Large reads: each read of a `tokio::fs::File` is a trip to the
    // blocking pool, and the default 4 KiB made a 1 GB download crawl.
    let stream = tokio_util::io::ReaderStream::with_capacity(file, DOWNLOAD_CHUNK);
    Ok((
        [
            (
                CONTENT_TYPE,
                e.media_type
                    .unwrap_or_else(|| "application/octet-stream".into()),
            ),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (CONTENT_LENGTH, len.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

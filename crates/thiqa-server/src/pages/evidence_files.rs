//! The two ends of an evidence file, shared by new items and new versions:
//! receiving a multipart file field into the blob store (size-limited,
//! streamed, nothing left behind when refused or cut short) and sending a
//! stored blob back as an attachment with its original name, and with its
//! type only when the content confirms it (see [`served_type`]).

use axum::body::Body;
use axum::extract::multipart::Field;
use axum::http::header::{
    CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thiqa_app::evidence::{OpenedFile, StoredFile};
use thiqa_blobs::{BlobRead, UploadError};
use tokio::io::AsyncReadExt;

use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::error::PageError;

/// Streams a file field to the blob store while hashing it. `Err` is the
/// response to send: 413 naming the limit, 400 for a broken body.
pub async fn receive_file(
    app: &AppState,
    tr: &Tr<'_>,
    mut field: Field<'_>,
) -> Result<StoredFile, Response> {
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
    let internal = |e: std::io::Error| PageError::Internal(e.to_string()).into_response();
    let mut up = app.blobs.begin(limit).await.map_err(internal)?;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| PageError::BadRequest(e.body_text()).into_response())?
    {
        match up.write(&chunk).await {
            Ok(()) => {}
            Err(UploadError::TooLarge { limit_mb }) => {
                // Dropping `up` removes the partial file.
                let msg = tr.t1("error-evidence-too-large", "mb", &limit_mb.to_string());
                return Err(
                    PageError::BadRequest(msg).into_response_with(StatusCode::PAYLOAD_TOO_LARGE)
                );
            }
            Err(UploadError::Io(e)) => return Err(internal(e)),
        }
    }
    let (sha256, size) = up.finish().await.map_err(internal)?;
    Ok(StoredFile {
        sha256,
        size,
        filename,
        media_type,
    })
}

/// Bytes read from the stored file per chunk of a download.
const DOWNLOAD_CHUNK: usize = 256 * 1024;

/// Bytes of a file's start looked at to confirm its type.
const SNIFF_BYTES: usize = 8 * 1024;

/// The type a download is served with: the uploader's claim only when it is
/// on this short list and the file's first bytes confirm it, otherwise
/// `application/octet-stream`. Uploaders choose the claimed type (and the
/// content), so HTML, SVG, XML or JavaScript must never come back from
/// Thiqa's origin as such. `whole` says `head` is the entire file.
pub fn served_type(claimed: &str, head: &[u8], whole: bool) -> &'static str {
    let essence = claimed
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/pdf" if head.starts_with(b"%PDF-") => "application/pdf",
        "image/png" if head.starts_with(b"\x89PNG\r\n\x1a\n") => "image/png",
        "image/jpeg" if head.starts_with(&[0xFF, 0xD8, 0xFF]) => "image/jpeg",
        "text/plain" if is_plain_text(head, whole) => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// UTF-8 (a character cut at the end of a partial `head` allowed), no NUL
/// and no markup: a browser has nothing to render but text.
fn is_plain_text(head: &[u8], whole: bool) -> bool {
    let text_ok = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => !whole && e.error_len().is_none(),
    };
    text_ok && !head.iter().any(|b| matches!(b, b'<' | 0))
}

/// The blob as a download named `name`: always an attachment, sandboxed,
/// never sniffed, of a type confirmed by [`served_type`].
async fn attachment(blob: BlobRead, name: &str, claimed: &str) -> Result<Response, PageError> {
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
    let mut reader = blob.reader;
    let wanted = usize::try_from(blob.size).map_or(SNIFF_BYTES, |s| s.min(SNIFF_BYTES));
    let mut head = vec![0; wanted];
    reader
        .read_exact(&mut head)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let media_type = served_type(claimed, &head, blob.size as usize == head.len());
    // Large reads: each read of a local file is a trip to the blocking
    // pool, and the default 4 KiB made a 1 GB download crawl.
    let reader = std::io::Cursor::new(head).chain(reader);
    let stream = tokio_util::io::ReaderStream::with_capacity(reader, DOWNLOAD_CHUNK);
    Ok((
        [
            (CONTENT_TYPE, media_type.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (CONTENT_LENGTH, blob.size.to_string()),
            // Even opened in place, the file runs no script, submits no
            // form and is not of Thiqa's origin.
            (
                CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'".to_string(),
            ),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Sends a file the use case opened (and journaled) as a download.
pub async fn send(file: OpenedFile) -> Result<Response, PageError> {
    attachment(file.blob, &file.filename, &file.media_type).await
}

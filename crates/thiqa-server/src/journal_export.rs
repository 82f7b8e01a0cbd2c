//! Exporting a commanditaire's journal events (3.8.6: "on request, in a
//! standard format") and the proofs that let anyone check the export
//! offline with only the log's public key. Both stream page by page, so an
//! export of millions of events never sits in memory.

use std::collections::VecDeque;
use std::future::Future;

use axum::body::Body;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::channel::Channel;
use serde::Deserialize;
use thiqa_domain::assessment::iso_date_start;
use thiqa_domain::Tenant;
use thiqa_export::journal::{ExportedEvent, JournalFormat};
use thiqa_store::{JournalLeaf, LeafQuery, NewEvent, Store, StoredCheckpoint};

use crate::state::AppState;

/// Leaves read per query while streaming.
const PAGE: u64 = 2_000;

/// What to export: whose events, which days, in which format.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub tenant: Tenant,
    pub from_ms: i64,
    pub to_ms: i64,
    pub format: JournalFormat,
}

impl ExportRequest {
    /// From the query's `from`/`to` days (YYYY-MM-DD, `to` included) and
    /// `format`; the message names the bad parameter.
    pub fn parse(
        tenant: Tenant,
        from: Option<&str>,
        to: Option<&str>,
        format: Option<&str>,
    ) -> Result<ExportRequest, String> {
        let day = |name: &str, v: Option<&str>| {
            v.and_then(iso_date_start)
                .ok_or_else(|| format!("{name} must be a YYYY-MM-DD date"))
        };
        let from_ms = day("from", from)? * 1000;
        let to_ms = (day("to", to)? + 86_400) * 1000;
        if to_ms <= from_ms {
            return Err("to must not be before from".into());
        }
        let format = match format {
            None => JournalFormat::Ndjson,
            Some(f) => JournalFormat::parse(f).ok_or_else(|| {
                format!("format must be one of {}", JournalFormat::NAMES.join(", "))
            })?,
        };
        Ok(ExportRequest {
            tenant,
            from_ms,
            to_ms,
            format,
        })
    }

    fn query(&self, after: Option<u64>) -> LeafQuery {
        LeafQuery {
            tenant: Some(self.tenant),
            from_ms: self.from_ms,
            to_ms: self.to_ms,
            after,
            limit: PAGE,
        }
    }

    /// `journal-organisation-3-2026-01-01-2026-06-30.csv`
    pub fn filename(&self, suffix: &str) -> String {
        let (kind, id) = self.tenant.parts();
        let day = |ms: i64| thiqa_app::time::iso_date(ms / 1000);
        format!(
            "journal-{kind}-{id}-{}-{}.{suffix}",
            day(self.from_ms),
            day(self.to_ms - 1)
        )
    }
}

/// Pages formatted ahead of the connection.
const PAGES_IN_FLIGHT: usize = 2;

/// The leaves of one page and the last index it covered.
type Page = Option<(Vec<JournalLeaf>, u64)>;

/// A body of the pages of leaves read by `read` and turned into bytes by
/// `write`, as they come. `read(after)` returns the next page, or None at
/// the end.
///
/// Three stages work side by side: the next page is read as soon as the
/// previous one is, up to [`PAGES_IN_FLIGHT`] pages are being written
/// (formatted) meanwhile, and written pages go to the connection in order,
/// each as one chunk. A failure mid-way is logged and aborts the body, so
/// the client sees a broken download, never a short one that looks
/// complete (nor another tenant's data).
fn streamed<R, RF, W, WF>(head: String, tail: String, mut read: R, mut write: W) -> Body
where
    R: FnMut(Option<u64>) -> RF + Send + 'static,
    RF: Future<Output = Result<Page, String>> + Send + 'static,
    W: FnMut(Vec<JournalLeaf>) -> WF + Send + 'static,
    WF: Future<Output = Result<Vec<u8>, String>> + Send + 'static,
{
    let (mut tx, body) = Channel::<Bytes, std::io::Error>::new(1);
    tokio::spawn(async move {
        let result: Result<(), String> = async {
            // A send fails only when the client went away: stop quietly.
            let gone = |_| "the client closed the connection".to_owned();
            let joined = |e: tokio::task::JoinError| e.to_string();
            tx.send_data(Bytes::from(head)).await.map_err(gone)?;
            let mut reading = tokio::spawn(read(None));
            let mut writing = VecDeque::new();
            loop {
                let Some((leaves, last)) = reading.await.map_err(joined)?? else {
                    break;
                };
                reading = tokio::spawn(read(Some(last)));
                writing.push_back(tokio::spawn(write(leaves)));
                if writing.len() >= PAGES_IN_FLIGHT {
                    if let Some(oldest) = writing.pop_front() {
                        let chunk = oldest.await.map_err(joined)??;
                        tx.send_data(Bytes::from(chunk)).await.map_err(gone)?;
                    }
                }
            }
            while let Some(oldest) = writing.pop_front() {
                let chunk = oldest.await.map_err(joined)??;
                tx.send_data(Bytes::from(chunk)).await.map_err(gone)?;
            }
            tx.send_data(Bytes::from(tail)).await.map_err(gone)
        }
        .await;
        if let Err(cause) = result {
            tracing::warn!(%cause, "journal export stopped early");
            tx.abort(std::io::Error::other(cause));
        }
    });
    Body::new(body)
}

/// The next page of `req`'s leaves after index `after`.
async fn read_page(store: Store, q: LeafQuery) -> Result<Page, String> {
    let leaves = store
        .journal_leaves_matching(&q)
        .await
        .map_err(|e| e.to_string())?;
    Ok(leaves.last().map(|l| l.index).map(|last| (leaves, last)))
}

/// The events, formatted, streamed.
pub fn events_body(app: &AppState, req: ExportRequest) -> Body {
    let store = app.store.clone();
    let format = req.format;
    let read = move |after| read_page(store.clone(), req.query(after));
    // Formatting is plain CPU work (a few milliseconds a page): on the
    // blocking pool, beside the runtime's threads.
    let write = move |leaves: Vec<JournalLeaf>| async move {
        tokio::task::spawn_blocking(move || {
            let mut chunk = Vec::with_capacity(leaves.len() * 512);
            for l in &leaves {
                let event = thiqa_journal::Event::from_leaf(&l.leaf)
                    .map_err(|e| format!("leaf {}: {e}", l.index))?;
                let exported = ExportedEvent {
                    index: l.index,
                    leaf_hash: &l.leaf_hash,
                    event: &event,
                };
                format.write_event(&exported, &mut chunk);
            }
            Ok(chunk)
        })
        .await
        .map_err(|e| e.to_string())?
    };
    streamed(format.header(), format.footer(), read, write)
}

/// A checkpoint covering every leaf so far, signed now if needed.
pub async fn current_checkpoint(app: &AppState) -> Result<StoredCheckpoint, String> {
    app.store
        .journal_sign_checkpoint(&app.journal_signer)
        .await
        .map_err(|e| e.to_string())
}

/// One inclusion proof file per exported event (NDJSON, each line what
/// `thiqa journal verify-proof` reads), all against `checkpoint`.
pub fn proofs_body(app: &AppState, req: ExportRequest, checkpoint: StoredCheckpoint) -> Body {
    let store = app.store.clone();
    let size = checkpoint.size;
    // Leaves beyond the checkpoint have no proof against it yet.
    let read = {
        let store = store.clone();
        move |after| {
            let page = read_page(store.clone(), req.query(after));
            async move {
                Ok(page.await?.and_then(|(leaves, _)| {
                    let covered: Vec<_> = leaves.into_iter().filter(|l| l.index < size).collect();
                    let last = covered.last()?.index;
                    Some((covered, last))
                }))
            }
        }
    };
    let write = move |leaves: Vec<JournalLeaf>| {
        let store = store.clone();
        async move {
            let mut chunk = Vec::new();
            for l in leaves {
                let bundle = store
                    .journal_prove(l.index, Some(size))
                    .await
                    .map_err(|e| e.to_string())?;
                chunk.extend_from_slice(bundle.to_json().replace('\n', "").as_bytes());
                chunk.push(b'\n');
            }
            Ok(chunk)
        }
    };
    streamed(String::new(), String::new(), read, write)
}

/// Signs a checkpoint every `journal.checkpoint_seconds` when events came
/// in since the last one (several instances may run this: signing locks
/// the journal head and returns the stored checkpoint when nothing is new).
pub async fn checkpoint_loop(app: AppState) {
    let period = std::time::Duration::from_secs(app.config.journal.checkpoint_seconds);
    let mut ticks = crate::background::ClaimedTicks::new(&app, "journal.checkpoint", period);
    loop {
        ticks.next_claimed().await;
        if let Err(cause) = checkpoint_if_behind(&app).await {
            tracing::error!(%cause, "journal checkpoint refused");
        }
    }
}

/// Signs a checkpoint when events arrived since the last one (the loop's
/// tick, and once more at graceful shutdown).
pub async fn checkpoint_if_behind(app: &AppState) -> Result<(), String> {
    let head = app.store.journal_head().await.map_err(|e| e.to_string())?;
    let last = app
        .store
        .journal_latest_checkpoint()
        .await
        .map_err(|e| e.to_string())?;
    if head.size > last.map_or(0, |c| c.size) {
        let c = current_checkpoint(app).await?;
        tracing::info!(size = c.size, "journal checkpoint signed");
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub format: Option<String>,
    /// Operators only: the commanditaire whose events are exported.
    pub organisation: Option<i64>,
}

/// Journals the export itself, in the exported commanditaire's journal.
pub async fn record_export(
    store: &Store,
    actor: &thiqa_store::Actor,
    req: &ExportRequest,
    what: &str,
) -> Result<(), thiqa_store::StoreError> {
    store
        .record_event(
            actor,
            NewEvent::success("journal.export")
                .tenant(req.tenant)
                .details(format!("{what} {}", req.filename(req.format.extension()))),
        )
        .await
}

/// The export as a file download.
pub fn download(media: &str, filename: &str, body: axum::body::Body) -> Response {
    (
        [
            (CONTENT_TYPE, media.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

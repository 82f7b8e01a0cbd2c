//! Exporting a commanditaire's journal events (3.8.6: "on request, in a
//! standard format") and the proofs that let anyone check the export
//! offline with only the log's public key. Both stream page by page, so an
//! export of millions of events never sits in memory.

use axum::body::Body;
use thiqa_domain::assessment::iso_date_start;
use thiqa_domain::Tenant;
use thiqa_export::journal::{ExportedEvent, JournalFormat};
use thiqa_store::{LeafQuery, StoredCheckpoint};
use tokio::io::AsyncWriteExt;

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
        let day = |ms: i64| crate::pages::dashboard::iso_date(ms / 1000);
        format!(
            "journal-{kind}-{id}-{}-{}.{suffix}",
            day(self.from_ms),
            day(self.to_ms - 1)
        )
    }
}

/// Writes pages of text produced by `page` into a body as they come.
/// `page(after)` returns the next chunk and the last index it covered, or
/// None at the end. A failure mid-way is logged and ends the body early
/// (the client sees a truncated download, never another tenant's data).
fn streamed<F, Fut>(head: String, tail: String, mut page: F) -> Body
where
    F: FnMut(Option<u64>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Option<(String, u64)>, String>> + Send,
{
    let (mut writer, reader) = tokio::io::duplex(256 * 1024);
    tokio::spawn(async move {
        let mut after = None;
        let result: Result<(), String> = async {
            writer
                .write_all(head.as_bytes())
                .await
                .map_err(|e| e.to_string())?;
            while let Some((text, last)) = page(after).await? {
                writer
                    .write_all(text.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                after = Some(last);
            }
            writer
                .write_all(tail.as_bytes())
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        if let Err(cause) = result {
            tracing::warn!(%cause, "journal export stopped early");
        }
    });
    Body::from_stream(tokio_util::io::ReaderStream::new(reader))
}

/// The events, formatted, streamed.
pub fn events_body(app: &AppState, req: ExportRequest) -> Body {
    let store = app.store.clone();
    let format = req.format;
    streamed(format.header(), format.footer(), move |after| {
        let store = store.clone();
        let q = req.query(after);
        async move {
            let leaves = store
                .journal_leaves_matching(&q)
                .await
                .map_err(|e| e.to_string())?;
            let Some(last) = leaves.last().map(|l| l.index) else {
                return Ok(None);
            };
            let mut text = String::new();
            for l in &leaves {
                let event = thiqa_journal::Event::from_leaf(&l.leaf)
                    .map_err(|e| format!("leaf {}: {e}", l.index))?;
                text.push_str(&format.event(&ExportedEvent {
                    index: l.index,
                    leaf_hash: &l.leaf_hash,
                    event: &event,
                }));
            }
            Ok(Some((text, last)))
        }
    })
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
    streamed(String::new(), String::new(), move |after| {
        let store = store.clone();
        let q = req.query(after);
        let size = checkpoint.size;
        async move {
            let leaves = store
                .journal_leaves_matching(&q)
                .await
                .map_err(|e| e.to_string())?;
            let covered: Vec<_> = leaves.iter().filter(|l| l.index < size).collect();
            let Some(last) = covered.last().map(|l| l.index) else {
                return Ok(None);
            };
            let mut text = String::new();
            for l in covered {
                let bundle = store
                    .journal_prove(l.index, Some(size))
                    .await
                    .map_err(|e| e.to_string())?;
                text.push_str(&bundle.to_json().replace('\n', ""));
                text.push('\n');
            }
            Ok(Some((text, last)))
        }
    })
}

/// Signs a checkpoint every `journal.checkpoint_seconds` when events came
/// in since the last one (several instances may run this: signing locks
/// the journal head and returns the stored checkpoint when nothing is new).
pub async fn checkpoint_loop(app: AppState) {
    let every = std::time::Duration::from_secs(app.config.journal.checkpoint_seconds);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let behind = match (
            app.store.journal_head().await,
            app.store.journal_latest_checkpoint().await,
        ) {
            (Ok(head), Ok(last)) => head.size > last.map_or(0, |c| c.size),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "journal checkpoint: cannot read the head");
                continue;
            }
        };
        if behind {
            match current_checkpoint(&app).await {
                Ok(c) => tracing::info!(size = c.size, "journal checkpoint signed"),
                Err(cause) => tracing::error!(%cause, "journal checkpoint refused"),
            }
        }
    }
}

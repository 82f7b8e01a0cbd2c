//! The outbox's sender, run by every `thiqa serve` beside its listeners:
//! it leases due messages (each lease is one instance's for a while, so
//! several instances on one PostgreSQL never send the same message at the
//! same time), sends them a few at a time, and records each outcome:
//! sent, tried again later with exponential backoff, or given up
//! (dead-lettered, shown on the notice's page) after the last attempt or
//! on a permanent refusal. An instance killed mid-send leaves its lease to
//! run out and another sends again, with the same idempotency key.

pub mod compose;

use std::sync::Arc;
use std::time::Duration;

use thiqa_delivery::{Mailer, SendError, WebhookClient, WebhookSecret};
use thiqa_store::{instance_name, Delivery, DeliveryOutcome};
use tokio::task::JoinSet;

use crate::background::ClaimedTicks;
use crate::links::portal_base;
use crate::state::AppState;

/// Messages leased at once, and sent at the same time at most.
const BATCH: i64 = 32;
const IN_FLIGHT: usize = 8;
/// How often an idle sender looks for new messages.
const IDLE: Duration = Duration::from_millis(500);

/// The ways out, built once from the configuration (already checked).
struct Senders {
    mailer: Option<Mailer>,
    hooks: WebhookClient,
    /// The right-hand side of Message-IDs: the sender's domain.
    host: String,
    /// Where links in messages lead: the portal's base URL.
    base: String,
}

fn senders(app: &AppState) -> Result<Senders, String> {
    let mailer = match app
        .config
        .smtp
        .settings()
        .map_err(|(k, e)| format!("{k}: {e}"))?
    {
        Some(settings) => Some(Mailer::new(&settings).map_err(|e| e.to_string())?),
        None => None,
    };
    let hooks = app
        .config
        .webhooks
        .settings()
        .map_err(|(k, e)| format!("{k}: {e}"))
        .and_then(|s| WebhookClient::new(&s).map_err(|e| e.to_string()))?;
    let from = &app.config.smtp.from;
    let host = from
        .rsplit_once('@')
        .map(|(_, h)| h.trim_end_matches('>').trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "thiqa.invalid".into());
    Ok(Senders {
        mailer,
        hooks,
        host,
        base: portal_base(app).unwrap_or_default(),
    })
}

/// Starts the sender on a thread and runtime of its own: its bursts of
/// work (composing, the SMTP dialogue, recording outcomes) never hold the
/// worker threads that answer the console and the portal, so pages stay
/// quick while a large notice goes out.
pub fn spawn_sender(app: AppState) {
    let started = std::thread::Builder::new()
        .name("thiqa-outbox".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(delivery_loop(app)),
                Err(e) => tracing::error!(error = %e, "the outbox's sender cannot start"),
            }
        });
    if let Err(e) = started {
        tracing::error!(error = %e, "the outbox's sender cannot start");
    }
}

/// Runs forever (see [`spawn_sender`]).
async fn delivery_loop(app: AppState) {
    let senders = match senders(&app) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            tracing::error!(error = %e, "the outbox cannot send: check [smtp] and [webhooks]");
            return;
        }
    };
    if senders.mailer.is_none() {
        tracing::info!("no [smtp] relay configured: e-mails wait in the outbox");
    }
    let instance = instance_name();
    // Long enough for a batch to be sent even to a slow relay; a killed
    // instance's messages wait this long before another sends them.
    let lease_ms = i64::try_from(app.config.outbox.lease_seconds * 1000).unwrap_or(120_000);
    loop {
        let leased = app
            .store
            .lease_deliveries(BATCH, lease_ms, &instance, senders.mailer.is_some())
            .await;
        let batch = match leased {
            Ok(b) if b.is_empty() => {
                tokio::time::sleep(IDLE).await;
                continue;
            }
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "cannot lease messages from the outbox");
                tokio::time::sleep(IDLE * 4).await;
                continue;
            }
        };
        let started = tokio::time::Instant::now();
        let sent = batch.len();
        let outcomes = send_batch(&app, &senders, batch).await;
        // Not recorded (the database went away): the leases run out and the
        // messages are sent again later, with the same idempotency keys.
        if let Err(e) = app.store.finish_deliveries(&outcomes).await {
            tracing::warn!(error = %e, "cannot record what became of sent messages");
        }
        // Paced to `outbox.max_per_second`: a batch takes at least its share
        // of a second, so a large notice never starves the console.
        let per_second = f64::from(app.config.outbox.max_per_second);
        let due = Duration::from_secs_f64(sent as f64 / per_second);
        tokio::time::sleep_until(started + due).await;
    }
}

async fn send_batch(
    app: &AppState,
    senders: &Arc<Senders>,
    batch: Vec<Delivery>,
) -> Vec<(Delivery, DeliveryOutcome)> {
    let mut queue = batch.into_iter();
    let mut running = JoinSet::new();
    let mut out = Vec::new();
    loop {
        while running.len() < IN_FLIGHT {
            let Some(d) = queue.next() else { break };
            let (app, senders) = (app.clone(), senders.clone());
            running.spawn(async move {
                let outcome = send_one(&app, &senders, &d).await;
                (d, outcome)
            });
        }
        match running.join_next().await {
            Some(Ok(done)) => out.push(done),
            // A panicking send loses nothing: its lease runs out.
            Some(Err(e)) => tracing::error!(error = %e, "a message send failed"),
            None => break,
        }
    }
    out
}

async fn send_one(app: &AppState, senders: &Senders, d: &Delivery) -> DeliveryOutcome {
    let now_ms = app.store.clock().now_ms();
    let result = match d.channel.as_str() {
        "email" => match (
            &senders.mailer,
            compose::mail(d, &app.i18n, &senders.base, &senders.host),
        ) {
            (Some(mailer), Some(mail)) => mailer.send(&mail).await,
            (None, _) => Err(SendError::Transient("no SMTP relay configured".into())),
            (_, None) => Err(SendError::Permanent(format!(
                "nothing to say for topic {}",
                d.topic
            ))),
        },
        "webhook" => match (
            &d.webhook,
            compose::notice_webhook(d, &senders.base, now_ms / 1000),
        ) {
            (Some(endpoint), Some(body)) => {
                let secrets: Vec<WebhookSecret> = endpoint
                    .secrets
                    .iter()
                    .filter_map(|s| WebhookSecret::parse(s).ok())
                    .collect();
                let id = compose::message_id(d, &senders.host);
                senders
                    .hooks
                    .post(&endpoint.url, &id, now_ms / 1000, &body, &secrets)
                    .await
            }
            (None, _) => Err(SendError::Permanent("the endpoint was removed".into())),
            (_, None) => Err(SendError::Permanent(format!(
                "nothing to say for topic {}",
                d.topic
            ))),
        },
        other => Err(SendError::Permanent(format!("unknown channel {other}"))),
    };
    let attempt = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
    match result {
        Ok(()) => DeliveryOutcome::Sent,
        Err(e) if e.is_transient() && attempt < app.config.outbox.max_attempts => {
            let delay = app.config.outbox.retry_delay(attempt).as_millis();
            let delay = i64::try_from(delay).unwrap_or(i64::MAX);
            DeliveryOutcome::Retry {
                error: e.message().to_string(),
                at: now_ms.saturating_add(delay),
            }
        }
        Err(e) => DeliveryOutcome::Dead {
            error: e.message().to_string(),
        },
    }
}

/// Every quarter of an hour, across instances: reminders of notices whose
/// deadline nears to the organisations that have not answered.
pub async fn reminder_loop(app: AppState) {
    let mut ticks = ClaimedTicks::new(&app, "notice-reminders", Duration::from_secs(900));
    loop {
        ticks.next_claimed().await;
        match app.store.remind_unanswered_notices().await {
            Ok(n) if n.is_empty() => {}
            Ok(n) => tracing::info!(notices = n.len(), "reminders queued"),
            Err(e) => tracing::warn!(error = %e, "cannot queue notice reminders"),
        }
    }
}

//! The transactional outbox: messages are rows committed with the change
//! that caused them (a notice, a reminder, an account link), so a message
//! exists exactly when its cause does. Instances lease due rows for a
//! while, send them, and record the outcome; a lease that runs out (the
//! instance died mid-send) makes the row due again, so every message is
//! sent at least once, and a duplicate carries the same idempotency key
//! (the delivery id) as the first.

use sqlx::Row;
use thiqa_domain::{NoticeId, OrganisationId, Tenant};

use crate::connect::{Backend, Store};
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::notices::{notice_from, queue_messages, Notice, NOTICE_COLUMNS};

/// A webhook endpoint as a delivery needs it.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub url: String,
    /// The current secret first, then the previous one while it still signs.
    pub secrets: Vec<String>,
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Also the idempotency key: the same for every attempt.
    pub id: i64,
    /// `notice`, `notice-reminder` or `account-link`.
    pub topic: String,
    pub subject_id: i64,
    /// `email` or `webhook`.
    pub channel: String,
    pub organisation: Option<OrganisationId>,
    pub address: String,
    pub recipient_name: String,
    pub language: String,
    pub payload: Option<String>,
    pub attempts: i64,
    /// The lease this copy was handed out under (its end, and the
    /// instance): only the holder of the current lease records an outcome.
    pub leased_until: i64,
    pub leased_by: String,
    /// The notice, for the notice topics.
    pub notice: Option<Notice>,
    /// The endpoint, for webhooks.
    pub webhook: Option<WebhookTarget>,
}

/// What became of one attempt.
#[derive(Debug, Clone)]
pub enum DeliveryOutcome {
    Sent,
    /// Try again at `at` (ms).
    Retry {
        error: String,
        at: i64,
    },
    /// Given up: shown to operators.
    Dead {
        error: String,
    },
}

/// A one-time account link to e-mail: the address and the whole URL
/// (its token is in no other readable place; the outbox forgets it once
/// the message is sent or given up).
#[derive(Debug, Clone)]
pub struct LinkMail {
    pub address: String,
    pub url: String,
}

/// Queues, in the caller's transaction, the e-mail carrying `account`'s
/// one-time link, valid until `until_s`.
pub(crate) async fn queue_link_mail(
    w: &mut crate::connect::WriteTx,
    account: &crate::accounts::Account,
    mail: &LinkMail,
    until_s: i64,
) -> Result<(), StoreError> {
    let organisation = match account.tenant {
        Tenant::Organisation(o) => Some(o.0),
        Tenant::Provider(_) => None,
    };
    let payload = serde_json::json!({
        "url": mail.url,
        "until": until_s,
        "directory": account.directory.as_str(),
    })
    .to_string();
    let now = w.now_ms;
    sqlx::query(
        "INSERT INTO deliveries (topic, subject_id, channel, organisation_id, address, \
         recipient_name, language, payload, state, next_attempt_at, created_at) \
         VALUES ('account-link', $1, 'email', $2, $3, $4, $5, $6, 'pending', $7, $7)",
    )
    .bind(account.id)
    .bind(organisation)
    .bind(&mail.address)
    .bind(&account.display_name)
    .bind(&account.language)
    .bind(payload)
    .bind(now)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// The messages waiting, by state, across the outbox.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub dead: i64,
}

const DELIVERY_COLUMNS: &str = "id, topic, subject_id, channel, organisation_id, address, \
     recipient_name, language, payload, attempts, leased_until, leased_by";

impl Store {
    /// Leases up to `limit` due messages to `instance` for `lease_ms`;
    /// another instance skips them until the lease runs out. Only e-mails
    /// when `with_email` (a relay is configured); webhooks always.
    pub async fn lease_deliveries(
        &self,
        limit: i64,
        lease_ms: i64,
        instance: &str,
        with_email: bool,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut w = self.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        // PostgreSQL instances skip rows another one is leasing right now;
        // SQLite has one writer, so there is nothing to skip.
        let lock = match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE deliveries SET leased_until = $1, leased_by = $2 WHERE id IN \
             (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $3 \
              AND leased_until <= $3 AND ($5 = 1 OR channel <> 'email') ORDER BY next_attempt_at, id LIMIT $4 {lock}) \
             RETURNING {DELIVERY_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(now + lease_ms)
            .bind(instance)
            .bind(now)
            .bind(limit)
            .bind(i64::from(with_email))
            .fetch_all(&mut *w.tx)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(Delivery {
                id: r.try_get("id")?,
                topic: r.try_get("topic")?,
                subject_id: r.try_get("subject_id")?,
                channel: r.try_get("channel")?,
                organisation: r
                    .try_get::<Option<i64>, _>("organisation_id")?
                    .map(OrganisationId),
                address: r.try_get("address")?,
                recipient_name: r.try_get("recipient_name")?,
                language: r.try_get("language")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
                leased_until: r.try_get("leased_until")?,
                leased_by: r.try_get("leased_by")?,
                notice: None,
                webhook: None,
            });
        }
        w.commit().await?;
        out.sort_by_key(|d| d.id);
        self.attach_content(&mut out, now).await?;
        Ok(out)
    }

    /// Reads what the leased messages say: their notices (once each) and
    /// their webhook endpoints.
    async fn attach_content(&self, leased: &mut [Delivery], now: i64) -> Result<(), StoreError> {
        let mut notices: Vec<Notice> = Vec::new();
        for d in leased.iter_mut() {
            if d.topic.starts_with("notice") {
                if let Some(n) = notices.iter().find(|n| n.id.0 == d.subject_id) {
                    d.notice = Some(n.clone());
                } else {
                    let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices n WHERE n.id = $1");
                    if let Some(r) = sqlx::query(&sql)
                        .bind(d.subject_id)
                        .fetch_optional(&self.pool)
                        .await?
                    {
                        let n = notice_from(&r)?;
                        notices.push(n.clone());
                        d.notice = Some(n);
                    }
                }
            }
            if d.channel == "webhook" {
                let id: i64 = d.address.parse().unwrap_or(0);
                if let Some(r) = sqlx::query(
                    "SELECT url, secret, previous_secret, previous_until FROM webhook_endpoints \
                     WHERE id = $1 AND organisation_id = $2",
                )
                .bind(id)
                .bind(d.organisation.map(|o| o.0))
                .fetch_optional(&self.pool)
                .await?
                {
                    let mut secrets = vec![r.try_get::<String, _>("secret")?];
                    let previous: Option<String> = r.try_get("previous_secret")?;
                    let until: Option<i64> = r.try_get("previous_until")?;
                    if let (Some(p), Some(u)) = (previous, until) {
                        if u > now {
                            secrets.push(p);
                        }
                    }
                    d.webhook = Some(WebhookTarget {
                        url: r.try_get("url")?,
                        secrets,
                    });
                }
            }
        }
        Ok(())
    }

    /// Records what became of leased messages, in one transaction, each
    /// journaled (for the organisation it went to, when there is one). A
    /// message sent or given up forgets its one-time payload. An outcome
    /// whose lease ran out meanwhile (another instance holds the message
    /// now) is dropped, not journaled: the current holder's counts.
    pub async fn finish_deliveries(
        &self,
        outcomes: &[(Delivery, DeliveryOutcome)],
    ) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut w = self.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let system = Actor::system();
        for (d, outcome) in outcomes {
            let (state, error, next, action) = match outcome {
                DeliveryOutcome::Sent => ("sent", None, now, "delivery.sent"),
                DeliveryOutcome::Retry { error, at } => {
                    ("pending", Some(error.as_str()), *at, "delivery.retry")
                }
                DeliveryOutcome::Dead { error } => {
                    ("dead", Some(error.as_str()), now, "delivery.dead")
                }
            };
            let changed = sqlx::query(
                "UPDATE deliveries SET state = $1, last_error = $2, next_attempt_at = $3, \
                 attempts = attempts + 1, leased_until = 0, \
                 sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END, \
                 payload = CASE WHEN $1 = 'pending' THEN payload ELSE NULL END \
                 WHERE id = $5 AND state = 'pending' AND leased_until = $6 AND leased_by = $7",
            )
            .bind(state)
            .bind(error)
            .bind(next)
            .bind(now)
            .bind(d.id)
            .bind(d.leased_until)
            .bind(&d.leased_by)
            .execute(&mut *w.tx)
            .await?;
            if changed.rows_affected() != 1 {
                continue;
            }
            let mut event = if matches!(outcome, DeliveryOutcome::Sent) {
                NewEvent::success(action)
            } else {
                NewEvent::failure(action)
            }
            .target(format!("delivery:{}", d.id))
            .details(format!(
                "{} {}:{} by {} to {}{}",
                d.topic,
                if d.topic.starts_with("notice") {
                    "notice"
                } else {
                    "account"
                },
                d.subject_id,
                d.channel,
                if d.channel == "webhook" {
                    "endpoint "
                } else {
                    ""
                },
                d.address,
            ));
            if let Some(org) = d.organisation {
                event = event.tenant(Tenant::Organisation(org));
            }
            w.event(&system, &event).await?;
        }
        w.commit().await
    }

    /// The outbox by state.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let mut counts = OutboxCounts::default();
        for r in sqlx::query("SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state")
            .fetch_all(&self.pool)
            .await?
        {
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("state")?.as_str() {
                "pending" => counts.pending = n,
                "sent" => counts.sent = n,
                _ => counts.dead += n,
            }
        }
        Ok(counts)
    }

    /// Queues a reminder of every open notice whose reminder time has come
    /// to the organisations that have not answered, once per notice;
    /// journaled. Returns the notices reminded.
    pub async fn remind_unanswered_notices(&self) -> Result<Vec<NoticeId>, StoreError> {
        let mut w = self.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let due: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, provider_id FROM notices WHERE status = 'open' AND remind_at <= $1 AND answer_by > $1 \
             AND EXISTS (SELECT 1 FROM notice_targets t WHERE t.notice_id = notices.id \
                 AND t.state = 'pending' AND t.reminded_at IS NULL)",
        )
        .bind(now)
        .fetch_all(&mut *w.tx)
        .await?;
        let system = Actor::system();
        for (id, provider) in &due {
            let messages = queue_messages(&mut w, NoticeId(*id), "notice-reminder", true).await?;
            sqlx::query(
                "UPDATE notice_targets SET reminded_at = $1 WHERE notice_id = $2 AND state = 'pending'",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
            w.event(
                &system,
                &NewEvent::success("notice.remind")
                    .target(format!("notice:{id}"))
                    .tenant(Tenant::Provider(thiqa_domain::ProviderId(*provider)))
                    .details(format!("{messages} message(s)")),
            )
            .await?;
        }
        w.commit().await?;
        Ok(due.into_iter().map(|(id, _)| NoticeId(id)).collect())
    }
}

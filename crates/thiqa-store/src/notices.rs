//! Notices from the provider to its commanditaires (3.1.1, 3.8.2, 3.8.14,
//! 3.11.1, 3.11.4, 3.15.2), the provider's side: sending one (its targets
//! and every message it causes are committed together, the outbox being a
//! table of the same database), following the answers, recording the
//! decision taken with a customer who refused or never answered, and
//! marking the announced change done, which a missing consent blocks.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{ContractId, NoticeId, OrganisationId, ServiceId, Tenant};

use crate::connect::WriteTx;
use crate::error::{Refusal, StoreError};
use crate::events::{Actor, NewEvent};
use crate::scope::ProviderScope;

/// What a notice asks of the organisations it reaches.
pub const ANSWERS: [&str; 2] = ["acknowledge", "consent"];

/// A notice as the use cases made it from a kind and the operator's form.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub kind: String,
    pub title: String,
    /// The kind's fields as typed: a JSON object of strings.
    pub fields: String,
    /// One of [`ANSWERS`].
    pub answer: String,
    /// Deadline and reminder, ms since the epoch.
    pub answer_by: i64,
    pub remind_at: i64,
    /// The authority must be told too (3.11.4).
    pub authority: bool,
    /// The services it is about.
    pub services: Vec<ServiceId>,
    /// Every commanditaire of the provider, not only those of `services`.
    pub everyone: bool,
    /// Today (UTC, `YYYY-MM-DD`): the contracts in force today are reached.
    pub today: String,
}

/// A notice as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: NoticeId,
    pub kind: String,
    pub title: String,
    pub fields: String,
    pub answer: String,
    pub answer_by: i64,
    pub authority: bool,
    pub authority_informed_at: Option<i64>,
    pub authority_reference: Option<String>,
    /// `open` or `done`.
    pub status: String,
    pub done_at: Option<i64>,
    pub done_by: Option<String>,
    pub created_at: i64,
    pub created_by: String,
}

/// A notice in the provider's list, with where its answers stand.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeSummary {
    pub notice: Notice,
    pub targets: i64,
    /// Organisations that have not answered.
    pub pending: i64,
    /// Refused or missing consents without a recorded decision: what blocks
    /// marking the change done.
    pub blocking: i64,
}

/// One organisation reached by a notice and what it answered.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeTarget {
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    /// `pending`, `acknowledged`, `accepted` or `refused`.
    pub state: String,
    pub answered_at: Option<i64>,
    pub answered_by: Option<String>,
    pub comment: Option<String>,
    pub decision: Option<String>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
}

impl NoticeTarget {
    /// A consent refused or never given, with no decision recorded yet.
    pub fn blocks(&self, answer: &str) -> bool {
        answer == "consent" && self.state != "accepted" && self.decision.is_none()
    }
}

/// How many messages of a notice are waiting, sent, or given up.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub sent: i64,
    pub dead: i64,
}

/// A message given up after its retries: shown so an operator acts.
#[derive(Debug, Clone, Serialize)]
pub struct DeadDelivery {
    pub id: i64,
    pub channel: String,
    pub address: String,
    pub attempts: i64,
    pub last_error: String,
}

/// One notice with its services, organisations and messages.
#[derive(Debug, Clone)]
pub struct NoticeDetail {
    pub notice: Notice,
    /// (id, name) of the services it is about.
    pub services: Vec<(ServiceId, String)>,
    pub targets: Vec<NoticeTarget>,
    pub deliveries: DeliveryCounts,
    pub dead: Vec<DeadDelivery>,
}

/// What sending a notice made.
#[derive(Debug, Clone, Copy)]
pub struct NoticeSent {
    pub id: NoticeId,
    pub organisations: i64,
    pub messages: i64,
}

pub(crate) const NOTICE_COLUMNS: &str = "n.id, n.kind, n.title, n.fields, n.answer, \
     n.answer_by, n.authority, n.authority_informed_at, n.authority_reference, n.status, \
     n.done_at, n.done_by, n.created_at, n.created_by";

pub(crate) fn notice_from(r: &sqlx::any::AnyRow) -> Result<Notice, StoreError> {
    Ok(Notice {
        id: NoticeId(r.try_get("id")?),
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        fields: r.try_get("fields")?,
        answer: r.try_get("answer")?,
        answer_by: r.try_get("answer_by")?,
        authority: r.try_get::<i64, _>("authority")? != 0,
        authority_informed_at: r.try_get("authority_informed_at")?,
        authority_reference: r.try_get("authority_reference")?,
        status: r.try_get("status")?,
        done_at: r.try_get("done_at")?,
        done_by: r.try_get("done_by")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

/// A target whose consent is refused or missing with no decision recorded
/// (`t` a notice_targets row of notice `n`): what blocks marking the
/// change done. [`NoticeTarget::blocks`] says the same of a loaded row.
const BLOCKING: &str = "n.answer = 'consent' AND t.state <> 'accepted' AND t.decision IS NULL";

/// Queues, in the caller's transaction, the e-mails and webhook calls
/// that tell the organisations reached by `notice` about it, under
/// `topic`: every active member who reads the portal and has an address
/// (unless it turned e-mail off), the contracts' security and technical
/// contacts (once per address), and every webhook endpoint. Only the
/// organisations still `pending` when `pending_only` (reminders). Returns
/// the number of messages queued.
pub(crate) async fn queue_messages(
    w: &mut WriteTx,
    notice: NoticeId,
    topic: &str,
    pending_only: bool,
) -> Result<i64, StoreError> {
    const QUEUE: &str = "INSERT INTO deliveries (topic, subject_id, channel, organisation_id, \
         address, recipient_name, language, state, next_attempt_at, created_at)";
    let now = w.now_ms;
    let targets = "SELECT organisation_id FROM notice_targets \
         WHERE notice_id = $1 AND ($4 = 0 OR state = 'pending')";
    let members = format!(
        "{QUEUE} SELECT $2, $1, 'email', u.organisation_id, u.email, u.display_name, u.language, \
         'pending', $3, $3 FROM customer_users u \
         WHERE u.organisation_id IN ({targets}) AND u.status = 'active' \
         AND u.email IS NOT NULL AND u.email <> '' \
         AND EXISTS (SELECT 1 FROM customer_role_assignments a \
             JOIN role_permissions p ON p.role_id = a.role_id \
             WHERE a.user_id = u.id AND p.permission = 'portal.read') \
         AND NOT EXISTS (SELECT 1 FROM notice_email_preferences e \
             WHERE e.user_id = u.id AND e.email = 0)"
    );
    // A contact who is also a member is written to once. The addresses
    // already queued are a subquery of parameters only: both databases
    // build it once (10,000 members, 1,000 contacts: one pass, not ten
    // million comparisons).
    let contacts = format!(
        "{QUEUE} SELECT $2, $1, 'email', MIN(c.organisation_id), cc.email, MIN(cc.name), 'fr', \
         'pending', $3, $3 FROM notice_contracts nc \
         JOIN contracts c ON c.id = nc.contract_id \
         JOIN contract_contacts cc ON cc.contract_id = c.id \
         WHERE nc.notice_id = $1 AND cc.role IN ('security', 'technical') \
         AND c.organisation_id IN ({targets}) \
         AND LOWER(cc.email) NOT IN (SELECT LOWER(d.address) FROM deliveries d \
             WHERE d.topic = $2 AND d.subject_id = $1 AND d.channel = 'email') \
         GROUP BY cc.email"
    );
    let hooks = format!(
        "{QUEUE} SELECT $2, $1, 'webhook', h.organisation_id, CAST(h.id AS TEXT), '', 'en', \
         'pending', $3, $3 FROM webhook_endpoints h WHERE h.organisation_id IN ({targets})"
    );
    let mut queued = 0;
    for sql in [members, contacts, hooks] {
        queued += sqlx::query(&sql)
            .bind(notice.0)
            .bind(topic)
            .bind(now)
            .bind(i64::from(pending_only))
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
    }
    Ok(i64::try_from(queued).unwrap_or(i64::MAX))
}

impl ProviderScope<'_> {
    /// Sends `new`: records it, the contracts it goes under (those of its
    /// services, or all the provider's when `everyone`, with every
    /// organisation of the provider as a target), and queues its messages,
    /// all in one transaction, journaled for the provider and each
    /// organisation. NotFound when a service is not this provider's.
    pub async fn send_notice(
        self,
        new: &NewNotice,
        actor: &Actor,
    ) -> Result<NoticeSent, StoreError> {
        let provider = self.provider;
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notices (provider_id, kind, title, fields, answer, answer_by, remind_at, \
             authority, status, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10) RETURNING id",
        )
        .bind(provider.0)
        .bind(&new.kind)
        .bind(&new.title)
        .bind(&new.fields)
        .bind(&new.answer)
        .bind(new.answer_by)
        .bind(new.remind_at)
        .bind(i64::from(new.authority))
        .bind(w.now_ms)
        .bind(&actor.name)
        .fetch_one(&mut *w.tx)
        .await?;
        for service in &new.services {
            let added = sqlx::query(
                "INSERT INTO notice_services (notice_id, service_id) \
                 SELECT $1, id FROM services WHERE id = $2 AND provider_id = $3",
            )
            .bind(id)
            .bind(service.0)
            .bind(provider.0)
            .execute(&mut *w.tx)
            .await?;
            if added.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
        }
        // Contracts in force today: started, and not ended.
        sqlx::query(
            "INSERT INTO notice_contracts (notice_id, contract_id) \
             SELECT $1, c.id FROM contracts c WHERE c.provider_id = $2 \
             AND c.starts_on <= $3 AND (c.ends_on IS NULL OR c.ends_on >= $3) \
             AND ($4 = 1 OR c.service_id IN \
                 (SELECT service_id FROM notice_services WHERE notice_id = $1))",
        )
        .bind(id)
        .bind(provider.0)
        .bind(&new.today)
        .bind(i64::from(new.everyone))
        .execute(&mut *w.tx)
        .await?;
        let targets = if new.everyone {
            "INSERT INTO notice_targets (notice_id, organisation_id, state) \
             SELECT $1, o.id, 'pending' FROM organisations o WHERE o.provider_id = $2"
        } else {
            "INSERT INTO notice_targets (notice_id, organisation_id, state) \
             SELECT DISTINCT $1, c.organisation_id, 'pending' FROM notice_contracts nc \
             JOIN contracts c ON c.id = nc.contract_id WHERE nc.notice_id = $1 AND c.provider_id = $2"
        };
        let organisations = sqlx::query(targets)
            .bind(id)
            .bind(provider.0)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        let messages = queue_messages(&mut w, NoticeId(id), "notice", false).await?;
        let event = NewEvent::success("notice.send")
            .target(format!("notice:{id}"))
            .details(format!(
                "{} — {}: {organisations} organisation(s), {messages} message(s)",
                new.kind, new.title
            ));
        w.event(actor, &event.clone().tenant(Tenant::Provider(provider)))
            .await?;
        // Each customer's own journal shows what it was sent.
        let reached: Vec<i64> =
            sqlx::query_scalar("SELECT organisation_id FROM notice_targets WHERE notice_id = $1")
                .bind(id)
                .fetch_all(&mut *w.tx)
                .await?;
        for org in reached {
            let theirs = NewEvent::success("notice.send")
                .target(format!("notice:{id}"))
                .details(format!("{} — {}", new.kind, new.title))
                .tenant(Tenant::Organisation(OrganisationId(org)));
            w.event(actor, &theirs).await?;
        }
        w.commit().await?;
        Ok(NoticeSent {
            id: NoticeId(id),
            organisations: i64::try_from(organisations).unwrap_or(i64::MAX),
            messages,
        })
    }

    /// The provider's notices, newest first, with where answers stand.
    pub async fn notices(self) -> Result<Vec<NoticeSummary>, StoreError> {
        self.notices_where(None).await
    }

    /// The notices about `service` (and those sent to every commanditaire,
    /// which name no service), newest first: what the statement of
    /// applicability cites for the obligations they serve.
    pub async fn notices_about(self, service: ServiceId) -> Result<Vec<NoticeSummary>, StoreError> {
        self.notices_where(Some(service)).await
    }

    async fn notices_where(
        self,
        service: Option<ServiceId>,
    ) -> Result<Vec<NoticeSummary>, StoreError> {
        let sql = format!(
            "SELECT {NOTICE_COLUMNS}, \
             (SELECT COUNT(*) FROM notice_targets t WHERE t.notice_id = n.id) AS targets, \
             (SELECT COUNT(*) FROM notice_targets t WHERE t.notice_id = n.id \
                 AND t.state = 'pending') AS pending, \
             (SELECT COUNT(*) FROM notice_targets t WHERE t.notice_id = n.id AND {BLOCKING}) AS blocking \
             FROM notices n WHERE n.provider_id = $1 AND ($2 IS NULL \
                 OR EXISTS (SELECT 1 FROM notice_services ns WHERE ns.notice_id = n.id AND ns.service_id = $2) \
                 OR NOT EXISTS (SELECT 1 FROM notice_services ns WHERE ns.notice_id = n.id)) \
             ORDER BY n.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(self.provider.0)
            .bind(service.map(|s| s.0))
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(NoticeSummary {
                    notice: notice_from(r)?,
                    targets: r.try_get("targets")?,
                    pending: r.try_get("pending")?,
                    blocking: r.try_get("blocking")?,
                })
            })
            .collect()
    }

    /// One notice of this provider with its services, targets and
    /// messages; NotFound for another provider's.
    pub async fn notice(self, id: NoticeId) -> Result<NoticeDetail, StoreError> {
        let pool = &self.store.pool;
        let notice = self.notice_row(id).await?;
        let services = sqlx::query(
            "SELECT s.id, s.name FROM notice_services ns JOIN services s ON s.id = ns.service_id \
             WHERE ns.notice_id = $1 ORDER BY s.name",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((ServiceId(r.try_get("id")?), r.try_get("name")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
        let targets = sqlx::query(
            "SELECT t.organisation_id, o.name, t.state, t.answered_at, t.answered_by, t.comment, \
             t.decision, t.decided_at, t.decided_by FROM notice_targets t \
             JOIN organisations o ON o.id = t.organisation_id WHERE t.notice_id = $1 ORDER BY o.name",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(NoticeTarget {
                organisation_id: OrganisationId(r.try_get("organisation_id")?),
                organisation_name: r.try_get("name")?,
                state: r.try_get("state")?,
                answered_at: r.try_get("answered_at")?,
                answered_by: r.try_get("answered_by")?,
                comment: r.try_get("comment")?,
                decision: r.try_get("decision")?,
                decided_at: r.try_get("decided_at")?,
                decided_by: r.try_get("decided_by")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let mut deliveries = DeliveryCounts::default();
        for r in sqlx::query(
            "SELECT state, COUNT(*) AS n FROM deliveries \
             WHERE topic IN ('notice', 'notice-reminder') AND subject_id = $1 GROUP BY state",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        {
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("state")?.as_str() {
                "pending" => deliveries.pending = n,
                "sent" => deliveries.sent = n,
                _ => deliveries.dead += n,
            }
        }
        let dead = sqlx::query(
            "SELECT id, channel, address, attempts, last_error FROM deliveries \
             WHERE topic IN ('notice', 'notice-reminder') AND subject_id = $1 AND state = 'dead' \
             ORDER BY id LIMIT 100",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(DeadDelivery {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                address: r.try_get("address")?,
                attempts: r.try_get("attempts")?,
                last_error: r
                    .try_get::<Option<String>, _>("last_error")?
                    .unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(NoticeDetail {
            notice,
            services,
            targets,
            deliveries,
            dead,
        })
    }

    /// Notice `id` itself, this provider's only (NotFound otherwise).
    async fn notice_row(self, id: NoticeId) -> Result<Notice, StoreError> {
        let sql = format!(
            "SELECT {NOTICE_COLUMNS} FROM notices n WHERE n.id = $1 AND n.provider_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(self.provider.0)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        notice_from(&row)
    }

    /// The notices sent under contract `contract`, newest first: its
    /// notice history, evidence for the obligations they serve.
    pub async fn notices_of_contract(
        self,
        contract: ContractId,
    ) -> Result<Vec<Notice>, StoreError> {
        let sql = format!(
            "SELECT {NOTICE_COLUMNS} FROM notices n JOIN notice_contracts nc ON nc.notice_id = n.id \
             WHERE nc.contract_id = $1 AND n.provider_id = $2 ORDER BY n.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(contract.0)
            .bind(self.provider.0)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(notice_from).collect()
    }

    /// Records the decision taken with organisation `org` whose consent
    /// to notice `id` was refused or never came; journaled for both.
    pub async fn record_notice_decision(
        self,
        id: NoticeId,
        org: OrganisationId,
        decision: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let changed = sqlx::query(
            "UPDATE notice_targets SET decision = $1, decided_at = $2, decided_by = $3 \
             WHERE notice_id = $4 AND organisation_id = $5 AND state <> 'accepted' \
             AND notice_id IN (SELECT id FROM notices WHERE provider_id = $6 \
                 AND answer = 'consent' AND status = 'open')",
        )
        .bind(decision)
        .bind(now)
        .bind(&actor.name)
        .bind(id.0)
        .bind(org.0)
        .bind(self.provider.0)
        .execute(&mut *w.tx)
        .await?;
        if changed.rows_affected() != 1 {
            self.notice_row(id).await?;
            return Err(StoreError::refused(
                "refusal-notice-decision",
                "only a refused or missing consent of an open notice takes a decision",
            ));
        }
        let event = NewEvent::success("notice.decision")
            .target(format!("notice:{}", id.0))
            .details(format!("organisation {}: {decision}", org.0));
        w.event(
            actor,
            &event.clone().tenant(Tenant::Provider(self.provider)),
        )
        .await?;
        w.event(actor, &event.tenant(Tenant::Organisation(org)))
            .await?;
        w.commit().await
    }

    /// Marks the change notice `id` announced as done. Refused while a
    /// consent is refused or missing without a recorded decision.
    pub async fn mark_notice_done(self, id: NoticeId, actor: &Actor) -> Result<(), StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        // Checked and changed in one statement: an answer arriving at the
        // same moment cannot slip between the check and the change.
        let sql = format!(
            "UPDATE notices SET status = 'done', done_at = $1, done_by = $2 \
             WHERE id = $3 AND provider_id = $4 AND status = 'open' \
             AND NOT EXISTS (SELECT 1 FROM notice_targets t, notices n \
                 WHERE n.id = notices.id AND t.notice_id = n.id AND {BLOCKING})"
        );
        let changed = sqlx::query(&sql)
            .bind(now)
            .bind(&actor.name)
            .bind(id.0)
            .bind(self.provider.0)
            .execute(&mut *w.tx)
            .await?;
        if changed.rows_affected() != 1 {
            if self.notice_row(id).await?.status == "done" {
                return Err(StoreError::refused(
                    "refusal-notice-done",
                    "the notice is already done",
                ));
            }
            let blocking: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM notice_targets t JOIN notices n ON n.id = t.notice_id \
                 WHERE n.id = $1 AND {BLOCKING}"
            ))
            .bind(id.0)
            .fetch_one(&mut *w.tx)
            .await?;
            return Err(StoreError::Conflict(
                Refusal::new(
                    "refusal-notice-consent-missing",
                    format!("{blocking} organisation(s) refused or have not given their consent and no decision is recorded"),
                )
                .arg("count", blocking),
            ));
        }
        w.event(
            actor,
            &NewEvent::success("notice.done")
                .target(format!("notice:{}", id.0))
                .tenant(Tenant::Provider(self.provider)),
        )
        .await?;
        w.commit().await
    }

    /// Records when and how the authority was told of notice `id` (3.11.4).
    pub async fn record_authority_informed(
        self,
        id: NoticeId,
        reference: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let changed = sqlx::query(
            "UPDATE notices SET authority_informed_at = $1, authority_reference = $2 \
             WHERE id = $3 AND provider_id = $4 AND authority = 1",
        )
        .bind(now)
        .bind(reference)
        .bind(id.0)
        .bind(self.provider.0)
        .execute(&mut *w.tx)
        .await?;
        if changed.rows_affected() != 1 {
            self.notice_row(id).await?;
            return Err(StoreError::refused(
                "refusal-notice-authority",
                "this notice is not one the authority must be told of",
            ));
        }
        w.event(
            actor,
            &NewEvent::success("notice.authority")
                .target(format!("notice:{}", id.0))
                .tenant(Tenant::Provider(self.provider))
                .details(reference.to_string()),
        )
        .await?;
        w.commit().await
    }
}

//! Notices as a commanditaire receives them: its inbox (only the notices
//! sent to it, only its own answer, never another organisation's), its
//! answer (acknowledgement, or consent given or refused with a comment),
//! and whether each member also wants them by e-mail.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{NoticeId, Tenant};

use crate::error::{Refusal, StoreError};
use crate::events::{Actor, NewEvent};
use crate::notices::{notice_from, Notice, NOTICE_COLUMNS};
use crate::scope::TenantScope;

/// A notice in an organisation's inbox with the organisation's answer.
#[derive(Debug, Clone, Serialize)]
pub struct ReceivedNotice {
    pub notice: Notice,
    /// `pending`, `acknowledged`, `accepted` or `refused`.
    pub state: String,
    pub answered_at: Option<i64>,
    pub answered_by: Option<String>,
    pub comment: Option<String>,
}

/// What an organisation answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeAnswer {
    Acknowledge,
    Accept,
    Refuse,
}

impl NoticeAnswer {
    /// The target's state after this answer.
    pub fn state(self) -> &'static str {
        match self {
            NoticeAnswer::Acknowledge => "acknowledged",
            NoticeAnswer::Accept => "accepted",
            NoticeAnswer::Refuse => "refused",
        }
    }

    /// What the notice must ask for this answer to fit it.
    fn fits(self, asked: &str) -> bool {
        match self {
            NoticeAnswer::Acknowledge => asked == "acknowledge",
            NoticeAnswer::Accept | NoticeAnswer::Refuse => asked == "consent",
        }
    }
}

const RECEIVED_SELECT: &str = "t.state, t.answered_at, t.answered_by, t.comment \
     FROM notices n JOIN notice_targets t ON t.notice_id = n.id";

fn received_from(r: &sqlx::any::AnyRow) -> Result<ReceivedNotice, StoreError> {
    Ok(ReceivedNotice {
        notice: notice_from(r)?,
        state: r.try_get("state")?,
        answered_at: r.try_get("answered_at")?,
        answered_by: r.try_get("answered_by")?,
        comment: r.try_get("comment")?,
    })
}

impl TenantScope<'_> {
    /// The names of this organisation's services notice `id` is about
    /// (none for another organisation's notice).
    pub async fn notice_services(self, id: NoticeId) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT s.name FROM notice_services ns JOIN services s ON s.id = ns.service_id \
             JOIN contracts c ON c.service_id = s.id AND c.organisation_id = $2 \
             WHERE ns.notice_id = $1 ORDER BY s.name",
        )
        .bind(id.0)
        .bind(self.organisation_id()?.0)
        .fetch_all(&self.store.pool)
        .await?)
    }

    /// The notices sent to this organisation, newest first; none for a
    /// provider.
    pub async fn notices_received(self) -> Result<Vec<ReceivedNotice>, StoreError> {
        let Ok(thiqa_domain::OrganisationId(org)) = self.organisation_id() else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {NOTICE_COLUMNS}, {RECEIVED_SELECT} WHERE t.organisation_id = $1 ORDER BY n.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(org)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(received_from).collect()
    }

    /// One notice sent to this organisation; NotFound for any other.
    pub async fn notice_received(self, id: NoticeId) -> Result<ReceivedNotice, StoreError> {
        let sql = format!(
            "SELECT {NOTICE_COLUMNS}, {RECEIVED_SELECT} WHERE n.id = $1 AND t.organisation_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(self.organisation_id()?.0)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        received_from(&row)
    }

    /// Records this organisation's answer to notice `id`, which must ask
    /// for it; a later answer replaces an earlier one while the notice is
    /// open. Journaled for the organisation and the provider.
    pub async fn answer_notice(
        self,
        id: NoticeId,
        answer: NoticeAnswer,
        comment: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let org = self.organisation_id()?.0;
        let received = self.notice_received(id).await?;
        if !answer.fits(&received.notice.answer) {
            return Err(StoreError::Conflict(Refusal::new(
                "refusal-notice-answer",
                "this notice does not ask for that answer",
            )));
        }
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let changed = sqlx::query(
            "UPDATE notice_targets SET state = $1, answered_at = $2, answered_by = $3, comment = $4 \
             WHERE notice_id = $5 AND organisation_id = $6 \
             AND notice_id IN (SELECT id FROM notices WHERE status = 'open')",
        )
        .bind(answer.state())
        .bind(now)
        .bind(&actor.name)
        .bind(comment)
        .bind(id.0)
        .bind(org)
        .execute(&mut *w.tx)
        .await?;
        if changed.rows_affected() != 1 {
            return Err(StoreError::Conflict(Refusal::new(
                "refusal-notice-closed",
                "the change this notice announced is done; answers are closed",
            )));
        }
        let provider: i64 = sqlx::query_scalar("SELECT provider_id FROM notices WHERE id = $1")
            .bind(id.0)
            .fetch_one(&mut *w.tx)
            .await?;
        let event = NewEvent::success("notice.answer")
            .target(format!("notice:{}", id.0))
            .details(format!("organisation {org}: {}", answer.state()));
        w.event(actor, &event.clone().tenant(self.tenant)).await?;
        w.event(
            actor,
            &event.tenant(Tenant::Provider(thiqa_domain::ProviderId(provider))),
        )
        .await?;
        w.commit().await
    }

    /// Whether member `user` of this organisation gets notices by e-mail
    /// (the default when it has an address).
    pub async fn notice_email(self, user: i64) -> Result<bool, StoreError> {
        let org = self.organisation_id()?.0;
        let row: Option<i64> = sqlx::query_scalar(
            "SELECT e.email FROM notice_email_preferences e JOIN customer_users u ON u.id = e.user_id \
             WHERE e.user_id = $1 AND u.organisation_id = $2",
        )
        .bind(user)
        .bind(org)
        .fetch_optional(&self.store.pool)
        .await?;
        Ok(row.is_none_or(|e| e != 0))
    }

    /// Sets whether member `user` gets notices by e-mail; journaled.
    pub async fn set_notice_email(
        self,
        user: i64,
        email: bool,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let org = self.organisation_id()?.0;
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let member: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM customer_users WHERE id = $1 AND organisation_id = $2",
        )
        .bind(user)
        .bind(org)
        .fetch_optional(&mut *w.tx)
        .await?;
        if member.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO notice_email_preferences (user_id, email) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET email = excluded.email",
        )
        .bind(user)
        .bind(i64::from(email))
        .execute(&mut *w.tx)
        .await?;
        w.event(
            actor,
            &NewEvent::success("notice.email-preference")
                .target(format!("customer:{user}"))
                .tenant(self.tenant)
                .details(if email { "e-mail on" } else { "e-mail off" }),
        )
        .await?;
        w.commit().await
    }
}

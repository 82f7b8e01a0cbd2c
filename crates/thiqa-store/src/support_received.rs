//! Support access as the commanditaire sees it (3.5.7): the requests for
//! access to its own data only, its explicit answer (a grant, or a refusal
//! saying why), and revoking a grant at any moment. Each answer is checked
//! and recorded in one statement, so a request that expired a millisecond
//! ago cannot be granted, and a revocation is the next thing the bastion
//! reads.

use sqlx::Row;
use thiqa_domain::{ProviderId, SupportRequestId, Tenant};

use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::scope::TenantScope;
use crate::support::{detail_of, journal_both, requests_of, SupportDetail, SupportRequest};

impl TenantScope<'_> {
    /// The requests for access to this organisation's data, newest first;
    /// NotFound for a provider.
    pub async fn support_requests_received(self) -> Result<Vec<SupportRequest>, StoreError> {
        let org = self.organisation_id()?;
        requests_of(self.store, Tenant::Organisation(org)).await
    }

    /// One request for access to this organisation's data, with the
    /// sessions recorded under it; NotFound for any other.
    pub async fn support_request_received(
        self,
        id: SupportRequestId,
    ) -> Result<SupportDetail, StoreError> {
        let org = self.organisation_id()?;
        detail_of(self.store, Tenant::Organisation(org), id).await
    }

    /// The organisation's answer to request `id`: granted (only while it
    /// awaits an answer and its operator is still vetted) or refused, with
    /// a comment. Journaled for the organisation and the provider.
    pub async fn answer_support_request(
        self,
        id: SupportRequestId,
        grant: bool,
        comment: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let org = self.organisation_id()?;
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let row = sqlx::query(
            "UPDATE support_requests SET state = $1, answered_at = $2, answered_by = $3, \
             comment = $4 WHERE id = $5 AND organisation_id = $6 AND state = 'pending' \
             AND answer_by > $2 AND ($1 = 'refused' OR EXISTS (SELECT 1 FROM operator_vetting v \
                 WHERE v.operator_id = support_requests.operator_id)) \
             RETURNING provider_id",
        )
        .bind(if grant { "granted" } else { "refused" })
        .bind(now)
        .bind(&actor.name)
        .bind(comment)
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(row) = row else {
            let d = self.support_request_received(id).await?;
            if d.request.decision == "pending" && d.request.answer_by > now {
                return Err(StoreError::refused(
                    "refusal-support-not-vetted",
                    "the operator has no vetting record (3.3.1): access cannot be granted",
                ));
            }
            return Err(StoreError::refused(
                "refusal-support-answered",
                "this request no longer awaits an answer (answered, withdrawn or expired)",
            ));
        };
        let provider = ProviderId(row.try_get("provider_id")?);
        let (action, what) = if grant {
            ("support.grant", "access granted")
        } else {
            ("support.refuse", "access refused")
        };
        let details = if comment.is_empty() {
            format!("administration — {what}")
        } else {
            format!("administration — {what}: {comment}")
        };
        let event = NewEvent::success(action).details(details);
        journal_both(&mut w, actor, id, provider, org, event).await?;
        w.commit().await
    }

    /// Revokes grant `id` now, whether its window has opened or not;
    /// journaled for both sides. Refused for a grant that is over.
    pub async fn revoke_support_grant(
        self,
        id: SupportRequestId,
        comment: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let org = self.organisation_id()?;
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let row = sqlx::query(
            "UPDATE support_requests SET state = 'revoked', revoked_at = $1, revoked_by = $2, \
             revoked_comment = CASE WHEN $3 = '' THEN NULL ELSE $3 END \
             WHERE id = $4 AND organisation_id = $5 AND state = 'granted' AND ends_at > $1 \
             RETURNING provider_id",
        )
        .bind(now)
        .bind(&actor.name)
        .bind(comment)
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(row) = row else {
            self.support_request_received(id).await?;
            return Err(StoreError::refused(
                "refusal-support-not-granted",
                "only a grant still running can be revoked",
            ));
        };
        let provider = ProviderId(row.try_get("provider_id")?);
        let details = if comment.is_empty() {
            "administration — access revoked".to_string()
        } else {
            format!("administration — access revoked: {comment}")
        };
        let event = NewEvent::success("support.revoke").details(details);
        journal_both(&mut w, actor, id, provider, org, event).await?;
        w.commit().await
    }
}

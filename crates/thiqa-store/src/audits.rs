//! Audit engagements: an external PASSI auditor (an account of the console
//! directory) invited to one service for a limited period. The engagement,
//! not a role, is what lets the auditor read that service and record
//! findings, so the access cannot leak to other services and ends by itself.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{EngagementId, ServiceId, Tenant};

use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::rights_error::{AssignmentError, SelfChange};
use crate::rights_guard::{account_of, succeeded};
use crate::scope::ProviderScope;

#[derive(Debug, Clone)]
pub struct NewEngagement {
    pub service: ServiceId,
    pub auditor_id: i64,
    pub firm: String,
    /// Epoch seconds; access is granted on `[starts_at, expires_at)`.
    pub starts_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Engagement {
    pub id: EngagementId,
    pub service_id: ServiceId,
    pub service_name: String,
    pub auditor_id: i64,
    pub auditor_username: String,
    pub firm: String,
    pub starts_at: i64,
    pub expires_at: i64,
    pub invited_by: String,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

impl Engagement {
    /// Whether the engagement grants access at `now` (epoch seconds).
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.starts_at <= now && now < self.expires_at
    }
}

const ENGAGEMENT_SELECT: &str = "SELECT e.id, e.service_id, s.name AS service_name, e.auditor_id, \
     o.username AS auditor_username, e.firm, e.starts_at, e.expires_at, e.invited_by, \
     e.revoked_at, e.revoked_by \
     FROM audit_engagements e JOIN services s ON s.id = e.service_id \
     JOIN operators o ON o.id = e.auditor_id";

fn engagement_from_row(r: &sqlx::any::AnyRow) -> Result<Engagement, StoreError> {
    Ok(Engagement {
        id: EngagementId(r.try_get("id")?),
        service_id: ServiceId(r.try_get("service_id")?),
        service_name: r.try_get("service_name")?,
        auditor_id: r.try_get("auditor_id")?,
        auditor_username: r.try_get("auditor_username")?,
        firm: r.try_get("firm")?,
        starts_at: r.try_get("starts_at")?,
        expires_at: r.try_get("expires_at")?,
        invited_by: r.try_get("invited_by")?,
        revoked_at: r.try_get("revoked_at")?,
        revoked_by: r.try_get("revoked_by")?,
    })
}

impl ProviderScope<'_> {
    /// Invites `auditor_id` to one service. Refused (Conflict, naming the
    /// right and the engagement) when the account holds a right that edits
    /// the service: the rights transaction checks the auditor's
    /// independence with the engagement in place.
    pub async fn create_engagement(
        self,
        new: &NewEngagement,
        actor: &Actor,
    ) -> Result<EngagementId, StoreError> {
        let provider = self.provider;
        let service = self.service(new.service).await?;
        let tenant = Tenant::Provider(provider);
        let auditor = self.store.tenant(tenant).account(new.auditor_id).await?;
        if new.expires_at <= new.starts_at {
            return Err(StoreError::Conflict(crate::Refusal::new(
                "refusal-engagement-period",
                "the engagement must end after it starts",
            )));
        }
        let event = NewEvent::failure("audit.engagement.create")
            .target(format!("service:{}", new.service.0))
            .tenant(tenant);
        let result: Result<i64, AssignmentError> = async {
            // In the store, not only on the page: every caller is held to it.
            if account_of(actor, tenant) == Some(new.auditor_id) {
                return Err(AssignmentError::SelfChange(SelfChange::OwnAudit));
            }
            let mut r = self.store.tenant(tenant).rights_tx().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO audit_engagements (provider_id, service_id, auditor_id, firm, starts_at, \
                 expires_at, invited_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(provider.0)
            .bind(new.service.0)
            .bind(new.auditor_id)
            .bind(&new.firm)
            .bind(new.starts_at)
            .bind(new.expires_at)
            .bind(&actor.name)
            .bind(self.store.clock.now_s())
            .fetch_one(&mut *r.w.tx)
            .await?;
            r.w.event(
                actor,
                &succeeded(&event).details(format!(
                    "engagement {id}: {} ({}) on \"{}\" from {} until {}",
                    auditor.username, new.firm, service.name, new.starts_at, new.expires_at
                )),
            )
            .await?;
            r.commit().await?;
            Ok(id)
        }
        .await;
        // A refusal becomes a Conflict naming the right and the engagement.
        self.store
            .settle(actor, event, result)
            .await
            .map_err(|e| match e {
                AssignmentError::Store(e) => e,
                AssignmentError::Auditor(v) => StoreError::Conflict(
                    crate::Refusal::new("error-auditor-independence", v.to_string())
                        .arg("auditor", &v.auditor)
                        .arg("permission", &v.permission)
                        .arg("service", &v.service)
                        .arg("engagement", v.engagement),
                ),
                refused => StoreError::Conflict(
                    crate::Refusal::new("refusal-engagement-refused", refused.to_string())
                        .arg("reason", refused),
                ),
            })
            .map(EngagementId)
    }

    /// Ends an engagement now; the auditor's next request is refused.
    pub async fn revoke_engagement(
        self,
        id: EngagementId,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let id = id.0;
        let provider = self.provider;
        let mut w = self.store.write().await?;
        let done = sqlx::query(
            "UPDATE audit_engagements SET revoked_at = $1, revoked_by = $2 \
             WHERE id = $3 AND provider_id = $4 AND revoked_at IS NULL",
        )
        .bind(self.store.clock.now_s())
        .bind(&actor.name)
        .bind(id)
        .bind(provider.0)
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        w.event(
            actor,
            &NewEvent::success("audit.engagement.revoke")
                .target(format!("engagement:{id}"))
                .tenant(Tenant::Provider(provider)),
        )
        .await?;
        w.commit().await
    }

    /// Every engagement of the provider (optionally of one service), newest first.
    pub async fn engagements(
        self,
        service: Option<ServiceId>,
    ) -> Result<Vec<Engagement>, StoreError> {
        let provider = self.provider;
        let sql = format!(
            "{ENGAGEMENT_SELECT} WHERE e.provider_id = $1 AND ($2 = 0 OR e.service_id = $2) \
             ORDER BY e.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(provider.0)
            .bind(service.map_or(0, |s| s.0))
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(engagement_from_row).collect()
    }

    /// The auditor's engagements (active or not), newest first.
    pub async fn engagements_of_auditor(
        self,
        auditor_id: i64,
    ) -> Result<Vec<Engagement>, StoreError> {
        let provider = self.provider;
        let sql = format!(
            "{ENGAGEMENT_SELECT} WHERE e.provider_id = $1 AND e.auditor_id = $2 ORDER BY e.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(provider.0)
            .bind(auditor_id)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(engagement_from_row).collect()
    }

    /// The engagement that lets `auditor_id` into `service` right now, if any.
    pub async fn active_engagement(
        self,
        service: ServiceId,
        auditor_id: i64,
    ) -> Result<Option<Engagement>, StoreError> {
        let provider = self.provider;
        let now = self.store.clock.now_s();
        let sql = format!(
            "{ENGAGEMENT_SELECT} WHERE e.provider_id = $1 AND e.service_id = $2 AND e.auditor_id = $3 \
             AND e.revoked_at IS NULL AND e.starts_at <= $4 AND e.expires_at > $4 \
             ORDER BY e.expires_at DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(provider.0)
            .bind(service.0)
            .bind(auditor_id)
            .bind(now)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(engagement_from_row).transpose()
    }
}

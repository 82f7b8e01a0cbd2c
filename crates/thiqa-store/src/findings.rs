//! Auditors' findings on a service's obligations: recorded by the auditor,
//! answered by the provider, closed by the auditor. Each step journaled.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{EngagementId, FindingId, ServiceId, Tenant};

use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::scope::ProviderScope;
use crate::versions::{self, Key};

/// Observation, minor or major non-conformity, lightest first.
pub const FINDING_SEVERITIES: [&str; 3] = ["observation", "minor", "major"];

/// open → responded (the provider answered) → closed (the auditor accepted).
pub const FINDING_STATUSES: [&str; 3] = ["open", "responded", "closed"];

#[derive(Debug, Clone)]
pub struct NewFinding {
    pub obligation_id: String,
    pub severity: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: FindingId,
    pub service_id: ServiceId,
    pub engagement_id: Option<EngagementId>,
    pub obligation_id: String,
    pub severity: String,
    pub description: String,
    pub recorded_by: String,
    pub recorded_at: i64,
    pub response: String,
    pub responded_by: Option<String>,
    pub responded_at: Option<i64>,
    pub status: String,
    pub closure_note: String,
    pub closed_by: Option<String>,
    pub closed_at: Option<i64>,
    /// Bumped by every answer or closure; each names the version it saw.
    pub version: i64,
}

impl Finding {
    pub fn is_closed(&self) -> bool {
        self.status == "closed"
    }
}

const FINDING_SELECT: &str = "SELECT id, service_id, engagement_id, obligation_id, severity, \
     description, recorded_by, recorded_at, response, responded_by, responded_at, status, \
     closure_note, closed_by, closed_at, version FROM findings";

fn finding_from_row(r: &sqlx::any::AnyRow) -> Result<Finding, StoreError> {
    Ok(Finding {
        id: FindingId(r.try_get("id")?),
        service_id: ServiceId(r.try_get("service_id")?),
        engagement_id: r
            .try_get::<Option<i64>, _>("engagement_id")?
            .map(EngagementId),
        obligation_id: r.try_get("obligation_id")?,
        severity: r.try_get("severity")?,
        description: r.try_get("description")?,
        recorded_by: r.try_get("recorded_by")?,
        recorded_at: r.try_get("recorded_at")?,
        response: r.try_get("response")?,
        responded_by: r.try_get("responded_by")?,
        responded_at: r.try_get("responded_at")?,
        status: r.try_get("status")?,
        closure_note: r.try_get("closure_note")?,
        closed_by: r.try_get("closed_by")?,
        closed_at: r.try_get("closed_at")?,
        version: r.try_get("version")?,
    })
}

/// Which step of a finding's life a change is.
enum Step<'a> {
    Respond(&'a str),
    Close(&'a str),
}

impl ProviderScope<'_> {
    /// Records a finding made under `engagement_id` (None: recorded by the
    /// provider itself, e.g. an internal audit).
    pub async fn record_finding(
        self,
        service: ServiceId,
        engagement_id: Option<EngagementId>,
        new: &NewFinding,
        actor: &Actor,
    ) -> Result<FindingId, StoreError> {
        let engagement_id = engagement_id.map(|x| x.0);
        let provider = self.provider;
        if !FINDING_SEVERITIES.contains(&new.severity.as_str()) {
            return Err(StoreError::Conflict(
                crate::Refusal::new(
                    "refusal-finding-severity",
                    format!("unknown finding severity {}", new.severity),
                )
                .arg("severity", &new.severity),
            ));
        }
        self.service(service).await?;
        let mut w = self.store.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO findings (service_id, engagement_id, obligation_id, severity, description, \
             recorded_by, recorded_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open') RETURNING id",
        )
        .bind(service.0)
        .bind(engagement_id)
        .bind(&new.obligation_id)
        .bind(&new.severity)
        .bind(&new.description)
        .bind(&actor.name)
        .bind(self.store.clock.now_s())
        .fetch_one(&mut *w.tx)
        .await?;
        w.event(
            actor,
            &NewEvent::success("finding.record")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "finding {id} ({}) on {}",
                    new.severity, new.obligation_id
                )),
        )
        .await?;
        w.commit().await?;
        Ok(FindingId(id))
    }

    /// The provider's answer, made from `version` of the finding (None:
    /// whatever it is now); refused once the finding is closed, `Stale` if
    /// it was answered meanwhile.
    pub async fn respond_to_finding(
        self,
        service: ServiceId,
        id: FindingId,
        response: &str,
        version: Option<i64>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let id = id.0;
        let step = Step::Respond(response);
        self.finding_step(service, id, step, version, actor).await
    }

    /// The auditor accepts the answer (or the fix) seen at `version` and
    /// closes the finding.
    pub async fn close_finding(
        self,
        service: ServiceId,
        id: FindingId,
        note: &str,
        version: Option<i64>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let id = id.0;
        self.finding_step(service, id, Step::Close(note), version, actor)
            .await
    }

    async fn finding_step(
        self,
        service: ServiceId,
        id: i64,
        step: Step<'_>,
        version: Option<i64>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let provider = self.provider;
        self.service(service).await?;
        let now = self.store.clock.now_s();
        let responding = matches!(step, Step::Respond(_));
        let mut w = self.store.write().await?;
        let key = [("id", Key::Int(id)), ("service_id", Key::Int(service.0))];
        if !versions::claim(&mut w, "findings", &key, version).await? {
            drop(w);
            let f = self.finding(service, FindingId(id)).await?;
            return Err(if f.is_closed() {
                StoreError::Conflict(finding_closed(id))
            } else {
                versions::stale("refusal-stale-finding", id, &format!("finding {id}"))
            });
        }
        // The status condition makes a racing close and answer exclusive:
        // whichever commits second matches no row. The author conditions
        // keep the audit independent: whoever recorded a finding does not
        // answer it, whoever answered it does not close it.
        let (sql, text, action) = match step {
            Step::Respond(text) => (
                "UPDATE findings SET response = $1, responded_by = $2, responded_at = $3, \
                 status = 'responded' WHERE id = $4 AND service_id = $5 AND status <> 'closed' \
                 AND recorded_by <> $2",
                text,
                "finding.respond",
            ),
            Step::Close(text) => (
                "UPDATE findings SET closure_note = $1, closed_by = $2, closed_at = $3, \
                 status = 'closed' WHERE id = $4 AND service_id = $5 AND status <> 'closed' \
                 AND (responded_by IS NULL OR responded_by <> $2)",
                text,
                "finding.close",
            ),
        };
        let done = sqlx::query(sql)
            .bind(text)
            .bind(&actor.name)
            .bind(now)
            .bind(id)
            .bind(service.0)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() != 1 {
            drop(w);
            // Tell a missing finding from a closed one or a refused author.
            let f = self.finding(service, FindingId(id)).await?;
            let refusal = if f.is_closed() {
                finding_closed(id)
            } else if responding {
                crate::Refusal::new(
                    "refusal-finding-own-answer",
                    format!(
                        "finding {id} was recorded by {}: its author cannot answer it",
                        f.recorded_by
                    ),
                )
                .arg("id", id)
                .arg("by", &f.recorded_by)
            } else {
                crate::Refusal::new(
                    "refusal-finding-own-closure",
                    format!(
                        "finding {id} was answered by {}: who answered it cannot close it",
                        actor.name
                    ),
                )
                .arg("id", id)
                .arg("by", &actor.name)
            };
            return Err(StoreError::Conflict(refusal));
        }
        w.event(
            actor,
            &NewEvent::success(action)
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!("finding {id}")),
        )
        .await?;
        w.commit().await
    }

    pub async fn finding(self, service: ServiceId, id: FindingId) -> Result<Finding, StoreError> {
        let id = id.0;
        self.service(service).await?;
        let sql = format!("{FINDING_SELECT} WHERE id = $1 AND service_id = $2");
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(service.0)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        finding_from_row(&row)
    }

    /// The service's findings, open ones first, then by obligation.
    pub async fn findings(self, service: ServiceId) -> Result<Vec<Finding>, StoreError> {
        self.service(service).await?;
        let sql = format!(
            "{FINDING_SELECT} WHERE service_id = $1 \
             ORDER BY CASE status WHEN 'closed' THEN 1 ELSE 0 END, obligation_id, id"
        );
        let rows = sqlx::query(&sql)
            .bind(service.0)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(finding_from_row).collect()
    }
}

fn finding_closed(id: i64) -> crate::Refusal {
    crate::Refusal::new(
        "refusal-finding-closed",
        format!("finding {id} is already closed"),
    )
    .arg("id", id)
}

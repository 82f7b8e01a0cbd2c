//! Action items of a service's plan (plan of action and milestones): what
//! closes which gaps, who owns it, by when; each change journaled.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{ActionId, FindingId, ServiceId, Tenant};

use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::scope::ProviderScope;
use crate::versions::{self, Key};

pub const ACTION_STATUSES: [&str; 4] = ["open", "in_progress", "done", "cancelled"];

#[derive(Debug, Clone)]
pub struct NewAction {
    pub title: String,
    pub description: String,
    pub owner: String,
    pub due_date: String,
    pub obligations: Vec<String>,
    /// Auditors' findings of the same service this action answers.
    pub findings: Vec<FindingId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionItem {
    pub id: ActionId,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub due_date: String,
    pub status: String,
    pub created_by: String,
    pub obligations: Vec<String>,
    pub findings: Vec<FindingId>,
    /// Bumped by every status change; a change names the version it saw.
    pub version: i64,
}

impl ProviderScope<'_> {
    pub async fn create_action(
        self,
        service: ServiceId,
        new: &NewAction,
        actor: &Actor,
    ) -> Result<ActionId, StoreError> {
        let provider = self.provider;
        self.service(service).await?;
        let now = self.store.clock.now_s();
        let mut w = self.store.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO action_items (service_id, title, description, owner, due_date, status, created_at, created_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $6) RETURNING id",
        )
        .bind(service.0)
        .bind(&new.title)
        .bind(&new.description)
        .bind(&new.owner)
        .bind(&new.due_date)
        .bind(now)
        .bind(&actor.name)
        .fetch_one(&mut *w.tx)
        .await?;
        for o in &new.obligations {
            sqlx::query("INSERT INTO action_item_links (action_id, obligation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(o)
                .execute(&mut *w.tx)
                .await?;
        }
        for f in &new.findings {
            let linked = sqlx::query(
                "INSERT INTO action_item_findings (action_id, finding_id) \
                 SELECT $1, id FROM findings WHERE id = $2 AND service_id = $3 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(f.0)
            .bind(service.0)
            .execute(&mut *w.tx)
            .await?;
            if linked.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    crate::Refusal::new(
                        "refusal-finding-elsewhere",
                        format!("finding {f} is not a finding of this service"),
                    )
                    .arg("id", f),
                ));
            }
        }
        w.event(
            actor,
            &NewEvent::success("action.create")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "action {id} \"{}\" due {} for {}",
                    new.title,
                    new.due_date,
                    new.obligations.join(" ")
                )),
        )
        .await?;
        w.commit().await?;
        Ok(ActionId(id))
    }

    /// Moves an action to another status (one of [`ACTION_STATUSES`]),
    /// from the `version` its editor saw; `Stale` if it moved meanwhile.
    pub async fn set_action_status(
        self,
        service: ServiceId,
        id: ActionId,
        status: &str,
        version: i64,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let id = id.0;
        let provider = self.provider;
        if !ACTION_STATUSES.contains(&status) {
            return Err(StoreError::Conflict(
                crate::Refusal::new(
                    "refusal-action-status",
                    format!("unknown action status {status}"),
                )
                .arg("status", status),
            ));
        }
        self.service(service).await?;
        let mut w = self.store.write().await?;
        let key = [("id", Key::Int(id)), ("service_id", Key::Int(service.0))];
        if !versions::claim(&mut w, "action_items", &key, Some(version)).await? {
            let exists =
                sqlx::query("SELECT 1 FROM action_items WHERE id = $1 AND service_id = $2")
                    .bind(id)
                    .bind(service.0)
                    .fetch_optional(&mut *w.tx)
                    .await?;
            return Err(match exists {
                Some(_) => versions::stale("refusal-stale-action", id, &format!("action {id}")),
                None => StoreError::NotFound,
            });
        }
        let done = sqlx::query("UPDATE action_items SET status = $1, updated_at = $2 WHERE id = $3 AND service_id = $4")
            .bind(status)
            .bind(self.store.clock.now_s())
            .bind(id)
            .bind(service.0)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        w.event(
            actor,
            &NewEvent::success("action.status")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!("action {id} -> {status}")),
        )
        .await?;
        w.commit().await
    }

    /// The service's actions, soonest due first, each with its obligations.
    pub async fn actions(self, service: ServiceId) -> Result<Vec<ActionItem>, StoreError> {
        self.service(service).await?;
        let rows = sqlx::query(
            "SELECT a.id, a.title, a.description, a.owner, a.due_date, a.status, a.created_by, a.version, l.obligation_id \
             FROM action_items a LEFT JOIN action_item_links l ON l.action_id = a.id \
             WHERE a.service_id = $1 ORDER BY a.due_date, a.id, l.obligation_id",
        )
        .bind(service.0)
        .fetch_all(&self.store.pool)
        .await?;
        let mut out: Vec<ActionItem> = Vec::new();
        for r in &rows {
            let id = ActionId(r.try_get("id")?);
            if out.last().is_none_or(|a| a.id != id) {
                out.push(ActionItem {
                    id,
                    title: r.try_get("title")?,
                    description: r.try_get("description")?,
                    owner: r.try_get("owner")?,
                    due_date: r.try_get("due_date")?,
                    status: r.try_get("status")?,
                    created_by: r.try_get("created_by")?,
                    version: r.try_get("version")?,
                    obligations: vec![],
                    findings: vec![],
                });
            }
            let link: Option<String> = r.try_get("obligation_id")?;
            if let (Some(link), Some(last)) = (link, out.last_mut()) {
                last.obligations.push(link);
            }
        }
        let links = sqlx::query(
            "SELECT l.action_id, l.finding_id FROM action_item_findings l \
             JOIN action_items a ON a.id = l.action_id WHERE a.service_id = $1 ORDER BY l.finding_id",
        )
        .bind(service.0)
        .fetch_all(&self.store.pool)
        .await?;
        for r in &links {
            let action = ActionId(r.try_get("action_id")?);
            if let Some(a) = out.iter_mut().find(|a| a.id == action) {
                a.findings.push(FindingId(r.try_get("finding_id")?));
            }
        }
        Ok(out)
    }
}

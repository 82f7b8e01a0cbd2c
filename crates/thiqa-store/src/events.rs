//! Security events (référentiel 3.8.6): one interface, written inside the
//! transaction of the change they record ([`WriteTx::event`]), so there is
//! no change without its event. Each event is also appended, in that same
//! transaction, to the tamper-evident journal (`journal.rs`) as a leaf
//! ([`leaf`]): this table is what the console reads, the journal is what
//! proves the events were not rewritten. Past retention both go
//! ([`retention`]).

mod leaf;
mod retention;

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{Directory, Tenant};

use crate::connect::{Store, WriteTx};
use crate::error::StoreError;
use crate::Tx;

pub use leaf::alert_event_severity;

/// Who did it, from where.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub directory: Option<Directory>,
    pub id: Option<i64>,
    pub name: String,
    pub source_ip: Option<String>,
}

impl Actor {
    /// The command line, run by someone with access to the server's shell.
    pub fn cli() -> Actor {
        Actor {
            directory: None,
            id: None,
            name: "cli".into(),
            source_ip: None,
        }
    }

    /// Thiqa itself (timers, demo loader).
    pub fn system() -> Actor {
        Actor {
            directory: None,
            id: None,
            name: "system".into(),
            source_ip: None,
        }
    }

    /// Someone not yet authenticated (a login attempt).
    pub fn anonymous(claimed_name: &str, source_ip: Option<String>) -> Actor {
        Actor {
            directory: None,
            id: None,
            name: claimed_name.chars().take(64).collect(),
            source_ip,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// What happened, to what, in which tenant.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub action: &'static str,
    pub target: Option<String>,
    pub tenant: Option<Tenant>,
    pub outcome: Outcome,
    pub details: Option<String>,
}

impl NewEvent {
    pub fn success(action: &'static str) -> NewEvent {
        NewEvent {
            action,
            target: None,
            tenant: None,
            outcome: Outcome::Success,
            details: None,
        }
    }

    pub fn failure(action: &'static str) -> NewEvent {
        NewEvent {
            outcome: Outcome::Failure,
            ..NewEvent::success(action)
        }
    }

    pub fn target(mut self, target: impl Into<String>) -> NewEvent {
        self.target = Some(target.into());
        self
    }

    pub fn tenant(mut self, tenant: Tenant) -> NewEvent {
        self.tenant = Some(tenant);
        self
    }

    pub fn details(mut self, details: impl Into<String>) -> NewEvent {
        self.details = Some(details.into());
        self
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecurityEvent {
    pub id: i64,
    pub occurred_at_ms: i64,
    pub actor_directory: Option<String>,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub tenant_kind: Option<String>,
    pub tenant_id: Option<i64>,
    pub source_ip: Option<String>,
    pub outcome: String,
    pub details: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub tenant: Option<Tenant>,
    pub action_prefix: Option<String>,
    pub limit: i64,
}

impl WriteTx {
    /// Records a security event inside this transaction: committed with the
    /// change it describes, or not at all.
    pub async fn event(&mut self, actor: &Actor, event: &NewEvent) -> Result<(), StoreError> {
        record(&mut self.tx, self.now_ms, actor, event).await
    }
}

async fn record(
    tx: &mut Tx<'_>,
    now_ms: i64,
    actor: &Actor,
    event: &NewEvent,
) -> Result<(), StoreError> {
    let (tenant_kind, tenant_id) = match event.tenant {
        Some(t) => {
            let (k, id) = t.parts();
            (Some(k), Some(id))
        }
        None => (None, None),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO security_events (occurred_at_ms, actor_directory, actor_id, actor_name, \
         action, target, tenant_kind, tenant_id, source_ip, outcome, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(now_ms)
    .bind(actor.directory.map(|d| d.as_str()))
    .bind(actor.id)
    .bind(&actor.name)
    .bind(event.action)
    .bind(event.target.as_deref())
    .bind(tenant_kind)
    .bind(tenant_id)
    .bind(actor.source_ip.as_deref())
    .bind(event.outcome.as_str())
    .bind(event.details.as_deref())
    .fetch_one(&mut **tx)
    .await?;
    let index = leaf::append_security_event(tx, now_ms, id, actor, event).await?;
    tracing::info!(
        target: "thiqa::security",
        action = event.action,
        outcome = event.outcome.as_str(),
        actor = %actor.name,
        target_object = event.target.as_deref().unwrap_or(""),
        journal_index = index,
        "security event"
    );
    Ok(())
}

impl Store {
    /// Records an event that changes nothing else (e.g. a refused login).
    pub async fn record_event(&self, actor: &Actor, event: NewEvent) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        w.leaves_sessions();
        w.event(actor, &event).await?;
        w.commit().await
    }

    /// Newest first.
    pub async fn events(&self, filter: &EventFilter) -> Result<Vec<SecurityEvent>, StoreError> {
        let limit = if filter.limit <= 0 {
            100
        } else {
            filter.limit.min(10_000)
        };
        let (kind, id) = match filter.tenant {
            Some(t) => {
                let (k, i) = t.parts();
                (Some(k), Some(i))
            }
            None => (None, None),
        };
        let prefix = filter.action_prefix.as_deref().map(|p| format!("{p}%"));
        let rows = sqlx::query(
            "SELECT id, occurred_at_ms, actor_directory, actor_id, actor_name, action, target, \
             tenant_kind, tenant_id, source_ip, outcome, details FROM security_events \
             WHERE ($1 IS NULL OR tenant_kind = $1) AND ($2 IS NULL OR tenant_id = $2) \
             AND ($3 IS NULL OR action LIKE $3) ORDER BY id DESC LIMIT $4",
        )
        .bind(kind)
        .bind(id)
        .bind(prefix)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SecurityEvent {
                    id: r.try_get("id")?,
                    occurred_at_ms: r.try_get("occurred_at_ms")?,
                    actor_directory: r.try_get("actor_directory")?,
                    actor_id: r.try_get("actor_id")?,
                    actor_name: r.try_get("actor_name")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    tenant_kind: r.try_get("tenant_kind")?,
                    tenant_id: r.try_get("tenant_id")?,
                    source_ip: r.try_get("source_ip")?,
                    outcome: r.try_get("outcome")?,
                    details: r.try_get("details")?,
                })
            })
            .collect()
    }
}

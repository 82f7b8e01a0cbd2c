//! Which incident severities notify which of an organisation's members, and
//! through which channel (3.12.2: the commanditaire chooses the severities
//! it is told of). The organisation keeps them itself (`store.tenant(t)`);
//! the incidents to come read them to address their notifications.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::Tenant;

use crate::error::{Refusal, StoreError};
use crate::events::{Actor, NewEvent};
use crate::scope::TenantScope;

/// One member told of one severity through one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentPreference {
    /// `critical`, `high`, `medium` or `low`.
    pub severity: String,
    /// A member of the organisation (customer directory).
    pub user_id: i64,
    /// `inbox` or `email`.
    pub channel: String,
}

impl TenantScope<'_> {
    /// The organisation's preferences, by severity then member; none for a
    /// provider.
    pub async fn incident_preferences(self) -> Result<Vec<IncidentPreference>, StoreError> {
        let Tenant::Organisation(org) = self.tenant else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT severity, user_id, channel FROM incident_preferences \
             WHERE organisation_id = $1 ORDER BY severity, user_id",
        )
        .bind(org.0)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(IncidentPreference {
                    severity: r.try_get("severity")?,
                    user_id: r.try_get("user_id")?,
                    channel: r.try_get("channel")?,
                })
            })
            .collect()
    }

    /// Replaces the organisation's preferences with `all`, in one
    /// transaction, journaled. Refused (nothing changed) when a member is
    /// not an active account of this organisation; NotFound for a provider.
    pub async fn set_incident_preferences(
        self,
        all: &[IncidentPreference],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let Tenant::Organisation(org) = self.tenant else {
            return Err(StoreError::NotFound);
        };
        let now = self.store.clock.now_s();
        let mut w = self.store.write().await?;
        sqlx::query("DELETE FROM incident_preferences WHERE organisation_id = $1")
            .bind(org.0)
            .execute(&mut *w.tx)
            .await?;
        for p in all {
            // Only the organisation's own active members: checked in the
            // insert itself, so a member of another one adds no row.
            let added = sqlx::query(
                "INSERT INTO incident_preferences (organisation_id, severity, user_id, channel, \
                 updated_at, updated_by) SELECT $1, $2, id, $3, $4, $5 FROM customer_users \
                 WHERE id = $6 AND organisation_id = $1 AND status = 'active'",
            )
            .bind(org.0)
            .bind(&p.severity)
            .bind(&p.channel)
            .bind(now)
            .bind(&actor.name)
            .bind(p.user_id)
            .execute(&mut *w.tx)
            .await?;
            if added.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    Refusal::new(
                        "refusal-incident-preference-member",
                        format!("account {} is not a member of this organisation", p.user_id),
                    )
                    .arg("id", p.user_id),
                ));
            }
        }
        let summary: Vec<String> = all
            .iter()
            .map(|p| format!("{}:{}:{}", p.severity, p.user_id, p.channel))
            .collect();
        w.event(
            actor,
            &NewEvent::success("incident.preferences")
                .target(format!("organisation:{}", org.0))
                .tenant(self.tenant)
                .details(summary.join(" ")),
        )
        .await?;
        w.commit().await
    }
}

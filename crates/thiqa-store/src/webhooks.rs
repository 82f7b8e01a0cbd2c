//! An organisation's webhook endpoints: where Thiqa posts what it tells the
//! organisation, signed with a secret per endpoint (Standard Webhooks).
//! The secret is shown once, when made or rotated; after a rotation the
//! previous one keeps signing beside the new one for a day, so the
//! receiver can switch without losing a message.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::WebhookId;

use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::scope::TenantScope;

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;

/// An endpoint as listed (never its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookEndpoint {
    pub id: WebhookId,
    pub url: String,
    pub created_at: i64,
    pub created_by: String,
    /// Until when the previous secret still signs, after a rotation.
    pub previous_until: Option<i64>,
}

/// An endpoint's URL as the journal keeps it: without its query or
/// fragment, where receivers often put an access token.
fn without_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_string()
}

impl TenantScope<'_> {
    /// The organisation's endpoints, oldest first.
    pub async fn webhooks(self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let Ok(thiqa_domain::OrganisationId(org)) = self.organisation_id() else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT id, url, created_at, created_by, previous_until FROM webhook_endpoints \
             WHERE organisation_id = $1 ORDER BY id",
        )
        .bind(org)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WebhookEndpoint {
                    id: WebhookId(r.try_get("id")?),
                    url: r.try_get("url")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                    previous_until: r.try_get("previous_until")?,
                })
            })
            .collect()
    }

    /// Adds an endpoint (the use cases checked the URL); journaled.
    pub async fn add_webhook(
        self,
        url: &str,
        secret: &str,
        actor: &Actor,
    ) -> Result<WebhookId, StoreError> {
        let org = self.organisation_id()?.0;
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhook_endpoints (organisation_id, url, secret, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(org)
        .bind(url)
        .bind(secret)
        .bind(now)
        .bind(&actor.name)
        .fetch_one(&mut *w.tx)
        .await?;
        w.event(
            actor,
            &NewEvent::success("webhook.add")
                .target(format!("webhook:{id}"))
                .tenant(self.tenant)
                .details(without_query(url)),
        )
        .await?;
        w.commit().await?;
        Ok(WebhookId(id))
    }

    /// Replaces endpoint `id`'s secret; the previous one signs beside it
    /// for [`ROTATION_OVERLAP_MS`]. Journaled.
    pub async fn rotate_webhook(
        self,
        id: WebhookId,
        secret: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let org = self.organisation_id()?.0;
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let until = w.now_ms + ROTATION_OVERLAP_MS;
        let changed = sqlx::query(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $1, \
             secret = $2 WHERE id = $3 AND organisation_id = $4",
        )
        .bind(until)
        .bind(secret)
        .bind(id.0)
        .bind(org)
        .execute(&mut *w.tx)
        .await?;
        if changed.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        w.event(
            actor,
            &NewEvent::success("webhook.rotate")
                .target(format!("webhook:{}", id.0))
                .tenant(self.tenant),
        )
        .await?;
        w.commit().await
    }

    /// Removes endpoint `id`; its messages not yet sent are given up.
    pub async fn remove_webhook(self, id: WebhookId, actor: &Actor) -> Result<(), StoreError> {
        let org = self.organisation_id()?.0;
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let removed =
            sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND organisation_id = $2")
                .bind(id.0)
                .bind(org)
                .execute(&mut *w.tx)
                .await?;
        if removed.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE deliveries SET state = 'dead', last_error = 'endpoint removed' \
             WHERE channel = 'webhook' AND address = $1 AND organisation_id = $2 AND state = 'pending'",
        )
        .bind(id.0.to_string())
        .bind(org)
        .execute(&mut *w.tx)
        .await?;
        w.event(
            actor,
            &NewEvent::success("webhook.remove")
                .target(format!("webhook:{}", id.0))
                .tenant(self.tenant),
        )
        .await?;
        w.commit().await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_journal_never_keeps_a_token_in_the_query() {
        assert_eq!(
            super::without_query("https://hooks.banque.ma/in?token=s3cr3t#x"),
            "https://hooks.banque.ma/in"
        );
    }
}

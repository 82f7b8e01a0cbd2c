//! A commanditaire's webhook endpoints: where Thiqa posts what it tells the
//! organisation (notices now, incidents next), signed per Standard Webhooks
//! with a secret per endpoint. The organisation's administrators
//! (`org.users.manage`) add, rotate and remove them; the secret is shown
//! once, when made, and never stored anywhere the portal reads back.

use thiqa_delivery::{check_url, UrlProblem, WebhookSecret};
use thiqa_domain::{Permission, Tenant, WebhookId};
use thiqa_store::WebhookEndpoint;

use crate::{App, AppError, Member};

/// An endpoint made or rotated, with the secret to copy now.
pub struct IssuedSecret {
    pub id: WebhookId,
    /// `whsec_…`, shown once.
    pub secret: String,
}

fn administrator(member: &Member<'_>) -> Result<(), AppError> {
    match member.tenant() {
        Tenant::Organisation(_) => member.require(Permission::OrgUsersManage),
        Tenant::Provider(_) => Err(AppError::Forbidden),
    }
}

fn new_secret() -> Result<String, AppError> {
    Ok(WebhookSecret::generate()
        .map_err(|e| AppError::Internal(e.to_string()))?
        .as_text())
}

/// The organisation's endpoints (`org.users.manage`).
pub async fn list(app: &App, member: &Member<'_>) -> Result<Vec<WebhookEndpoint>, AppError> {
    administrator(member)?;
    Ok(app.store.tenant(member.tenant()).webhooks().await?)
}

/// A webhook URL checked as the sender will use it: https, no
/// credentials, no private, local or reserved address unless
/// `allow_private` (the deployment's own receivers).
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn check(text: &str, allow_private: bool) -> Result<WebhookUrl, UrlProblem> {
        check_url(text, allow_private).map(|url| WebhookUrl(url.to_string()))
    }
}

/// Adds an endpoint at `url`; journaled.
pub async fn add(
    app: &App,
    member: &Member<'_>,
    url: &WebhookUrl,
) -> Result<IssuedSecret, AppError> {
    administrator(member)?;
    let secret = new_secret()?;
    let id = app
        .store
        .tenant(member.tenant())
        .add_webhook(&url.0, &secret, member.actor())
        .await?;
    Ok(IssuedSecret { id, secret })
}

/// A new secret for endpoint `id`; the previous one signs beside it for a
/// day. Journaled.
pub async fn rotate(
    app: &App,
    member: &Member<'_>,
    id: WebhookId,
) -> Result<IssuedSecret, AppError> {
    administrator(member)?;
    let secret = new_secret()?;
    app.store
        .tenant(member.tenant())
        .rotate_webhook(id, &secret, member.actor())
        .await?;
    Ok(IssuedSecret { id, secret })
}

/// Removes endpoint `id`; journaled.
pub async fn remove(app: &App, member: &Member<'_>, id: WebhookId) -> Result<(), AppError> {
    administrator(member)?;
    Ok(app
        .store
        .tenant(member.tenant())
        .remove_webhook(id, member.actor())
        .await?)
}

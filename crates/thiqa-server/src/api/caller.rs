//! API authentication: personal tokens (`Authorization: Bearer thq_…`), hashed
//! at rest, scoped, expiring, revocable. A request authenticates by token or
//! by cookie, never both: the API reads the token alone (a session cookie sent
//! along is ignored and adds no right), so it needs no CSRF protection; the
//! pages read the cookie alone and always pass the CSRF guard.

use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;
use thiqa_crypto::token::is_api_token;
use thiqa_domain::{Permission, PermissionSet, Tenant};
use thiqa_store::{Account, Actor};

use crate::realm::Realm;
use crate::state::AppState;
use crate::web::client_address::client_address;
use crate::web::error::ApiError;

pub struct ApiCaller<R: Realm> {
    pub account: Account,
    /// The owner's permissions narrowed to the token's scopes.
    pub permissions: PermissionSet,
    pub source_ip: Option<String>,
    _realm: PhantomData<R>,
}

impl<R: Realm> ApiCaller<R> {
    pub fn tenant(&self) -> Tenant {
        self.account.tenant
    }

    /// The use cases' context of the token's owner in its own directory,
    /// with the token's narrowed permissions.
    pub fn member(&self) -> thiqa_app::Member<'_> {
        thiqa_app::Member::signed(&self.account, &self.permissions, self.actor())
    }

    /// The use cases' context of a provider's staff member (Forbidden for
    /// anyone else), with the token's narrowed permissions.
    pub fn staff(&self) -> Result<thiqa_app::Staff<'_>, ApiError> {
        match self.tenant() {
            Tenant::Provider(p) => Ok(thiqa_app::Staff::signed(
                p,
                self.account.id,
                &self.permissions,
                self.actor(),
            )),
            Tenant::Organisation(_) => Err(ApiError::forbidden("a provider's staff")),
        }
    }

    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.permissions.contains(p) {
            Ok(())
        } else {
            Err(ApiError::forbidden(p.as_str()))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            directory: Some(self.account.directory),
            id: Some(self.account.id),
            name: self.account.username.clone(),
            source_ip: self.source_ip.clone(),
        }
    }
}

impl<R: Realm> FromRequestParts<AppState> for ApiCaller<R> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| is_api_token(t))
            .ok_or_else(ApiError::unauthorized)?;
        let holder = thiqa_app::signin::token_holder(app, R::DIR, presented)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        let source_ip = client_address(
            &parts.extensions,
            &parts.headers,
            &app.config.trusted_proxies,
        );
        Ok(ApiCaller {
            account: holder.account,
            permissions: holder.permissions,
            source_ip,
            _realm: PhantomData,
        })
    }
}

/// Query parameters whose problems (an unknown parameter, a value of the
/// wrong type) come back as a 400 API error naming them.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// A JSON body whose problems (not JSON, wrong type, missing field, invalid
/// UTF-8, too large) come back as 4xx API errors naming them.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let status = rejection.status();
                // The same codes as the intake route's for the same answers.
                let code = match status {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                    StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                    _ => "invalid_input",
                };
                Err(ApiError::new(status, code, rejection.body_text()))
            }
        }
    }
}

//! Who is asking, established: the middleware that resolves the request's
//! [`Visit`] from the realm's session cookie, and the extractors that let a
//! handler run only for a fully signed-in account ([`Signed`]) or one
//! between its password and its second factor ([`Pending`]).

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{ACCEPT_LANGUAGE, USER_AGENT};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use thiqa_crypto::token::token_hash;
use thiqa_domain::{Permission, PermissionSet, Tenant};
use thiqa_store::{Account, Actor, Session};

use crate::i18n::{Lang, Tr};
use crate::realm::{cookie_name, Realm};
use crate::state::AppState;
use crate::web::client_address::client_address;
use crate::web::cookies;
use crate::web::error::PageError;
use crate::web::notice::Notice;
use crate::web::visit::Visit;

pub const LANG_COOKIE: &str = "thiqa_lang";

/// Middleware: resolves the session of realm `R` and stores the [`Visit`].
pub async fn resolve<R: Realm>(
    State(app): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let tls = app.tls_for(R::DIR);
    let source_ip = client_address(req.extensions(), headers, &app.config.trusted_proxies);
    let user_agent = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect());
    let pre_token = cookies::get(headers, &cookie_name::<R>(R::PRE_COOKIE, tls));
    let mut lang = cookies::get(headers, LANG_COOKIE)
        .and_then(|l| Lang::parse(&l))
        .or_else(|| {
            headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default();
    let mut visit = Visit {
        lang,
        session: None,
        account: None,
        permissions: PermissionSet::new(),
        pre_token,
        source_ip,
        user_agent,
        notice: Notice::from_query(req.uri().query()),
        page: (req.method() == axum::http::Method::GET).then(|| req.uri().clone()),
    };
    if let Some(token) = cookies::get(headers, &cookie_name::<R>(R::COOKIE, tls)) {
        match load_session::<R>(&app, &token).await {
            Ok(Some((session, account, permissions))) => {
                lang = Lang::parse(&account.language).unwrap_or(lang);
                visit.lang = lang;
                visit.session = Some(session);
                visit.account = Some(account);
                visit.permissions = permissions;
            }
            Ok(None) => {}
            Err(e) => return PageError::Internal(e.to_string()).into_response(),
        }
    }
    req.extensions_mut().insert(visit);
    next.run(req).await
}

async fn load_session<R: Realm>(
    app: &AppState,
    token: &str,
) -> Result<Option<(Session, Account, PermissionSet)>, thiqa_store::StoreError> {
    app.store
        .session_with_account(R::DIR, token_hash(token).as_str(), app.sign_in.sessions)
        .await
}

/// A fully signed-in account of realm `R` (password and, where required,
/// second factor). Anyone else is sent to the login page.
pub struct Signed<R: Realm> {
    pub account: Account,
    pub permissions: PermissionSet,
    pub session: Session,
    pub visit: Visit,
    _realm: PhantomData<R>,
}

impl<R: Realm> Signed<R> {
    pub fn tenant(&self) -> Tenant {
        self.account.tenant
    }

    pub fn require(&self, p: Permission) -> Result<(), PageError> {
        if self.permissions.contains(p) {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(p)
    }

    pub fn actor(&self) -> Actor {
        self.visit.actor()
    }

    /// The provider an operator works for (Forbidden for anyone else).
    pub fn provider(&self) -> Result<thiqa_domain::ProviderId, PageError> {
        match self.tenant() {
            Tenant::Provider(p) => Ok(p),
            Tenant::Organisation(_) => Err(PageError::Forbidden),
        }
    }

    /// The use cases' context of an account signed in to its directory
    /// (either realm).
    pub fn member(&self) -> thiqa_app::Member<'_> {
        thiqa_app::Member::signed(&self.account, &self.permissions, self.actor())
    }

    /// The use cases' context of a provider's staff member (Forbidden for
    /// anyone else).
    pub fn staff(&self) -> Result<thiqa_app::Staff<'_>, PageError> {
        Ok(thiqa_app::Staff::signed(
            self.provider()?,
            self.account.id,
            &self.permissions,
            self.actor(),
        ))
    }

    pub fn tr<'a>(&self, app: &'a AppState) -> Tr<'a> {
        Tr {
            i18n: &app.i18n,
            lang: self.visit.lang,
        }
    }
}

/// Where an unauthenticated visitor goes instead.
pub struct ToLogin(&'static str);

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to(self.0).into_response()
    }
}

impl<R: Realm, S: Send + Sync> FromRequestParts<S> for Signed<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visit = Visit::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match (&visit.session, &visit.account) {
            (Some(session), Some(account)) if session.mfa_passed => Ok(Signed {
                account: account.clone(),
                permissions: visit.permissions.clone(),
                session: session.clone(),
                visit,
                _realm: PhantomData,
            }),
            (Some(_), Some(_)) => Err(ToLogin("/login/mfa").into_response()),
            _ => Err(ToLogin("/login").into_response()),
        }
    }
}

/// Between the password and the second factor.
pub struct Pending<R: Realm> {
    pub account: Account,
    pub session: Session,
    pub visit: Visit,
    _realm: PhantomData<R>,
}

impl<R: Realm> Pending<R> {
    /// The pending sign-in as the use cases take it.
    pub fn signin(&self) -> thiqa_app::signin::Pending<'_> {
        thiqa_app::signin::Pending {
            visitor: self.visit.visitor::<R>(),
            token_hash: &self.session.token_hash,
            account: &self.account,
            actor: self.visit.actor(),
        }
    }
}

impl<R: Realm, S: Send + Sync> FromRequestParts<S> for Pending<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visit = Visit::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match (&visit.session, &visit.account) {
            (Some(session), Some(account)) if !session.mfa_passed => Ok(Pending {
                account: account.clone(),
                session: session.clone(),
                visit,
                _realm: PhantomData,
            }),
            (Some(_), Some(_)) => Err(Redirect::to("/").into_response()),
            _ => Err(ToLogin("/login").into_response()),
        }
    }
}

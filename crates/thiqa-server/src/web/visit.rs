//! Who is asking: the request's visitor, signed in or not. The
//! authentication middleware ([`crate::auth::visit::resolve`]) resolves it
//! once per request from the realm's cookie; the page frame ([`chrome`]),
//! the error pages, the CSRF guard and the extractors read it. It lives in
//! the web edge, below the sign-in pages, because the frame every page
//! renders through needs it. The tenant always comes from here (the
//! authenticated account), never from a path or a form.
//!
//! [`chrome`]: crate::web::chrome

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use thiqa_domain::PermissionSet;
use thiqa_store::{Account, Actor, Session};

use crate::i18n::Lang;
use crate::web::error::PageError;
use crate::web::notice::Notice;

/// The request's visitor, signed in or not.
#[derive(Clone)]
pub struct Visit {
    pub lang: Lang,
    pub session: Option<Session>,
    pub account: Option<Account>,
    pub permissions: PermissionSet,
    /// The pre-login CSRF cookie's value, if any.
    pub pre_token: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The confirmation this page shows once (`?notice=`), if any.
    pub notice: Option<Notice>,
    /// The address of this page (a GET), for forms that return here with
    /// its filters, such as the language switch ([`crate::web::chrome`]
    /// makes the link only when a page is rendered).
    pub page: Option<axum::http::Uri>,
}

impl Visit {
    /// The actor recorded in security events.
    pub fn actor(&self) -> Actor {
        match &self.account {
            Some(a) => Actor {
                directory: Some(a.directory),
                id: Some(a.id),
                name: a.username.clone(),
                source_ip: self.source_ip.clone(),
            },
            None => Actor::anonymous("anonymous", self.source_ip.clone()),
        }
    }

    /// The visitor as the sign-in use cases know it, in realm `R`'s
    /// directory.
    pub fn visitor<R: crate::realm::Realm>(&self) -> thiqa_app::signin::Visitor {
        thiqa_app::signin::Visitor {
            directory: R::DIR,
            address: self.source_ip.clone(),
            user_agent: self.user_agent.clone(),
        }
    }

    pub fn csrf(&self) -> String {
        match &self.session {
            Some(s) => s.csrf_token.clone(),
            None => self.pre_token.clone().unwrap_or_default(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Visit>()
            .cloned()
            .ok_or_else(|| PageError::Internal("session middleware missing".into()))
    }
}

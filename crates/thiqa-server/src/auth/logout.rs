//! Ending sessions and choosing the language (the use cases are
//! `thiqa_app::signin::{sign_out, sign_out_everywhere, set_language}`).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use thiqa_app::signin;

use crate::auth::session_cookie;
use crate::auth::visit::{Signed, LANG_COOKIE};
use crate::i18n::Lang;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::cookies;
use crate::web::error::PageError;
use crate::web::forms::{local_path, Form};
use crate::web::notice::{with_notice, Notice};
use crate::web::visit::Visit;

/// The login page, saying the visitor is signed out, with no session cookie.
fn to_login<R: Realm>(app: &AppState) -> Response {
    let mut headers = HeaderMap::new();
    session_cookie::clear::<R>(app, &mut headers);
    (
        headers,
        Redirect::to(&with_notice("/login", Notice::LoggedOut)),
    )
        .into_response()
}

pub async fn logout<R: Realm>(
    State(app): State<AppState>,
    visit: Visit,
) -> Result<Response, PageError> {
    if let (Some(session), Some(account)) = (&visit.session, &visit.account) {
        signin::sign_out(&app, account, &session.token_hash, &visit.actor()).await?;
    }
    Ok(to_login::<R>(&app))
}

/// "Log out everywhere": every session of the account ends, this one too,
/// and every API token of the account is revoked.
pub async fn logout_everywhere<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    signin::sign_out_everywhere(&app, &me.account, &me.actor()).await?;
    Ok(to_login::<R>(&app))
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: String,
}

pub async fn language<R: Realm>(
    State(app): State<AppState>,
    visit: Visit,
    Form(form): Form<LanguageForm>,
) -> Result<Response, PageError> {
    let lang = Lang::parse(&form.lang).ok_or_else(|| {
        let tr = crate::i18n::Tr {
            i18n: &app.i18n,
            lang: visit.lang,
        };
        PageError::BadRequest(tr.t1("error-query-param", "param", "lang"))
    })?;
    if let Some(account) = &visit.account {
        signin::set_language(&app, account, lang.code()).await?;
    }
    let mut headers = HeaderMap::new();
    cookies::set_persistent(
        &mut headers,
        LANG_COOKIE,
        lang.code(),
        app.tls_for(R::DIR),
        365 * 86_400,
    );
    Ok((headers, Redirect::to(&local_path(&form.next)?)).into_response())
}

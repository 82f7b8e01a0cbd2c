//! One-time, expiring links to set a password. Thiqa never shows or sends a
//! password in clear: an administrator issues a link, the person sets their
//! own password through it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::Deserialize;
use thiqa_crypto::token::token_hash;

use crate::auth::passwords;
use crate::auth::session_cookie;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use crate::web::visit::Visit;

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage<'a> {
    chrome: Chrome<'a>,
    token: String,
    username: String,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// Reset tokens are URL-safe base64 of 32 bytes; anything else is refused
/// before touching the database.
fn plausible(token: &str) -> bool {
    (20..=100).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    mut visit: Visit,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    if !plausible(&token) {
        return Err(PageError::NotFound);
    }
    let account = app
        .store
        .password_reset_account(R::DIR, token_hash(&token).as_str())
        .await?
        .ok_or(PageError::NotFound)?;
    let mut headers = HeaderMap::new();
    session_cookie::ensure_pre_token::<R>(&app, &mut visit, &mut headers)?;
    let page = ResetPage {
        chrome: Chrome::new::<R>(&app, &visit, "/"),
        token,
        username: account.username,
        errors: vec![],
    };
    Ok((headers, render(StatusCode::OK, &page)?).into_response())
}

pub async fn submit<R: Realm>(
    State(app): State<AppState>,
    visit: Visit,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    if !plausible(&token) {
        return Err(PageError::NotFound);
    }
    let hash = token_hash(&token);
    let account = app
        .store
        .password_reset_account(R::DIR, hash.as_str())
        .await?
        .ok_or(PageError::NotFound)?;
    let chrome = Chrome::new::<R>(&app, &visit, "/");
    let password = SecretString::from(form.password);
    let mut errors = passwords::check_strength(
        &app,
        &chrome.tr,
        &password,
        &[
            &account.username,
            &account.display_name,
            account.email.as_deref().unwrap_or(""),
        ],
    );
    if form.confirm != secrecy::ExposeSecret::expose_secret(&password) {
        errors.push(chrome.tr.t("password-mismatch"));
    }
    if !errors.is_empty() {
        let page = ResetPage {
            chrome,
            token,
            username: account.username,
            errors,
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let new_hash = passwords::hash(&app, password).await?;
    let mut actor = visit.actor();
    actor.name = account.username.clone();
    app.store
        .use_password_reset(R::DIR, hash.as_str(), &new_hash, &actor)
        .await?;
    Ok(confirmed("/login", Notice::PasswordSet))
}

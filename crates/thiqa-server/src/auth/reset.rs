//! The pages of the one-time links that set a password (the checks are
//! `thiqa_app::signin::{link_account, set_password}`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::Deserialize;
use thiqa_app::signin::{self, LinkOutcome, PasswordProblem};

use crate::auth::passwords::describe;
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

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    mut visit: Visit,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let account = signin::link_account(&app, &visit.visitor::<R>(), &token).await?;
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
    let password = SecretString::from(form.password);
    let outcome =
        signin::set_password(&app, &visit.visitor::<R>(), &token, password, &form.confirm).await?;
    match outcome {
        LinkOutcome::Set => Ok(confirmed("/login", Notice::PasswordSet)),
        LinkOutcome::Refused { username, problems } => {
            let chrome = Chrome::new::<R>(&app, &visit, "/");
            let errors = problems
                .iter()
                .map(|p| match p {
                    PasswordProblem::Weak(problem) => describe(&chrome.tr, problem),
                    PasswordProblem::Mismatch => chrome.tr.t("password-mismatch"),
                })
                .collect();
            let page = ResetPage {
                chrome,
                token,
                username,
                errors,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

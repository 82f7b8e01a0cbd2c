//! The signed-in person's own page: every right held, personal API tokens
//! (listed with their last use, each revocable), "log out everywhere" (which
//! also revokes every token).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::me::{TokenInput, TokenProblem};
use thiqa_domain::ApiTokenId;

use crate::auth::visit::Signed;
use crate::pages::accounts::RightRow;
use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, values, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;

pub struct TokenRow {
    pub id: ApiTokenId,
    pub name: String,
    pub scopes: String,
    pub expires: String,
    /// When the token was last presented, so its owner sees which to revoke.
    pub last_used: Option<String>,
    pub live: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage<'a> {
    chrome: Chrome<'a>,
    rights: Vec<RightRow>,
    tokens: Vec<TokenRow>,
    my_permissions: Vec<&'static str>,
    new_token: Option<String>,
    /// A refused token: the problem, inside the form showing what was typed.
    error: Option<String>,
    typed: Typed,
}

/// The new-token form: empty (90 days, every right ticked), or as typed
/// when it was refused.
struct Typed {
    name: String,
    days: String,
    /// None: every right ticked.
    scopes: Option<Vec<String>>,
}

impl Default for Typed {
    fn default() -> Self {
        Typed {
            name: String::new(),
            days: "90".into(),
            scopes: None,
        }
    }
}

impl Typed {
    fn ticks(&self, p: &str) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|s| s.iter().any(|t| t == p))
    }
}

async fn me_page<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    new_token: Option<String>,
    error: Option<(String, Typed)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (rights, tokens) = thiqa_app::me::own(app, &me.member()).await?;
    let now = app.store.clock().now_s();
    let tokens = tokens
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            live: t.revoked_at.is_none() && t.expires_at > now,
            name: t.name,
            scopes: t
                .scopes
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            expires: format_utc(t.expires_at),
            last_used: t.last_used_at.map(format_utc),
        })
        .collect();
    render(
        status,
        &MePage {
            chrome: Chrome::new::<R>(app, &me.visit, "/me"),
            rights: rights.iter().map(RightRow::from).collect(),
            tokens,
            my_permissions: me.permissions.iter().map(|p| p.as_str()).collect(),
            new_token,
            error: error.as_ref().map(|(m, _)| m.clone()),
            typed: error.map(|(_, t)| t).unwrap_or_default(),
        },
    )
}

pub async fn page<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
) -> Result<Response, PageError> {
    me_page(&app, &me, None, None, StatusCode::OK).await
}

/// Creates a personal API token; its value is shown once, only its hash kept.
pub async fn create_token<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let tr = me.tr(&app);
    let input = TokenInput::check(
        &me.member(),
        &field(&pairs, "name"),
        &field(&pairs, "days"),
        values(&pairs, "scope"),
    );
    let token = match input {
        Ok(token) => token,
        Err(problems) => {
            let mut messages = Vec::new();
            for p in &problems {
                match p {
                    // A token never carries more than its owner holds: a
                    // scope the form does not offer is a forged request.
                    TokenProblem::ScopeNotHeld(v) => {
                        return Err(PageError::BadRequest(tr.t1(
                            "error-scope-not-held",
                            "scope",
                            v,
                        )))
                    }
                    TokenProblem::Days => messages.push(tr.t("error-token-days")),
                    TokenProblem::Name => messages.push(tr.t("error-token-name")),
                }
            }
            let typed = Typed {
                name: field(&pairs, "name"),
                days: field(&pairs, "days"),
                scopes: Some(values(&pairs, "scope").map(str::to_string).collect()),
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let error = Some((messages.join(" "), typed));
            return me_page(&app, &me, None, error, status).await;
        }
    };
    let secret = thiqa_app::me::create_token(&app, &me.member(), &token).await?;
    me_page(
        &app,
        &me,
        Some(secret.expose().to_string()),
        None,
        StatusCode::CREATED,
    )
    .await
}

pub async fn revoke_token<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<ApiTokenId>,
) -> Result<Response, PageError> {
    thiqa_app::me::revoke_token(&app, &me.member(), id).await?;
    Ok(confirmed("/me", Notice::Removed))
}

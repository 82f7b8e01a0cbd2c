//! The signed-in person's own page: every right held, personal API tokens
//! (listed with their last use, each revocable), "log out everywhere" (which
//! also revokes every token).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_crypto::token::Token;
use thiqa_domain::Permission;

use crate::auth::realm::Realm;
use crate::auth::visit::Signed;
use crate::pages::accounts::RightRow;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::Form;
use crate::web::notice::{confirmed, Notice};
use crate::web::render;
use thiqa_app::time::format_utc;

pub struct TokenRow {
    pub id: i64,
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
    error: Option<String>,
}

async fn me_page<R: Realm>(
    app: &AppState,
    me: &Signed<R>,
    new_token: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let rights = app.store.rights_of(R::DIR, me.account.id).await?;
    let now = app.store.clock().now_s();
    let tokens = app
        .store
        .api_tokens(&me.account)
        .await?
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
            error,
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
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    };
    let name = get("name");
    let days: i64 = match get("days").parse() {
        Ok(d) if (1..=365).contains(&d) => d,
        _ => {
            return me_page(
                &app,
                &me,
                None,
                Some(tr.t("error-token-days")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    if name.is_empty() || name.chars().count() > 80 {
        return me_page(
            &app,
            &me,
            None,
            Some(tr.t("error-token-name")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut scopes = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "scope") {
        match Permission::parse(v) {
            // A token never carries more than its owner holds.
            Some(p) if me.permissions.contains(p) => scopes.push(p),
            _ => {
                return Err(PageError::BadRequest(tr.t1(
                    "error-scope-not-held",
                    "scope",
                    v,
                )))
            }
        }
    }
    let token = Token::generate_api().map_err(|e| PageError::Internal(e.to_string()))?;
    let expires = app.store.clock().now_s() + days * 86_400;
    app.store
        .create_api_token(
            &me.account,
            name,
            token.hash().as_str(),
            &scopes,
            expires,
            &me.actor(),
        )
        .await?;
    me_page(
        &app,
        &me,
        Some(token.expose().to_string()),
        None,
        StatusCode::CREATED,
    )
    .await
}

pub async fn revoke_token<R: Realm>(
    State(app): State<AppState>,
    me: Signed<R>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    app.store
        .revoke_api_token(&me.account, id, &me.actor())
        .await?;
    Ok(confirmed("/me", Notice::Removed))
}

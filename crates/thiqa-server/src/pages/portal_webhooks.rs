//! The portal's webhook endpoints: an organisation's administrators point
//! Thiqa at their ticketing or SIEM, copy the signing secret once, rotate
//! it, remove an endpoint.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use thiqa_app::time::format_utc;
use thiqa_app::webhooks::{self, IssuedSecret, WebhookUrl};
use thiqa_delivery::UrlProblem;
use thiqa_domain::{Permission, WebhookId};

use crate::auth::visit::Signed;
use crate::i18n::Tr;
use crate::realm::Portal;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::PageError;
use crate::web::forms::{field, Form};
use crate::web::notice::{confirmed, Notice};
use crate::web::render;

/// One endpoint as listed.
pub struct EndpointRow {
    id: i64,
    url: String,
    created: String,
    /// Until when the previous secret still signs, after a rotation.
    overlap: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_webhooks.html")]
struct WebhooksPage<'a> {
    chrome: Chrome<'a>,
    endpoints: Vec<EndpointRow>,
    /// Just made or rotated: (endpoint id, secret), shown this once.
    issued: Option<(i64, String)>,
    typed_url: String,
    error: Option<String>,
}

async fn page_with(
    app: &AppState,
    me: &Signed<Portal>,
    issued: Option<IssuedSecret>,
    typed_url: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let endpoints = webhooks::list(app, &me.member()).await?;
    let now = app.store.clock().now_ms();
    render(
        status,
        &WebhooksPage {
            endpoints: endpoints
                .into_iter()
                .map(|e| EndpointRow {
                    id: e.id.0,
                    url: e.url,
                    created: format!("{} — {}", e.created_by, format_utc(e.created_at / 1000)),
                    overlap: e
                        .previous_until
                        .filter(|u| *u > now)
                        .map(|u| format_utc(u / 1000)),
                })
                .collect(),
            issued: issued.map(|i| (i.id.0, i.secret)),
            typed_url,
            error,
            chrome: Chrome::new::<Portal>(app, &me.visit, "/webhooks"),
        },
    )
}

pub async fn page(State(app): State<AppState>, me: Signed<Portal>) -> Result<Response, PageError> {
    page_with(&app, &me, None, String::new(), None, StatusCode::OK).await
}

fn url_problem(tr: &Tr, p: &UrlProblem) -> String {
    tr.t(match p {
        UrlProblem::TooLong => "error-webhook-too-long",
        UrlProblem::Invalid(_) | UrlProblem::NoHost => "error-webhook-invalid",
        UrlProblem::NotHttps => "error-webhook-https",
        UrlProblem::UserInfo => "error-webhook-userinfo",
        UrlProblem::PrivateAddress => "error-webhook-private",
    })
}

pub async fn add(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    me.require(Permission::OrgUsersManage)?;
    let url = field(&pairs, "url");
    let allow_private = app.config.webhooks.allow_private;
    match WebhookUrl::check(&url, allow_private) {
        Ok(checked) => {
            let issued = webhooks::add(&app, &me.member(), &checked).await?;
            // The secret is on this page only: no redirect would carry it.
            page_with(
                &app,
                &me,
                Some(issued),
                String::new(),
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(problem) => {
            let m = url_problem(&me.tr(&app), &problem);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page_with(&app, &me, None, url, Some(m), status).await
        }
    }
}

pub async fn rotate(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Path(id): Path<WebhookId>,
) -> Result<Response, PageError> {
    let issued = webhooks::rotate(&app, &me.member(), id).await?;
    page_with(&app, &me, Some(issued), String::new(), None, StatusCode::OK).await
}

pub async fn remove(
    State(app): State<AppState>,
    me: Signed<Portal>,
    Path(id): Path<WebhookId>,
) -> Result<Response, PageError> {
    webhooks::remove(&app, &me.member(), id).await?;
    Ok(confirmed("/webhooks", Notice::Removed))
}

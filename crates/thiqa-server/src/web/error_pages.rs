//! Turns a bare error response (from [`PageError`] or an unmatched route)
//! into a full page in the visitor's language.

use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::realm::Realm;
use crate::state::AppState;
use crate::web::chrome::Chrome;
use crate::web::error::{ErrorInfo, PageError};
use crate::web::visit::Visit;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome<'a>,
    title_key: &'static str,
    detail: Option<String>,
}

pub async fn render<R: Realm>(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let visit = req.extensions().get::<Visit>().cloned();
    let response = next.run(req).await;
    let Some(info) = response.extensions().get::<ErrorInfo>().cloned() else {
        return response;
    };
    let Some(visit) = visit else { return response };
    let chrome = Chrome::new::<R>(&app, &visit, "/");
    let detail = match &info.refusal {
        Some(refusal) => Some(chrome.tr.refusal(refusal)),
        None => info.detail,
    };
    let detail = detail.map(|d| match d.as_str() {
        // Short codes from the guards, translated here.
        "csrf" => chrome.tr.t("error-csrf"),
        "form-too-large" => chrome.tr.t("error-form-too-large"),
        crate::web::error::NO_BASE_URL_CODE => chrome.tr.t("error-no-base-url"),
        crate::web::error::STORAGE_UNAVAILABLE_CODE => chrome.tr.t("error-storage-unavailable"),
        _ => d,
    });
    let page = ErrorPage {
        chrome,
        title_key: info.title_key,
        detail,
    };
    let status = response.status();
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(CONTENT_TYPE);
    match page.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            for (k, v) in parts.headers.iter() {
                if !r.headers().contains_key(k) {
                    r.headers_mut().insert(k, v.clone());
                }
            }
            r
        }
        Err(_) => Response::from_parts(parts, Body::from("error")),
    }
}

pub async fn not_found() -> PageError {
    PageError::NotFound
}

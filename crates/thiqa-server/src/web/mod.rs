//! The HTTP edge shared by both realms.

pub mod chrome;
pub mod client_address;
pub mod cookies;
pub mod error;
pub mod error_pages;
pub mod forms;
pub mod notice;
pub mod routes;
pub mod security;
pub mod static_files;
pub mod visit;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::web::error::PageError;

/// Renders a template as an HTML response with the given status.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<Response, PageError> {
    Ok((status, Html(page.render()?)).into_response())
}

pub fn ok<T: Template>(page: &T) -> Result<Response, PageError> {
    render(StatusCode::OK, page)
}

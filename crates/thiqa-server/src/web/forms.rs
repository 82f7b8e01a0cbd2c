//! Form extraction that never answers 5xx: a body that does not parse (wrong
//! fields, invalid UTF-8, oversized) becomes a 400 page naming the problem.

use axum::extract::{FromRequest, Request};
use axum::Form as AxumForm;
use serde::de::DeserializeOwned;

use crate::web::error::PageError;

pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match AxumForm::<T>::from_request(req, state).await {
            Ok(AxumForm(v)) => Ok(Form(v)),
            Err(rejection) => Err(PageError::BadRequest(rejection.body_text())),
        }
    }
}

/// The trimmed value of form field `name` ("" when absent): forms read as
/// ordered pairs keep repeated fields, and this reads a single one.
pub fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// A local path to return to after a form; anything else becomes "/".
/// Refusing `//host` and schemes prevents open redirects.
pub fn local_path(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(super::local_path("/accounts"), "/accounts");
        assert_eq!(super::local_path("//evil.example"), "/");
        assert_eq!(super::local_path("https://evil.example"), "/");
        assert_eq!(super::local_path("/\\evil"), "/");
    }
}

//! Form and query extraction that never answers 5xx: a body or query that
//! does not parse (wrong fields, invalid UTF-8, oversized) becomes a 400
//! page naming the problem.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
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

/// A page's query parameters, as [`Form`] for bodies.
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(PageQuery(v)),
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

/// Every value of a repeated field (ticked checkboxes), as sent.
pub fn values<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A same-site relative path to return to after a form; anything else
/// becomes "/". Refusing `//host`, `/\\host` and schemes prevents open
/// redirects. Control characters are refused outright (400): browsers drop
/// tabs and newlines from URLs, so `/\t/evil.example` would become
/// `//evil.example`, and a `Location` header cannot carry them.
pub fn local_path(next: &str) -> Result<String, PageError> {
    if next.chars().any(char::is_control) {
        return Err(PageError::BadRequest(
            "the return address contains control characters".into(),
        ));
    }
    let same_site = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() <= 2048
        && next.bytes().all(|b| b.is_ascii_graphic());
    Ok(if same_site {
        next.to_string()
    } else {
        "/".to_string()
    })
}

/// Where a form returns after its change: its hidden `back` field (the page
/// it was on, with its filters and page number) when that is a page of
/// `section`, else `section` itself. So a save keeps the list as the user
/// had filtered it, and a form can never send the user elsewhere.
pub fn back_to(pairs: &[(String, String)], section: &str) -> String {
    let back = field(pairs, "back");
    let within = back == section
        || back
            .strip_prefix(section)
            .is_some_and(|rest| rest.starts_with('?'));
    match local_path(&back) {
        Ok(path) if within => path,
        _ => section.to_string(),
    }
}

/// The version an edit form was loaded at (its hidden `version` field):
/// required, so that no client saves over changes it never saw.
pub fn edited_version(tr: &crate::i18n::Tr, raw: &str) -> Result<i64, PageError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 0)
        .ok_or_else(|| PageError::BadRequest(tr.t("error-edit-version")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_form_returns_to_its_page_with_its_filters_only_within_its_section() {
        let pairs = |back: &str| vec![("back".to_string(), back.to_string())];
        let section = "/services/3/assessment";
        let filtered = "/services/3/assessment?chapter=3&status=non_compliant";
        assert_eq!(super::back_to(&pairs(filtered), section), filtered);
        for elsewhere in [
            "/services/4/assessment?chapter=3",
            "/services/3/assessment/../../4",
            "//evil.example",
            "https://evil.example",
            "",
        ] {
            assert_eq!(super::back_to(&pairs(elsewhere), section), section);
        }
    }

    #[test]
    fn only_local_paths_are_followed() {
        let path = |p| super::local_path(p).unwrap();
        assert_eq!(path("/accounts?page=2"), "/accounts?page=2");
        assert_eq!(path("//evil.example"), "/");
        assert_eq!(path("https://evil.example"), "/");
        assert_eq!(path("/\\evil"), "/");
        assert_eq!(path("/caf\u{e9}"), "/");
        assert_eq!(path("/a b"), "/");
        for bad in [
            "/\t/evil.example",
            "/\r\nSet-Cookie:x=1",
            "/\u{0}",
            "/\u{85}x",
        ] {
            assert!(super::local_path(bad).is_err(), "{bad:?}");
        }
    }
}

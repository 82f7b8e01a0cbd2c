//! Error answers of the API that schemathesis does not reach in a bounded run
//! (issue 12, item 8): each is in the documented Error shape and its status
//! is documented for the operation.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use support::{Backend, TestApp};
use thiqa_domain::Directory;

fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("not the JSON Error shape ({e}): {body:?}"));
    v["error"]["code"].as_str().unwrap_or_default().to_string()
}

/// A body declared larger than the limit is refused before any handler
/// runs: the answer is still the API's JSON error, and 413 is documented.
#[tokio::test]
async fn a_body_over_the_limit_answers_413_in_the_error_shape() {
    let t = TestApp::new(Backend::Sqlite).await;
    let mut c = t.console();
    let body = format!("{{\"username\": \"{}\"}}", "a".repeat(100 * 1024));
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/accounts")
        .header("authorization", "Bearer thq_whoever")
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .body(Body::from(body))
        .unwrap();
    let r = c.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&r.body), "payload_too_large", "{}", r.body);
}

/// A JSON operation called without `Content-Type: application/json` names
/// the problem with the same code as the intake route does.
#[tokio::test]
async fn a_body_that_is_not_json_answers_415_unsupported_media_type() {
    let t = TestApp::new(Backend::Sqlite).await;
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    let mut c = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    let token = c.api_token(&["operators.manage"]).await;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/accounts")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from("username=x"))
        .unwrap();
    let r = c.send(req).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    assert_eq!(error_code(&r.body), "unsupported_media_type", "{}", r.body);
}

/// Every status a JSON operation or the intake can answer is in the
/// document, 503 (storage refused, issue 12 item 1) included.
#[tokio::test]
async fn body_and_storage_refusals_are_documented() {
    let t = TestApp::new(Backend::Sqlite).await;
    let mut c = t.console();
    let doc: serde_json::Value =
        serde_json::from_str(&c.get("/api/v1/openapi.json").await.body).unwrap();
    let responses = &doc["paths"]["/accounts"]["post"]["responses"];
    for status in ["413", "415", "422", "503"] {
        assert!(responses[status].is_object(), "{status} in {responses}");
    }
    // A full disk refuses a batch with 503 (item 1): documented too.
    let intake = &doc["paths"]["/journal/intake"]["post"]["responses"];
    assert!(intake["503"].is_object(), "{intake}");
}

/// A method the path does not take answers 405 with the methods it does
/// take (Allow) and the API's JSON error, not an empty body.
#[tokio::test]
async fn a_method_the_path_does_not_take_answers_405_in_the_error_shape() {
    let t = TestApp::new(Backend::Sqlite).await;
    let mut c = t.console();
    let req = Request::builder()
        .method(Method::PATCH)
        .uri("/api/v1/me")
        .body(Body::empty())
        .unwrap();
    let r = c.send(req).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.body);
    assert_eq!(error_code(&r.body), "method_not_allowed", "{}", r.body);
    assert_eq!(r.headers["allow"], "GET,HEAD", "{:?}", r.headers);
}

/// Path parameters named alike: `/accounts/{id}` and `/accounts/{x}`.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every path the API's routers serve is in its listener's document (the
/// document is generated from the handlers, so a route added without its
/// `#[utoipa::path]` shows here), and the document lists no other.
#[tokio::test]
async fn every_routed_path_is_documented() {
    let t = TestApp::new(Backend::Sqlite).await;
    let routes = thiqa_server::route_table(&t.app);
    for (name, mut client, paths) in [
        ("console", t.console(), routes.admin),
        ("portal", t.portal(), routes.public),
    ] {
        let body = client.get("/api/v1/openapi.json").await.body;
        if let Ok(dir) = std::env::var("THIQA_OPENAPI_DUMP") {
            std::fs::write(format!("{dir}/{name}.json"), &body).unwrap();
        }
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        let mut documented: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|p| shape(p))
            .collect();
        let mut routed: Vec<String> = paths
            .iter()
            .filter_map(|p| p.strip_prefix("/api/v1"))
            .filter(|p| *p != "/openapi.json")
            .map(|p| shape(p.strip_suffix('/').unwrap_or(p)))
            .collect();
        documented.sort();
        routed.sort();
        assert_eq!(routed, documented, "{name}: routed vs documented");
        assert!(routed.len() > 25, "{name}: {} paths", routed.len());
    }
}

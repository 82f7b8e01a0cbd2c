//! Bad input never gets a 5xx: every form and API route receives empty,
//! oversized, wrong-type, invalid UTF-8 and junk bodies, and answers 4xx (or
//! a redirect) while the data already stored stays intact.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::{Method, StatusCode};
use support::{Backend, TestApp};
use thiqa_domain::Directory;

const FORM_ROUTES: &[&str] = &[
    "/login",
    "/login/mfa",
    "/mfa/setup",
    "/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "/reset/x",
    "/language",
    "/accounts",
    "/accounts/99999/roles",
    "/accounts/abc/roles",
    "/accounts/99999/roles/1/revoke",
    "/accounts/abc/roles/x/revoke",
    "/accounts/99999/unlock",
    "/accounts/99999/reset-link",
    "/accounts/99999/deregister",
    "/accounts/-1/deregister",
    "/roles",
    "/roles/1",
    "/roles/abc",
    "/separation",
    "/separation/99999/delete",
    "/me/tokens",
    "/me/tokens/99999/revoke",
    "/organisations",
    "/organisation",
    "/services",
    "/services/1",
    "/services/abc",
    "/services/99999/sites",
    "/services/99999/sites/1/delete",
    "/services/1/assessment",
    "/services/1/o/3.1.1.a",
    "/services/1/o/nosuch",
    "/services/abc/o/3.1.1.a",
    "/services/1/evidence",
    "/services/1/evidence/upload",
    "/services/abc/evidence/upload",
    "/services/1/evidence/1/versions",
    "/services/1/evidence/abc/versions",
    "/services/1/evidence/1/versions/abc/download",
    "/services/1/assessment/import",
    "/services/1/actions",
    "/services/1/actions/1",
    "/services/1/actions/abc",
];

fn bad_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", b"".to_vec()),
        ("oversized", [b"name=".as_slice(), &vec![b'a'; 200 * 1024]].concat()),
        (
            "wrong types",
            b"role_id=abc&days=zz&first=1&second=2&lang=xx&username=&display_name=&permission=root&scope=root".to_vec(),
        ),
        ("invalid utf-8", b"username=\xff\xfe&display_name=\xc3\x28&name=\xff&reason=\xfe&code=\xff".to_vec()),
        ("junk", b"%%%&&&===%zz&=&&".to_vec()),
        ("huge fields", format!("username={}&display_name={}&name={}", "u".repeat(5000), "d".repeat(5000), "n".repeat(5000)).into_bytes()),
    ]
}

#[tokio::test]
async fn forms_answer_bad_input_with_4xx_on_sqlite() {
    forms_answer_bad_input_with_4xx(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn forms_answer_bad_input_with_4xx_on_postgres() {
    forms_answer_bad_input_with_4xx(TestApp::new(Backend::Postgres).await).await;
}

async fn forms_answer_bad_input_with_4xx(t: TestApp) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes", "RSSI"],
            true,
        )
        .await;
    let (_, s2) = t
        .user(
            Directory::Operators,
            "hicham",
            &["Approbateur des accès"],
            true,
        )
        .await;
    let (_, s3) = t
        .user(
            Directory::Operators,
            "nadia",
            &["Responsable conformité"],
            true,
        )
        .await;
    let thiqa_domain::Tenant::Provider(provider) = t.provider else {
        unreachable!()
    };
    let service = thiqa_store::NewService {
        name: "S",
        description: "",
        model: "saas",
        level: 1,
        facts_json: "{}",
    };
    let service_id = t
        .store()
        .provider(provider)
        .create_service(&service, &thiqa_store::Actor::cli())
        .await
        .unwrap();
    assert_eq!(service_id.0, 1, "the routes below address service 1");
    let before = t.store().tenant(t.provider).accounts().await.unwrap().len();
    for (who, s) in [("amal", &secret), ("hicham", &s2), ("nadia", &s3)] {
        let mut c = t.signed_operator(who, s.as_ref().unwrap()).await;
        c.get("/me").await;
        let csrf = c.csrf.clone().unwrap();
        for route in FORM_ROUTES {
            for (what, body) in bad_bodies() {
                let full = [format!("csrf={csrf}&").into_bytes(), body].concat();
                let r = c
                    .post_raw(route, "application/x-www-form-urlencoded", full)
                    .await;
                assert!(
                    r.status.as_u16() < 500,
                    "{who} POST {route} with {what} body got {}: {}",
                    r.status,
                    r.body
                );
            }
            let r = c
                .post_raw(route, "application/json", b"{\"a\":1}".to_vec())
                .await;
            assert!(
                r.status.as_u16() < 500,
                "{route} with a JSON body got {}",
                r.status
            );
        }
        // Wrong-type path segments on GET pages.
        for route in [
            "/accounts/abc",
            "/accounts/99999999999999999999",
            "/reset/%FF%FE",
            "/roles/xyz",
        ] {
            let r = c.get(route).await;
            assert!(r.status.as_u16() < 500, "GET {route} got {}", r.status);
        }
        assert_eq!(
            c.get("/me").await.status,
            StatusCode::OK,
            "the session still works"
        );
    }
    // Portal forms too, signed out.
    let mut p = t.portal();
    p.get("/login").await;
    let csrf = p.csrf.clone().unwrap();
    for route in FORM_ROUTES {
        for (what, body) in bad_bodies() {
            let full = [format!("csrf={csrf}&").into_bytes(), body].concat();
            let r = p
                .post_raw(route, "application/x-www-form-urlencoded", full)
                .await;
            assert!(
                r.status.as_u16() < 500,
                "portal POST {route} with {what} got {}",
                r.status
            );
        }
    }
    let after = t.store().tenant(t.provider).accounts().await.unwrap().len();
    assert_eq!(before, after, "no account was half-created by bad input");
}

#[tokio::test]
async fn api_answers_bad_input_with_json_4xx() {
    let t = TestApp::new(Backend::Sqlite).await;
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes", "RSSI"],
            true,
        )
        .await;
    let mut c = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    let token = c
        .api_token(&["operators.manage", "separation.manage", "journal.read"])
        .await;
    let bodies: Vec<&[u8]> = vec![
        b"",
        b"{",
        b"[]",
        b"null",
        b"{\"username\": 5, \"display_name\": []}",
        b"{\"role_id\": \"x\"}",
        b"\xff\xfe{}",
        b"{\"unknown\": 1}",
    ];
    let oversized = format!("{{\"username\": \"{}\"}}", "a".repeat(200 * 1024));
    for (method, path) in [
        (Method::POST, "/api/v1/accounts"),
        (Method::POST, "/api/v1/accounts/1/roles"),
        (Method::POST, "/api/v1/accounts/abc/roles"),
        (Method::POST, "/api/v1/separation/pairs"),
    ] {
        for body in bodies.iter().copied().chain([oversized.as_bytes()]) {
            let req = axum::http::Request::builder()
                .method(method.clone())
                .uri(path)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_vec()))
                .unwrap();
            let r = c.send(req).await;
            assert!(
                r.status.is_client_error(),
                "{method} {path} with {:?} got {}",
                String::from_utf8_lossy(&body[..body.len().min(40)]),
                r.status
            );
            assert!(
                r.body.contains("\"code\""),
                "JSON error with a code: {}",
                r.body
            );
        }
    }
    for path in [
        "/api/v1/events?limit=abc",
        "/api/v1/events?limit=0",
        "/api/v1/accounts/abc/rights",
        "/api/v1/accounts/99999/rights",
    ] {
        let r = c.api(Method::GET, path, &token, None).await;
        assert!(r.status.is_client_error(), "GET {path} got {}", r.status);
    }
    let r = c
        .api(
            Method::DELETE,
            "/api/v1/accounts/abc/roles/zz",
            &token,
            None,
        )
        .await;
    assert!(r.status.is_client_error());
    let r = c
        .api(Method::GET, "/api/v1/me", "thq_not-a-real-token", None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

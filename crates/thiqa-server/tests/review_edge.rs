//! Issue 11, item 9 (links and addresses): set-up links are never built on
//! the request's `Host`, redirects go to same-site paths only, the client
//! address comes from forwarding headers only through a trusted proxy, and
//! `/metrics` needs its bearer token.

mod support;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use support::{Backend, Client, TestApp, PASSWORD};
use thiqa_domain::Directory;
use thiqa_server::config::Config;
use thiqa_store::EventFilter;

const METRICS_TOKEN: &str = "metrics-0123456789abcdef-0123456789";

fn config(pairs: &[(&str, &str)]) -> Config {
    Config::load(
        None,
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        vec![],
    )
    .unwrap()
}

async fn admin_with_account_rights(t: &TestApp) -> Client {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    t.signed_operator("amal", secret.as_ref().unwrap()).await
}

/// A form POST as the client's browser would send it (its cookies and the
/// page's CSRF token) with extra headers the test controls.
fn form_post(
    c: &Client,
    uri: &str,
    fields: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> Request<Body> {
    let csrf = c.csrf.clone().unwrap_or_default();
    let mut all = fields.to_vec();
    all.push(("csrf", csrf.as_str()));
    let cookies = c
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    req.body(Body::from(serde_urlencoded::to_string(&all).unwrap()))
        .unwrap()
}

/// The account-creation form posted with a forged `Host`, as a browser
/// tricked by DNS rebinding or a poisoned proxy would send it.
async fn create_with_host(c: &mut Client, username: &str, host: &str) -> support::Reply {
    c.get("/accounts").await;
    let fields = [
        ("username", username),
        ("display_name", "Nouvel Opérateur"),
        ("email", ""),
    ];
    let req = form_post(c, "/accounts", &fields, &[("host", host)]);
    c.send(req).await
}

#[tokio::test]
async fn set_up_links_ignore_a_forged_host_header() {
    // No configured address, a loopback listener: the link names the
    // listener's own address.
    let t = TestApp::new(Backend::Sqlite).await;
    let mut c = admin_with_account_rights(&t).await;
    let r = create_with_host(&mut c, "nadia", "evil.example").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("http://127.0.0.1:8081/reset/"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("evil.example"), "{}", r.body);
    // A configured address wins.
    let t = TestApp::with_config(
        Backend::Sqlite,
        config(&[("THIQA_ADMIN_URL", "https://console.cloud.example.ma/")]),
    )
    .await;
    let mut c = admin_with_account_rights(&t).await;
    let r = create_with_host(&mut c, "nadia", "evil.example").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("https://console.cloud.example.ma/reset/"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("evil.example"), "{}", r.body);
}

#[tokio::test]
async fn without_a_configured_address_a_public_listener_refuses_to_issue_links() {
    // Listening on every interface, nothing says which name users reach
    // Thiqa by: the link is refused before the account is created.
    let t = TestApp::with_config(
        Backend::Sqlite,
        config(&[("THIQA_ADMIN_LISTEN", "0.0.0.0:0")]),
    )
    .await;
    let mut c = admin_with_account_rights(&t).await;
    let r = create_with_host(&mut c, "nadia", "evil.example").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("admin_url"), "{}", r.body);
    assert!(!r.body.contains("evil.example"), "{}", r.body);
    assert!(
        t.store()
            .account_by_username(Directory::Operators, "nadia")
            .await
            .unwrap()
            .is_none(),
        "nothing is created when the link cannot be issued"
    );
}

#[tokio::test]
async fn the_language_switch_returns_only_to_same_site_paths() {
    let t = TestApp::new(Backend::Sqlite).await;
    let mut c = t.portal();
    c.get("/login").await;
    for (next, expected) in [
        ("/catalog?q=x", "/catalog?q=x"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ] {
        let r = c
            .post_form("/language", &[("lang", "en"), ("next", next)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.body);
        assert_eq!(r.location(), Some(expected), "{next}");
    }
    // Browsers drop tabs and newlines from URLs: `/\t/evil` is `//evil`.
    for next in ["/\t/evil.example", "/\r\nSet-Cookie: x=1", "/\u{7f}"] {
        let r = c
            .post_form("/language", &[("lang", "fr"), ("next", next)])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{next:?}: {}", r.body);
        assert!(r.location().is_none());
    }
    // The portal still answers.
    assert_eq!(c.get("/login").await.status, StatusCode::OK);
}

/// A failed portal login sent from `peer` with forwarding headers; returns
/// the address the journal recorded for it.
async fn journaled_address(t: &TestApp, peer: &str, headers: &[(&str, &str)]) -> Option<String> {
    let mut c = t.portal();
    c.get("/login").await;
    let fields = [("username", "nobody-here"), ("password", PASSWORD)];
    let mut req = form_post(&c, "/login", &fields, headers);
    let peer: SocketAddr = peer.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    let r = c.send(req).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let events = t
        .store()
        .events(&EventFilter {
            tenant: None,
            action_prefix: Some("login".into()),
            limit: 1,
        })
        .await
        .unwrap();
    events[0].source_ip.clone()
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let t = TestApp::with_config(
        Backend::Sqlite,
        config(&[("THIQA_TRUSTED_PROXIES", "10.0.0.0/8")]),
    )
    .await;
    let forged = [("x-forwarded-for", "203.0.113.66")];
    // A client on the internet cannot name itself someone else.
    assert_eq!(
        journaled_address(&t, "198.51.100.4:5555", &forged).await,
        Some("198.51.100.4".into())
    );
    // Through the trusted proxy, the nearest untrusted hop is the client,
    // whatever the client prepended.
    assert_eq!(
        journaled_address(
            &t,
            "10.0.0.1:5555",
            &[("x-forwarded-for", "1.1.1.1, 203.0.113.66")]
        )
        .await,
        Some("203.0.113.66".into())
    );
    assert_eq!(
        journaled_address(
            &t,
            "10.0.0.1:5555",
            &[("forwarded", "for=\"[2001:db8::5]:443\"")]
        )
        .await,
        Some("2001:db8::5".into())
    );
    // Without trusted proxies (the default), headers never count.
    let plain = TestApp::new(Backend::Sqlite).await;
    assert_eq!(
        journaled_address(&plain, "10.0.0.1:5555", &forged).await,
        Some("10.0.0.1".into())
    );
}

async fn metrics(t: &TestApp, authorization: Option<&str>) -> support::Reply {
    let mut req = Request::get("/metrics");
    if let Some(a) = authorization {
        req = req.header(header::AUTHORIZATION, a);
    }
    t.console().send(req.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn metrics_need_the_configured_bearer_token() {
    let t = TestApp::with_config(
        Backend::Sqlite,
        config(&[("THIQA_METRICS_TOKEN", METRICS_TOKEN)]),
    )
    .await;
    let r = metrics(&t, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(!r.body.contains("thiqa_http_requests_total"));
    assert!(r.headers.contains_key(header::WWW_AUTHENTICATE));
    let r = metrics(&t, Some("Bearer not-the-token-000000000000000")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = metrics(&t, Some(&format!("Bearer {METRICS_TOKEN}"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("thiqa_http_requests_total"));
    // Unconfigured, the counters are not served at all.
    let off = TestApp::new(Backend::Sqlite).await;
    let r = metrics(&off, Some(&format!("Bearer {METRICS_TOKEN}"))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("metrics_token"), "{}", r.body);
}

/// Issue 12, item 1: a storage failure is a 503 naming it, never a 500,
/// and `/readyz` says not ready.
#[tokio::test]
async fn an_unreachable_database_answers_503_not_500() {
    let t = TestApp::new(Backend::Sqlite).await;
    let mut c = t.portal();
    c.get("/login").await;
    t.store().close().await;
    let r = c
        .post_form("/login", &[("username", "karim"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("rien n’a été enregistré"), "{}", r.body);
    let r = t
        .portal()
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}

//! Account set-up and reset links are e-mailed once a mail relay is
//! configured (issue 14, item 3): the administrator who creates an account
//! with an address sees where the link went, never the link itself; the
//! link waits in the outbox, committed with it, and the e-mail composed
//! from it opens the set-password page. Without a relay, or without an
//! address, the link is shown once as before.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::StatusCode;
use support::{Backend, TestApp};
use thiqa_server::config::Config;

async fn with_relay() -> TestApp {
    let mut config = Config::default();
    // Nothing listens there: this test reads the outbox, it sends nothing.
    config.smtp.host = Some("127.0.0.1".into());
    config.smtp.port = 2;
    config.smtp.security = "none".into();
    config.smtp.from = "Thiqa <no-reply@banque.test>".into();
    TestApp::with_config(Backend::Sqlite, config).await
}

#[tokio::test]
async fn a_set_up_link_is_e_mailed_and_shown_nowhere() {
    let t = with_relay().await;
    let mut nadia = t
        .member_signed("nadia", &["Administrateur de l'organisation"])
        .await;
    nadia.get("/accounts").await;
    let r = nadia
        .post_form(
            "/accounts",
            &[
                ("username", "leila"),
                ("display_name", "Leila Amrani"),
                ("email", "leila@banque.test"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"link-mailed\""), "{}", r.body);
    assert!(r.body.contains("leila@banque.test"), "{}", r.body);
    assert!(!r.body.contains("/reset/"), "the link is not on the page");

    let store = t.store();
    let leased = store
        .lease_deliveries(10, 60_000, "test", true)
        .await
        .unwrap();
    assert_eq!(leased.len(), 1);
    let d = &leased[0];
    assert_eq!(
        (d.topic.as_str(), d.address.as_str()),
        ("account-link", "leila@banque.test")
    );
    let mail = thiqa_server::delivery::compose::mail(d, &t.app.i18n, "", "banque.test").unwrap();
    assert!(
        mail.subject.contains("choisissez votre mot de passe"),
        "{}",
        mail.subject
    );
    let link = mail
        .text
        .lines()
        .find(|l| l.contains("/reset/"))
        .expect("the link is in the e-mail")
        .trim()
        .to_string();
    let path = &link[link.find("/reset/").unwrap()..];
    let r = t.portal().get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("name=\"password\""), "{}", r.body);

    // Once sent, the outbox forgets the link.
    store
        .finish_deliveries(&[(d.clone(), thiqa_store::DeliveryOutcome::Sent)])
        .await
        .unwrap();
    assert_eq!(store.outbox_counts().await.unwrap().sent, 1);
}

#[tokio::test]
async fn without_an_address_the_link_is_shown_once() {
    let t = with_relay().await;
    let mut nadia = t
        .member_signed("nadia", &["Administrateur de l'organisation"])
        .await;
    nadia.get("/accounts").await;
    let r = nadia
        .post_form(
            "/accounts",
            &[
                ("username", "omar"),
                ("display_name", "Omar"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"setup-link\""), "{}", r.body);
    assert_eq!(t.store().outbox_counts().await.unwrap().pending, 0);
}

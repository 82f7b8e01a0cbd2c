//! Incident notification preferences in the portal (3.12.2): the
//! organisation's administrator chooses who is told of each severity and
//! how; a member sees the choices without changing them; a bad field is
//! named and nothing is saved; another organisation's member cannot be
//! named.

mod support;

use axum::http::StatusCode;
use support::TestApp;
use thiqa_domain::Directory;

on_both_backends!(an_administrator_chooses_who_is_told_and_members_see_it);

async fn an_administrator_chooses_who_is_told_and_members_see_it(t: TestApp) {
    let (admin_id, _) = t
        .user(
            Directory::Customers,
            "karim",
            &["Administrateur de l'organisation"],
            false,
        )
        .await;
    let (reader_id, _) = t
        .user(Directory::Customers, "youssef", &["Utilisateur"], false)
        .await;
    let mut admin = t.portal();
    admin.login("karim", support::PASSWORD).await;
    let r = admin.get("/incident-preferences").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&format!("name=\"p.critical.{reader_id}\"")),
        "{}",
        r.body
    );

    let critical = format!("p.critical.{reader_id}");
    let low = format!("p.low.{admin_id}");
    let r = admin
        .post_form(
            "/incident-preferences",
            &[(critical.as_str(), "email"), (low.as_str(), "inbox")],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    assert_eq!(r.notice(), Some("saved"));

    // A member reads the choices; the form is not offered.
    let mut reader = t.portal();
    reader.login("youssef", support::PASSWORD).await;
    let r = reader.get("/incident-preferences").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Courriel"), "{}", r.body);
    assert!(!r.body.contains("name=\"p.critical"), "{}", r.body);
    let r = reader
        .post_form("/incident-preferences", &[(critical.as_str(), "none")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // A field naming no known severity: refused, the choices kept.
    let r = admin
        .post_form(
            "/incident-preferences",
            &[(critical.as_str(), "inbox"), ("p.urgent.1", "email")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("p.urgent.1"), "{}", r.body);
    // A member of no organisation of ours: refused.
    let r = admin
        .post_form("/incident-preferences", &[("p.high.999999", "email")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("999999"), "{}", r.body);
    // What was saved first is still there.
    let r = reader.get("/incident-preferences").await;
    assert!(
        r.body.contains("Courriel") && r.body.contains("Boîte du portail"),
        "{}",
        r.body
    );
}

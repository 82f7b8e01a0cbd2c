//! An external PASSI audit as the people involved live it: the RSSI invites
//! an auditor to one service; the auditor reads that service only, records
//! findings, and closes them once the provider has answered; the access
//! ends when revoked or at its end date.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::StatusCode;
use support::{Backend, Client, TestApp};
use thiqa_domain::Directory;

/// YYYY-MM-DD of the test clock, `days` from now.
fn day(t: &TestApp, days: i64) -> String {
    use thiqa_domain::Clock;
    let s = t.clock.now_s() + days * 86_400;
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{s}"), "+%F"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

async fn create_service(c: &mut Client, name: &str) -> String {
    c.get("/services").await;
    let r = c
        .post_form(
            "/services",
            &[("name", name), ("model", "iaas"), ("level", "2")],
        )
        .await;
    r.location().unwrap().to_string()
}

/// Posts the invitation form; `auditor` and `service` are ids.
async fn invite(
    c: &mut Client,
    auditor: i64,
    service: &str,
    from: &str,
    until: &str,
) -> support::Reply {
    c.post_form(
        "/audits",
        &[
            ("auditor", &auditor.to_string()),
            ("service", service.trim_start_matches("/services/")),
            ("firm", "Cabinet Atlas PASSI"),
            ("from", from),
            ("until", until),
        ],
    )
    .await
}

/// Finding numbers shown on the findings page, in page order.
fn finding_ids(page: &str) -> Vec<String> {
    page.split("id=\"finding-")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

async fn audit_story(t: TestApp) {
    let mut officer = t.operator_signed("amal", &["Responsable conformité"]).await;
    let mut rssi = t.operator_signed("rachid", &["RSSI"]).await;
    let (auditor_id, secret) = t.user(Directory::Operators, "passi", &[], true).await;
    let mut auditor = t.signed_operator("passi", secret.as_ref().unwrap()).await;

    let audited = create_service(&mut officer, "Cloud souverain").await;
    let other = create_service(&mut officer, "Sauvegarde").await;

    // Before any engagement the auditor's account opens nothing.
    assert_eq!(auditor.get(&audited).await.status, StatusCode::FORBIDDEN);
    assert_eq!(auditor.get("/services").await.status, StatusCode::FORBIDDEN);
    let r = auditor.get("/audits").await;
    assert!(r.body.contains("Aucune mission"), "{}", r.body);

    // Someone who edits the assessment cannot be its auditor.
    rssi.get("/audits").await;
    let officer_id = t
        .store()
        .account_by_username(Directory::Operators, "amal")
        .await
        .unwrap()
        .unwrap()
        .id;
    let service_id = audited.trim_start_matches("/services/").to_string();
    let (from, until) = (day(&t, 0), day(&t, 10));
    let r = invite(&mut rssi, officer_id, &service_id, &from, &until).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("assessment.edit"), "{}", r.body);
    // A period that ends before it starts is named.
    let r = invite(&mut rssi, auditor_id, &service_id, &until, &from).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("la fin après le début"), "{}", r.body);
    // The officer cannot invite anyone.
    officer.get("/audits").await;
    let r = officer
        .post_form(
            "/audits",
            &[
                ("auditor", &auditor_id.to_string()),
                ("service", &service_id),
                ("firm", "X"),
                ("from", &from),
                ("until", &until),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = invite(&mut rssi, auditor_id, &service_id, &from, &until).await;
    assert_eq!(r.location(), Some("/audits"), "{}", r.body);

    // The auditor now reads that service, and only that one, read-only.
    let r = auditor.get("/services").await;
    assert!(r.body.contains("Cloud souverain") && !r.body.contains("Sauvegarde"));
    assert_eq!(auditor.get(&audited).await.status, StatusCode::OK);
    let r = auditor.get(&format!("{audited}/assessment")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(auditor.get(&other).await.status, StatusCode::FORBIDDEN);
    let r = auditor
        .post_form(
            &format!("{audited}/o/3.6.2.a"),
            &[("status", "compliant"), ("statement", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Reports are part of reading the service: the PDF statement and the
    // OSCAL documents; an unknown document name is a 404.
    let r = auditor.get(&format!("{audited}/soa.pdf")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with("%PDF-"));
    let r = auditor
        .get(&format!("{audited}/oscal/system-security-plan.json"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("\"system-security-plan\""));
    let r = auditor.get(&format!("{audited}/oscal/passwd")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = auditor.get(&format!("{other}/soa.pdf")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Findings: bad input named, nothing stored; then one major finding.
    let findings = format!("{audited}/findings");
    let r = auditor.get(&findings).await;
    assert!(r.body.contains("Cabinet Atlas PASSI"), "{}", r.body);
    let r = auditor
        .post_form(
            &findings,
            &[
                ("obligation", "9.9.9.z"),
                ("severity", "fatal"),
                ("description", "TLS 1.0 encore accepté"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("9.9.9.z") && r.body.contains("La gravité"));
    assert!(finding_ids(&r.body).is_empty());
    // The refused finding's text and obligation stay in the form.
    assert!(
        r.body.contains(">TLS 1.0 encore accepté</textarea>")
            && r.body.contains("value=\"9.9.9.z\""),
        "{}",
        r.body
    );
    let r = auditor
        .post_form(
            &findings,
            &[
                ("obligation", "3.6.2.a"),
                ("severity", "major"),
                ("description", "Le portail accepte encore TLS 1.0."),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(findings.as_str()));
    let r = auditor
        .post_form(
            &format!("{other}/findings"),
            &[
                ("obligation", "3.6.2.a"),
                ("severity", "minor"),
                ("description", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The provider sees it, answers and plans an action against it.
    let r = officer.get(&findings).await;
    let ids = finding_ids(&r.body);
    assert_eq!(ids.len(), 1);
    let fid = &ids[0];
    assert!(r.body.contains("non-conformité majeure") && r.body.contains("ouvert"));
    // The officer records nothing: findings are the auditor's.
    let r = officer
        .post_form(
            &findings,
            &[
                ("obligation", "3.6.2.a"),
                ("severity", "minor"),
                ("description", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = officer
        .post_form(
            &format!("{findings}/{fid}/respond"),
            // The version the page was loaded at: answers name it.
            &[
                ("response", "TLS 1.0 et 1.1 désactivés le 2 décembre."),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(findings.as_str()));
    let r = officer
        .post_form(&format!("{findings}/{fid}/close"), &[("note", "")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let actions = format!("{audited}/actions");
    officer.get(&actions).await;
    let r = officer
        .post_form(
            &actions,
            &[
                ("title", "Retirer TLS 1.0"),
                ("obligations", "3.6.2.a"),
                ("findings", "999999"),
                ("due_date", &until),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("999999"));
    assert!(t
        .store()
        .provider(provider(&t))
        .actions(sid(&audited))
        .await
        .unwrap()
        .is_empty());
    let r = officer
        .post_form(
            &actions,
            &[
                ("title", "Retirer TLS 1.0"),
                ("obligations", "3.6.2.a"),
                ("findings", &format!("#{fid}")),
                ("due_date", &until),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(actions.as_str()));
    let r = officer.get(&actions).await;
    assert!(
        r.body.contains(&format!("finding-{fid}\">#{fid}</a>")),
        "{}",
        r.body
    );

    // The auditor closes it; it cannot be answered or closed again.
    let r = auditor
        .post_form(
            &format!("{findings}/{fid}/close"),
            &[("note", "Vérifié : TLS 1.2 minimum."), ("version", "1")],
        )
        .await;
    assert_eq!(r.location(), Some(findings.as_str()));
    let r = auditor
        .post_form(
            &format!("{findings}/{fid}/close"),
            &[("note", ""), ("version", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains(&format!("Le constat {fid} est déjà clos.")),
        "{}",
        r.body
    );
    let r = officer
        .post_form(
            &format!("{findings}/{fid}/respond"),
            &[("response", "autre"), ("version", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = officer.get(&findings).await;
    assert!(r.body.contains("Vérifié : TLS 1.2 minimum.") && r.body.contains("clos"));
    assert!(r.body.contains("TLS 1.0 et 1.1 désactivés le 2 décembre."));

    // Every step is in the provider's journal.
    let events = t
        .store()
        .events(&thiqa_store::EventFilter {
            tenant: Some(t.provider),
            action_prefix: None,
            limit: 200,
        })
        .await
        .unwrap();
    for action in [
        "audit.engagement.create",
        "finding.record",
        "finding.respond",
        "finding.close",
    ] {
        assert!(
            events.iter().any(|e| e.action == action),
            "{action} not journaled"
        );
    }

    // Revoked: the very next request is refused.
    let r = rssi.get("/audits").await;
    let engagement = r
        .body
        .split("/audits/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_string();
    let r = rssi
        .post_form(&format!("/audits/{engagement}/revoke"), &[])
        .await;
    assert_eq!(r.location(), Some("/audits"));
    assert_eq!(auditor.get(&findings).await.status, StatusCode::FORBIDDEN);
    let r = auditor.get("/audits").await;
    assert!(r.body.contains("révoquée"), "{}", r.body);
}

fn provider(t: &TestApp) -> thiqa_domain::ProviderId {
    match t.provider {
        thiqa_domain::Tenant::Provider(p) => p,
        _ => unreachable!(),
    }
}

fn sid(path: &str) -> thiqa_domain::ServiceId {
    thiqa_domain::ServiceId(path.trim_start_matches("/services/").parse().unwrap())
}

#[tokio::test]
async fn audit_engagement_and_findings_on_sqlite() {
    audit_story(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn audit_engagement_and_findings_on_postgres() {
    audit_story(TestApp::new(Backend::Postgres).await).await;
}

#[tokio::test]
async fn the_auditors_access_ends_with_the_engagement() {
    let t = TestApp::new(Backend::Sqlite).await;
    let mut officer = t.operator_signed("amal", &["Responsable conformité"]).await;
    officer.get("/services").await;
    let r = officer
        .post_form(
            "/services",
            &[("name", "PaaS"), ("model", "paas"), ("level", "1")],
        )
        .await;
    let audited = r.location().unwrap().to_string();
    let mut rssi = t.operator_signed("rachid", &["RSSI"]).await;
    let (auditor_id, secret) = t.user(Directory::Operators, "passi", &[], true).await;
    rssi.get("/audits").await;
    let today = day(&t, 0);
    let r = invite(&mut rssi, auditor_id, &audited, &today, &today).await;
    assert_eq!(r.location(), Some("/audits"), "{}", r.body);
    let mut auditor = t.signed_operator("passi", secret.as_ref().unwrap()).await;
    assert_eq!(auditor.get(&audited).await.status, StatusCode::OK);
    // Two days later the last day of access is over.
    t.clock.advance_s(2 * 86_400);
    let mut auditor = t.signed_operator("passi", secret.as_ref().unwrap()).await;
    assert_eq!(auditor.get(&audited).await.status, StatusCode::FORBIDDEN);
    let r = auditor.get("/audits").await;
    assert!(r.body.contains("terminée"), "{}", r.body);
}

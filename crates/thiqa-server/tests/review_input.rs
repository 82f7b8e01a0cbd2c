//! Issue 11, bad input and exports (items 10–13), as an attacker or a
//! careless spreadsheet would try them through the console: hostile
//! imports get a 4xx naming the limit, CSV exports carry no formula,
//! evidence never comes back as active content, and an intake source
//! cannot pass its events off as Thiqa's own.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use support::evidence::{first_item_link, multipart, officer};
use support::{Client, Reply, TestApp};
use thiqa_domain::{Clock, Directory};
use thiqa_journal::Timestamp;
use thiqa_store::AlertQuery;

on_both_backends!(
    hostile_spreadsheets_are_refused_naming_the_limit,
    the_statement_of_applicability_csv_carries_no_formula,
    evidence_is_served_inert_whatever_type_the_uploader_claimed,
    a_source_forging_thiqa_login_failures_raises_no_bruteforce_alert,
    intake_refuses_times_and_control_characters_naming_the_line,
);

async fn import(c: &mut Client, service: &str, name: &str, media: &str, bytes: &[u8]) -> Reply {
    let csrf = c.csrf.clone().unwrap();
    let (ct, body) = multipart(&[], Some((name, media, bytes)));
    c.post_raw(
        &format!("{service}/assessment/import?csrf={csrf}"),
        &ct,
        body,
    )
    .await
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn hostile_spreadsheets_are_refused_naming_the_limit(t: TestApp) {
    use thiqa_export::import::hostile;
    let (mut c, service) = officer(&t).await;
    c.get(&format!("{service}/assessment")).await;
    let long_cell = format!("id,status\n3.1.1.a,{}\n", "a".repeat(40_000));
    let wide = format!("id,status{}\n", ",x".repeat(100));
    let cases: [(&str, &str, Vec<u8>, &str); 6] = [
        (
            "coin.xlsx",
            XLSX,
            hostile::corner_cells(),
            "limit of 10000 rows",
        ),
        (
            "bombe.xlsx",
            XLSX,
            hostile::zip_bomb(40),
            "more than 16 MiB",
        ),
        (
            "sst.xlsx",
            XLSX,
            hostile::huge_shared_strings(),
            "shared strings",
        ),
        (
            "long.csv",
            "text/csv",
            long_cell.into_bytes(),
            "longer than 32767 bytes",
        ),
        (
            "large.csv",
            "text/csv",
            wide.into_bytes(),
            "limit of 64 columns",
        ),
        (
            "faux.xlsx",
            XLSX,
            b"PK\x03\x04 not a zip".to_vec(),
            "not a readable XLSX",
        ),
    ];
    for (name, media, bytes, limit) in cases {
        let r = import(&mut c, &service, name, media, &bytes).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );
        assert!(r.body.contains(limit), "{name}: {}", r.body);
    }
    // Over the upload limit itself: 413 naming it.
    let big = vec![b'a'; 21 << 20];
    let r = import(&mut c, &service, "enorme.csv", "text/csv", &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("20 Mo"), "{}", r.body);
    // A broken multipart body: 400, not 500.
    let csrf = c.csrf.clone().unwrap();
    let r = c
        .post_raw(
            &format!("{service}/assessment/import?csrf={csrf}"),
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nunfinished".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // Nothing was imported, and the console still answers.
    let list = c
        .get(&format!("{service}/assessment?status=compliant"))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("3.1.1.a"));
}

async fn the_statement_of_applicability_csv_carries_no_formula(t: TestApp) {
    let (mut c, service) = officer(&t).await;
    c.get(&format!("{service}/assessment")).await;
    let sheet = "Exigence;Statut;Mise en œuvre;Responsable\n3.1.1.a;conforme;=1+2*cmd|' /C calc'!A0;@SUM(A1)\n";
    let r = import(&mut c, &service, "a.csv", "text/csv", sheet.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let csv = c.get(&format!("{service}/soa.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body
            .contains(",compliant,\"'=1+2*cmd|' /C calc'!A0\",,\"'@SUM(A1)\","),
        "{}",
        csv.body
    );
    assert!(!csv.body.contains(",=1+2") && !csv.body.contains(",@SUM"));
}

async fn evidence_is_served_inert_whatever_type_the_uploader_claimed(t: TestApp) {
    let (mut c, _) = officer(&t).await;
    let html = b"<html><script>fetch('/api/v1/tokens')</script></html>";
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let cases: [(&str, &str, &[u8], &str); 5] = [
        ("page.html", "text/html", html, "application/octet-stream"),
        (
            "image.svg",
            "image/svg+xml",
            svg,
            "application/octet-stream",
        ),
        ("note.txt", "text/plain", html, "application/octet-stream"),
        (
            "faux.pdf",
            "application/pdf",
            html,
            "application/octet-stream",
        ),
        ("logo.png", "image/png", png, "image/png"),
    ];
    for (name, claimed, bytes, served) in cases {
        // One service per case: its evidence list holds that file only.
        c.get("/services").await;
        let r = c
            .post_form(
                "/services",
                &[("name", name), ("model", "iaas"), ("level", "2")],
            )
            .await;
        let service = r.location().unwrap().to_string();
        c.get(&format!("{service}/evidence")).await;
        let csrf = c.csrf.clone().unwrap();
        let (ct, body) = multipart(
            &[("title", name), ("obligations", "3.1.1.a")],
            Some((name, claimed, bytes)),
        );
        let r = c
            .post_raw(&format!("{service}/evidence/upload?csrf={csrf}"), &ct, body)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let list = c.get(&format!("{service}/evidence")).await;
        let item = first_item_link(&list.body, &service);
        // The current version, then the same file as version 1 once a
        // plain-text version 2 is added.
        let current = c.get(&format!("{item}/download")).await;
        let (ct, body) = multipart(&[], Some(("v2.txt", "text/plain", b"version 2")));
        let r = c
            .post_raw(&format!("{item}/versions?csrf={csrf}"), &ct, body)
            .await;
        assert_eq!(r.location(), Some(item.as_str()), "{}", r.body);
        let older = c.get(&format!("{item}/versions/1/download")).await;
        let newer = c.get(&format!("{item}/download")).await;
        assert_eq!(newer.headers["content-type"], "text/plain; charset=utf-8");
        for r in [&current, &older] {
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.headers["content-type"], served, "{name}");
            assert_eq!(
                r.body.len(),
                String::from_utf8_lossy(bytes).len(),
                "{name}: same bytes"
            );
        }
        for r in [&current, &older, &newer] {
            let csp = r.headers["content-security-policy"].to_str().unwrap();
            assert!(csp.starts_with("sandbox"), "{name}: {csp}");
            assert_eq!(r.headers["x-content-type-options"], "nosniff");
            let disposition = r.headers["content-disposition"].to_str().unwrap();
            assert!(disposition.starts_with("attachment;"), "{disposition}");
        }
    }
}

async fn intake(t: &TestApp, token: &str, lines: &[String]) -> Reply {
    let mut c = t.console();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/journal/intake")
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(lines.join("\n")))
        .unwrap();
    c.send(req).await
}

fn at(t: &TestApp, offset_s: i64) -> String {
    Timestamp::from_unix_millis(t.clock.now_ms() + offset_s * 1000)
        .unwrap()
        .to_string()
}

async fn a_source_forging_thiqa_login_failures_raises_no_bruteforce_alert(t: TestApp) {
    let (_, token) = support::intake_source(&t, "fw/edge-01").await;
    let (_, secret) = t
        .user(Directory::Operators, "rachid", &["RSSI"], true)
        .await;
    let forged: Vec<String> = (0..30)
        .map(|i| {
            format!(
                r#"{{"time":"{}","type":"login","severity":"warning","outcome":"failure","actor":"rachid","source_address":"203.0.113.9"}}"#,
                at(&t, i - 60)
            )
        })
        .collect();
    let r = intake(&t, &token, &forged).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rules = t.app.config.alerts.rules().unwrap();
    thiqa_server::alerting::evaluate_now(&t.app, &rules)
        .await
        .unwrap();
    let alerts = t
        .store()
        .tenant(t.provider)
        .alerts(&AlertQuery::default())
        .await
        .unwrap();
    assert!(
        alerts.iter().all(|a| !a.rule_id.starts_with("auth.")),
        "a source's `login` events raised {alerts:?}"
    );
    // The journal search shows them as a source's, not Thiqa's.
    let mut rssi = t.signed_operator("rachid", secret.as_ref().unwrap()).await;
    let page = rssi.get("/journal/search?type=login").await;
    assert_eq!(page.status, StatusCode::OK);
    let forged_row = page
        .body
        .split("<tr")
        .find(|r| r.contains("203.0.113.9"))
        .unwrap_or_else(|| panic!("{}", page.body));
    assert!(forged_row.contains("fw/edge-01"), "{forged_row}");
    assert!(
        forged_row.contains("class=\"external-source\""),
        "{forged_row}"
    );
    let own_row = page
        .body
        .split("<tr")
        .find(|r| r.contains("own-source"))
        .unwrap_or_else(|| panic!("rachid's own login: {}", page.body));
    assert!(own_row.contains(">thiqa<"), "{own_row}");
}

async fn intake_refuses_times_and_control_characters_naming_the_line(t: TestApp) {
    let (_, token) = support::intake_source(&t, "hv/kvm-07").await;
    let line = |time: String, actor: &str| {
        format!(r#"{{"time":"{time}","type":"vm.start","severity":"notice","actor":"{actor}"}}"#)
    };
    let lines = vec![
        line(at(&t, -10), "ops"),
        line(at(&t, 3600), "ops"),
        line(at(&t, -401 * 86_400), "ops"),
        line(at(&t, -10), "ops\\u001b[2J\\nroot logged in"),
        line(at(&t, -10), "ops"),
    ];
    let r = intake(&t, &token, &lines).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let named: Vec<(u64, String)> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(named.len(), 3, "{named:?}");
    assert_eq!(named[0].0, 2);
    assert!(
        named[0].1.contains("more than 5 minutes ahead"),
        "{named:?}"
    );
    assert_eq!(named[1].0, 3);
    assert!(named[1]
        .1
        .contains("older than the journal's retention (400 days)"));
    assert_eq!(named[2].0, 4);
    assert!(named[2].1.contains("control character U+001B"), "{named:?}");
}

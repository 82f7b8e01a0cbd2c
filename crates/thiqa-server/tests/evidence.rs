//! Evidence as a compliance officer uploads it: streamed, content-addressed,
//! size-limited with a clear message, linked to obligations, downloaded with
//! its original name and type; nothing left behind by a refused upload.

mod support;

use axum::http::StatusCode;
use support::evidence::{multipart, officer};
use support::{Backend, TestApp};
use thiqa_server::config::Config;

fn blob_files(t: &TestApp, sub: &str) -> usize {
    let dir = t.app.config.data_dir.join("blobs").join(sub);
    walk(&dir)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn evidence_on_sqlite() {
    evidence_is_stored_once_linked_and_downloaded(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn evidence_on_postgres() {
    evidence_is_stored_once_linked_and_downloaded(TestApp::new(Backend::Postgres).await).await;
}

async fn evidence_is_stored_once_linked_and_downloaded(t: TestApp) {
    let (mut c, service) = officer(&t).await;
    let csrf = c.csrf.clone().unwrap();
    // A PDF by its magic bytes: downloads keep a claimed type only when
    // the content confirms it.
    let content = format!(
        "%PDF-1.7\n{}",
        "Politique de chiffrement v3 — clés par commanditaire\n".repeat(2000)
    );
    let (ct, body) = multipart(
        &[
            ("title", "Politique de chiffrement"),
            ("obligations", "3.6.3.a 3.6.3.b"),
            ("valid_until", "2027-12-31"),
        ],
        Some((
            "politique-chiffrement é.pdf",
            "application/pdf",
            content.as_bytes(),
        )),
    );
    let r = c
        .post_raw(
            &format!("{service}/evidence/upload?csrf={csrf}"),
            &ct,
            body.clone(),
        )
        .await;
    assert_eq!(
        r.location(),
        Some(format!("{service}/evidence").as_str()),
        "{}",
        r.body
    );
    // The same file again: a second record, one stored copy.
    let r = c
        .post_raw(&format!("{service}/evidence/upload?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        blob_files(&t, "sha256"),
        1,
        "content-addressed: stored once"
    );
    let list = c.get(&format!("{service}/evidence")).await;
    assert!(
        list.body.contains("Politique de chiffrement") && list.body.contains("3.6.3.b"),
        "{}",
        list.body
    );
    let href = list
        .body
        .split("href=\"")
        .find(|s| s.contains("/download"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let file = c.get(&href).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, content, "the same bytes come back");
    assert_eq!(file.headers.get("content-type").unwrap(), "application/pdf");
    let disposition = file
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        disposition.contains("filename*=UTF-8''politique-chiffrement%20%C3%A9.pdf"),
        "{disposition}"
    );
    // The obligation's page lists it.
    let item = c.get(&format!("{service}/o/3.6.3.b")).await;
    assert!(item
        .body
        .split("id=\"linked-evidence\"")
        .nth(1)
        .unwrap()
        .contains("Politique de chiffrement"));
    // A note, and bad input named.
    c.get(&format!("{service}/evidence")).await;
    let r = c
        .post_form(
            &format!("{service}/evidence"),
            &[
                ("title", "Revue annuelle"),
                ("obligations", "3.1.1.e"),
                ("note", "Compte rendu du 12/11"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c
        .post_form(
            &format!("{service}/evidence"),
            &[
                ("title", "X"),
                ("obligations", "9.9.9"),
                ("url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("9.9.9") && r.body.contains("http(s)"),
        "{}",
        r.body
    );
    // Without the CSRF token in the query, an upload is refused.
    let (ct, body) = multipart(
        &[("title", "T"), ("obligations", "3.6.3.a")],
        Some(("a.txt", "text/plain", b"abc")),
    );
    assert_eq!(
        c.post_raw(&format!("{service}/evidence/upload"), &ct, body)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_and_leaves_nothing() {
    let config = Config {
        evidence_max_mb: 1,
        ..Default::default()
    };
    let t = TestApp::with_config(Backend::Sqlite, config).await;
    let (mut c, service) = officer(&t).await;
    let csrf = c.csrf.clone().unwrap();
    let big = vec![b'x'; 1024 * 1024 + 10];
    let (ct, body) = multipart(
        &[("title", "Trop gros"), ("obligations", "3.6.3.a")],
        Some(("big.bin", "application/octet-stream", &big)),
    );
    let r = c
        .post_raw(&format!("{service}/evidence/upload?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.body.contains("1 Mo"),
        "the limit is in the message: {}",
        r.body
    );
    assert_eq!(
        blob_files(&t, "sha256") + blob_files(&t, "tmp"),
        0,
        "no partial file"
    );
    let list = c.get(&format!("{service}/evidence")).await;
    assert!(
        !list.body.contains("Trop gros"),
        "no partial evidence record"
    );
    // An upload cut off mid-body leaves nothing either.
    let (ct, body) = multipart(
        &[("title", "Coupé"), ("obligations", "3.6.3.a")],
        Some(("cut.bin", "application/octet-stream", &[b'y'; 5000])),
    );
    let cut = body[..body.len() - 100].to_vec();
    let r = c
        .post_raw(&format!("{service}/evidence/upload?csrf={csrf}"), &ct, cut)
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_eq!(blob_files(&t, "sha256") + blob_files(&t, "tmp"), 0);
}

#[tokio::test]
async fn a_spreadsheet_self_assessment_is_imported_whole_or_not_at_all() {
    let t = TestApp::new(Backend::Sqlite).await;
    let (mut c, service) = officer(&t).await;
    c.get(&format!("{service}/assessment")).await;
    let csrf = c.csrf.clone().unwrap();
    let bad =
        "Exigence;Statut;Justification\n3.1.1;Conforme;\n3.4.4.b;non applicable;\n9.1;conforme;\n";
    let (ct, body) = multipart(
        &[],
        Some(("auto-evaluation.csv", "text/csv", bad.as_bytes())),
    );
    let r = c
        .post_raw(
            &format!("{service}/assessment/import?csrf={csrf}"),
            &ct,
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let report = r.body.split("id=\"import-problems\"").nth(1).unwrap();
    assert!(
        report.contains("<td>3</td>") && report.contains("<td>4</td>") && report.contains("9.1"),
        "{report}"
    );
    let list = c
        .get(&format!("{service}/assessment?status=compliant"))
        .await;
    assert!(
        !list.body.contains("3.1.1.a"),
        "nothing imported from a rejected file"
    );
    let good = "Exigence;Statut;Justification;Responsable\n3.1.1;Conforme;;RSSI\n3.4.4.b;non applicable;Aucun support amovible;RSSI\n";
    let (ct, body) = multipart(
        &[],
        Some(("auto-evaluation.csv", "text/csv", good.as_bytes())),
    );
    let r = c
        .post_raw(
            &format!("{service}/assessment/import?csrf={csrf}"),
            &ct,
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let n = thiqa_catalog::dgssi_cloud_2025()
        .article("3.1.1")
        .unwrap()
        .obligations
        .len()
        + 1;
    assert!(
        r.body.contains(&format!("{n} obligations importées")),
        "{}",
        r.body
    );
    let list = c
        .get(&format!("{service}/assessment?status=compliant"))
        .await;
    assert!(list.body.contains("3.1.1.a") && list.body.contains("RSSI"));
}

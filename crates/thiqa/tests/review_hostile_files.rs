//! The server never aborts on a hostile file (issue 11, item 10): the real
//! `thiqa demo` binary receives, on every import route, a zip bomb, the
//! 1.6 KB workbook whose cells A1 and XFD1048576 once made the reader
//! allocate 512 GiB, huge cells, thousands of columns, NDJSON with giant
//! and deeply nested lines, and malformed multipart bodies. Each gets a
//! 4xx, and after each both listeners still answer.

mod demo;

use demo::{demo, evidence_form, signed_admin, thiqa, Demo, Http};
use thiqa_export::import::hostile;

fn multipart(name: &str, media: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    evidence_form("hostile", name, media, bytes)
}

fn both_listeners_answer(demo: &Demo, after: &str) {
    for addr in [&demo.portal, &demo.console] {
        let r = Http::new(addr).get("/healthz");
        assert_eq!(r.status, 200, "{addr} after {after}");
    }
}

#[test]
fn hostile_files_get_a_4xx_and_both_listeners_keep_answering() {
    let demo = demo();
    let mut admin = signed_admin(&demo.console);
    let services = admin.get("/services");
    let service = services
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/services/") && h[10..].bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no service: {}", services.body))
        .to_string();
    admin.get(&format!("{service}/assessment"));
    let csrf = admin.csrf.clone();

    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let long_cell = format!("id,status\n3.1.1.a,{}\n", "a".repeat(1 << 20));
    let wide = format!("id,status{}\n", ",x".repeat(20_000));
    let files: Vec<(&str, &str, Vec<u8>)> = vec![
        ("coin.xlsx", xlsx, hostile::corner_cells()),
        ("bombe.xlsx", xlsx, hostile::zip_bomb(200)),
        ("sst.xlsx", xlsx, hostile::huge_shared_strings()),
        ("cellule.csv", "text/csv", long_cell.into_bytes()),
        ("colonnes.csv", "text/csv", wide.into_bytes()),
    ];
    for (name, media, bytes) in &files {
        let (ct, body) = multipart(name, media, bytes);
        let path = format!("{service}/assessment/import?csrf={csrf}");
        let r = admin.send("POST", &path, &[("Content-Type", &ct)], &body);
        assert_eq!(r.status, 422, "{name}: {}", r.body);
        assert!(r.body.contains("limit"), "{name}: {}", r.body);
        both_listeners_answer(&demo, name);
    }

    // Malformed multipart bodies on the import and both evidence routes.
    let (_, whole) = multipart("a.pdf", "application/pdf", b"%PDF-1.7");
    let cut = &whole[..whole.len() - 20];
    let broken: [(&str, &[u8]); 3] = [
        ("multipart/form-data; boundary=thiqa-test-7d1f", cut),
        (
            "multipart/form-data; boundary=thiqa-test-7d1f",
            b"no boundary at all",
        ),
        ("multipart/form-data", &whole),
    ];
    let item_page = admin.get(&format!("{service}/evidence"));
    let item = item_page
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with(&format!("{service}/evidence/")) && !h.contains("download"));
    let mut routes = vec![
        format!("{service}/assessment/import"),
        format!("{service}/evidence/upload"),
    ];
    routes.extend(item.map(|i| format!("{i}/versions")));
    for route in &routes {
        for (ct, body) in broken {
            let r = admin.send(
                "POST",
                &format!("{route}?csrf={csrf}"),
                &[("Content-Type", ct)],
                body,
            );
            assert!(
                (400..500).contains(&r.status),
                "{route} {ct}: {} {}",
                r.status,
                r.body
            );
            both_listeners_answer(&demo, route);
        }
    }

    // NDJSON intake: a giant line, a deeply nested one, a body over the
    // limit.
    let token = thiqa()
        .args(["journal", "source", "create", "--data-dir"])
        .arg(demo.data.path())
        .args(["--name", "fw/hostile"])
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();
    let giant = format!(r#"{{"time":"{}"}}"#, "x".repeat(2 << 20));
    let nested = format!(
        r#"{{"severity":{}{}}}"#,
        "[".repeat(500_000),
        "]".repeat(500_000)
    );
    let auth = format!("Bearer {token}");
    let headers = [
        ("Content-Type", "application/x-ndjson"),
        ("Authorization", auth.as_str()),
    ];
    for (what, body) in [("giant line", giant), ("nested line", nested)] {
        let r = Http::new(&demo.console).send(
            "POST",
            "/api/v1/journal/intake",
            &headers,
            body.as_bytes(),
        );
        assert_eq!(r.status, 422, "{what}: {}", r.body);
        both_listeners_answer(&demo, what);
    }
    let r = Http::new(&demo.console).exchange(
        "POST",
        "/api/v1/journal/intake",
        &headers,
        11 << 20,
        b"",
    );
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("intake_max_bytes"), "{}", r.body);
    both_listeners_answer(&demo, "an oversized batch");
    // The console session still works.
    assert_eq!(admin.get(&format!("{service}/assessment")).status, 200);
}

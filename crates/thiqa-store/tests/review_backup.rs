//! Issue 12, item 2: a backup carries everything a restore needs (database,
//! signing keys, evidence files), a restore proves it before it replaces
//! anything, and a backup onto a full disk leaves no partial file.
//!
//! SQLite only: PostgreSQL databases are backed up with pg_dump.

mod support;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use support::SmallDisk;
use thiqa_blobs::BlobStore;
use thiqa_domain::SystemClock;
use thiqa_store::{
    existing_journal_signer, journal_signer, Actor, BackupError, BackupOptions, DatabaseLocation,
    NewEvent, NewEvidence, RestoreRequest, Store, RESTORE_MARKER,
};

const ORIGIN: &str = "thiqa.test/journal";

/// An installation with events, a signed checkpoint and evidence files.
struct Installation {
    dir: PathBuf,
    store: Store,
    blobs: BlobStore,
    /// (sha256, bytes) of every evidence file.
    files: Vec<(String, Vec<u8>)>,
}

async fn open(dir: &Path) -> Store {
    Store::open(
        &DatabaseLocation::Sqlite {
            data_dir: dir.to_path_buf(),
        },
        Arc::new(SystemClock),
    )
    .await
    .unwrap()
}

async fn installation(dir: &Path, evidence_sizes: &[usize]) -> Installation {
    let store = open(dir).await;
    let blobs = BlobStore::open(&dir.join("blobs")).unwrap();
    let signer = journal_signer(dir, ORIGIN).unwrap();
    let provider = store
        .create_provider("Atlas Cloud", &Actor::cli())
        .await
        .unwrap();
    let service = support::iaas_service(&store, provider).await;
    let mut files = Vec::new();
    for (i, size) in evidence_sizes.iter().enumerate() {
        // Bytes that differ per file and do not compress to nothing.
        let bytes: Vec<u8> = (0..*size).map(|n| ((n * 31 + i * 7) % 251) as u8).collect();
        let mut up = blobs.begin(u64::MAX).await.unwrap();
        up.write(&bytes).await.unwrap();
        let (sha256, len) = up.finish().await.unwrap();
        store
            .provider(provider)
            .create_evidence(
                service,
                &NewEvidence {
                    kind: "file",
                    title: format!("Preuve {i}"),
                    sha256: Some(sha256.clone()),
                    size: Some(len as i64),
                    filename: Some(format!("preuve-{i}.pdf")),
                    media_type: Some("application/pdf".into()),
                    url: None,
                    note: None,
                    valid_until: String::new(),
                    obligations: vec!["3.1.1.a".into()],
                },
                &Actor::cli(),
            )
            .await
            .unwrap();
        files.push((sha256, bytes));
    }
    for n in 0..20 {
        store
            .record_event(
                &Actor::system(),
                NewEvent::success("test.backup").details(format!("event {n}")),
            )
            .await
            .unwrap();
    }
    store.journal_sign_checkpoint(&signer).await.unwrap();
    Installation {
        dir: dir.to_path_buf(),
        store,
        blobs,
        files,
    }
}

async fn backup(inst: &Installation, out: &Path, include_keys: bool) -> Result<(), BackupError> {
    inst.store
        .backup_to(
            &inst.dir,
            &inst.blobs,
            out,
            &BackupOptions { include_keys },
            &mut |_| {},
        )
        .await
        .map(|_| ())
}

async fn restore(data_dir: &Path, file: &Path) -> Result<thiqa_store::RestoreReport, BackupError> {
    let blobs = BlobStore::open(&data_dir.join("blobs")).unwrap();
    let request = RestoreRequest {
        data_dir,
        blobs: &blobs,
        backup: file,
        known_migrations: &Store::sqlite_migration_versions(),
        origin: ORIGIN,
        custody: &thiqa_store::KeyCustody::files(data_dir),
        stamp: "1",
        clock: Arc::new(SystemClock),
    };
    thiqa_store::restore_into(&request, &mut |_| {}).await
}

async fn journal_ok(dir: &Path) -> bool {
    let Some(signer) = existing_journal_signer(dir, ORIGIN).unwrap() else {
        return false;
    };
    let store = Store::open_read_only(dir, Arc::new(SystemClock))
        .await
        .unwrap();
    let ok = store
        .journal_verify(ORIGIN, &[signer.verifier()], &mut |_, _| {})
        .await
        .unwrap()
        .is_ok();
    store.close().await;
    ok
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_directory_elsewhere_with_keys_and_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let inst = installation(&tmp.path().join("source"), &[1000, 70_000, 3]).await;
    let out = tmp.path().join("thiqa-backup.zip");
    backup(&inst, &out, true).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "a backup holds keys: owner only");
    }
    // Writes after the backup are not in it.
    inst.store
        .record_event(&Actor::system(), NewEvent::success("test.after"))
        .await
        .unwrap();

    let target = tmp.path().join("elsewhere").join("data");
    let report = restore(&target, &out).await.unwrap();
    assert_eq!(report.evidence_files, 3);
    assert_eq!(report.journal_leaves, inst_leaves(&inst).await - 1);
    assert!(journal_ok(&target).await);
    assert!(!target.join(RESTORE_MARKER).exists());
    assert!(!target.join(".restore-staging").exists());
    // The same key: verifiers published before the loss still apply, and
    // new checkpoints can be signed.
    let before = journal_signer(&inst.dir, ORIGIN).unwrap().verifier();
    let after = journal_signer(&target, ORIGIN).unwrap();
    assert_eq!(before.to_string(), after.verifier().to_string());
    let restored = open(&target).await;
    restored.journal_sign_checkpoint(&after).await.unwrap();
    // Every evidence file, byte for byte.
    let blobs = BlobStore::open(&target.join("blobs")).unwrap();
    for (sha256, bytes) in &inst.files {
        let mut read = blobs
            .read(sha256)
            .await
            .unwrap()
            .expect("evidence restored");
        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut read.reader, &mut got)
            .await
            .unwrap();
        assert_eq!(&got, bytes);
    }
}

async fn inst_leaves(inst: &Installation) -> u64 {
    inst.store.journal_head().await.unwrap().size
}

/// Rewrites the backup `from` into `to`, letting `edit` change any part;
/// `reseal` updates the manifest's hashes for the changed parts (a forger's
/// backup) or leaves them (damage).
fn rewrite(
    from: &Path,
    to: &Path,
    reseal: bool,
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
) {
    let mut zin = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut parts = Vec::new();
    for i in 0..zin.len() {
        let mut entry = zin.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        parts.push((entry.name().unwrap().to_string(), bytes));
    }
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&parts.iter().find(|(n, _)| n == "manifest.json").unwrap().1)
            .unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for (name, bytes) in parts {
        if name == "manifest.json" {
            continue;
        }
        let Some(bytes) = edit(&name, bytes) else {
            continue;
        };
        if reseal {
            let sha = thiqa_domain::text::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes));
            let mut fix = |v: &mut serde_json::Value| {
                if v["name"] == name.as_str() {
                    v["sha256"] = sha.clone().into();
                    v["size"] = bytes.len().into();
                }
            };
            fix(&mut manifest["database"]);
            manifest["keys"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .for_each(&mut fix);
        }
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(&bytes).unwrap();
    }
    zout.start_file("manifest.json", zip::write::SimpleFileOptions::default())
        .unwrap();
    zout.write_all(&serde_json::to_vec(&manifest).unwrap())
        .unwrap();
    zout.finish().unwrap();
}

/// The database of a backup with one journal leaf rewritten (an event's
/// details changed after it was signed).
fn tampered_database(db: Vec<u8>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    std::fs::write(&path, db).unwrap();
    let status = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             rows=[(i,l) for i,l in c.execute('SELECT idx, leaf FROM journal_leaves') if b'event 3' in l]; \
             assert len(rows) == 1, rows; \
             c.execute('UPDATE journal_leaves SET leaf=? WHERE idx=?', (rows[0][1].replace(b'event 3', b'event 9'), rows[0][0])); \
             c.commit(); c.execute('VACUUM'); c.close()",
        )
        .arg(&path)
        .status()
        .expect("python3");
    assert!(status.success());
    std::fs::read(&path).unwrap()
}

#[tokio::test]
async fn a_restore_refuses_a_damaged_or_incomplete_backup_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let inst = installation(&tmp.path().join("source"), &[5000, 6000]).await;
    let good = tmp.path().join("good.zip");
    backup(&inst, &good, true).await.unwrap();
    // The installation a bad restore must leave exactly as it is.
    let target_dir = tmp.path().join("target");
    let target = installation(&target_dir, &[100]).await;
    target.store.close().await;
    // What "nothing changed" means: the same journal, key and files.
    async fn snapshot(dir: &Path) -> (String, Vec<String>) {
        let store = Store::open_read_only(dir, Arc::new(SystemClock))
            .await
            .unwrap();
        let head = store.journal_head().await.unwrap();
        store.close().await;
        let key = std::fs::read_to_string(dir.join("keys/journal.ed25519")).unwrap();
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("thiqa.db-") && n != ".restore-staging" && n != "thiqa.lock")
            .collect();
        files.sort();
        (format!("{} {:?} {key}", head.size, head.root), files)
    }
    let before = snapshot(&target_dir).await;
    let blob = format!("blobs/sha256/{}", inst.files[0].0);

    let cases: Vec<(&str, PathBuf, &str)> = {
        let mut cases = Vec::new();
        let damaged = tmp.path().join("damaged.zip");
        rewrite(&good, &damaged, false, |name, mut bytes| {
            if name == blob {
                bytes[10] ^= 1;
            }
            Some(bytes)
        });
        cases.push(("an evidence file altered", damaged, "is damaged"));
        let missing = tmp.path().join("missing.zip");
        rewrite(&good, &missing, false, |name, bytes| {
            (name != blob).then_some(bytes)
        });
        cases.push((
            "an evidence file left out",
            missing,
            "missing from the archive",
        ));
        let forged = tmp.path().join("forged.zip");
        rewrite(&good, &forged, true, |name, bytes| {
            Some(if name == "thiqa.db" {
                tampered_database(bytes)
            } else {
                bytes
            })
        });
        cases.push((
            "a journaled event rewritten",
            forged,
            "journal does not verify",
        ));
        let truncated = tmp.path().join("truncated.zip");
        let bytes = std::fs::read(&good).unwrap();
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        cases.push(("a truncated file", truncated, "not a backup archive"));
        let raw = tmp.path().join("raw.db");
        std::fs::write(&raw, b"SQLite format 3\0 but not really").unwrap();
        cases.push(("not a zip at all", raw, "not a backup archive"));
        cases
    };
    for (what, file, expected) in cases {
        let err = restore(&target_dir, &file)
            .await
            .expect_err(what)
            .to_string();
        assert!(err.contains(expected), "{what}: {err}");
        assert_eq!(
            snapshot(&target_dir).await,
            before,
            "{what}: something changed"
        );
        assert!(!target_dir.join(RESTORE_MARKER).exists(), "{what}");
        assert!(journal_ok(&target_dir).await, "{what}");
    }
    // The good one goes in; what it replaced is kept.
    let report = restore(&target_dir, &good).await.unwrap();
    assert!(journal_ok(&target_dir).await);
    assert_eq!(report.kept.len(), 2, "{:?}", report.kept);
    for kept in &report.kept {
        assert!(kept.exists(), "{}", kept.display());
    }
}

#[tokio::test]
async fn a_backup_without_keys_restores_only_where_the_keys_are_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let inst = installation(&tmp.path().join("source"), &[10]).await;
    let out = tmp.path().join("nokeys.zip");
    backup(&inst, &out, false).await.unwrap();
    let target = tmp.path().join("target");
    let err = restore(&target, &out).await.unwrap_err().to_string();
    assert!(err.contains("carries no journal key"), "{err}");
    assert!(!target.join("thiqa.db").exists());
    // The operator puts the escrowed key in place, and the restore proves it.
    std::fs::create_dir_all(target.join("keys")).unwrap();
    std::fs::copy(
        inst.dir.join("keys/journal.ed25519"),
        target.join("keys/journal.ed25519"),
    )
    .unwrap();
    restore(&target, &out).await.unwrap();
    assert!(journal_ok(&target).await);
}

#[tokio::test]
async fn a_backup_refuses_evidence_that_is_missing_or_damaged_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let inst = installation(&tmp.path().join("source"), &[2000, 3000]).await;
    let path = inst.blobs.local_file(&inst.files[0].0).unwrap();
    let original = std::fs::read(&path).unwrap();
    let mut damaged = original.clone();
    damaged[0] ^= 0xff;
    std::fs::write(&path, &damaged).unwrap();
    let out = tmp.path().join("b.zip");
    let err = backup(&inst, &out, true).await.unwrap_err().to_string();
    assert!(err.contains("is damaged"), "{err}");
    std::fs::remove_file(&path).unwrap();
    let err = backup(&inst, &out, true).await.unwrap_err().to_string();
    assert!(err.contains("missing"), "{err}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "only the installation: no backup, no partial file"
    );
}

#[tokio::test]
async fn a_backup_onto_a_full_disk_leaves_no_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let inst = installation(&tmp.path().join("source"), &[3 << 20]).await;
    let mnt = tmp.path().join("small");
    let Some(_disk) = SmallDisk::mount_or_skip(&mnt, "1m") else {
        return;
    };
    let out = mnt.join("thiqa-backup.zip");
    let err = backup(&inst, &out, true).await.unwrap_err().to_string();
    assert!(
        err.contains("No space left") && err.contains("nothing was left behind"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&mnt)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

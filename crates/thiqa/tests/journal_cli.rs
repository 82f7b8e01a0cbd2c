//! `thiqa journal …` end to end on the embedded database: events from a
//! normal command are journaled, a checkpoint is signed, a proof file
//! verifies offline with the printed key only, and a leaf edited in the
//! database makes `journal verify` fail naming its index.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn thiqa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thiqa"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("THIQA_")) {
        c.env_remove(k);
    }
    c.env("RUST_LOG", "warn");
    c
}

fn run(args: &[&str]) -> Output {
    thiqa().args(args).output().unwrap()
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

fn create_operator(data: &str) {
    let mut child = thiqa()
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

/// Flips one byte of leaf `idx` in the SQLite database, as someone with
/// write access to the file could.
fn alter_leaf(db: &Path, idx: i64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let (mut leaf,): (Vec<u8>,) =
            sqlx::query_as("SELECT leaf FROM journal_leaves WHERE idx = $1")
                .bind(idx)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        let last = leaf.len() - 1;
        leaf[last] ^= 0x01;
        sqlx::query("UPDATE journal_leaves SET leaf = $1 WHERE idx = $2")
            .bind(leaf)
            .bind(idx)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
}

#[test]
fn checkpoint_prove_verify_and_tampering_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    create_operator(data);

    let note = ok(run(&["journal", "checkpoint", "--data-dir", data]));
    let mut lines = note.lines();
    assert_eq!(lines.next(), Some("thiqa.local/journal"), "{note}");
    let size: u64 = lines.next().unwrap().parse().unwrap();
    assert!(size >= 2, "operator create records its events: {note}");
    assert!(note.contains("\n\n\u{2014} thiqa.local/journal "), "{note}");

    let key = ok(run(&["journal", "key", "--data-dir", data]));
    let key = key.trim();
    assert!(key.starts_with("thiqa.local/journal+"), "{key}");

    let proof = dir.path().join("leaf1.json");
    let proof_path = proof.to_str().unwrap();
    ok(run(&[
        "journal",
        "prove",
        "--data-dir",
        data,
        "--index",
        "1",
        "--out",
        proof_path,
    ]));
    let out = ok(run(&["journal", "verify-proof", proof_path, "--key", key]));
    assert!(
        out.contains(&format!(
            "proof valid: leaf 1 is in the log thiqa.local/journal of {size} leaves"
        )),
        "{out}"
    );
    assert!(out.contains("action:"), "{out}");

    // Another key, or an altered file, does not verify.
    let other = dir.path().join("other");
    // Another installation (read commands refuse a directory without one).
    ok(run(&["migrate", "--data-dir", other.to_str().unwrap()]));
    // Its key exists once it has signed (`journal key` never invents one).
    ok(run(&[
        "journal",
        "checkpoint",
        "--data-dir",
        other.to_str().unwrap(),
    ]));
    let other_key = ok(run(&[
        "journal",
        "key",
        "--data-dir",
        other.to_str().unwrap(),
    ]));
    let refused = run(&[
        "journal",
        "verify-proof",
        proof_path,
        "--key",
        other_key.trim(),
    ]);
    assert!(!refused.status.success(), "{}", stdout(&refused));
    let text = std::fs::read_to_string(&proof).unwrap();
    let altered = dir.path().join("altered.json");
    let leaf_at = text.find("\"leaf\": \"").unwrap() + 30;
    let flipped = if &text[leaf_at..=leaf_at] == "0" {
        "1"
    } else {
        "0"
    };
    let altered_text = format!("{}{}{}", &text[..leaf_at], flipped, &text[leaf_at + 1..]);
    std::fs::write(&altered, altered_text).unwrap();
    let refused = run(&[
        "journal",
        "verify-proof",
        altered.to_str().unwrap(),
        "--key",
        key,
    ]);
    assert!(!refused.status.success());
    assert!(
        stdout(&refused).contains("proof INVALID"),
        "{}",
        stdout(&refused)
    );

    let out = ok(run(&["journal", "verify", "--data-dir", data]));
    assert!(out.starts_with("journal OK:"), "{out}");

    alter_leaf(&dir.path().join("data").join("thiqa.db"), 2);
    let bad = run(&["journal", "verify", "--data-dir", data]);
    let out = stdout(&bad);
    assert!(!bad.status.success(), "{out}");
    assert!(
        out.contains("row 2: leaf bytes do not match the stored leaf hash"),
        "{out}"
    );
    assert!(out.contains("first altered: row 2"), "{out}");
    assert!(out.contains("journal NOT intact"), "{out}");
}

//! Two `thiqa` instances on one PostgreSQL, with no shared files and no
//! proxy (issue 13, item 7). Each has its own data directory; the signing
//! keys are sealed in the database under the wrapping key both are given.
//! Checked: a session opened on one is valid on the other; background work
//! runs once per interval across both (checkpoints, alerts); a dossier
//! signed by either verifies with the one key both publish; the journal
//! both signed verifies.

mod demo;
mod postgres;

use std::process::Command;
use std::time::{Duration, Instant};

use demo::{demo_with, signed_operator, thiqa, Http};
use postgres::{fresh_database, psql as sql};

fn run_ok(command: &mut Command) -> String {
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `times` failed sign-ins as `ghost` (no such account) at `console`.
fn fail_logins(console: &str, times: usize) {
    for _ in 0..times {
        let mut c = Http::new(console);
        c.get("/login");
        let r = c.form("/login", &[("username", "ghost"), ("password", "wrong")]);
        assert_ne!(r.status, 303, "a wrong password is refused");
    }
}

#[test]
fn two_instances_on_one_postgres_share_sessions_keys_and_background_work() {
    let url = fresh_database("two_instances");
    let keys = tempfile::tempdir().unwrap();
    let wrapping = keys.path().join("wrapping.key");
    let wrapping_text = wrapping.to_str().unwrap();
    run_ok(thiqa().args(["keys", "new-wrapping-key", wrapping_text]));
    let env = [
        ("THIQA_DATABASE_URL", url.as_str()),
        ("THIQA_KEYS_WRAPPING_KEY_FILE", wrapping_text),
        ("THIQA_JOURNAL_CHECKPOINT_SECONDS", "2"),
        ("THIQA_ALERTS_INTERVAL_SECONDS", "5"),
    ];
    let a = demo_with(&env);
    let b = demo_with(&env);
    // No key file anywhere: the keys are in the database, sealed.
    for data in [&a.data, &b.data] {
        assert!(!data.path().join("keys").exists());
    }
    assert_eq!(sql(&url, "SELECT count(*) FROM signing_keys"), "1");

    // A session opened on A is valid on B (and the reverse): the RSSI's,
    // who may also build dossiers.
    let mut on_a = signed_operator(
        &a.console,
        ("rssi", "Atlas-demo-security-2026"),
        "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U",
        0,
    );
    let mut on_b = on_a.at(&b.console);
    for (who, client) in [("A", &mut on_a), ("B", &mut on_b)] {
        let r = client.get("/services/1");
        assert_eq!(r.status, 200, "instance {who}: {}", r.body);
    }

    // Background work while events arrive on both: failed sign-ins for one
    // account, spread over both instances, past the brute-force threshold.
    let started = Instant::now();
    let before: i64 = sql(&url, "SELECT count(*) FROM journal_checkpoints")
        .parse()
        .unwrap();
    while started.elapsed() < Duration::from_secs(12) {
        fail_logins(&a.console, 1);
        fail_logins(&b.console, 1);
        std::thread::sleep(Duration::from_millis(400));
    }
    std::thread::sleep(Duration::from_secs(6));
    let elapsed_s = started.elapsed().as_secs_f64();

    // One checkpoint per 2-second interval across both, never two in one.
    let times: Vec<i64> = sql(
        &url,
        "SELECT created_at_ms FROM journal_checkpoints ORDER BY created_at_ms",
    )
    .lines()
    .map(|l| l.parse().unwrap())
    .collect();
    let new = times.len() as i64 - before;
    assert!(new >= 3, "checkpoints were signed: {times:?}");
    assert!(
        (new as f64) <= elapsed_s / 2.0 + 2.0,
        "{new} checkpoints in {elapsed_s:.1} s at one per 2 s: {times:?}"
    );
    let closest = times.windows(2).map(|w| w[1] - w[0]).min().unwrap();
    assert!(
        closest >= 1_900,
        "two checkpoints {closest} ms apart: {times:?}"
    );

    // One alert for the one attacked account, not one per instance.
    assert_eq!(
        sql(
            &url,
            "SELECT count(*) FROM alerts WHERE rule_id = 'auth.bruteforce.account'"
        ),
        "1",
        "{}",
        sql(&url, "SELECT rule_id, group_key, event_count FROM alerts")
    );

    // A dossier signed by each instance (A creates the dossier key, B reads
    // it from the database); both publish the same key, and both dossiers
    // verify with it, pinned.
    let dossiers = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (who, client) in [("a", &mut on_a), ("b", &mut on_b)] {
        let r = client.get("/services/1/dossier");
        assert_eq!(r.status, 200, "instance {who}: {}", r.body);
        let file = dossiers.path().join(format!("{who}.zip"));
        std::fs::write(&file, &r.bytes).unwrap();
        files.push(file);
    }
    let mut published = Vec::new();
    for portal in [&a.portal, &b.portal] {
        let r = Http::new(portal).get("/dossier/key");
        assert_eq!(r.status, 200, "{}", r.body);
        published.push(r.body.trim().to_string());
    }
    assert_eq!(published[0], published[1], "one published key");
    for file in &files {
        let out = run_ok(thiqa().args([
            "dossier",
            "verify",
            file.to_str().unwrap(),
            "--key",
            &published[0],
        ]));
        assert!(out.contains("key: pinned, matches"), "{out}");
    }
    assert_eq!(sql(&url, "SELECT count(*) FROM signing_keys"), "2");

    // The journal both instances signed verifies with the one key, from a
    // third process with its own (empty) data directory.
    let third = tempfile::tempdir().unwrap();
    let out = run_ok(
        thiqa()
            .envs(env.iter().copied())
            .args(["journal", "verify", "--data-dir"])
            .arg(third.path()),
    );
    assert!(out.starts_with("journal OK"), "{out}");
    assert!(!out.contains(" 0 checkpoints verified"), "{out}");
}

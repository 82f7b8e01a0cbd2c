//! Issue 12 (reliability review), the binary's part: no half-up server, no
//! panic on a stranger's environment, no empty database created by a read
//! command, and a checkpoint signed at graceful shutdown.

mod demo;

use std::io::{BufRead, BufReader};

use std::os::unix::ffi::OsStrExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct-Horse-battery-42";

fn thiqa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thiqa"));
    for (k, _) in std::env::vars_os().filter(|(k, _)| k.as_bytes().starts_with(b"THIQA_")) {
        c.env_remove(k);
    }
    c.env("RUST_LOG", "warn");
    c
}

/// Waits for a child to exit, killing it after `limit`; None if it had to.
fn exit_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut text);
    }
    text
}

#[test]
fn a_taken_port_stops_the_server_naming_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut child = thiqa()
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0", "--admin-listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = exit_within(&mut child, Duration::from_secs(30))
        .expect("the server must stop, not run with the portal only");
    assert!(!status.success());
    let err = stderr_of(&mut child);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[test]
fn an_unreadable_certificate_stops_the_server_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("garbage-cert.pem");
    let key = dir.path().join("garbage-key.pem");
    std::fs::write(&cert, "not a certificate\n").unwrap();
    std::fs::write(&key, "not a key\n").unwrap();
    let mut child = thiqa()
        .args(["serve", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = exit_within(&mut child, Duration::from_secs(30))
        .expect("the server must stop, not hang in silence");
    assert!(!status.success());
    let err = stderr_of(&mut child);
    assert!(err.contains("garbage-cert.pem"), "{err}");
    // A missing file is named the same way.
    let out = thiqa()
        .args(["serve", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .args(["--admin-tls-cert", "/nonexistent/console.pem"])
        .args(["--admin-tls-key", "/nonexistent/console.key"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/console.pem"), "{err}");
}

#[test]
fn a_stranger_non_utf8_environment_variable_is_ignored_and_ours_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let out = thiqa()
        .arg("migrate")
        .arg("--data-dir")
        .arg(dir.path())
        .env("SOME_OTHER_TOOL", bad)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = thiqa()
        .arg("migrate")
        .arg("--data-dir")
        .arg(dir.path())
        .env("THIQA_TOTP_ISSUER", bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "an error, not a panic (101)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("THIQA_TOTP_ISSUER"), "{err}");
}

fn run(args: &[&str]) -> Output {
    thiqa().args(args).output().unwrap()
}

#[test]
fn read_commands_refuse_a_directory_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("thiqa-dta");
    let typo = typo.to_str().unwrap();
    let out_file = dir.path().join("b.db");
    for args in [
        vec!["journal", "verify", "--data-dir", typo],
        vec!["journal", "key", "--data-dir", typo],
        vec!["journal", "prove", "--index", "0", "--data-dir", typo],
        vec![
            "backup",
            "--data-dir",
            typo,
            "--out",
            out_file.to_str().unwrap(),
        ],
        vec!["dossier", "key", "--data-dir", typo],
    ] {
        let out = run(&args);
        assert!(!out.status.success(), "{args:?} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no Thiqa database"), "{args:?}: {err}");
        assert!(
            !std::path::Path::new(typo).exists(),
            "{args:?} created {typo}"
        );
    }
}

#[test]
fn a_graceful_shutdown_signs_a_checkpoint_over_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let mut child = thiqa()
        .args(["serve", "--data-dir", data])
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        // No periodic checkpoint after the first one: only the shutdown's.
        .env("THIQA_JOURNAL_CHECKPOINT_SECONDS", "86400")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while !lines
        .next()
        .expect("server exited")
        .unwrap()
        .starts_with("Operator console:")
    {}
    std::thread::spawn(move || for _ in lines {});
    std::thread::sleep(Duration::from_millis(500));
    // Events written while serving, after the first checkpoint.
    let mut create = thiqa()
        .args([
            "operator",
            "create",
            "--username",
            "amal",
            "--password-stdin",
        ])
        .args(["--data-dir", data])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(create.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(create.wait().unwrap().success());
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = exit_within(&mut child, Duration::from_secs(30)).expect("stops on SIGTERM");
    assert!(status.success());
    let out = run(&["journal", "verify", "--data-dir", data]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let leaves: u64 = text
        .split("journal OK: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        text.contains(&format!("(leaves 0..{leaves} signed)")),
        "every leaf is under a signed checkpoint: {text}"
    );
}

/// Starts `thiqa serve` on `data` and waits until it announces its URLs;
/// None if it exits first (with its stderr).
fn serve(data: &str, extra: &[&str]) -> Result<Child, String> {
    demo::serve(std::path::Path::new(data), extra).map(|(child, _)| child)
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_lost_database_is_not_replaced_by_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    stop(serve(data, &[]).unwrap());
    for f in ["thiqa.db", "thiqa.db-wal", "thiqa.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(f));
    }
    let err = serve(data, &[]).expect_err("must refuse to start empty");
    assert!(
        err.contains("--allow-empty") && err.contains("thiqa restore"),
        "{err}"
    );
    assert!(!dir.path().join("thiqa.db").exists());
    // Told to, it begins anew.
    stop(serve(data, &["--allow-empty"]).unwrap());
    assert!(dir.path().join("thiqa.db").exists());
}

/// A data directory with a database, a signed checkpoint (so a journal
/// key), `pad_mb` of padding and `files` evidence files, so that each step
/// of a restore (unpacking, proving, putting in place) takes long enough
/// for the kills below to land in it.
fn installation(data: &str, pad_mb: u32, files: u32) {
    assert!(run(&["migrate", "--data-dir", data]).status.success());
    assert!(run(&["journal", "checkpoint", "--data-dir", data])
        .status
        .success());
    let pad = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/scripts/fill_installation.py"
        ))
        .arg(data)
        .arg(pad_mb.to_string())
        .arg(files.to_string())
        .status()
        .expect("python3");
    assert!(pad.success());
}

#[test]
fn a_restore_killed_at_any_moment_leaves_a_working_database() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    let source = source.to_str().unwrap();
    installation(source, 8, 1500);
    let backup = dir.path().join("backup.zip");
    let out = run(&[
        "backup",
        "--data-dir",
        source,
        "--out",
        backup.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The target has its own key: the restore replaces it, so a kill can
    // leave the new key beside the old database (the marker's case).
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    installation(data, 0, 0);
    // How long a whole restore takes here, on a scratch directory: the
    // kills are spread over that time, so each step gets some.
    let scratch = dir.path().join("scratch");
    let started = Instant::now();
    let out = run(&[
        "restore",
        backup.to_str().unwrap(),
        "--data-dir",
        scratch.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let whole = started.elapsed();
    let mut states = (0, 0);
    for k in 0..16u32 {
        let delay = whole * k / 15;
        let mut restore = thiqa()
            .args(["restore", backup.to_str().unwrap(), "--data-dir", data])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = restore.kill();
        let _ = restore.wait();
        if dir.path().join("data").join("thiqa.restoring").exists() {
            // Cut short while putting things in place: serve refuses and
            // says how to finish.
            states.1 += 1;
            let err = serve(data, &[]).expect_err("a half-restored directory must not serve");
            assert!(
                err.contains("thiqa restore") && err.contains("backup.zip"),
                "{err}"
            );
        } else {
            states.0 += 1;
            let out = run(&["journal", "verify", "--data-dir", data]);
            assert!(
                out.status.success(),
                "after a kill at {delay:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    eprintln!(
        "a whole restore: {whole:?}; kills: {} left a consistent directory, {} a marked half-restore",
        states.0, states.1
    );
    // Left alone, the restore completes and the server starts on it.
    let out = run(&["restore", backup.to_str().unwrap(), "--data-dir", data]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("data").join("thiqa.restoring").exists());
    assert!(run(&["journal", "verify", "--data-dir", data])
        .status
        .success());
    stop(serve(data, &[]).unwrap());
}

#[test]
fn a_half_restored_directory_does_not_serve_until_the_restore_is_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    installation(data, 0, 0);
    let backup = dir.path().join("b.zip");
    let out = run(&[
        "backup",
        "--data-dir",
        data,
        "--out",
        backup.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    // What a kill between the keys and the database leaves.
    std::fs::write(
        dir.path().join("data").join("thiqa.restoring"),
        format!(
            "A restore of {} began at 1.\nRun the same restore again to complete it: thiqa restore {}\n",
            backup.display(),
            backup.display()
        ),
    )
    .unwrap();
    let err = serve(data, &[]).expect_err("must refuse");
    assert!(err.contains("in the middle of a restore"), "{err}");
    let out = run(&["restore", backup.to_str().unwrap(), "--data-dir", data]);
    assert!(out.status.success());
    stop(serve(data, &[]).unwrap());
}

#[test]
fn journal_verify_works_on_a_read_only_copy_of_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    stop(serve(data, &[]).unwrap());
    assert!(run(&["journal", "checkpoint", "--data-dir", data])
        .status
        .success());
    // The copy an auditor receives: owned by someone else, nothing writable.
    let copy = dir.path().join("copy");
    assert!(Command::new("cp")
        .args(["-a", data])
        .arg(&copy)
        .status()
        .unwrap()
        .success());
    assert!(Command::new("chmod")
        .args(["-R", "a-w,a+rX"])
        .arg(&copy)
        .status()
        .unwrap()
        .success());
    assert!(Command::new("chmod")
        .args(["a+rx"])
        .arg(dir.path())
        .status()
        .unwrap()
        .success());
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(&copy)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    // Run as an unprivileged user (root would write through the modes).
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_thiqa"))
        .args(["journal", "verify", "--data-dir"])
        .arg(&copy)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("journal OK"), "{text}");
    assert_eq!(listing(), before, "nothing written beside the copy");
}

#[test]
fn read_commands_never_create_a_signing_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    assert!(run(&["migrate", "--data-dir", data]).status.success());
    for (args, named) in [
        (&["journal", "key"][..], "no journal key"),
        (&["dossier", "key"][..], "no dossier key"),
    ] {
        let out = thiqa()
            .args(args)
            .args(["--data-dir", data])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(named), "{args:?}: {err}");
    }
    // Nothing signed yet: the rows verify, and no key is invented to do it.
    let out = run(&["journal", "verify", "--data-dir", data]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !dir.path().join("keys").exists(),
        "a read command created keys/"
    );
}

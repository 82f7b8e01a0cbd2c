//! The `thiqa` binary as an administrator uses it: start on an empty data
//! directory, bootstrap an operator, refuse bad configuration and plain HTTP
//! on public addresses, serve TLS 1.2+ only, back up and restore.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn thiqa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thiqa"));
    // A clean environment: no stray THIQA_* settings from the caller.
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("THIQA_")) {
        c.env_remove(k);
    }
    c.env("RUST_LOG", "warn");
    c
}

/// A running server; killed on drop.
struct Server {
    child: Child,
    portal: String,
    console: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let mut child = thiqa()
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut portal, mut console) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while portal.is_none() || console.is_none() {
        assert!(
            Instant::now() < deadline,
            "server did not announce its URLs"
        );
        let line = lines.next().expect("server exited").unwrap();
        if let Some(u) = line.strip_prefix("Customer portal:") {
            portal = Some(u.trim().to_string());
        }
        if let Some(u) = line.strip_prefix("Operator console:") {
            console = Some(u.trim().to_string());
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        portal: portal.unwrap(),
        console: console.unwrap(),
    }
}

/// A minimal HTTP/1.1 GET (plain HTTP), returning the status code and body.
fn get(base: &str, path: &str) -> (u16, String) {
    get_with(base, path, "")
}

/// The same GET with extra header lines (each ending in CRLF).
fn get_with(base: &str, path: &str, headers: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    (
        status,
        text.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    )
}

#[test]
fn serve_on_an_empty_data_dir_answers_healthz() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new-dir");
    let config = dir.path().join("thiqa.toml");
    std::fs::write(
        &config,
        "metrics_token = \"scraper-0123456789abcdef0123\"\n",
    )
    .unwrap();
    let server = start(&[
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(get(&server.portal, "/healthz"), (200, "ok".into()));
    assert_eq!(get(&server.console, "/readyz").0, 200);
    assert!(
        data.join("thiqa.db").exists(),
        "SQLite database created in the data directory"
    );
    // Operator routes do not exist on the public listener.
    assert_eq!(get(&server.portal, "/metrics").0, 404);
    assert_eq!(get(&server.portal, "/organisations").0, 404);
    // Metrics need the configured bearer token (issue 11, item 9).
    assert_eq!(get(&server.console, "/metrics").0, 401);
    let (status, body) = get_with(
        &server.console,
        "/metrics",
        "Authorization: Bearer scraper-0123456789abcdef0123\r\n",
    );
    assert_eq!(status, 200);
    assert!(body.contains("thiqa_http_requests_total"));
}

#[test]
fn version_and_help_with_examples() {
    let out = thiqa().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("thiqa "));
    let out = thiqa().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Examples:") && help.contains("thiqa demo"),
        "{help}"
    );
}

#[test]
fn bad_configuration_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = thiqa()
        .args(["migrate", "--data-dir", dir.path().to_str().unwrap()])
        .env("THIQA_LOCKOUT_THRESHOLD", "many")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("THIQA_LOCKOUT_THRESHOLD"));
    let cfg = dir.path().join("thiqa.toml");
    std::fs::write(&cfg, "[session]\nidle_minuts = 10\n").unwrap();
    let out = thiqa()
        .args(["migrate", "--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("idle_minuts"));
}

#[test]
fn plain_http_on_a_public_address_needs_insecure_http() {
    let dir = tempfile::tempdir().unwrap();
    let out = thiqa()
        .args([
            "serve",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to serve plain HTTP") && err.contains("--insecure-http"),
        "{err}"
    );
}

#[test]
fn operator_create_prints_the_totp_uri_once_and_refuses_weak_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let run = |user: &str, password: &str| {
        let mut child = thiqa()
            .args([
                "operator",
                "create",
                "--data-dir",
                dir.path().to_str().unwrap(),
                "--username",
                user,
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = run("amal", "azerty123");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password refused"));
    let ok = run("amal", "Vert-olivier-sous-la-pluie-7");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        out.contains("otpauth://totp/") && out.contains("Administrateur des comptes"),
        "{out}"
    );
    let dup = run("amal", "Vert-olivier-sous-la-pluie-7");
    // The same words for every reason a name cannot be given (issue 11).
    assert!(String::from_utf8_lossy(&dup.stderr).contains("username not available"));
}

#[test]
fn backup_while_serving_then_restore() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&["demo", "--data-dir", data.to_str().unwrap()]);
    assert_eq!(get(&server.portal, "/healthz").0, 200);
    let backup = dir.path().join("backup.zip");
    let out = thiqa()
        .args([
            "backup",
            "--data-dir",
            data.to_str().unwrap(),
            "--out",
            backup.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Restoring under a running server is refused.
    let out = thiqa()
        .args([
            "restore",
            "--data-dir",
            data.to_str().unwrap(),
            backup.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stop `thiqa serve`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(server);
    // A file that is not a backup is refused, and nothing is replaced.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let out = thiqa()
        .args([
            "restore",
            "--data-dir",
            data.to_str().unwrap(),
            junk.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let restored_into = dir.path().join("restored");
    let out = thiqa()
        .args([
            "restore",
            "--data-dir",
            restored_into.to_str().unwrap(),
            backup.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("5 operators"), // the demo's three staff, its support engineer and its auditor
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed")
}

#[test]
fn tls_serves_1_2_and_1_3_and_refuses_older() {
    let dir = tempfile::tempdir().unwrap();
    let out = openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let data = dir.path().join("data");
    let server = start(&[
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(server.portal.starts_with("https://"));
    let addr = server.portal.trim_start_matches("https://").to_string();
    let handshake =
        |flag: &str| openssl(&["s_client", "-connect", &addr, flag, "-brief"], dir.path());
    let t13 = handshake("-tls1_3");
    assert!(
        String::from_utf8_lossy(&t13.stderr).contains("TLSv1.3"),
        "{}",
        String::from_utf8_lossy(&t13.stderr)
    );
    let t12 = handshake("-tls1_2");
    let t12_text = String::from_utf8_lossy(&t12.stderr);
    assert!(
        t12_text.contains("TLSv1.2") && t12_text.contains("GCM") || t12_text.contains("CHACHA20"),
        "{t12_text}"
    );
    let t11 = handshake("-tls1_1");
    assert!(!String::from_utf8_lossy(&t11.stderr).contains("Protocol version: TLSv1.1"));
    // HSTS and Secure cookies under TLS.
    let curl = Command::new("curl")
        .args(["-sk", "-i", &format!("{}/login", server.portal)])
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&curl.stdout);
    assert!(
        head.to_lowercase().contains("strict-transport-security"),
        "{head}"
    );
    assert!(
        head.contains("__Host-thiqa_portal_pre") && head.contains("Secure"),
        "{head}"
    );
}

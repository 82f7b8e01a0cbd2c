//! Starts the real servers the integration tests talk to: Python programs
//! beside this file, run as child processes. Without python3 the tests are
//! skipped (said plainly); with python3 but without the PyPI package they
//! need, they fail and say to run ./scripts/test, which installs it.
//!
//! Also compiled into `thiqa`'s notice test
//! (crates/thiqa/tests/notice_delivery.rs, by `#[path]`), which starts the
//! same servers: keep it to std.

#![allow(dead_code)] // each test file uses its own part of this module

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Whether the tests can run: `false` (with a message) when python3 is
/// absent; a panic when `module` is missing.
pub fn python_with(module: &str, package: &str) -> bool {
    if !python3_present() {
        eprintln!(
            "SKIPPED: python3 is not installed; this test needs it to run a real {package} server"
        );
        return false;
    }
    require_module(module, package);
    true
}

pub fn python3_present() -> bool {
    let found = Command::new("python3").arg("--version").output();
    matches!(found, Ok(ref out) if out.status.success())
}

/// Panics, saying how to install it, when python3 cannot import `module`.
pub fn require_module(module: &str, package: &str) {
    let import = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .expect("python3 runs");
    assert!(
        import.status.success(),
        "the Python package {package} is missing: run ./scripts/test (it installs it), or `python3 -m pip install {package}`\n{}",
        String::from_utf8_lossy(&import.stderr)
    );
}

/// A script of this folder. Through `thiqa-delivery` by name, so that the
/// path holds from the `thiqa` crate too.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../thiqa-delivery/tests/support")
        .join(name)
}

/// A child process, killed when dropped. It also stops by itself when its
/// stdin closes, should the test process die first.
pub struct Server {
    child: Child,
    _stdin: ChildStdin,
    /// What followed READY on its first line (the webhook receiver's port).
    pub ready_line: String,
}

impl Server {
    pub fn start(script_name: &str, args: &[&str]) -> Server {
        Server::try_start(script_name, args).unwrap_or_else(|problem| panic!("{problem}"))
    }

    /// Starts the script and waits for its READY line; why not, when it
    /// exits or stays silent first (e.g. its port is not free yet).
    pub fn try_start(script_name: &str, args: &[&str]) -> Result<Server, String> {
        let mut child = Command::new("python3")
            .arg(script(script_name))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 starts");
        let stdin = child.stdin.take().expect("stdin piped");
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.starts_with("READY") => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{script_name} did not start: {other:?}"));
            }
        };
        Ok(Server {
            child,
            _stdin: stdin,
            ready_line: line.trim_start_matches("READY").trim().to_owned(),
        })
    }

    /// SIGKILL: whatever it was doing is cut short.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port of 127.0.0.1 free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until `ready()` gives a value, for at most `limit`.
pub fn wait_for<T>(limit: Duration, mut ready: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(value) = ready() {
            return Some(value);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

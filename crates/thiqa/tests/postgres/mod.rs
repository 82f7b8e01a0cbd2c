//! A fresh PostgreSQL database per test, and SQL on it through `psql`
//! (which scripts/test installs), for the tests that run `thiqa` on
//! PostgreSQL.
#![allow(dead_code)]

use std::process::Command;

/// A new, empty database named after `purpose` and this test process.
pub fn fresh_database(purpose: &str) -> String {
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("thiqa_test_{purpose}_{}", std::process::id());
    psql(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
    psql(&admin, &format!("CREATE DATABASE {name}"));
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

/// Runs `sql` on `url`; what it printed, unaligned and trimmed.
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-qtAc", sql])
        .output()
        .expect("psql is installed");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

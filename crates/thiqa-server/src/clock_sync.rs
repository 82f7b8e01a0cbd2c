//! Whether the host clock is synchronised (3.8.8: events carry UTC times
//! from a synchronised reference), as the operating system reports it.
//! Thiqa does not keep time itself; it asks the NTP client in place —
//! systemd-timesyncd through `timedatectl`, or chrony through `chronyc` —
//! and says "unknown" when neither answers rather than guessing.

use std::process::Command;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockSync {
    Synchronised { by: &'static str },
    NotSynchronised { by: &'static str },
    Unknown,
}

impl ClockSync {
    /// One line for /readyz and logs.
    pub fn describe(&self) -> String {
        match self {
            ClockSync::Synchronised { by } => format!("clock synchronised (NTP, {by})"),
            ClockSync::NotSynchronised { by } => format!("clock NOT synchronised (NTP, {by})"),
            ClockSync::Unknown => {
                "clock synchronisation unknown (no timedatectl or chronyc answered)".into()
            }
        }
    }

    /// The i18n key of the state, for pages.
    pub fn key(&self) -> &'static str {
        match self {
            ClockSync::Synchronised { .. } => "clock-synchronised",
            ClockSync::NotSynchronised { .. } => "clock-not-synchronised",
            ClockSync::Unknown => "clock-unknown",
        }
    }
}

/// Runs `program args`, giving up after a second (a hung D-Bus must not
/// hold a readiness probe).
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) => return None,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut out).ok()?;
    Some(out)
}

/// `timedatectl show -p NTPSynchronized --value` prints yes or no.
pub fn from_timedatectl(out: &str) -> Option<ClockSync> {
    match out.trim() {
        "yes" => Some(ClockSync::Synchronised { by: "timedatectl" }),
        "no" => Some(ClockSync::NotSynchronised { by: "timedatectl" }),
        _ => None,
    }
}

/// `chronyc -n tracking` has a "Leap status : Normal" line when chrony is
/// synchronised ("Not synchronised" otherwise).
pub fn from_chronyc(out: &str) -> Option<ClockSync> {
    let leap = out
        .lines()
        .find_map(|l| l.strip_prefix("Leap status"))?
        .trim_start_matches([' ', ':'])
        .trim();
    Some(if leap == "Not synchronised" {
        ClockSync::NotSynchronised { by: "chronyc" }
    } else {
        ClockSync::Synchronised { by: "chronyc" }
    })
}

/// Asks the OS (blocking; call from `spawn_blocking`).
pub fn probe() -> ClockSync {
    output_of("timedatectl", &["show", "-p", "NTPSynchronized", "--value"])
        .and_then(|o| from_timedatectl(&o))
        .or_else(|| output_of("chronyc", &["-n", "tracking"]).and_then(|o| from_chronyc(&o)))
        .unwrap_or(ClockSync::Unknown)
}

/// How long an answer is reused: readiness probes come every few seconds
/// and each probe starts up to two processes; NTP state changes slowly.
const REUSE_FOR: Duration = Duration::from_secs(60);

static LAST: std::sync::Mutex<Option<(std::time::Instant, ClockSync)>> =
    std::sync::Mutex::new(None);

/// [`probe`] off the async runtime, at most once a minute.
pub async fn current() -> ClockSync {
    let recent = LAST
        .lock()
        .ok()
        .and_then(|last| last.clone())
        .filter(|(at, _)| at.elapsed() < REUSE_FOR);
    if let Some((_, state)) = recent {
        return state;
    }
    let state = tokio::task::spawn_blocking(probe)
        .await
        .unwrap_or(ClockSync::Unknown);
    if let Ok(mut last) = LAST.lock() {
        *last = Some((std::time::Instant::now(), state.clone()));
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_answers_are_read() {
        assert_eq!(
            from_timedatectl("yes\n"),
            Some(ClockSync::Synchronised { by: "timedatectl" })
        );
        assert_eq!(
            from_timedatectl("no\n"),
            Some(ClockSync::NotSynchronised { by: "timedatectl" })
        );
        assert_eq!(from_timedatectl(""), None);
        let synced = "Reference ID    : C0A80001 (ntp)\nLeap status     : Normal\n";
        assert_eq!(
            from_chronyc(synced),
            Some(ClockSync::Synchronised { by: "chronyc" })
        );
        let not = "Reference ID    : 00000000 ()\nLeap status     : Not synchronised\n";
        assert_eq!(
            from_chronyc(not),
            Some(ClockSync::NotSynchronised { by: "chronyc" })
        );
        assert_eq!(from_chronyc("garbage"), None);
    }
}

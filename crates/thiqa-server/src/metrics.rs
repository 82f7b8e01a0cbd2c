//! Prometheus metrics, served on the admin listener only. A handful of
//! counters and one latency histogram do not justify a metrics framework.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    /// [listener][status class 1xx..5xx]
    requests: [[AtomicU64; 5]; 2],
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
    pub logins_succeeded: AtomicU64,
    pub logins_failed: AtomicU64,
    pub accounts_locked: AtomicU64,
    pub csrf_refused: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
pub enum Listener {
    Public = 0,
    Admin = 1,
}

impl Metrics {
    pub fn observe(&self, listener: Listener, status: u16, seconds: f64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[listener as usize][class].fetch_add(1, Ordering::Relaxed);
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP thiqa_http_requests_total HTTP requests answered, by listener and status class.\n");
        out.push_str("# TYPE thiqa_http_requests_total counter\n");
        for (li, name) in ["public", "admin"].iter().enumerate() {
            for class in 0..5 {
                let _ = writeln!(
                    out,
                    "thiqa_http_requests_total{{listener=\"{name}\",status=\"{}xx\"}} {}",
                    class + 1,
                    self.requests[li][class].load(Ordering::Relaxed)
                );
            }
        }
        out.push_str("# HELP thiqa_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE thiqa_http_request_duration_seconds histogram\n");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "thiqa_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                self.latency_buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "thiqa_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "thiqa_http_request_duration_seconds_sum {}",
            self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "thiqa_http_request_duration_seconds_count {count}");
        for (name, help, c) in [
            (
                "thiqa_logins_succeeded_total",
                "Completed logins.",
                &self.logins_succeeded,
            ),
            (
                "thiqa_logins_failed_total",
                "Refused login attempts.",
                &self.logins_failed,
            ),
            (
                "thiqa_accounts_locked_total",
                "Accounts locked after failed attempts.",
                &self.accounts_locked,
            ),
            (
                "thiqa_csrf_refused_total",
                "State-changing requests refused by the CSRF guard.",
                &self.csrf_refused,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                c.load(Ordering::Relaxed)
            );
        }
        out
    }
}

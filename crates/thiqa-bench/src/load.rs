//! The HTTP load generator of the `thiqa-bench` commands: keep-alive
//! clients on one thread of their own (like `wrk -t1`), in two modes.
//! Closed loop measures the most the server does at a concurrency; open
//! loop offers a fixed rate, as real users do, and measures each latency
//! from the time the request was due, so a slow answer that delays the
//! next requests is counted against them too (wrk2's correction for
//! coordinated omission).

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as TokioBufReader};
use tokio::net::TcpStream;

/// Closed loop: each client sends its next request when the previous
/// answer has arrived (the most the server can do at this concurrency).
pub async fn load(
    addr: &str,
    token: &str,
    clients: usize,
    seconds: u64,
    page: &str,
) -> anyhow::Result<(Vec<Duration>, Duration, usize)> {
    let request =
        format!("GET {page} HTTP/1.1\r\nHost: {addr}\r\nCookie: thiqa_console={token}\r\n\r\n");
    let warmup = Duration::from_secs(1);
    let measured = Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (addr, request) = (addr.to_string(), request.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let stream = TcpStream::connect(&addr).await?;
            stream.set_nodelay(true)?;
            let (read, mut write) = stream.into_split();
            let mut reader = TokioBufReader::new(read);
            let mut body = Vec::new();
            while start.elapsed() < warmup + measured {
                let t0 = Instant::now();
                write.write_all(request.as_bytes()).await?;
                let status = read_response(&mut reader, &mut body).await?;
                if t0.duration_since(start) >= warmup {
                    if status == 200 {
                        latencies.push(t0.elapsed());
                    } else {
                        errors += 1;
                    }
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    gather(tasks, measured).await
}

type ClientResult = anyhow::Result<(Vec<Duration>, usize)>;

/// Every client's latencies and errors, for the measured duration.
async fn gather(
    tasks: Vec<tokio::task::JoinHandle<ClientResult>>,
    measured: Duration,
) -> anyhow::Result<(Vec<Duration>, Duration, usize)> {
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await??;
        all.extend(l);
        errors += e;
    }
    Ok((all, measured, errors))
}

/// Reads one HTTP/1.1 response (Content-Length bodies); returns the status.
pub async fn read_response<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    body: &mut Vec<u8>,
) -> anyhow::Result<u16> {
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line: {line}"))?;
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse()?;
            }
        }
    }
    body.resize(length, 0);
    reader.read_exact(body).await?;
    Ok(status)
}

/// Open loop: `clients` connections together offer `rate` requests per
/// second, each on a fixed schedule (one every `clients / rate` seconds,
/// staggered). When the previous answer came after a request was due, the
/// server made it late: its latency runs from the scheduled time. Otherwise
/// it runs from the send, so that the timer's own millisecond granularity
/// is not charged to the server.
pub async fn load_at_rate(
    addr: &str,
    token: &str,
    clients: usize,
    seconds: u64,
    page: &str,
    rate: f64,
) -> anyhow::Result<(Vec<Duration>, Duration, usize)> {
    let request =
        format!("GET {page} HTTP/1.1\r\nHost: {addr}\r\nCookie: thiqa_console={token}\r\n\r\n");
    let warmup = Duration::from_secs(1);
    let measured = Duration::from_secs(seconds);
    let interval = Duration::from_secs_f64(clients as f64 / rate);
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (addr, request) = (addr.to_string(), request.clone());
        let first = start + interval.mul_f64(i as f64 / clients as f64);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let stream = TcpStream::connect(&addr).await?;
            stream.set_nodelay(true)?;
            let (read, mut write) = stream.into_split();
            let mut reader = TokioBufReader::new(read);
            let mut body = Vec::new();
            let mut due = first;
            while due < start + warmup + measured {
                let late = tokio::time::Instant::now() > due;
                if !late {
                    tokio::time::sleep_until(due).await;
                }
                let sent = if late {
                    due
                } else {
                    tokio::time::Instant::now()
                };
                write.write_all(request.as_bytes()).await?;
                let status = read_response(&mut reader, &mut body).await?;
                if due >= start + warmup {
                    if status == 200 {
                        latencies.push(sent.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                due += interval;
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    gather(tasks, measured).await
}

/// Requests/s and latency percentiles (ms) of one measured load.
pub struct Figures {
    pub requests: usize,
    pub errors: usize,
    pub rps: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Figures {
    pub fn of(
        (mut latencies, elapsed, errors): (Vec<Duration>, Duration, usize),
    ) -> anyhow::Result<Figures> {
        if latencies.is_empty() {
            bail!("no request succeeded");
        }
        latencies.sort_unstable();
        let pct = |p: f64| {
            ms(latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)])
        };
        Ok(Figures {
            requests: latencies.len(),
            errors,
            rps: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50: pct(0.50),
            p95: pct(0.95),
            p99: pct(0.99),
            max: ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        })
    }

    pub fn line(&self, what: &str) -> String {
        format!(
            "  {what:<14} {:>7.0} req/s   p50 {:.2} ms   p95 {:.2} ms   p99 {:.2} ms   max {:.2} ms   ({} requests, {} errors)",
            self.rps, self.p50, self.p95, self.p99, self.max, self.requests, self.errors
        )
    }
}

/// Runs a load generator or client on one thread of its own (like
/// `wrk -t1`), so it takes at most one of the machine's cores from the server.
pub fn on_own_thread<T, F, Fut>(f: F) -> anyhow::Result<T>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
    T: Send + 'static,
{
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(f())
    })
    .join()
    .map_err(|_| anyhow!("the load generator panicked"))?
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

//! The real `thiqa demo` binary on ephemeral ports, and a plain HTTP/1.1
//! client with a cookie jar to sign in to it, shared by the tests that run it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use thiqa_crypto::totp::{Totp, TotpSecret};

pub struct Demo {
    child: Child,
    /// host:port of each listener.
    pub portal: String,
    pub console: String,
    pub data: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn thiqa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thiqa"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("THIQA_")) {
        c.env_remove(k);
    }
    c.env("RUST_LOG", "warn");
    c
}

pub fn demo() -> Demo {
    demo_with(&[])
}

/// The demo with these `THIQA_*` settings (e.g. a PostgreSQL database).
pub fn demo_with(env: &[(&str, &str)]) -> Demo {
    let data = tempfile::tempdir().unwrap();
    let mut command = thiqa();
    command.envs(env.iter().copied());
    let mut child = command
        .args(["demo", "--data-dir", data.path().to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut portal, mut console) = (None, None);
    while portal.is_none() || console.is_none() {
        let line = lines.next().expect("demo exited").unwrap();
        let host = |u: &str| u.trim().trim_start_matches("http://").to_string();
        if let Some(u) = line.strip_prefix("Customer portal:") {
            portal = Some(host(u));
        }
        if let Some(u) = line.strip_prefix("Operator console:") {
            console = Some(host(u));
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Demo {
        child,
        portal: portal.unwrap(),
        console: console.unwrap(),
        data,
    }
}

/// A plain HTTP/1.1 client with a cookie jar, one connection per request.
pub struct Http {
    addr: String,
    cookies: BTreeMap<String, String>,
    pub csrf: String,
}

pub struct Reply {
    pub status: u16,
    pub body: String,
    /// The body's bytes (de-chunked), for binary answers such as a ZIP.
    pub bytes: Vec<u8>,
}

impl Http {
    pub fn new(addr: &str) -> Http {
        Http {
            addr: addr.to_string(),
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    /// The same browser (cookies) talking to another address: another
    /// instance behind the same name.
    pub fn at(&self, addr: &str) -> Http {
        Http {
            addr: addr.to_string(),
            cookies: self.cookies.clone(),
            csrf: self.csrf.clone(),
        }
    }

    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        self.exchange(method, path, headers, body.len(), body)
    }

    /// Sends the head declaring `length` bytes and `body` (which may be
    /// shorter: a server refusing by the declared length never reads it).
    pub fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        length: usize,
        body: &[u8],
    ) -> Reply {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\nCookie: {}\r\n",
            self.addr,
            length,
            cookies.join("; ")
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        // The server may answer (413) and close before reading it all.
        let _ = s.write_all(body);
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(raw.len(), |i| i + 4);
        let head_text = String::from_utf8_lossy(&raw[..split]).into_owned();
        let chunked = head_text
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        let bytes = if chunked {
            dechunk(&raw[split..])
        } else {
            raw[split..].to_vec()
        };
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("set-cookie:") {
                let pair = line[11..].trim().split(';').next().unwrap();
                let (k, v) = pair.split_once('=').unwrap();
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        if let Some(i) = body.find("name=\"csrf\" value=\"") {
            self.csrf = body[i + 19..].split('"').next().unwrap().to_string();
        }
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("{method} {path}: no answer: {text:?}"));
        Reply {
            status,
            body: body.to_string(),
            bytes,
        }
    }

    pub fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path, &[], b"")
    }

    pub fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('+', "%2B")))
            .collect();
        body.push(format!("csrf={}", self.csrf));
        let ct = [("Content-Type", "application/x-www-form-urlencoded")];
        self.send("POST", path, &ct, body.join("&").as_bytes())
    }
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        rest = &rest[eol + 2 + size + 2..];
    }
}

/// A demo account signed in with its password (the first factor).
pub fn signed_in(addr: &str, username: &str, password: &str) -> Http {
    let mut c = Http::new(addr);
    c.get("/login");
    let r = c.form("/login", &[("username", username), ("password", password)]);
    assert_eq!(r.status, 303, "{}", r.body);
    c
}

/// The demo's console administrator, signed in with the demo's public TOTP.
pub fn signed_admin(console: &str) -> Http {
    signed_admin_at(console, 0)
}

/// The same, with the code of `step_offset` steps from now: a code is
/// never accepted twice, and a restored database remembers the last one.
pub fn signed_admin_at(console: &str, step_offset: u64) -> Http {
    signed_operator(
        console,
        ("admin", "Atlas-demo-console-2026"),
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        step_offset,
    )
}

/// A demo operator (username, password) signed in with its TOTP secret
/// (base32), using the code of `step_offset` steps from now.
pub fn signed_operator(
    console: &str,
    (username, password): (&str, &str),
    secret: &str,
    step_offset: u64,
) -> Http {
    let mut c = signed_in(console, username, password);
    c.get("/login/mfa");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secret = TotpSecret::from_base32(secret).unwrap();
    let code = Totp::default().code_for_step(&secret, Totp::step_at(now) + step_offset);
    let r = c.form("/login/mfa", &[("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.body);
    c
}

/// An evidence upload form: `title`, obligation 3.1.1.a, and the file.
/// Returns (content type, body).
pub fn evidence_form(title: &str, filename: &str, media: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "thiqa-test-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"obligations\"\r\n\r\n3.1.1.a\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {media}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `thiqa serve` on `data` with ephemeral ports (and `extra` flags): the
/// process and the console's host:port once it listens, or its stderr if
/// it stops first.
pub fn serve(data: &std::path::Path, extra: &[&str]) -> Result<(Child, String), String> {
    let mut child = thiqa()
        .arg("serve")
        .arg("--data-dir")
        .arg(data)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.starts_with("Operator console:") => {
                let console = line["Operator console:".len()..]
                    .trim()
                    .trim_start_matches("http://")
                    .to_string();
                std::thread::spawn(move || for _ in lines {});
                return Ok((child, console));
            }
            Some(_) => {}
            None => {
                let _ = child.wait();
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return Err(err);
            }
        }
    }
}

//! The server never aborts on a hostile file (issue 11, item 10): the real
//! `thiqa demo` binary receives, on every import route, a zip bomb, the
//! 1.6 KB workbook whose cells A1 and XFD1048576 once made the reader
//! allocate 512 GiB, huge cells, thousands of columns, NDJSON with giant
//! and deeply nested lines, and malformed multipart bodies. Each gets a
//! 4xx, and after each both listeners still answer.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use thiqa_crypto::totp::{Totp, TotpSecret};
use thiqa_export::import::hostile;

struct Demo {
    child: Child,
    portal: String,
    console: String,
    data: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn thiqa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_thiqa"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("THIQA_")) {
        c.env_remove(k);
    }
    c.env("RUST_LOG", "warn");
    c
}

fn demo() -> Demo {
    let data = tempfile::tempdir().unwrap();
    let mut child = thiqa()
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
struct Http {
    addr: String,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

struct Reply {
    status: u16,
    body: String,
}

impl Http {
    fn new(addr: &str) -> Http {
        Http {
            addr: addr.to_string(),
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        self.exchange(method, path, headers, body.len(), body)
    }

    /// Sends the head declaring `length` bytes and `body` (which may be
    /// shorter: a server refusing by the declared length never reads it).
    fn exchange(
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
        }
    }

    fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path, &[], b"")
    }

    fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('+', "%2B")))
            .collect();
        body.push(format!("csrf={}", self.csrf));
        let ct = [("Content-Type", "application/x-www-form-urlencoded")];
        self.send("POST", path, &ct, body.join("&").as_bytes())
    }
}

/// The demo's console administrator, signed in with the demo's public TOTP.
fn signed_admin(console: &str) -> Http {
    let mut c = Http::new(console);
    c.get("/login");
    let r = c.form(
        "/login",
        &[
            ("username", "admin"),
            ("password", "Atlas-demo-console-2026"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    c.get("/login/mfa");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    let code = Totp::default().code_for_step(&secret, Totp::step_at(now));
    let r = c.form("/login/mfa", &[("code", &code)]);
    assert_eq!(r.status, 303, "{}", r.body);
    c
}

fn multipart(name: &str, media: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "hostile-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhostile\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"obligations\"\r\n\r\n3.1.1.a\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {media}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn both_listeners_answer(demo: &Demo, after: &str) {
    for addr in [&demo.portal, &demo.console] {
        let r = Http::new(addr).get("/healthz");
        assert_eq!(r.status, 200, "{addr} after {after}");
    }
}

#[test]
fn hostile_files_get_a_4xx_and_both_listeners_keep_answering() {
    let demo = demo();
    let mut admin = signed_admin(&demo.console);
    let services = admin.get("/services");
    let service = services
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/services/") && h[10..].bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no service: {}", services.body))
        .to_string();
    admin.get(&format!("{service}/assessment"));
    let csrf = admin.csrf.clone();

    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let long_cell = format!("id,status\n3.1.1.a,{}\n", "a".repeat(1 << 20));
    let wide = format!("id,status{}\n", ",x".repeat(20_000));
    let files: Vec<(&str, &str, Vec<u8>)> = vec![
        ("coin.xlsx", xlsx, hostile::corner_cells()),
        ("bombe.xlsx", xlsx, hostile::zip_bomb(200)),
        ("sst.xlsx", xlsx, hostile::huge_shared_strings()),
        ("cellule.csv", "text/csv", long_cell.into_bytes()),
        ("colonnes.csv", "text/csv", wide.into_bytes()),
    ];
    for (name, media, bytes) in &files {
        let (ct, body) = multipart(name, media, bytes);
        let path = format!("{service}/assessment/import?csrf={csrf}");
        let r = admin.send("POST", &path, &[("Content-Type", &ct)], &body);
        assert_eq!(r.status, 422, "{name}: {}", r.body);
        assert!(r.body.contains("limit"), "{name}: {}", r.body);
        both_listeners_answer(&demo, name);
    }

    // Malformed multipart bodies on the import and both evidence routes.
    let (_, whole) = multipart("a.pdf", "application/pdf", b"%PDF-1.7");
    let cut = &whole[..whole.len() - 20];
    let broken: [(&str, &[u8]); 3] = [
        ("multipart/form-data; boundary=hostile-7d1f", cut),
        (
            "multipart/form-data; boundary=hostile-7d1f",
            b"no boundary at all",
        ),
        ("multipart/form-data", &whole),
    ];
    let item_page = admin.get(&format!("{service}/evidence"));
    let item = item_page
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with(&format!("{service}/evidence/")) && !h.contains("download"));
    let mut routes = vec![
        format!("{service}/assessment/import"),
        format!("{service}/evidence/upload"),
    ];
    routes.extend(item.map(|i| format!("{i}/versions")));
    for route in &routes {
        for (ct, body) in broken {
            let r = admin.send(
                "POST",
                &format!("{route}?csrf={csrf}"),
                &[("Content-Type", ct)],
                body,
            );
            assert!(
                (400..500).contains(&r.status),
                "{route} {ct}: {} {}",
                r.status,
                r.body
            );
            both_listeners_answer(&demo, route);
        }
    }

    // NDJSON intake: a giant line, a deeply nested one, a body over the
    // limit.
    let token = thiqa()
        .args(["journal", "source", "create", "--data-dir"])
        .arg(demo.data.path())
        .args(["--name", "fw/hostile"])
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();
    let giant = format!(r#"{{"time":"{}"}}"#, "x".repeat(2 << 20));
    let nested = format!(
        r#"{{"severity":{}{}}}"#,
        "[".repeat(500_000),
        "]".repeat(500_000)
    );
    let auth = format!("Bearer {token}");
    let headers = [
        ("Content-Type", "application/x-ndjson"),
        ("Authorization", auth.as_str()),
    ];
    for (what, body) in [("giant line", giant), ("nested line", nested)] {
        let r = Http::new(&demo.console).send(
            "POST",
            "/api/v1/journal/intake",
            &headers,
            body.as_bytes(),
        );
        assert_eq!(r.status, 422, "{what}: {}", r.body);
        both_listeners_answer(&demo, what);
    }
    let r = Http::new(&demo.console).exchange(
        "POST",
        "/api/v1/journal/intake",
        &headers,
        11 << 20,
        b"",
    );
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("intake_max_bytes"), "{}", r.body);
    both_listeners_answer(&demo, "an oversized batch");
    // The console session still works.
    assert_eq!(admin.get(&format!("{service}/assessment")).status, 200);
}

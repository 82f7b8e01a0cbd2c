//! Browser journeys in headless Chromium against the real `thiqa demo`
//! binary: operator login with TOTP, lockout, customer login, language
//! switch, a form with bad input showing its error, and a commanditaire's
//! administrator refusing its consent to a change of subcontractor, which
//! the operator then sees (issue 14).

mod webdriver;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use thiqa_crypto::totp::{Totp, TotpSecret};
use webdriver::Browser;

struct Demo {
    child: Child,
    portal: String,
    console: String,
    _dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_thiqa"))
        .args([
            "demo",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut portal, mut console) = (None, None);
    while portal.is_none() || console.is_none() {
        let line = lines.next().expect("demo exited").unwrap();
        if let Some(u) = line.strip_prefix("Customer portal:") {
            portal = Some(u.trim().to_string());
        }
        if let Some(u) = line.strip_prefix("Operator console:") {
            console = Some(u.trim().to_string());
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Demo {
        child,
        portal: portal.unwrap(),
        console: console.unwrap(),
        _dir: dir,
    }
}

/// The demo's public TOTP secret for `admin` (printed by `thiqa demo`).
const ADMIN_TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn current_code(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secret = TotpSecret::from_base32(secret).unwrap();
    Totp::default().code_for_step(&secret, Totp::step_at(now))
}

fn operator_login(b: &Browser, console: &str) {
    b.goto(&format!("{console}/login"));
    b.fill("#username", "admin");
    b.fill("#password", "Atlas-demo-console-2026");
    b.click("main button[type=submit]");
    b.wait_for("the second-factor page", |b| {
        b.url().ends_with("/login/mfa")
    });
    b.fill("#code", &current_code(ADMIN_TOTP));
    b.click("form[action='/login/mfa'] button[type=submit]");
    b.wait_for("the console home", |b| {
        b.source().contains("Bonjour Amal Bennani")
    });
}

#[test]
fn browser_journeys() {
    let demo = demo();
    let b = Browser::start();

    // 1. Operator login with TOTP.
    operator_login(&b, &demo.console);
    assert!(b.source().contains("Console opérateur"));

    // 2. A form with bad input shows its error, and focus lands on it.
    b.goto(&format!("{}/accounts", demo.console));
    b.fill("#new-username", "1 mauvais nom");
    b.fill("#new-display", "Test");
    b.click("form[action='/accounts'] button[type=submit]");
    b.wait_for("the form error", |b| b.exists("#form-error"));
    assert!(
        b.text("#form-error").contains("Identifiant invalide"),
        "{}",
        b.text("#form-error")
    );
    assert_eq!(
        b.focused_id(),
        "form-error",
        "keyboard focus moves to the error"
    );

    // 3. Language switch: the page comes back in English.
    b.select("#lang-select", "en");
    b.wait_for("English", |b| b.source().contains("Log out"));
    assert!(b.source().contains("<html lang=\"en\">"));
    b.select("#lang-select", "fr");
    b.wait_for("French", |b| b.source().contains("Se déconnecter"));

    // 4. Lockout: five wrong passwords, then the right one is refused too.
    let other = Browser::start();
    for _ in 0..5 {
        other.goto(&format!("{}/login", demo.console));
        other.fill("#username", "rssi");
        other.fill("#password", "not-the-password");
        other.click("main button[type=submit]");
        other.wait_for("an error", |b| b.exists("#form-error"));
    }
    other.goto(&format!("{}/login", demo.console));
    other.fill("#username", "rssi");
    other.fill("#password", "Atlas-demo-security-2026");
    other.click("main button[type=submit]");
    other.wait_for("the lock message", |b| b.exists("#form-error"));
    assert!(
        other.text("#form-error").contains("verrouillé"),
        "{}",
        other.text("#form-error")
    );
    drop(other);

    // 5. Customer login on the portal (a separate directory and listener).
    let c = Browser::start();
    c.goto(&format!("{}/login", demo.portal));
    assert!(c.source().contains("Portail commanditaire"));
    c.fill("#username", "karim");
    c.fill("#password", "Banque-demo-portal-2026");
    c.click("main button[type=submit]");
    c.wait_for("the portal home", |b| {
        b.source().contains("Bonjour Karim El Idrissi")
    });
    // The operator's credentials do not work there.
    let d = Browser::start();
    d.goto(&format!("{}/login", demo.portal));
    d.fill("#username", "admin");
    d.fill("#password", "Atlas-demo-console-2026");
    d.click("main button[type=submit]");
    d.wait_for("the refusal", |b| b.exists("#form-error"));
    assert!(d.text("#form-error").contains("incorrect"));

    // 6. The commanditaire reads a notice and refuses its consent with a
    //    comment; the operator sees the refusal and what blocks the change.
    c.goto(&format!("{}/notices", demo.portal));
    c.wait_for("the inbox", |b| b.exists("#notices"));
    assert!(
        c.text("#notices").contains("Accord attendu"),
        "{}",
        c.text("#notices")
    );
    c.click("#notices a[href$='/notices/2']");
    c.wait_for("the notice", |b| b.exists("#notice-refuse"));
    assert!(c.source().contains("Sauvegarde Maroc SA"));
    // Refusing without a reason is refused, and says why.
    c.click("#notice-refuse");
    c.wait_for("the refusal's error", |b| b.exists("#form-error"));
    assert!(
        c.text("#form-error").contains("Un refus s'explique"),
        "{}",
        c.text("#form-error")
    );
    c.fill(
        "#notice-comment",
        "Pas avant l'audit de ce tiers par notre RSSI.",
    );
    c.click("#notice-refuse");
    c.wait_for("the answer recorded", |b| {
        b.exists("#notice-answer-state") && b.text("#notice-answer-state").contains("Accord refusé")
    });
    b.goto(&format!("{}/notices/2", demo.console));
    b.wait_for("the operator's view", |b| b.exists("#notice-targets"));
    let answers = b.text("#notice-targets");
    assert!(answers.contains("Accord refusé"), "{answers}");
    assert!(
        answers.contains("Pas avant l'audit de ce tiers"),
        "{answers}"
    );
    assert!(
        b.exists("#notice-blocked"),
        "the change waits for a decision"
    );
}

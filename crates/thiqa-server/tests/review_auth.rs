//! Issue 11, authentication items: the second factor obeys the lockout and
//! the rate limits (1), tokens die with the credentials (5), no username
//! enumeration (6), CSRF whatever the headers (7), enrolment secret kept on
//! the server with a QR code (8). Each runs on SQLite and PostgreSQL.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use secrecy::ExposeSecret;
use support::{Client, TestApp, PASSWORD};
use thiqa_app::tenants::{role_by_name, seed_tenant, ORG_ADMIN_ROLE};
use thiqa_crypto::recovery;
use thiqa_crypto::token::Token;
use thiqa_crypto::totp::TotpSecret;
use thiqa_domain::{Directory, Tenant};
use thiqa_server::config::Config;
use thiqa_store::{Actor, EventFilter, NewAccount};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test] async fn $name() { super::$name(super::app(super::support::Backend::Sqlite).await).await })*
        }
        mod postgres_backend {
            $(#[tokio::test] async fn $name() { super::$name(super::app(super::support::Backend::Postgres).await).await })*
        }
    };
}

on_both_backends!(
    a_pending_session_dies_with_the_lock_and_the_right_code_cannot_lift_it,
    a_recovery_code_after_the_lock_is_refused_and_not_used_up,
    second_factor_guesses_hit_the_sign_in_rate_limit,
    recovery_code_guesses_hit_the_sign_in_rate_limit,
    a_pending_session_expires_within_minutes,
    logging_out_everywhere_revokes_the_api_tokens,
    a_password_reset_revokes_the_api_tokens,
    a_taken_username_is_refused_with_the_same_words_whatever_the_reason,
    after_five_failures_an_unknown_username_answers_like_a_locked_account,
    an_authorization_header_never_exempts_a_cookie_session_from_csrf,
    the_api_uses_the_token_alone_when_a_session_cookie_comes_along,
    mfa_enrolment_ignores_a_posted_secret_and_shows_a_qr_code,
);

/// The harness with configured base URLs (links are built from them) and a
/// lockout high enough for the rate-limit tests to reach their limit first
/// where they ask for it (`lenient_lockout`).
async fn app(backend: support::Backend) -> TestApp {
    let config = Config {
        public_url: Some("https://portal.thiqa.test".into()),
        admin_url: Some("https://console.thiqa.test".into()),
        ..Config::default()
    };
    TestApp::with_config(backend, config).await
}

/// The same backend as `t`, from scratch, with a lockout threshold (20) the
/// rate limit (10 tries per account) reaches first.
async fn lenient_lockout(t: &TestApp) -> TestApp {
    let mut config = t.app.config.clone();
    config.lockout.threshold = 20;
    let backend = match t.store().backend() {
        thiqa_store::Backend::Sqlite => support::Backend::Sqlite,
        thiqa_store::Backend::Postgres => support::Backend::Postgres,
    };
    TestApp::with_config(backend, config).await
}

/// The text of the page's error message (`id="form-error"`), tags removed.
fn form_error(body: &str) -> String {
    let Some(i) = body.find("id=\"form-error\"") else {
        return String::new();
    };
    let rest = &body[i..];
    let rest = &rest[rest.find('>').map(|j| j + 1).unwrap_or(0)..];
    let end = ["</p>", "</div>"]
        .iter()
        .filter_map(|close| rest.find(close))
        .min()
        .unwrap_or(rest.len());
    let mut text = String::new();
    let mut in_tag = false;
    for ch in rest[..end].chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// A console client past the password, waiting for its second factor.
async fn pending_operator(t: &TestApp, username: &str) -> Client {
    let mut c = t.console();
    let r = c.login(username, PASSWORD).await;
    assert_eq!(r.location(), Some("/login/mfa"), "{}", r.body);
    c.get("/login/mfa").await;
    c
}

/// An operator holding one role, with TOTP (its secret).
async fn operator_holding(t: &TestApp, username: &str, role: &str) -> TotpSecret {
    let (_, secret) = t.user(Directory::Operators, username, &[role], true).await;
    secret.unwrap()
}

/// An operator holding only the reader role.
async fn reader(t: &TestApp, username: &str) -> TotpSecret {
    operator_holding(t, username, "Lecteur").await
}

const ACCOUNTS_ADMIN: &str = "Administrateur des comptes";

/// Five wrong passwords from another client lock the account.
async fn lock_by_passwords(t: &TestApp, username: &str) {
    let mut other = t.console();
    for _ in 0..5 {
        other.login(username, "wrong-password-x").await;
    }
    assert!(is_locked(t, username).await);
}

/// The operator account of that name, if any.
async fn operator(t: &TestApp, username: &str) -> Option<thiqa_store::Account> {
    t.store()
        .account_by_username(Directory::Operators, username)
        .await
        .unwrap()
}

async fn is_locked(t: &TestApp, username: &str) -> bool {
    operator(t, username).await.unwrap().locked_at.is_some()
}

/// An operator with TOTP and ten recovery codes (returned).
async fn operator_with_recovery(t: &TestApp, username: &str) -> (TotpSecret, Vec<String>) {
    let (id, secret) = t
        .user(Directory::Operators, username, &["Lecteur"], true)
        .await;
    let secret = secret.unwrap();
    let account = t.store().tenant(t.provider).account(id).await.unwrap();
    let codes = recovery::generate(username, 10).unwrap();
    t.store()
        .enable_totp(
            &account,
            secret.to_base32().expose_secret(),
            0,
            &codes.hashes,
            &Actor::cli(),
        )
        .await
        .unwrap();
    let codes = codes
        .codes
        .iter()
        .map(|c| c.expose_secret().to_string())
        .collect();
    (secret, codes)
}

async fn a_pending_session_dies_with_the_lock_and_the_right_code_cannot_lift_it(t: TestApp) {
    let secret = reader(&t, "amal").await;
    // The thief knows the password: a pending session, opened before the lock.
    let mut thief = pending_operator(&t, "amal").await;
    // Someone else's wrong passwords lock the account.
    lock_by_passwords(&t, "amal").await;
    t.clock.advance_s(30);
    let code = t.totp_now(&secret);
    let r = thief.post_form("/login/mfa", &[("code", &code)]).await;
    assert_ne!(
        r.location(),
        Some("/"),
        "the right code signed a locked account in"
    );
    assert!(
        r.status == StatusCode::FORBIDDEN || r.location() == Some("/login"),
        "{} {:?}",
        r.status,
        r.location()
    );
    assert!(
        is_locked(&t, "amal").await,
        "the right code lifted the lock"
    );
    assert_eq!(thief.get("/me").await.location(), Some("/login"));
    // Wrong codes from a second pending session lock the account too, and
    // the first pending session dies with that lock.
    reader(&t, "omar").await;
    let mut first = pending_operator(&t, "omar").await;
    let mut second = pending_operator(&t, "omar").await;
    for _ in 0..5 {
        second.post_form("/login/mfa", &[("code", "000000")]).await;
    }
    assert!(is_locked(&t, "omar").await);
    let r = first.post_form("/login/mfa", &[("code", "000000")]).await;
    assert_ne!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "still guessing after the lock"
    );
    assert_eq!(first.get("/login/mfa").await.location(), Some("/login"));
}

async fn a_recovery_code_after_the_lock_is_refused_and_not_used_up(t: TestApp) {
    let (_, codes) = operator_with_recovery(&t, "amal").await;
    let mut thief = pending_operator(&t, "amal").await;
    lock_by_passwords(&t, "amal").await;
    let r = thief.post_form("/login/mfa", &[("code", &codes[0])]).await;
    assert_ne!(
        r.location(),
        Some("/"),
        "a recovery code signed a locked account in"
    );
    assert!(
        is_locked(&t, "amal").await,
        "a recovery code lifted the lock"
    );
    let account = operator(&t, "amal").await.unwrap();
    assert_eq!(
        t.store()
            .recovery_code_hashes(&account)
            .await
            .unwrap()
            .len(),
        10,
        "the refused recovery code was used up"
    );
}

async fn second_factor_guesses_hit_the_sign_in_rate_limit(t: TestApp) {
    let t = lenient_lockout(&t).await;
    let secret = reader(&t, "amal").await;
    // The password counts once toward the per-account limit (10 per window);
    // nine wrong codes reach it, the tenth try is over it.
    let mut c = pending_operator(&t, "amal").await;
    for i in 0..9 {
        let r = c.post_form("/login/mfa", &[("code", "000000")]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "try {i}");
    }
    let r = c.post_form("/login/mfa", &[("code", "000000")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    // The clock stays put: the window (300 s) must not roll over here.
    let right = t.totp_now(&secret);
    let r = c.post_form("/login/mfa", &[("code", &right)]).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        r.location()
    );
}

async fn recovery_code_guesses_hit_the_sign_in_rate_limit(t: TestApp) {
    let t = lenient_lockout(&t).await;
    let (_, codes) = operator_with_recovery(&t, "amal").await;
    let mut c = pending_operator(&t, "amal").await;
    for i in 0..9 {
        let r = c
            .post_form("/login/mfa", &[("code", "aaaa-bbbb-cccc-dddd")])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "try {i}");
    }
    let r = c.post_form("/login/mfa", &[("code", &codes[0])]).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        r.location()
    );
}

async fn a_pending_session_expires_within_minutes(t: TestApp) {
    let secret = reader(&t, "amal").await;
    let mut late = pending_operator(&t, "amal").await;
    t.clock.advance_s(4 * 60);
    let mut prompt = pending_operator(&t, "amal").await;
    t.clock.advance_s(2 * 60);
    let code = t.totp_now(&secret);
    let r = late.post_form("/login/mfa", &[("code", &code)]).await;
    assert_ne!(
        r.location(),
        Some("/"),
        "a 6-minute-old pending session still works"
    );
    assert_eq!(late.get("/login/mfa").await.location(), Some("/login"));
    // Two minutes is well within the delay.
    let r = prompt.post_form("/login/mfa", &[("code", &code)]).await;
    assert_eq!(r.location(), Some("/"), "{}", r.body);
}

/// A personal API token of the signed-in client, and its `/api/v1/me` status.
async fn token_status(c: &mut Client, token: &str) -> StatusCode {
    c.api(Method::GET, "/api/v1/me", token, None).await.status
}

async fn logging_out_everywhere_revokes_the_api_tokens(t: TestApp) {
    let secret = reader(&t, "amal").await;
    let mut c = t.signed_operator("amal", &secret).await;
    let token = c.api_token(&["catalog.read"]).await;
    assert_eq!(token_status(&mut c, &token).await, StatusCode::OK);
    c.get("/me").await;
    let r = c.post_form("/logout-everywhere", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(token_status(&mut c, &token).await, StatusCode::UNAUTHORIZED);
    let events = t
        .store()
        .events(&EventFilter {
            action_prefix: Some("api_token.revoke_all".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "the revocation is journaled");
    // The "my account" page lists the token as revoked.
    t.clock.advance_s(60);
    let mut again = t.signed_operator("amal", &secret).await;
    let page = again.get("/me").await.body;
    assert!(page.contains("révoqué"), "{page}");
    assert!(
        !page.contains("/revoke\""),
        "no live token is left to revoke"
    );
}

async fn a_password_reset_revokes_the_api_tokens(t: TestApp) {
    let secret = reader(&t, "amal").await;
    let mut c = t.signed_operator("amal", &secret).await;
    let token = c.api_token(&["catalog.read"]).await;
    assert_eq!(token_status(&mut c, &token).await, StatusCode::OK);
    let account = operator(&t, "amal").await.unwrap();
    let link = Token::generate().unwrap();
    t.store()
        .create_password_reset(&account, link.hash().as_str(), 3600, None, &Actor::cli())
        .await
        .unwrap();
    let mut visitor = t.console();
    let path = format!("/reset/{}", link.expose());
    visitor.get(&path).await;
    let new_password = "another-Long-passphrase-77";
    let r = visitor
        .post_form(
            &path,
            &[("password", new_password), ("confirm", new_password)],
        )
        .await;
    assert_eq!(r.location(), Some("/login"), "{}", r.body);
    assert_eq!(token_status(&mut c, &token).await, StatusCode::UNAUTHORIZED);
}

/// A second organisation of the same provider, with one user `bob`.
async fn other_organisation_with_bob(t: &TestApp) {
    let Tenant::Provider(pid) = t.provider else {
        unreachable!()
    };
    let actor = Actor::system();
    let org = Tenant::Organisation(
        t.store()
            .provider(pid)
            .create_organisation("Autre banque", false, &actor)
            .await
            .unwrap(),
    );
    seed_tenant(t.store(), org, &actor).await.unwrap();
    t.store()
        .tenant(org)
        .create_account(
            NewAccount {
                username: "bob".into(),
                display_name: "Bob".into(),
                email: None,
                password_hash: None,
                totp_secret: None,
                language: "fr".into(),
            },
            &actor,
        )
        .await
        .unwrap();
}

async fn a_taken_username_is_refused_with_the_same_words_whatever_the_reason(t: TestApp) {
    other_organisation_with_bob(&t).await;
    t.user(Directory::Customers, "nadia", &[ORG_ADMIN_ROLE], false)
        .await;
    t.user(Directory::Customers, "alice", &["Utilisateur"], false)
        .await;
    assert!(role_by_name(t.store(), t.organisation, ORG_ADMIN_ROLE)
        .await
        .unwrap()
        .is_some());
    let mut c = t.portal();
    assert_eq!(c.login("nadia", PASSWORD).await.location(), Some("/"));
    let mut answers = vec![];
    for name in ["bob", "alice", "deregistered-999"] {
        c.get("/accounts").await;
        let r = c
            .post_form("/accounts", &[("username", name), ("display_name", "X")])
            .await;
        answers.push((r.status, form_error(&r.body)));
    }
    let (status, words) = &answers[0];
    assert_eq!(*status, StatusCode::CONFLICT);
    assert!(!words.is_empty() && !words.contains("bob"), "{words}");
    assert!(
        !words.contains("déjà"),
        "the answer says the name exists: {words}"
    );
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "the answers differ by reason: {answers:?}"
    );
    // The API answers the same way for a name of another organisation.
    let token = c.api_token(&["org.users.manage"]).await;
    let mut bodies = vec![];
    for name in ["bob", "alice"] {
        let body = format!(r#"{{"username":"{name}","display_name":"X"}}"#);
        let r = c
            .api(Method::POST, "/api/v1/accounts", &token, Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        bodies.push(r.body);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert!(
        !bodies[0].contains("exists") && !bodies[0].contains("bob"),
        "{}",
        bodies[0]
    );
}

/// Five wrong passwords, then the right one: each answer's status and words.
async fn six_answers(c: &mut Client, name: &str) -> Vec<(StatusCode, String)> {
    let mut out = vec![];
    for password in [
        "wrong-1", "wrong-2", "wrong-3", "wrong-4", "wrong-5", PASSWORD,
    ] {
        let r = c.login(name, password).await;
        out.push((r.status, form_error(&r.body)));
    }
    out
}

async fn after_five_failures_an_unknown_username_answers_like_a_locked_account(t: TestApp) {
    reader(&t, "amal").await;
    let mut c = t.console();
    let known = six_answers(&mut c, "amal").await;
    let unknown = six_answers(&mut c, "ghost").await;
    assert_eq!(known[4].0, StatusCode::FORBIDDEN, "{known:?}");
    assert_eq!(
        known, unknown,
        "an unknown name answers unlike a locked one"
    );
    // Both locks release after the same delay.
    t.clock.advance_s(15 * 60);
    let known = c.login("amal", "wrong-6").await;
    let unknown = c.login("ghost", "wrong-6").await;
    assert_eq!(known.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (known.status, form_error(&known.body)),
        (unknown.status, form_error(&unknown.body))
    );
}

/// A request with the client's cookies and an `Authorization` header (no
/// CSRF token anywhere), as a script or a confused client would send it.
async fn with_cookies_and_authorization(
    c: &mut Client,
    path: &str,
    auth: &str,
    content_type: &str,
    body: &str,
) -> support::Reply {
    let cookies = c
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, cookies)
        .header(header::AUTHORIZATION, auth)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_string()))
        .unwrap();
    c.send(req).await
}

const FORM: &str = "application/x-www-form-urlencoded";

async fn an_authorization_header_never_exempts_a_cookie_session_from_csrf(t: TestApp) {
    let secret = operator_holding(&t, "amal", ACCOUNTS_ADMIN).await;
    let mut c = t.signed_operator("amal", &secret).await;
    let junk = with_cookies_and_authorization(
        &mut c,
        "/accounts",
        "Bearer junk",
        FORM,
        "username=x1&display_name=X",
    )
    .await;
    assert_eq!(junk.status, StatusCode::FORBIDDEN);
    // Even the account's own valid token beside its cookie exempts nothing:
    // the page authenticates by the cookie and wants the CSRF token.
    let token = c.api_token(&["operators.manage"]).await;
    let valid = with_cookies_and_authorization(
        &mut c,
        "/accounts",
        &format!("Bearer {token}"),
        FORM,
        "username=x2&display_name=X",
    )
    .await;
    assert_eq!(valid.status, StatusCode::FORBIDDEN);
    for name in ["x1", "x2"] {
        assert!(operator(&t, name).await.is_none());
    }
}

async fn the_api_uses_the_token_alone_when_a_session_cookie_comes_along(t: TestApp) {
    let admin = operator_holding(&t, "amal", ACCOUNTS_ADMIN).await;
    let omar = reader(&t, "omar").await;
    let mut low = t.signed_operator("omar", &omar).await;
    let token = low.api_token(&["catalog.read"]).await;
    // The administrator's session cookie rides along with the reader's token.
    let mut c = t.signed_operator("amal", &admin).await;
    let r = with_cookies_and_authorization(
        &mut c,
        "/api/v1/accounts",
        &format!("Bearer {token}"),
        "application/json",
        r#"{"username":"x3","display_name":"X"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(operator(&t, "x3").await.is_none());
}

async fn mfa_enrolment_ignores_a_posted_secret_and_shows_a_qr_code(t: TestApp) {
    t.user(Directory::Operators, "amal", &["Lecteur"], false)
        .await;
    let mut c = t.console();
    assert_eq!(
        c.login("amal", PASSWORD).await.location(),
        Some("/mfa/setup")
    );
    let page = c.get("/mfa/setup").await.body;
    assert!(page.contains("<svg"), "no QR code: {page}");
    assert!(
        !page.contains("name=\"secret\""),
        "the secret rides in the form"
    );
    let shown = page
        .split("id=\"totp-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    // The attacker's own secret, with a valid code for it, is ignored.
    let chosen = TotpSecret::generate().unwrap();
    t.clock.advance_s(30);
    let code = t.totp_now(&chosen);
    let r = c
        .post_form(
            "/mfa/setup",
            &[
                ("secret", chosen.to_base32().expose_secret()),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        r.location()
    );
    let account = operator(&t, "amal").await.unwrap();
    assert!(!account.totp_enabled);
    // The secret shown (kept on the server) is the one that enrols.
    let shown = TotpSecret::from_base32(&shown).unwrap();
    let code = t.totp_now(&shown);
    let r = c.post_form("/mfa/setup", &[("code", &code)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let account = operator(&t, "amal").await.unwrap();
    assert!(account.totp_enabled);
    assert_eq!(
        account.totp_secret.as_deref(),
        Some(shown.to_base32().expose_secret())
    );
}

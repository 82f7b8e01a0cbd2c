//! A test harness: the real routers of both listeners over a fresh database
//! (SQLite or PostgreSQL), driven in process like a browser would (cookies,
//! CSRF tokens from the pages), with a clock the tests move.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]
#![allow(dead_code)]

pub mod evidence;
// moto's S3 server, shared with the blob store's own tests.
#[path = "../../../thiqa-blobs/tests/support/moto.rs"]
pub mod s3;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use secrecy::ExposeSecret;
use sqlx::{Connection, Executor, PgConnection};
use thiqa_app::tenants::{role_by_name, seed_tenant};
use thiqa_crypto::totp::{Totp, TotpSecret};
use thiqa_domain::{Clock, Directory, ManualClock, Tenant};
use thiqa_server::config::Config;
use thiqa_server::{admin_router, public_router, AppState};
use thiqa_store::{Actor, DatabaseLocation, NewAccount, Store};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct-Horse-battery-42";

pub struct TestApp {
    pub app: AppState,
    pub public: Router,
    pub admin: Router,
    pub clock: Arc<ManualClock>,
    pub provider: Tenant,
    pub organisation: Tenant,
    /// Where the database is (for tests that read it directly).
    pub location: DatabaseLocation,
    _dir: Option<tempfile::TempDir>,
}

pub enum Backend {
    Sqlite,
    Postgres,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        Self::with_config(backend, Config::default()).await
    }

    pub async fn with_config(backend: Backend, mut config: Config) -> TestApp {
        let clock = Arc::new(ManualClock::at_ms(now_ms()));
        let (location, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                (
                    DatabaseLocation::Sqlite {
                        data_dir: dir.path().to_path_buf(),
                    },
                    Some(dir),
                )
            }
            Backend::Postgres => (
                DatabaseLocation::Postgres {
                    url: fresh_postgres().await,
                },
                Some(tempfile::tempdir().unwrap()),
            ),
        };
        // Evidence files go under the data directory: a temporary one.
        if let Some(d) = &dir {
            config.data_dir = d.path().to_path_buf();
        }
        let store = Store::open(&location, clock.clone()).await.unwrap();
        let actor = Actor::system();
        let provider = Tenant::Provider(
            store
                .create_provider("Prestataire test", &actor)
                .await
                .unwrap(),
        );
        seed_tenant(&store, provider, &actor).await.unwrap();
        let Tenant::Provider(pid) = provider else {
            unreachable!()
        };
        let organisation = Tenant::Organisation(
            store
                .provider(pid)
                .create_organisation("Banque test", false, &actor)
                .await
                .unwrap(),
        );
        seed_tenant(&store, organisation, &actor).await.unwrap();
        let app = AppState::new(store, config).await.unwrap();
        TestApp {
            public: public_router(&app),
            admin: admin_router(&app),
            app,
            clock,
            provider,
            organisation,
            location,
            _dir: dir,
        }
    }

    pub fn store(&self) -> &Store {
        &self.app.store
    }

    /// Creates an account with the test password, roles and, for operators,
    /// a TOTP secret (returned).
    pub async fn user(
        &self,
        dir: Directory,
        username: &str,
        roles: &[&str],
        totp: bool,
    ) -> (i64, Option<TotpSecret>) {
        let tenant = if dir == Directory::Operators {
            self.provider
        } else {
            self.organisation
        };
        self.user_in(tenant, username, roles, totp).await
    }

    /// The same in any tenant (another provider, another organisation).
    pub async fn user_in(
        &self,
        tenant: Tenant,
        username: &str,
        roles: &[&str],
        totp: bool,
    ) -> (i64, Option<TotpSecret>) {
        let hash = self
            .app
            .sign_in
            .hasher
            .hash(&PASSWORD.to_string().into())
            .unwrap();
        let id = self
            .store()
            .tenant(tenant)
            .create_account(
                NewAccount {
                    username: username.into(),
                    display_name: format!("{username} Display"),
                    email: None,
                    password_hash: Some(hash),
                    totp_secret: None,
                    language: "fr".into(),
                },
                &Actor::cli(),
            )
            .await
            .unwrap();
        let account = self.store().tenant(tenant).account(id).await.unwrap();
        let secret = if totp {
            let s = TotpSecret::generate().unwrap();
            self.store()
                .enable_totp(
                    &account,
                    s.to_base32().expose_secret(),
                    0,
                    &[],
                    &Actor::cli(),
                )
                .await
                .unwrap();
            Some(s)
        } else {
            None
        };
        for r in roles {
            let role = role_by_name(self.store(), tenant, r)
                .await
                .unwrap()
                .unwrap();
            self.store()
                .tenant(tenant)
                .assign_role(id, role, &Actor::cli())
                .await
                .unwrap();
        }
        (id, secret)
    }

    pub fn totp_now(&self, secret: &TotpSecret) -> String {
        Totp::default().code_for_step(secret, Totp::step_at(self.clock.now_s() as u64))
    }

    pub fn console(&self) -> Client {
        Client::new(self.admin.clone())
    }

    pub fn portal(&self) -> Client {
        Client::new(self.public.clone())
    }

    /// Another commanditaire of the test provider, with its built-in roles.
    #[allow(dead_code)]
    pub async fn other_organisation(&self, name: &str) -> thiqa_domain::OrganisationId {
        let Tenant::Provider(provider) = self.provider else {
            unreachable!("the test provider")
        };
        let org = self
            .store()
            .provider(provider)
            .create_organisation(name, false, &Actor::cli())
            .await
            .unwrap();
        seed_tenant(self.store(), Tenant::Organisation(org), &Actor::cli())
            .await
            .unwrap();
        org
    }

    /// A new operator `name` with `roles`, signed in to the console, its
    /// home visited (so a form's CSRF token is at hand).
    #[allow(dead_code)]
    pub async fn operator_signed(&self, name: &str, roles: &[&str]) -> Client {
        let (_, secret) = self.user(Directory::Operators, name, roles, true).await;
        let mut c = self.signed_operator(name, secret.as_ref().unwrap()).await;
        c.get("/").await;
        c
    }

    /// A new member `name` of the test organisation with `roles`, signed
    /// in to the portal.
    #[allow(dead_code)]
    pub async fn member_signed(&self, name: &str, roles: &[&str]) -> Client {
        self.user(Directory::Customers, name, roles, false).await;
        let mut c = self.portal();
        c.login(name, PASSWORD).await;
        c
    }

    /// A console client signed in as `username` (password + TOTP).
    pub async fn signed_operator(&self, username: &str, secret: &TotpSecret) -> Client {
        let mut c = self.console();
        let r = c.login(username, PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        self.clock.advance_s(30);
        let code = self.totp_now(secret);
        c.get("/login/mfa").await;
        let r = c.post_form("/login/mfa", &[("code", &code)]).await;
        assert_eq!(r.location(), Some("/"), "{}", r.body);
        c
    }
}

/// A fresh PostgreSQL database for one test.
pub async fn fresh_postgres() -> String {
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must run for these tests ({admin}): {e}"));
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("thiqa_web_{}_{n}", std::process::id());
    // A database of the same name is an earlier run's whose process had
    // this id (test databases are not dropped): it is nobody's now.
    conn.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await
        .unwrap();
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(&admin)
        .to_string();
    format!("{base}/{name}")
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    /// Where the answer sends the browser, without the confirmation it asks
    /// that page to show ([`Reply::notice`]).
    pub fn location(&self) -> Option<&str> {
        let raw = self.raw_location()?;
        Some(match raw.rfind("notice=") {
            Some(i) if i > 0 && matches!(raw.as_bytes()[i - 1], b'?' | b'&') => &raw[..i - 1],
            _ => raw,
        })
    }

    /// The confirmation the redirect asks the next page to show
    /// (`saved`, `added`, `awaiting-approval`…).
    pub fn notice(&self) -> Option<&str> {
        self.raw_location()?
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("notice="))
    }

    /// The `Location` header as sent.
    pub fn raw_location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

/// Keeps cookies and the last page's CSRF token, like a browser.
pub struct Client {
    router: Router,
    pub cookies: HashMap<String, String>,
    pub csrf: Option<String>,
}

impl Client {
    pub fn new(router: Router) -> Client {
        Client {
            router,
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&mut self, req: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let bytes = to_bytes(response.into_body(), 10 << 20).await.unwrap();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(i) = body.find("name=\"csrf\" value=\"") {
            let rest = &body[i + 19..];
            self.csrf = rest.split('"').next().map(str::to_string);
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let req = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone().unwrap_or_default();
        all.push(("csrf", &csrf));
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.post_raw(path, "application/x-www-form-urlencoded", body.into_bytes())
            .await
    }

    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Reply {
        self.get("/login").await;
        self.post_form("/login", &[("username", username), ("password", password)])
            .await
    }

    /// Creates a personal API token with these scopes through the "my
    /// account" page, as a person would, and returns its value.
    pub async fn api_token(&mut self, scopes: &[&str]) -> String {
        self.get("/me").await;
        let mut fields = vec![("name", "test"), ("days", "7")];
        fields.extend(scopes.iter().map(|s| ("scope", *s)));
        let r = self.post_form("/me/tokens", &fields).await;
        r.body
            .split("id=\"new-token\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap_or_else(|| panic!("no token on the page: {}", r.body))
            .to_string()
    }

    /// An API call with a bearer token.
    pub async fn api(
        &mut self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&str>,
    ) -> Reply {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if body.is_some() {
            b = b.header(header::CONTENT_TYPE, "application/json");
        }
        let req = b.body(Body::from(body.unwrap_or("").to_string())).unwrap();
        self.send(req).await
    }
}

pub fn dir_of(tenant: Tenant) -> Directory {
    tenant.directory()
}

/// An intake source of the test provider that may tag the test
/// organisation, and its token (shown once).
pub async fn intake_source(t: &TestApp, name: &str) -> (thiqa_store::IntakeSource, String) {
    let (Tenant::Provider(p), Tenant::Organisation(o)) = (t.provider, t.organisation) else {
        unreachable!("the test tenants are a provider and an organisation")
    };
    let created = t
        .store()
        .provider(p)
        .create_intake_source(name, &[o], &Actor::cli())
        .await
        .unwrap();
    let token = created.token.expose().to_string();
    (created.source, token)
}

/// Runs each named scenario `async fn name(t: TestApp)` as two tests, one
/// per backend (the test file imports `TestApp`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test] async fn $name() { super::$name(super::TestApp::new(super::support::Backend::Sqlite).await).await })*
        }
        mod postgres_backend {
            $(#[tokio::test] async fn $name() { super::$name(super::TestApp::new(super::support::Backend::Postgres).await).await })*
        }
    };
}

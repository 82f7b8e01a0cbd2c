//! Tenant isolation tried from outside on every route that takes an id
//! (issue 13, item 2). The routes come from the routers themselves
//! (`thiqa_server::route_table`), so a route added later is tried without
//! editing this test; a route whose id this test cannot fill fails it,
//! naming the path.
//!
//! Each id-taking route is called with the ids of provider A's and
//! organisation A's own objects (a service, its evidence, actions,
//! findings, sites, accounts, roles, pairs, engagements, sources, tokens)
//! by: provider B's staff (one account per built-in role, so every right
//! is tried), an auditor of A engaged on another service, organisation B's
//! members, a token of A narrowed to reading the catalog, B's tokens, and
//! nobody. Each must get 403 or 404 (405 for a method the route does not
//! have; a page without a session sends to the login) and the database
//! must not change.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use support::{Backend, Client, TestApp};
use thiqa_app::tenants::seed_tenant;
use thiqa_domain::{Clock, Directory, Tenant};
use thiqa_store::{
    Actor, DatabaseLocation, NewAction, NewContract, NewEngagement, NewEvidence, NewFinding,
    NewNotice, NewService, NewSupportRequest,
};

#[tokio::test]
async fn no_route_crosses_tenants_on_sqlite() {
    every_id_route_refuses_other_tenants(Backend::Sqlite).await;
}

#[tokio::test]
async fn no_route_crosses_tenants_on_postgres() {
    every_id_route_refuses_other_tenants(Backend::Postgres).await;
}

/// What an id placeholder stands for, named by the path segment before it.
/// Public text (the référentiel) and secrets nobody else holds (reset
/// tokens) are not tenant data: those routes are counted, not attacked.
const PUBLIC_KEYS: &[&str] = &["catalog", "reset", "articles", "obligations"];

/// The victims' ids by the segment before the placeholder.
type Victims = BTreeMap<&'static str, String>;

/// The path with every placeholder replaced by the victim's id; None for a
/// route whose ids are all public; Err naming what this test cannot fill.
fn fill(path: &str, victims: &Victims) -> Result<Option<String>, String> {
    let mut out = Vec::new();
    let mut tenant_data = false;
    let mut previous = "";
    for segment in path.split('/') {
        if segment.starts_with('{') && segment.ends_with('}') {
            if PUBLIC_KEYS.contains(&previous) {
                out.push("3.1.1".to_string());
                continue;
            }
            let id = victims.get(previous).ok_or_else(|| {
                format!("{path}: no victim id for a placeholder after /{previous}/ — add one to the victims")
            })?;
            tenant_data |= !matches!(previous, "o" | "versions" | "oscal");
            out.push(id.clone());
        } else {
            out.push(segment.to_string());
        }
        previous = segment;
    }
    Ok(tenant_data.then(|| out.join("/")))
}

/// One attacker: who, on which router, with a session or a token.
struct Attacker {
    name: &'static str,
    client: Client,
    token: Option<String>,
    signed: bool,
}

impl Attacker {
    /// Calls `path`; API calls carry `json`, page calls a plausible form.
    /// Returns the status, the redirection target and the body's start.
    async fn call(
        &mut self,
        method: &Method,
        path: &str,
        json: &str,
    ) -> (StatusCode, String, String) {
        let api = path.starts_with("/api/");
        let mut b = Request::builder().method(method.clone()).uri(path);
        let body = if api {
            if let Some(t) = &self.token {
                b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        } else {
            let cookies: Vec<String> = self
                .client
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            b = b
                .header(header::COOKIE, cookies.join("; "))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ORIGIN, "http://localhost");
            let csrf = self.client.csrf.clone().unwrap_or_default();
            Body::from(format!("{PLAUSIBLE_FORM}&csrf={csrf}"))
        };
        let r = self.client.send(b.body(body).unwrap()).await;
        let location = r.location().unwrap_or_default().to_string();
        (r.status, location, r.body.chars().take(300).collect())
    }

    /// Whether `status` is a refusal for this attacker on this path.
    fn refused(&self, path: &str, status: StatusCode, location: &str) -> bool {
        match status.as_u16() {
            403..=405 => true,
            401 => !self.signed || path.starts_with("/api/"),
            303 => !self.signed && location.starts_with("/login"),
            _ => false,
        }
    }
}

/// Fields most forms take, with values they accept: a refusal must come
/// from the tenant check, not from a form that did not parse.
const PLAUSIBLE_FORM: &str =
    "name=x&title=x&description=x&status=done&version=0&model=iaas&level=1\
&owner=x&due_date=2030-01-01&statement=x&justification=x&severity=minor&obligation=3.1.1.a\
&obligations=3.1.1.a&response=x&reason=x&comment=x&city=x&country=MA&username=x&display_name=x\
&role=1&permission=catalog.read&first=catalog.read&second=services.read&firm=x\
&starts_on=2030-01-01&ends_on=2030-02-01&days=7&url=https://x.example&note=x&kind=note";

/// A body the API accepts for `method path`, from the request schema the
/// API publishes (its OpenAPI document), with the victims' ids where an
/// id is asked: so the refusal comes from the tenant check.
fn plausible_json(
    doc: &serde_json::Value,
    method: &Method,
    path: &str,
    victims: &Victims,
) -> String {
    let relative = path.strip_prefix("/api/v1").unwrap_or(path);
    let schema = &doc["paths"][relative][method.as_str().to_lowercase()]["requestBody"]["content"]
        ["application/json"]["schema"];
    example(schema, victims).to_string()
}

fn example(schema: &serde_json::Value, victims: &Victims) -> serde_json::Value {
    use serde_json::{json, Value};
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match schema["type"].as_str() {
        Some("object") => {
            let mut object = serde_json::Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    let value = match name
                        .strip_suffix("_id")
                        .and_then(|k| victims.get(format!("{k}s").as_str()))
                    {
                        Some(id) => json!(id.parse::<i64>().unwrap_or(1)),
                        None => example(property, victims),
                    };
                    object.insert(name.clone(), value);
                }
            }
            Value::Object(object)
        }
        Some("integer") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        Some("string") if schema["format"] == "email" => json!("x@example.ma"),
        Some("string") => json!("x"),
        _ => json!({}),
    }
}

async fn every_id_route_refuses_other_tenants(backend: Backend) {
    let t = TestApp::new(backend).await;
    let (Tenant::Provider(a), Tenant::Organisation(org_a)) = (t.provider, t.organisation) else {
        unreachable!()
    };
    let store = t.store();
    let cli = Actor::cli();

    // Provider A's objects: the victims.
    let service = |name: &'static str| NewService {
        name,
        description: "",
        model: "iaas",
        level: 2,
        facts_json: "{}",
    };
    let s1 = store
        .provider(a)
        .create_service(&service("Victime"), &cli)
        .await
        .unwrap();
    let s2 = store
        .provider(a)
        .create_service(&service("Audité"), &cli)
        .await
        .unwrap();
    let evidence = store
        .provider(a)
        .create_evidence(
            s1,
            &NewEvidence {
                kind: "file",
                title: "Politique".into(),
                sha256: Some("ab".repeat(32)),
                size: Some(10),
                filename: Some("p.pdf".into()),
                media_type: Some("application/pdf".into()),
                url: None,
                note: None,
                valid_until: String::new(),
                obligations: vec!["3.1.1.a".into()],
            },
            &cli,
        )
        .await
        .unwrap();
    let action = store
        .provider(a)
        .create_action(
            s1,
            &NewAction {
                title: "Clés".into(),
                description: String::new(),
                owner: "rssi".into(),
                due_date: "2030-01-01".into(),
                obligations: vec!["3.1.1.a".into()],
                findings: vec![],
            },
            &cli,
        )
        .await
        .unwrap();
    let finding = store
        .provider(a)
        .record_finding(
            s1,
            None,
            &NewFinding {
                obligation_id: "3.1.1.a".into(),
                severity: "minor".into(),
                description: "x".into(),
            },
            &cli,
        )
        .await
        .unwrap();
    let site = store
        .provider(a)
        .add_site(s1, "DC1", "Rabat", "MA", &cli)
        .await
        .unwrap();
    let contract = store
        .provider(a)
        .create_contract(
            &NewContract {
                organisation: org_a,
                service: s1,
                reference: "C-A-1".into(),
                level: 1,
                starts_on: "2026-01-01".into(),
                ends_on: None,
                sites: vec![site],
                contacts: vec![],
            },
            &cli,
        )
        .await
        .unwrap();
    // A notice of A to organisation A, open, asking its consent.
    let today = thiqa_app::time::iso_date(t.clock.now_s());
    let notice = store
        .provider(a)
        .send_notice(
            &NewNotice {
                kind: "subcontractor-change".into(),
                title: "Nouveau sous-traitant".into(),
                fields: "{}".into(),
                answer: "consent".into(),
                answer_by: t.clock.now_ms() + 86_400_000,
                remind_at: t.clock.now_ms(),
                authority: true,
                services: vec![s1],
                everyone: false,
                today,
            },
            &cli,
        )
        .await
        .unwrap()
        .id;
    let webhook = store
        .tenant(Tenant::Organisation(org_a))
        .add_webhook("https://hooks.banque.ma/thiqa", "whsec_dGVzdA==", &cli)
        .await
        .unwrap();
    let (officer_a, officer_secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Responsable conformité"],
            true,
        )
        .await;
    let (auditor, auditor_secret) = t.user(Directory::Operators, "audit", &[], true).await;
    let now = t.clock.now_s();
    let engage = async |service, auditor_id| {
        let new = NewEngagement {
            service,
            auditor_id,
            firm: "PASSI".into(),
            starts_at: now - 60,
            expires_at: now + 86_400,
        };
        store
            .provider(a)
            .create_engagement(&new, &cli)
            .await
            .unwrap()
    };
    engage(s2, auditor).await;
    let (other_auditor, _) = t.user(Directory::Operators, "audit2", &[], false).await;
    let engagement = engage(s1, other_auditor).await;
    let source = store
        .provider(a)
        .create_intake_source("fw/a", &[org_a], &cli)
        .await
        .unwrap()
        .source
        .id;
    // A support request of A's vetted officer under that contract, from
    // abroad through one of A's jump hosts (3.5.7).
    store
        .provider(a)
        .record_vetting(officer_a, "RH-1", "2026-01-01", &cli)
        .await
        .unwrap();
    let jump_host = store
        .provider(a)
        .add_jump_host("rebond-a", "supervisé", &cli)
        .await
        .unwrap();
    let support_request = store
        .provider(a)
        .create_support_request(
            &NewSupportRequest {
                contract,
                operator: officer_a,
                reason: "x".into(),
                ticket: "INC-1".into(),
                resources: vec!["vm-1".into()],
                abroad: true,
                country: Some("France".into()),
                jump_host: Some(jump_host),
                starts_at: t.clock.now_ms(),
                ends_at: t.clock.now_ms() + 86_400_000,
                answer_by: t.clock.now_ms() + 43_200_000,
            },
            &cli,
        )
        .await
        .unwrap();
    let mut officer = t
        .signed_operator("amal", officer_secret.as_ref().unwrap())
        .await;
    let _ = officer.api_token(&["services.read"]).await;
    let (member_a, _) = t
        .user(Directory::Customers, "nadia", &["Utilisateur"], false)
        .await;
    let mut member = t.portal();
    member.login("nadia", support::PASSWORD).await;
    let _ = member.api_token(&["portal.read"]).await;

    // A pending rights request of A: its RSSI asks to remove a pair.
    let db = Db::open(&t.location).await;
    let (_, rssi_secret) = t.user(Directory::Operators, "rssi", &["RSSI"], true).await;
    let mut rssi = t
        .signed_operator("rssi", rssi_secret.as_ref().unwrap())
        .await;
    rssi.get("/separation").await;
    let pair = db.id_of_tenant("incompatible_pairs", "provider", a.0).await;
    let r = rssi
        .post_form(
            &format!("/separation/{pair}/delete"),
            &[("reason", "revue annuelle")],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    let console_victims: Victims = BTreeMap::from([
        ("services", s1.0.to_string()),
        ("evidence", evidence.to_string()),
        ("versions", "1".into()),
        ("actions", action.to_string()),
        ("findings", finding.to_string()),
        ("sites", site.to_string()),
        ("contracts", contract.to_string()),
        ("clauses", "3.15.1.a".into()),
        ("notices", notice.to_string()),
        ("decisions", org_a.to_string()),
        ("o", "3.1.1.a".into()),
        ("oscal", "ssp.json".into()),
        ("accounts", officer_a.to_string()),
        ("roles", db.id_of_tenant("roles", "provider", a.0).await),
        (
            "separation",
            db.id_of_tenant("incompatible_pairs", "provider", a.0).await,
        ),
        (
            "approvals",
            db.id_of_tenant("rights_requests", "provider", a.0).await,
        ),
        ("audits", engagement.to_string()),
        ("sources", source.to_string()),
        ("alerts", "1".into()),
        ("tokens", db.first_id("operator_api_tokens").await),
        ("support", support_request.to_string()),
        ("grants", support_request.to_string()),
        ("jump-hosts", jump_host.to_string()),
    ]);
    // A pending rights request of organisation A: a member asks to remove
    // one of its pairs (a member's removal waits for approval).
    let org_pair = db
        .id_of_tenant("incompatible_pairs", "organisation", org_a.0)
        .await;
    let nadia = Actor {
        directory: Some(Directory::Customers),
        id: Some(member_a),
        name: "nadia".into(),
        source_ip: None,
    };
    store
        .tenant(t.organisation)
        .remove_incompatible_pair(thiqa_domain::PairId(org_pair.parse().unwrap()), &nadia)
        .await
        .unwrap();
    let portal_victims: Victims = BTreeMap::from([
        ("accounts", member_a.to_string()),
        ("notices", notice.to_string()),
        ("webhooks", webhook.to_string()),
        (
            "roles",
            db.id_of_tenant("roles", "organisation", org_a.0).await,
        ),
        (
            "separation",
            db.id_of_tenant("incompatible_pairs", "organisation", org_a.0)
                .await,
        ),
        (
            "approvals",
            db.id_of_tenant("rights_requests", "organisation", org_a.0)
                .await,
        ),
        ("tokens", db.first_id("customer_api_tokens").await),
        ("support", support_request.to_string()),
    ]);

    // Provider B, its staff (one per built-in role) and its token; an
    // organisation B with its members.
    let b = Tenant::Provider(
        store
            .create_provider("Autre prestataire", &cli)
            .await
            .unwrap(),
    );
    seed_tenant(store, b, &cli).await.unwrap();
    let Tenant::Provider(b_id) = b else {
        unreachable!()
    };
    let org_b = Tenant::Organisation(
        store
            .provider(b_id)
            .create_organisation("Autre banque", false, &cli)
            .await
            .unwrap(),
    );
    seed_tenant(store, org_b, &cli).await.unwrap();
    let mut attackers = Vec::new();
    // Each built-in role with every right it holds, as its token's scopes.
    let staff: [(&str, &[&str]); 6] = [
        (
            "Administrateur des comptes",
            &[
                "operators.manage",
                "organisations.manage",
                "roles.manage",
                "services.read",
                "journal.read",
            ],
        ),
        (
            "Approbateur des accès",
            &["access.approve", "services.read", "journal.read"],
        ),
        (
            "RSSI",
            &[
                "assessment.validate",
                "separation.manage",
                "config.manage",
                "audits.manage",
                "services.read",
                "journal.read",
            ],
        ),
        (
            "Responsable conformité",
            &["services.manage", "services.read", "assessment.edit"],
        ),
        ("Support technique", &["support.request", "services.read"]),
        ("Bastion du support", &["support.enforce"]),
    ];
    for (i, (role, scopes)) in staff.into_iter().enumerate() {
        let name = format!("b{i}");
        let (_, secret) = t.user_in(b, &name, &[role], true).await;
        let mut c = t.signed_operator(&name, secret.as_ref().unwrap()).await;
        let token = c.api_token(scopes).await;
        c.get("/me").await;
        attackers.push((
            Directory::Operators,
            Attacker {
                name: role,
                client: c,
                token: Some(token),
                signed: true,
            },
        ));
    }
    let mut auditor_client = t
        .signed_operator("audit", auditor_secret.as_ref().unwrap())
        .await;
    auditor_client.get("/me").await;
    attackers.push((
        Directory::Operators,
        Attacker {
            name: "auditor of another service",
            client: auditor_client,
            token: None,
            signed: true,
        },
    ));
    let narrow = officer.api_token(&["catalog.read"]).await;
    attackers.push((
        Directory::Operators,
        Attacker {
            name: "A's token narrowed to the catalog",
            client: t.console(),
            token: Some(narrow),
            signed: false,
        },
    ));
    attackers.push((
        Directory::Operators,
        Attacker {
            name: "nobody (console)",
            client: t.console(),
            token: None,
            signed: false,
        },
    ));
    let members: [(&str, &str, &[&str]); 2] = [
        (
            "ob-admin",
            "Administrateur de l'organisation",
            &[
                "org.users.manage",
                "org.roles.manage",
                "portal.read",
                "org.journal.read",
            ],
        ),
        (
            "ob-user",
            "Utilisateur",
            &["portal.read", "org.support.consent"],
        ),
    ];
    for (name, role, scopes) in members {
        t.user_in(org_b, name, &[role], false).await;
        let mut c = t.portal();
        let r = c.login(name, support::PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let token = c.api_token(scopes).await;
        c.get("/me").await;
        attackers.push((
            Directory::Customers,
            Attacker {
                name: role,
                client: c,
                token: Some(token),
                signed: true,
            },
        ));
    }
    attackers.push((
        Directory::Customers,
        Attacker {
            name: "nobody (portal)",
            client: t.portal(),
            token: None,
            signed: false,
        },
    ));

    let routes = thiqa_server::route_table(&t.app);
    let admin_doc: serde_json::Value =
        serde_json::from_str(&t.console().get("/api/v1/openapi.json").await.body).unwrap();
    let public_doc: serde_json::Value =
        serde_json::from_str(&t.portal().get("/api/v1/openapi.json").await.body).unwrap();
    let mut failures = Vec::new();
    let (mut tried, mut public, mut calls) = (0, 0, 0);
    for (dir, paths, victims) in [
        (Directory::Operators, &routes.admin, &console_victims),
        (Directory::Customers, &routes.public, &portal_victims),
    ] {
        for path in paths {
            let target = match fill(path, victims) {
                Ok(Some(target)) => target,
                Ok(None) => {
                    public += usize::from(path.contains('{'));
                    continue;
                }
                Err(unknown) => {
                    failures.push(unknown);
                    continue;
                }
            };
            tried += 1;
            let before = db.digest().await;
            for (attacker_dir, attacker) in attackers.iter_mut() {
                if *attacker_dir != dir {
                    continue;
                }
                for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
                    calls += 1;
                    let doc = if dir == Directory::Operators {
                        &admin_doc
                    } else {
                        &public_doc
                    };
                    let json = plausible_json(doc, &method, path, victims);
                    let (status, location, body) = attacker.call(&method, &target, &json).await;
                    if !attacker.refused(&target, status, &location) {
                        failures.push(format!(
                            "{method} {target} ({path}) as {}: {status} {body:?}",
                            attacker.name
                        ));
                    }
                }
            }
            let after = db.digest().await;
            let changed: Vec<&String> = before
                .iter()
                .filter(|(table, sum)| after.get(*table) != Some(sum))
                .map(|(table, _)| table)
                .collect();
            if !changed.is_empty() {
                failures.push(format!("{path}: the attempts changed {changed:?}"));
            }
        }
    }
    eprintln!(
        "{tried} id-taking routes attacked ({calls} calls by {} attackers), {public} routes with public ids only",
        attackers.len()
    );
    assert!(tried > 30, "the routers' lists were read: {tried} routes");
    assert!(
        failures.is_empty(),
        "{} crossings:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Direct reads of the test database, outside the application.
struct Db(DatabaseLocation);

enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// Tables every request may write (sessions, rate limits, the journal of
/// the attempts themselves, a token's last use): not tenant data.
const CHURN: &[&str] = &[
    "security_events",
    "journal_leaves",
    "journal_head",
    "journal_nodes",
    "journal_checkpoints",
    "operator_sessions",
    "customer_sessions",
    "rate_limits",
    "unknown_login_failures",
    "operator_api_tokens",
    "customer_api_tokens",
    "operators",
    "customer_users",
    "export_log",
];

impl Db {
    async fn open(location: &DatabaseLocation) -> Db {
        Db(location.clone())
    }

    async fn conn(&self) -> Conn {
        use sqlx::Connection;
        match &self.0 {
            DatabaseLocation::Sqlite { data_dir } => Conn::Sqlite(
                sqlx::SqliteConnection::connect(&format!(
                    "sqlite://{}",
                    DatabaseLocation::sqlite_path(data_dir).display()
                ))
                .await
                .unwrap(),
            ),
            DatabaseLocation::Postgres { url } => {
                Conn::Postgres(sqlx::PgConnection::connect(url).await.unwrap())
            }
        }
    }

    async fn scalar(&self, sql: &str) -> Option<String> {
        match self.conn().await {
            Conn::Sqlite(mut c) => sqlx::query_scalar::<_, Option<String>>(sql)
                .fetch_one(&mut c)
                .await
                .unwrap(),
            Conn::Postgres(mut c) => sqlx::query_scalar::<_, Option<String>>(sql)
                .fetch_one(&mut c)
                .await
                .unwrap(),
        }
    }

    /// The lowest id of a tenant's row, or an id no row has (and say so).
    async fn id_of_tenant(&self, table: &str, kind: &str, id: i64) -> String {
        let sql = format!(
            "SELECT CAST(MIN(id) AS TEXT) FROM {table} WHERE tenant_kind = '{kind}' AND tenant_id = {id}"
        );
        self.scalar(&sql).await.unwrap_or_else(|| {
            eprintln!("no {kind} row in {table}: its routes are tried with a missing id");
            "999999".into()
        })
    }

    async fn first_id(&self, table: &str) -> String {
        self.scalar(&format!("SELECT CAST(MIN(id) AS TEXT) FROM {table}"))
            .await
            .unwrap_or_else(|| "999999".into())
    }

    /// A digest of every table's content but the churning ones.
    async fn digest(&self) -> BTreeMap<String, String> {
        let mut db = self.conn().await;
        let tables: BTreeSet<String> = match &mut db {
            Conn::Sqlite(c) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
            )
            .fetch_all(c)
            .await
            .unwrap()
            .into_iter()
            .collect(),
            Conn::Postgres(c) => sqlx::query_scalar(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '_sqlx%'",
            )
            .fetch_all(c)
            .await
            .unwrap()
            .into_iter()
            .collect(),
        };
        let mut sums = BTreeMap::new();
        for table in tables.iter().filter(|t| !CHURN.contains(&t.as_str())) {
            let sum = match &mut db {
                Conn::Sqlite(c) => {
                    let columns: Vec<String> = sqlx::query_scalar(&format!(
                        "SELECT name FROM pragma_table_info('{table}')"
                    ))
                    .fetch_all(&mut *c)
                    .await
                    .unwrap();
                    let row = columns
                        .iter()
                        .map(|c| format!("quote(\"{c}\")"))
                        .collect::<Vec<_>>()
                        .join("||','||");
                    sqlx::query_scalar::<_, Option<String>>(&format!(
                        "SELECT group_concat(r, '|') FROM (SELECT {row} AS r FROM \"{table}\" ORDER BY 1)"
                    ))
                    .fetch_one(&mut *c)
                    .await
                    .unwrap()
                }
                Conn::Postgres(c) => sqlx::query_scalar::<_, Option<String>>(&format!(
                    "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM \"{table}\" t"
                ))
                .fetch_one(&mut *c)
                .await
                .unwrap(),
            };
            sums.insert(table.clone(), sum.unwrap_or_default());
        }
        sums
    }
}

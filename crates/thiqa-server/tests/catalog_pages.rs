//! The référentiel as its readers meet it: the public catalog API (search,
//! applicability with reasons, exports) and the console pages for a
//! signed-in operator.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::Router;
use serde_json::Value;
use support::{Backend, Client, TestApp};
use thiqa_domain::Directory;
use thiqa_server::realm::Console;
use tower::ServiceExt;

async fn api() -> (Router, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let location = thiqa_store::DatabaseLocation::Sqlite {
        data_dir: tmp.path().to_path_buf(),
    };
    let store = thiqa_store::Store::open(&location, std::sync::Arc::new(thiqa_domain::SystemClock))
        .await
        .unwrap();
    let config = thiqa_server::config::Config {
        data_dir: tmp.path().to_path_buf(),
        ..Default::default()
    };
    let app = thiqa_server::AppState::new(store, config).await.unwrap();
    let router = Router::new()
        .nest(
            "/api/v1/catalog",
            thiqa_server::api::catalog::routes().into_router(),
        )
        .with_state(app);
    (router, tmp)
}

struct Got {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn get(router: &Router, path: &str) -> Got {
    let response = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), 20 << 20)
        .await
        .unwrap()
        .to_vec();
    Got {
        status,
        headers,
        bytes,
    }
}

fn catalog() -> &'static thiqa_catalog::Catalog {
    thiqa_catalog::dgssi_cloud_2025()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_catalog_says_what_it_is_and_how_big() {
    let (r, _tmp) = api().await;
    let index = get(&r, "/api/v1/catalog").await;
    assert_eq!(index.status, StatusCode::OK);
    let v = index.json();
    assert_eq!(v["id"], "dgssi-cloud-2025");
    assert_eq!(v["counts"]["chapters"], 15);
    assert_eq!(v["counts"]["obligations"], catalog().obligations().count());
    let chapters = get(&r, "/api/v1/catalog/chapters").await.json();
    assert_eq!(chapters["chapters"][5]["id"], "3.6");
    assert_eq!(
        get(&r, "/api/v1/catalog/stats").await.json()["chapters"],
        15
    );
    let article = get(&r, "/api/v1/catalog/articles/3.6.3").await.json();
    assert_eq!(article["chapter"]["id"], "3.6");
    assert!(ids(&article["obligations"]).contains(&"3.6.3.b".to_string()));
}

#[tokio::test]
async fn search_without_accents_finds_text_with_them() {
    let (r, _tmp) = api().await;
    let v = get(&r, "/api/v1/catalog/obligations?q=securite")
        .await
        .json();
    let found = ids(&v["obligations"]);
    assert!(!found.is_empty());
    let accented = found
        .iter()
        .filter_map(|id| catalog().obligation(id))
        .filter(|o| {
            let all = format!("{} {}", o.title_fr, o.text_fr).to_lowercase();
            all.contains("sécurité")
        });
    assert!(accented.count() > 0, "hits for securite: {found:?}");
    assert_eq!(v["count"], found.len());
}

#[tokio::test]
async fn chiffrement_finds_the_cryptography_chapter_first_and_filters_narrow() {
    let (r, _tmp) = api().await;
    let v = get(&r, "/api/v1/catalog/obligations?q=chiffrement")
        .await
        .json();
    let hits = v["obligations"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert_eq!(hits[0]["chapter"], "3.6", "best hit: {}", hits[0]);
    assert!(ids(&v["obligations"])
        .iter()
        .any(|id| id.starts_with("3.6.3.")));
    let narrowed = get(
        &r,
        "/api/v1/catalog/obligations?q=chiffrement&chapter=3.6&level=2&model=iaas",
    )
    .await
    .json();
    for hit in narrowed["obligations"].as_array().unwrap() {
        assert_eq!(hit["chapter"], "3.6");
        let levels = hit["levels"].as_array().unwrap();
        assert!(
            levels.is_empty() || levels.contains(&Value::from(2)),
            "{hit}"
        );
    }
    let all = get(&r, "/api/v1/catalog/obligations").await.json();
    assert_eq!(all["count"], catalog().obligations().count());
}

fn decision<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("no decision for {id}"))
}

#[tokio::test]
async fn applicability_differs_between_iaas_level_2_and_saas_level_1_with_reasons() {
    let (r, _tmp) = api().await;
    let iaas2 = get(
        &r,
        "/api/v1/catalog/applicability?model=iaas&level=2&fact=internal_development:no",
    )
    .await
    .json();
    let saas1 = get(&r, "/api/v1/catalog/applicability?model=saas&level=1")
        .await
        .json();
    assert_eq!(iaas2["profile"]["description_fr"], "IaaS, niveau 2");

    // 3.6.3.b: keys held by the customer only, level 2.
    assert_eq!(decision(&iaas2, "3.6.3.b")["applicable"], true);
    let b = decision(&saas1, "3.6.3.b");
    assert_eq!(b["applicable"], false);
    assert_eq!(
        b["explanation_fr"],
        "Non applicable : réservé au niveau 2 (service de niveau 1)"
    );
    assert_eq!(
        b["explanation_en"],
        "Not applicable: level 2 only (level 1 service)"
    );
    assert_eq!(b["reasons"][0]["kind"], "level");

    // 3.12.4.c: a qualified incident responder, level 2.
    assert_eq!(decision(&iaas2, "3.12.4.c")["applicable"], true);
    assert_eq!(decision(&saas1, "3.12.4.c")["applicable"], false);

    // 3.5.5.c: the SaaS authentication clause.
    let c_iaas = decision(&iaas2, "3.5.5.c");
    assert_eq!(c_iaas["applicable"], false);
    assert_eq!(
        c_iaas["explanation_fr"],
        "Non applicable : réservé aux services SaaS (service IaaS)"
    );
    let c_saas = decision(&saas1, "3.5.5.c");
    assert_eq!(c_saas["applicable"], true);
    assert!(c_saas["explanation_en"]
        .as_str()
        .unwrap()
        .starts_with("Applicable: SaaS services only"));

    // Items are decided too, each with its own reasons.
    let item = decision(&iaas2, "3.6.3.b.1");
    assert_eq!(
        (item["subject"].as_str(), item["obligation"].as_str()),
        (Some("item"), Some("3.6.3.b"))
    );

    let diff = get(
        &r,
        "/api/v1/catalog/compare?left_model=iaas&left_level=2&right_model=saas&right_level=1",
    )
    .await
    .json();
    let changed = ids(&diff["differences"]);
    for id in ["3.6.3.b", "3.12.4.c", "3.5.5.c"] {
        assert!(changed.iter().any(|c| c == id), "{id} not in {changed:?}");
    }
    assert_eq!(diff["count"], changed.len());
}

#[tokio::test]
async fn bad_parameters_answer_400_naming_the_parameter() {
    let (r, _tmp) = api().await;
    for (path, param) in [
        ("/api/v1/catalog/applicability?model=iaas&level=3", "level"),
        ("/api/v1/catalog/applicability?level=1", "model"),
        ("/api/v1/catalog/applicability?model=cloud&level=1", "model"),
        (
            "/api/v1/catalog/applicability?model=iaas&level=1&fact=nosuch:yes",
            "nosuch",
        ),
        (
            "/api/v1/catalog/applicability?model=iaas&level=1&fact=automatic_backup:maybe",
            "fact",
        ),
        ("/api/v1/catalog/obligations?level=x", "level"),
        ("/api/v1/catalog/obligations?nature=bogus", "nature"),
        ("/api/v1/catalog/obligations?chapter=9.9", "chapter"),
        ("/api/v1/catalog/obligations?levle=2", "levle"),
        (
            "/api/v1/catalog/compare?left_model=iaas&left_level=1&right_model=saas",
            "right_level",
        ),
        ("/api/v1/catalog/oscal/profile.json?model=iaas", "level"),
        ("/api/v1/catalog/oscal/catalog.json?lang=de", "lang"),
    ] {
        let got = get(&r, path).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{path}");
        let v = got.json();
        assert_eq!(v["error"]["code"], "invalid_input", "{path}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(param), "{path}: {message}");
    }
}

#[tokio::test]
async fn unknown_ids_answer_404_json() {
    let (r, _tmp) = api().await;
    for path in [
        "/api/v1/catalog/obligations/9.9.9.z",
        "/api/v1/catalog/articles/9.9.9",
    ] {
        let got = get(&r, path).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(got.json()["error"]["code"], "not_found");
    }
    let o = get(&r, "/api/v1/catalog/obligations/3.6.3.b").await.json();
    assert_eq!(o["article"]["id"], "3.6.3");
    assert_eq!(o["obligation"]["levels"], serde_json::json!([2]));
}

#[tokio::test]
async fn exports_download_with_the_right_types_and_names() {
    let (r, _tmp) = api().await;
    let csv = get(&r, "/api/v1/catalog/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header(header::CONTENT_TYPE).starts_with("text/csv"));
    assert!(csv
        .header(header::CONTENT_DISPOSITION)
        .contains("filename=\"dgssi-cloud-2025-2025-08-01.csv\""));
    let mut reader = csv::Reader::from_reader(csv.bytes.as_slice());
    assert_eq!(&reader.headers().unwrap()[0], "id");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        catalog().obligations().count(),
        "one row per obligation"
    );

    let xlsx = get(&r, "/api/v1/catalog/export.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.bytes.starts_with(b"PK"), "a zip file");
    assert_eq!(
        xlsx.header(header::CONTENT_TYPE),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx
        .header(header::CONTENT_DISPOSITION)
        .ends_with(".xlsx\""));

    let json = get(&r, "/api/v1/catalog/export.json").await;
    let back = thiqa_catalog::json::from_str(std::str::from_utf8(&json.bytes).unwrap()).unwrap();
    assert_eq!(back.obligations().count(), catalog().obligations().count());

    let oscal = get(&r, "/api/v1/catalog/oscal/catalog.json?lang=en")
        .await
        .json();
    assert_eq!(oscal["catalog"]["metadata"]["oscal-version"], "1.1.2");
    let profile = get(&r, "/api/v1/catalog/oscal/profile.json?model=saas&level=1")
        .await
        .json();
    assert_eq!(profile["profile"]["imports"][0]["href"], "catalog.json");
    let kept = profile["profile"]["imports"][0]["include-controls"][0]["with-ids"].to_string();
    assert!(
        kept.contains("o-3.5.5.c") && !kept.contains("o-3.6.3.b"),
        "{kept}"
    );
}

// ---- console pages ----

/// The catalog pages behind the console's session middleware, and a client
/// carrying the cookies of an operator signed in on the real console.
async fn console(roles: &[&str]) -> (TestApp, Client, i64) {
    let t = TestApp::new(Backend::Sqlite).await;
    let (id, secret) = t.user(Directory::Operators, "lina", roles, true).await;
    let signed = t.signed_operator("lina", &secret.unwrap()).await;
    let pages = thiqa_server::pages::catalog::routes()
        .into_router()
        .layer(from_fn_with_state(
            t.app.clone(),
            thiqa_server::web::error_pages::render::<Console>,
        ))
        .layer(from_fn_with_state(
            t.app.clone(),
            thiqa_server::auth::visit::resolve::<Console>,
        ))
        .with_state(t.app.clone());
    let mut client = Client::new(pages);
    client.cookies = signed.cookies.clone();
    (t, client, id)
}

/// A piece of `text` without characters the template would escape.
fn plain_prefix(text: &str) -> String {
    let prefix: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    assert!(
        prefix.chars().count() >= 10,
        "too short to find: {prefix:?}"
    );
    prefix
}

#[tokio::test]
async fn operators_browse_chapters_articles_and_obligations() {
    let (_t, mut c, _) = console(&["Lecteur"]).await;
    let index = c.get("/catalog").await;
    assert_eq!(index.status, StatusCode::OK, "{}", index.body);
    assert!(index.body.contains("href=\"/catalog/3.6.3\"") && index.body.contains("2025-08-01"));
    assert!(index.body.contains("<th scope=\"col\""));

    let article = c.get("/catalog/3.6.3").await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(
        article.body.contains("id=\"o-3.6.3.b\"")
            && article.body.contains("href=\"/catalog/o/3.6.3.b\"")
    );
    assert!(
        article.body.contains("id=\"i-3.6.3.b.1.1\""),
        "nested items"
    );
    assert!(
        article
            .body
            .contains("<span class=\"visually-hidden\">Niveau : </span>niveau 2"),
        "badges speak"
    );

    let o = catalog().obligation("3.6.3.b").unwrap();
    let page = c.get("/catalog/o/3.6.3.b").await;
    assert_eq!(page.status, StatusCode::OK);
    let fr = page
        .body
        .find(&plain_prefix(&o.text_fr))
        .expect("French text");
    let en = page
        .body
        .find(&plain_prefix(&o.text_en))
        .expect("English text");
    assert!(fr < en, "French first for a French reader");
    assert!(page.body.contains("<div lang=\"en\">"));

    assert_eq!(c.get("/catalog/9.9.9").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.get("/catalog/o/9.9.9.z").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get("/catalog/3.6").await.location(),
        Some("/catalog#ch-3.6")
    );
    assert_eq!(
        c.get("/catalog/3.6.3.b").await.location(),
        Some("/catalog/o/3.6.3.b")
    );
}

#[tokio::test]
async fn english_readers_get_english_first() {
    let (t, mut c, id) = console(&["Lecteur"]).await;
    let account = t.store().tenant(t.provider).account(id).await.unwrap();
    t.store().set_language(&account, "en").await.unwrap();
    let o = catalog().obligation("3.5.5.c").unwrap();
    let page = c.get("/catalog/o/3.5.5.c").await;
    let en = page
        .body
        .find(&plain_prefix(&o.text_en))
        .expect("English text");
    let fr = page
        .body
        .find(&plain_prefix(&o.text_fr))
        .expect("French text");
    assert!(en < fr && page.body.contains("<div lang=\"fr\">"));
    assert!(page.body.contains("Official text (French)"));
}

#[tokio::test]
async fn search_page_highlights_and_names_bad_filters() {
    let (_t, mut c, _) = console(&["Lecteur"]).await;
    let empty = c.get("/catalog/search").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(
        empty.body.contains("name=\"q\"") && !empty.body.contains("id=\"h-results\""),
        "form only"
    );
    let found = c.get("/catalog/search?q=chiffrement&model=&level=2").await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(
        found.body.contains("<mark>") && found.body.contains("href=\"/catalog/o/3.6."),
        "{}",
        found.body
    );
    assert!(
        found.body.contains("<option value=\"2\" selected>"),
        "the filter stays selected"
    );
    let bad = c.get("/catalog/search?level=3").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("« level »") && bad.body.contains("1, 2"),
        "{}",
        bad.body
    );
}

#[tokio::test]
async fn applicability_page_explains_each_obligation() {
    let (_t, mut c, _) = console(&["Lecteur"]).await;
    let form = c.get("/catalog/applicability").await;
    assert!(
        form.body.contains("name=\"fact_internal_development\"")
            && !form.body.contains("id=\"h-outcome\"")
    );
    let page = c
        .get("/catalog/applicability?model=saas&level=1&fact_internal_development=no")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("Non applicable : réservé au niveau 2 (service de niveau 1)"));
    assert!(page.body.contains("href=\"/catalog/o/3.5.5.c\""));
    let bad = c
        .get("/catalog/applicability?model=saas&level=1&fact_nosuch=yes")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("fact_nosuch"), "{}", bad.body);
}

#[tokio::test]
async fn the_catalog_needs_the_catalog_read_permission() {
    let (_t, mut c, _) = console(&[]).await;
    assert_eq!(c.get("/catalog").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        c.get("/catalog/o/3.6.3.b").await.status,
        StatusCode::FORBIDDEN
    );
}

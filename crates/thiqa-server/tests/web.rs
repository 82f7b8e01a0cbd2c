//! The web edge as users meet it, on SQLite and on PostgreSQL: login with
//! second factor, lockout, separate directories and listeners, separation of
//! duties, CSRF, bad input, reset links, language, API tokens.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::{Method, StatusCode};
use support::{TestApp, PASSWORD};
use thiqa_domain::Directory;

on_both_backends!(
    operator_login_needs_the_second_factor,
    five_failures_lock_the_account_even_for_the_right_password,
    operator_sessions_and_routes_do_not_exist_on_the_public_listener,
    customer_credentials_do_not_open_the_console,
    incompatible_roles_are_refused_naming_the_pair,
    state_changes_without_the_csrf_token_are_refused,
    totp_codes_are_never_accepted_twice,
    rights_are_listed_with_object_and_role,
    deregistration_ends_access_at_once,
    reset_links_work_once_and_refuse_weak_passwords,
    api_tokens_are_scoped_and_revocable,
    an_organisation_can_require_a_second_factor,
    a_service_profile_change_shows_what_became_applicable,
    services_over_the_api,
    assessing_obligations_keeps_their_history,
    an_action_plan_tracks_owners_and_due_dates,
    the_rssi_downloads_a_signed_dossier,
);

async fn the_rssi_downloads_a_signed_dossier(t: TestApp) {
    let (_, s1) = t
        .user(
            Directory::Operators,
            "amal",
            &["Responsable conformité"],
            true,
        )
        .await;
    let mut amal = t.signed_operator("amal", s1.as_ref().unwrap()).await;
    amal.get("/services").await;
    let service = amal
        .post_form(
            "/services",
            &[("name", "IaaS"), ("model", "iaas"), ("level", "2")],
        )
        .await
        .location()
        .unwrap()
        .to_string();
    assert_eq!(
        amal.get(&format!("{service}/dossier")).await.status,
        StatusCode::FORBIDDEN,
        "only the RSSI signs"
    );
    let (_, s2) = t
        .user(Directory::Operators, "rachida", &["RSSI"], true)
        .await;
    let mut rssi = t.signed_operator("rachida", s2.as_ref().unwrap()).await;
    // Reading the key never creates one: none before the first dossier.
    assert_eq!(rssi.get("/dossier-key").await.status, StatusCode::NOT_FOUND);
    let page = rssi.get(&service).await;
    assert!(page.body.contains("id=\"dossier-button\""));
    let req = axum::http::Request::get(format!("{service}/dossier"))
        .header(
            "cookie",
            rssi.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(t.admin.clone(), req)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 50 << 20)
        .await
        .unwrap();
    let report = thiqa_export::dossier::verify(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert!(report.ok() && report.checked >= 6, "{report:?}");
    let key = rssi.get("/dossier-key").await;
    assert_eq!(
        key.body.trim(),
        report.public_key,
        "signed with the published key"
    );
}

async fn an_action_plan_tracks_owners_and_due_dates(t: TestApp) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Responsable conformité"],
            true,
        )
        .await;
    let mut c = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    c.get("/services").await;
    let service = c
        .post_form(
            "/services",
            &[("name", "IaaS"), ("model", "iaas"), ("level", "2")],
        )
        .await
        .location()
        .unwrap()
        .to_string();
    let actions = format!("{service}/actions");
    c.get(&format!("{actions}?o=3.6.3.b")).await;
    let bad = c
        .post_form(
            &actions,
            &[
                ("title", "Clés HSM"),
                ("obligations", "3.6.3.b 7.7"),
                ("due_date", "bientôt"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("7.7") && bad.body.contains("AAAA-MM-JJ"),
        "{}",
        bad.body
    );
    let r = c
        .post_form(
            &actions,
            &[
                ("title", "Clés HSM par commanditaire"),
                ("obligations", "3.6.3.b"),
                ("owner", "rssi"),
                ("due_date", "2020-01-31"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(actions.as_str()));
    let page = c.get(&actions).await;
    assert!(
        page.body.contains("Clés HSM par commanditaire") && page.body.contains("en retard"),
        "{}",
        page.body
    );
    let aid = t
        .store()
        .provider(match t.provider {
            thiqa_domain::Tenant::Provider(p) => p,
            _ => unreachable!(),
        })
        .actions(thiqa_domain::ServiceId(
            service.rsplit('/').next().unwrap().parse().unwrap(),
        ))
        .await
        .unwrap()[0]
        .id;
    let r = c
        .post_form(
            &format!("{actions}/{aid}"),
            // The version the list was loaded at: changes name it.
            &[("status", "done"), ("version", "0")],
        )
        .await;
    assert_eq!(r.location(), Some(actions.as_str()));
    let page = c.get(&actions).await;
    assert!(
        !page.body.contains("en retard"),
        "a done action is not overdue"
    );
    assert_eq!(
        c.post_form(&format!("{actions}/{aid}"), &[("status", "finished")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

async fn assessing_obligations_keeps_their_history(t: TestApp) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Responsable conformité"],
            true,
        )
        .await;
    let mut c = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    c.get("/services").await;
    let r = c
        .post_form(
            "/services",
            &[("name", "IaaS"), ("model", "iaas"), ("level", "2")],
        )
        .await;
    let service = r.location().unwrap().to_string();
    let list = c.get(&format!("{service}/assessment")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("3.6.3.b") && list.body.contains("0 %"),
        "level-2 obligations listed, nothing compliant yet"
    );
    // Not applicable without a justification is refused, naming why.
    let item = format!("{service}/o/3.4.4.b");
    c.get(&item).await;
    let r = c
        .post_form(
            &item,
            &[
                ("status", "not_applicable"),
                ("statement", ""),
                ("justification", ""),
                ("owner", "rssi"),
                ("next_review", ""),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("justification écrite est requise"),
        "{}",
        r.body
    );
    let r = c
        .post_form(
            &item,
            &[
                ("status", "not_applicable"),
                ("justification", "Aucun support amovible"),
                ("owner", "rssi"),
                ("next_review", "2027-03-31"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(item.as_str()));
    let r = c
        .post_form(
            &item,
            &[
                ("status", "compliant"),
                ("statement", "Procédure PR-12"),
                ("owner", "rssi"),
                ("next_review", "2027-03-31"),
                // The version the first save made: saves name what they edited.
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(item.as_str()));
    let page = c.get(&item).await;
    let history = page.body.split("id=\"history\"").nth(1).unwrap();
    assert!(
        history.contains("not_applicable")
            && history.contains("compliant")
            && history.contains("amal"),
        "{history}"
    );
    // Bulk: three obligations compliant at once.
    c.get(&format!("{service}/assessment")).await;
    let r = c
        .post_form(
            &format!("{service}/assessment"),
            &[
                ("o", "3.1.1.a"),
                ("o", "3.1.1.b"),
                ("o", "3.1.2.a"),
                ("status", "compliant"),
                ("owner", "karima"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(format!("{service}/assessment").as_str()));
    // From a filtered list, the save and the language switch both return
    // to that list, its filter kept; the save is confirmed there.
    let back = format!("{service}/assessment?owner=karima");
    let page = c.get(&back).await;
    for field in ["back", "next"] {
        assert!(
            page.body
                .contains(&format!("name=\"{field}\" value=\"{back}\"")),
            "{field}: {}",
            page.body
        );
    }
    let r = c
        .post_form(
            &format!("{service}/assessment"),
            &[
                ("o", "3.1.1.a"),
                ("status", "compliant"),
                ("owner", "karima"),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(back.as_str()));
    assert_eq!(r.notice(), Some("saved"));
    let filtered = c
        .get(&format!(
            "{service}/assessment?status=compliant&owner=karima"
        ))
        .await;
    assert!(
        filtered.body.contains("3.1.1.a")
            && filtered.body.contains("3.1.2.a")
            && !filtered.body.contains("3.4.4.b"),
        "{}",
        filtered.body
    );
    assert_eq!(
        c.get(&format!("{service}/assessment?status=done"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // A reader sees but cannot edit.
    let (_, s2) = t
        .user(Directory::Operators, "omar", &["Lecteur"], true)
        .await;
    let mut reader = t.signed_operator("omar", s2.as_ref().unwrap()).await;
    assert_eq!(reader.get(&item).await.status, StatusCode::OK);
    assert_eq!(
        reader
            .post_form(&item, &[("status", "compliant")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

async fn services_over_the_api(t: TestApp) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Responsable conformité"],
            true,
        )
        .await;
    let mut c = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    let token = c.api_token(&["services.read", "services.manage"]).await;
    let bad = c
        .api(
            Method::POST,
            "/api/v1/services",
            &token,
            Some(r#"{"name":"X","model":"cloud","level":1}"#),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("model"), "{}", bad.body);
    let bad = c
        .api(
            Method::POST,
            "/api/v1/services",
            &token,
            Some(r#"{"name":"X","model":"saas","level":1,"facts":{"nosuch":true}}"#),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("nosuch"), "{}", bad.body);
    let made = c
        .api(
            Method::POST,
            "/api/v1/services",
            &token,
            Some(r#"{"name":"Messagerie","model":"saas","level":1}"#),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let v: serde_json::Value = serde_json::from_str(&made.body).unwrap();
    let id = v["id"].as_i64().unwrap();
    assert!(
        v["applicable_obligations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "3.5.5.c"),
        "SaaS MFA clause applies"
    );
    let changed = c
        .api(
            Method::PUT,
            &format!("/api/v1/services/{id}"),
            &token,
            Some(r#"{"name":"Messagerie","model":"saas","level":2,"version":0}"#),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let v: serde_json::Value = serde_json::from_str(&changed.body).unwrap();
    let became: Vec<&str> = v["became_applicable"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert!(
        became.contains(&"3.6.3.b") && became.contains(&"3.12.4.c"),
        "{became:?}"
    );
    assert_eq!(
        c.api(Method::GET, "/api/v1/services/999999", &token, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A token that may change services but not read them is answered with
    // the service it made or changed (not a 403 after the change was saved),
    // and still may not read one.
    let manage_only = c.api_token(&["services.manage"]).await;
    let made = c
        .api(
            Method::POST,
            "/api/v1/services",
            &manage_only,
            Some(r#"{"name":"Stockage","model":"iaas","level":1}"#),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert!(made.body.contains("\"Stockage\""), "{}", made.body);
    assert_eq!(
        c.api(
            Method::GET,
            &format!("/api/v1/services/{id}"),
            &manage_only,
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Services are not on the public listener's API.
    let mut public = t.portal();
    assert_eq!(
        public
            .api(Method::GET, "/api/v1/services", &token, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn a_service_profile_change_shows_what_became_applicable(t: TestApp) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Responsable conformité"],
            true,
        )
        .await;
    let mut c = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    c.get("/services").await;
    // Bad input names the problem and stores nothing.
    let bad = c
        .post_form(
            "/services",
            &[("name", ""), ("model", "cloud"), ("level", "3")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("nom du service est obligatoire") && bad.body.contains("model"),
        "{}",
        bad.body
    );
    let r = c
        .post_form(
            "/services",
            &[
                ("name", "Messagerie"),
                ("description", "SaaS"),
                ("model", "saas"),
                ("level", "1"),
                ("fact_remote_intervention_abroad", "no"),
            ],
        )
        .await;
    let location = r.location().unwrap().to_string();
    assert!(location.starts_with("/services/"), "{}", r.body);
    let page = c.get(&location).await;
    assert!(page.body.contains("SaaS"), "{}", page.body);
    // Level 2 makes the customer-only keys (3.6.3.b) and the qualified
    // responder (3.12.4.c) applicable; level 1's remote gateway leaves.
    let r = c
        .post_form(
            &location,
            &[
                ("name", "Messagerie"),
                ("description", "SaaS"),
                ("model", "saas"),
                ("level", "2"),
                ("fact_remote_intervention_abroad", "no"),
                // The version the page was loaded at: edits name it.
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let became = r
        .body
        .split("id=\"became-applicable\"")
        .nth(1)
        .unwrap_or("");
    assert!(
        became.contains("3.6.3.b") && became.contains("3.12.4.c") && became.contains("3.15.2.b"),
        "{}",
        r.body
    );
    assert!(became.contains("pas encore évaluée"));
    c.get(&location).await;
    let r = c
        .post_form(
            &format!("{location}/sites"),
            &[("name", "DC1"), ("city", "Rabat"), ("country", "ma")],
        )
        .await;
    assert_eq!(r.location(), Some(location.as_str()));
    let page = c.get(&location).await;
    assert!(
        page.body.contains("Rabat") && page.body.contains("<td>MA</td>"),
        "{}",
        page.body
    );
    let bad_site = c
        .post_form(
            &format!("{location}/sites"),
            &[("name", "DC2"), ("city", "X"), ("country", "Maroc")],
        )
        .await;
    assert_eq!(bad_site.status, StatusCode::UNPROCESSABLE_ENTITY);
    let events = t
        .store()
        .events(&thiqa_store::EventFilter {
            tenant: Some(t.provider),
            action_prefix: Some("service.".into()),
            limit: 10,
        })
        .await
        .unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"service.create")
            && actions.contains(&"service.update")
            && actions.contains(&"service.site_add"),
        "{actions:?}"
    );
    // A reader without services.manage sees but cannot change.
    let (_, s2) = t
        .user(Directory::Operators, "omar", &["Lecteur"], true)
        .await;
    let mut reader = t.signed_operator("omar", s2.as_ref().unwrap()).await;
    assert_eq!(reader.get(&location).await.status, StatusCode::OK);
    assert_eq!(
        reader
            .post_form(
                &location,
                &[("name", "X"), ("model", "iaas"), ("level", "1")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

async fn an_organisation_can_require_a_second_factor(t: TestApp) {
    t.user(
        Directory::Customers,
        "karim",
        &["Administrateur de l'organisation"],
        false,
    )
    .await;
    t.user(Directory::Customers, "youssef", &["Utilisateur"], false)
        .await;
    let mut youssef = t.portal();
    assert_eq!(
        youssef.login("youssef", PASSWORD).await.location(),
        Some("/"),
        "no second factor yet"
    );
    let mut karim = t.portal();
    karim.login("karim", PASSWORD).await;
    let page = karim.get("/organisation").await;
    assert!(page.body.contains("pas exigée"), "{}", page.body);
    assert_eq!(
        karim
            .post_form("/organisation", &[("require_mfa", "yes")])
            .await
            .location(),
        Some("/organisation")
    );
    assert!(karim
        .get("/organisation")
        .await
        .body
        .contains("est exigée pour tous"));
    let mut again = t.portal();
    assert_eq!(
        again.login("youssef", PASSWORD).await.location(),
        Some("/mfa/setup"),
        "now enrolment comes first"
    );
    assert_eq!(again.get("/").await.location(), Some("/login/mfa"));
    // A plain user cannot change the policy.
    youssef.get("/").await;
    assert_eq!(
        youssef.get("/organisation").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn operator_login_needs_the_second_factor(t: TestApp) {
    let (_, secret) = t
        .user(Directory::Operators, "amal", &["Lecteur"], true)
        .await;
    let mut c = t.console();
    let r = c.login("amal", PASSWORD).await;
    assert_eq!(r.location(), Some("/login/mfa"));
    // Between the password and the code, no console page opens.
    assert_eq!(c.get("/").await.location(), Some("/login/mfa"));
    assert_eq!(c.get("/me").await.location(), Some("/login/mfa"));
    c.get("/login/mfa").await;
    let r = c.post_form("/login/mfa", &[("code", "000000")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Code incorrect"), "{}", r.body);
    let code = t.totp_now(secret.as_ref().unwrap());
    let r = c.post_form("/login/mfa", &[("code", &code)]).await;
    assert_eq!(r.location(), Some("/"));
    let home = c.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Bonjour amal Display"), "{}", home.body);
    // The session cookie is HttpOnly and SameSite=Strict.
    let set = t.console().get("/login").await;
    let cookie = set.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
}

async fn five_failures_lock_the_account_even_for_the_right_password(t: TestApp) {
    t.user(Directory::Operators, "amal", &["Lecteur"], true)
        .await;
    let mut c = t.console();
    for _ in 0..4 {
        let r = c.login("amal", "wrong-password-x").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Identifiant ou mot de passe incorrect"));
    }
    let fifth = c.login("amal", "wrong-password-x").await;
    assert_eq!(fifth.status, StatusCode::FORBIDDEN);
    assert!(fifth.body.contains("verrouillé"), "{}", fifth.body);
    let sixth = c.login("amal", PASSWORD).await;
    assert_eq!(
        sixth.status,
        StatusCode::FORBIDDEN,
        "the right password is refused while locked"
    );
    assert!(
        sixth.body.contains("verrouillé") && sixth.body.contains("UTC"),
        "{}",
        sixth.body
    );
    let account = t
        .store()
        .account_by_username(Directory::Operators, "amal")
        .await
        .unwrap()
        .unwrap();
    assert!(account
        .password_hash
        .as_deref()
        .unwrap()
        .starts_with("$argon2id$"));
    // The configured delay (15 minutes by default) releases the lock.
    t.clock.advance_s(15 * 60);
    assert_eq!(
        c.login("amal", PASSWORD).await.location(),
        Some("/login/mfa")
    );
}

async fn operator_sessions_and_routes_do_not_exist_on_the_public_listener(t: TestApp) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    let console = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    // The same browser (same cookies) on the public listener is nobody.
    let mut public = t.portal();
    public.cookies = console.cookies.clone();
    assert_eq!(public.get("/").await.location(), Some("/login"));
    assert_eq!(public.get("/me").await.location(), Some("/login"));
    for route in ["/organisations", "/metrics", "/catalog", "/api/v1/nope"] {
        assert_eq!(
            public.get(route).await.status,
            StatusCode::NOT_FOUND,
            "{route}"
        );
    }
    // An operator account cannot log in on the portal at all.
    let mut portal = t.portal();
    let r = portal.login("amal", PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Metrics exist on the admin listener only (off until a bearer token
    // is configured: review_edge.rs).
    let mut admin = t.console();
    let m = admin.get("/metrics").await;
    assert!(m.body.contains("metrics_token"), "{}", m.body);
}

async fn customer_credentials_do_not_open_the_console(t: TestApp) {
    t.user(Directory::Customers, "karim", &["Utilisateur"], false)
        .await;
    let mut portal = t.portal();
    assert_eq!(portal.login("karim", PASSWORD).await.location(), Some("/"));
    let home = portal.get("/").await;
    assert!(home.body.contains("Portail commanditaire"), "{}", home.body);
    let mut console = t.console();
    assert_eq!(
        console.login("karim", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    console.cookies = portal.cookies.clone();
    assert_eq!(console.get("/").await.location(), Some("/login"));
}

async fn incompatible_roles_are_refused_naming_the_pair(t: TestApp) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "hicham",
            &["Approbateur des accès"],
            true,
        )
        .await;
    let (amal, _) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    let mut c = t.signed_operator("hicham", secret.as_ref().unwrap()).await;
    let roles = t.store().tenant(t.provider).roles().await.unwrap();
    let approver = roles
        .iter()
        .find(|r| r.name == "Approbateur des accès")
        .unwrap();
    c.get(&format!("/accounts/{amal}")).await;
    let r = c
        .post_form(
            &format!("/accounts/{amal}/roles"),
            &[("role_id", &approver.id.0.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("operators.manage / access.approve"),
        "{}",
        r.body
    );
    let rights = t.store().tenant(t.provider).rights_of(amal).await.unwrap();
    assert!(rights
        .iter()
        .all(|r| r.permission.as_str() != "access.approve"));
}

async fn state_changes_without_the_csrf_token_are_refused(t: TestApp) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    let mut c = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    c.get("/accounts").await;
    let good = c.csrf.clone();
    c.csrf = Some("forged".into());
    let r = c
        .post_form("/accounts", &[("username", "x1"), ("display_name", "X")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("formulaire a expiré"), "{}", r.body);
    c.csrf = None;
    assert_eq!(
        c.post_raw(
            "/accounts",
            "application/x-www-form-urlencoded",
            b"username=x2&display_name=X".to_vec()
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    c.csrf = good;
    assert_eq!(
        c.post_form("/accounts", &[("username", "x3"), ("display_name", "X")])
            .await
            .status,
        StatusCode::OK
    );
    assert!(t
        .store()
        .account_by_username(Directory::Operators, "x1")
        .await
        .unwrap()
        .is_none());
    assert!(t
        .store()
        .account_by_username(Directory::Operators, "x3")
        .await
        .unwrap()
        .is_some());
}

async fn totp_codes_are_never_accepted_twice(t: TestApp) {
    let (_, secret) = t
        .user(Directory::Operators, "amal", &["Lecteur"], true)
        .await;
    let secret = secret.unwrap();
    t.clock.advance_s(30);
    let code = t.totp_now(&secret);
    let mut first = t.console();
    first.login("amal", PASSWORD).await;
    first.get("/login/mfa").await;
    assert_eq!(
        first
            .post_form("/login/mfa", &[("code", &code)])
            .await
            .location(),
        Some("/")
    );
    let mut second = t.console();
    second.login("amal", PASSWORD).await;
    second.get("/login/mfa").await;
    let r = second.post_form("/login/mfa", &[("code", &code)]).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a replayed code is refused"
    );
}

async fn rights_are_listed_with_object_and_role(t: TestApp) {
    // A plain reader may not read the incompatible-rights list, page or API.
    let (_, s0) = t
        .user(Directory::Operators, "lina", &["Lecteur"], true)
        .await;
    let mut reader = t.signed_operator("lina", s0.as_ref().unwrap()).await;
    assert_eq!(
        reader.get("/separation").await.status,
        StatusCode::FORBIDDEN
    );
    let (_, secret) = t
        .user(
            Directory::Operators,
            "hicham",
            &["Approbateur des accès"],
            true,
        )
        .await;
    let (amal, _) = t
        .user(Directory::Operators, "amal", &["Lecteur"], true)
        .await;
    let mut c = t.signed_operator("hicham", secret.as_ref().unwrap()).await;
    let page = c.get(&format!("/accounts/{amal}")).await;
    assert!(
        page.body.contains("<code>catalog.read</code>") && page.body.contains("Lecteur"),
        "{}",
        page.body
    );
    let mine = c.get("/me").await;
    assert!(mine.body.contains("<code>access.approve</code>"));
}

async fn deregistration_ends_access_at_once(t: TestApp) {
    let (_, s1) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    let (other, s2) = t
        .user(Directory::Operators, "omar", &["Lecteur"], true)
        .await;
    let mut admin = t.signed_operator("amal", s1.as_ref().unwrap()).await;
    let mut omar = t.signed_operator("omar", s2.as_ref().unwrap()).await;
    assert_eq!(omar.get("/me").await.status, StatusCode::OK);
    admin.get(&format!("/accounts/{other}")).await;
    assert_eq!(
        admin
            .post_form(&format!("/accounts/{other}/deregister"), &[])
            .await
            .location(),
        Some("/accounts")
    );
    assert_eq!(
        omar.get("/me").await.location(),
        Some("/login"),
        "the live session ended"
    );
    assert_eq!(
        t.console().login("omar", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let account = t.store().tenant(t.provider).account(other).await.unwrap();
    assert_eq!(account.display_name, "");
}

async fn reset_links_work_once_and_refuse_weak_passwords(t: TestApp) {
    let (_, s1) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    let mut admin = t.signed_operator("amal", s1.as_ref().unwrap()).await;
    admin.get("/accounts").await;
    let r = admin
        .post_form(
            "/accounts",
            &[
                ("username", "nadia"),
                ("display_name", "Nadia"),
                ("email", "nadia@example.ma"),
            ],
        )
        .await;
    let link = r
        .body
        .split("id=\"setup-link\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let path = link
        .split_once("/reset/")
        .map(|(_, t)| format!("/reset/{t}"))
        .unwrap();
    let mut nadia = t.console();
    assert_eq!(nadia.get(&path).await.status, StatusCode::OK);
    let weak = nadia
        .post_form(
            &path,
            &[("password", "password123"), ("confirm", "password123")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        weak.body.contains("trop court") || weak.body.contains("trop facile"),
        "{}",
        weak.body
    );
    let strong = "Vert-olivier-sous-la-pluie-7";
    let ok = nadia
        .post_form(&path, &[("password", strong), ("confirm", strong)])
        .await;
    assert_eq!(
        (ok.location(), ok.notice()),
        (Some("/login"), Some("password-set"))
    );
    assert_eq!(
        nadia.get(&path).await.status,
        StatusCode::NOT_FOUND,
        "a link works once"
    );
    // First login leads to second-factor enrolment.
    assert_eq!(
        nadia.login("nadia", strong).await.location(),
        Some("/mfa/setup")
    );
}

async fn api_tokens_are_scoped_and_revocable(t: TestApp) {
    let (_, s1) = t
        .user(
            Directory::Operators,
            "hicham",
            &["Approbateur des accès"],
            true,
        )
        .await;
    let (amal, _) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    let mut c = t.signed_operator("hicham", s1.as_ref().unwrap()).await;
    c.get("/me").await;
    let r = c
        .post_form(
            "/me/tokens",
            &[
                ("name", "ci"),
                ("days", "30"),
                ("scope", "access.approve"),
                ("scope", "journal.read"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert!(token.starts_with("thq_"));
    let mut api = t.console();
    let me = api.api(Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(
        me.body.contains("access.approve") && !me.body.contains("catalog.read"),
        "scopes narrow: {}",
        me.body
    );
    let roles = t.store().tenant(t.provider).roles().await.unwrap();
    let approver = roles
        .iter()
        .find(|r| r.name == "Approbateur des accès")
        .unwrap();
    let body = format!("{{\"role_id\": {}}}", approver.id.0);
    let refused = api
        .api(
            Method::POST,
            &format!("/api/v1/accounts/{amal}/roles"),
            &token,
            Some(&body),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("separation_of_duties") && refused.body.contains("operators.manage"),
        "{}",
        refused.body
    );
    let rights = api
        .api(
            Method::GET,
            &format!("/api/v1/accounts/{amal}/rights"),
            &token,
            None,
        )
        .await;
    assert!(
        rights.body.contains("operators.manage")
            && rights.body.contains("Administrateur des comptes"),
        "{}",
        rights.body
    );
    // The token does not work on the public listener's API.
    let mut public = t.portal();
    assert_eq!(
        public
            .api(Method::GET, "/api/v1/me", &token, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Revoked, it stops working.
    let tokens = t
        .store()
        .api_tokens(
            &t.store()
                .account_by_username(Directory::Operators, "hicham")
                .await
                .unwrap()
                .unwrap(),
        )
        .await
        .unwrap();
    c.get("/me").await;
    c.post_form(&format!("/me/tokens/{}/revoke", tokens[0].id), &[])
        .await;
    assert_eq!(
        api.api(Method::GET, "/api/v1/me", &token, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// Every operation the OpenAPI document lists is routed (none answers 404
/// for lack of a route), on both listeners.
#[tokio::test]
async fn openapi_documents_routed_operations() {
    let t = TestApp::new(support::Backend::Sqlite).await;
    for router in [t.admin.clone(), t.public.clone()] {
        let mut c = support::Client::new(router);
        let doc = c.get("/api/v1/openapi.json").await;
        assert_eq!(doc.status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        let paths = v["paths"].as_object().unwrap();
        assert!(paths.len() >= 8);
        for (path, item) in paths {
            for method in item.as_object().unwrap().keys() {
                let concrete = path
                    .replace("{id}", "1")
                    .replace("{role}", "1")
                    .replace("{article_id}", "3.6.3")
                    .replace("{obligation_id}", "3.6.3.b");
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let r = c
                    .api(m, &format!("/api/v1{concrete}"), "thq_invalid", None)
                    .await;
                // A routed operation may answer 404 for a missing resource
                // (e.g. no checkpoint signed yet), never the router's own
                // "not_found".
                assert!(
                    !(r.status == StatusCode::NOT_FOUND && r.body.contains("\"not_found\"")),
                    "{method} {path} is documented but not routed: {}",
                    r.body
                );
            }
        }
    }
}

//! Contracts as the people involved use them: the provider's account
//! administrator records which commanditaire uses which service (refused
//! above the service's level, the form keeping what was typed), fills the
//! service-agreement checklist of 3.15.1 clause by clause, and the
//! commanditaire's members see their contract, where their data lives and
//! the checklist's coverage in the portal; another commanditaire sees none
//! of it.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::{Method, StatusCode};
use support::{Client, TestApp};
use thiqa_domain::{Directory, Tenant};
use thiqa_store::{Actor, NewService};

on_both_backends!(a_contract_is_recorded_checked_and_shown_to_its_commanditaire_only);

async fn a_contract_is_recorded_checked_and_shown_to_its_commanditaire_only(t: TestApp) {
    let (Tenant::Provider(p), Tenant::Organisation(org_a)) = (t.provider, t.organisation) else {
        unreachable!()
    };
    let cli = Actor::cli();
    let store = t.store();
    let service = store
        .provider(p)
        .create_service(
            &NewService {
                name: "Atlas Messagerie",
                description: "",
                model: "saas",
                level: 1,
                facts_json: "{}",
            },
            &cli,
        )
        .await
        .unwrap();
    let site = store
        .provider(p)
        .add_site(service, "DC Rabat", "Rabat", "MA", &cli)
        .await
        .unwrap();
    let org_b = t.other_organisation("Assurance Sud").await;

    let mut admin = t
        .operator_signed("amine", &["Administrateur des comptes"])
        .await;
    let r = admin.get("/contracts").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Aucun contrat."), "{}", r.body);

    let form = |level: &'static str| {
        vec![
            ("organisation", org_a.0.to_string()),
            ("service", service.0.to_string()),
            ("reference", "CONV-2026-01".to_string()),
            ("level", level.to_string()),
            ("starts_on", "2026-01-01".to_string()),
            ("ends_on", String::new()),
            ("site", site.0.to_string()),
            ("security_name", "Salma Idrissi".to_string()),
            ("security_email", "rssi@banque.ma".to_string()),
        ]
    };
    let post = async |c: &mut Client, fields: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.post_form("/contracts", &pairs).await
    };
    // Level 2 on a service qualified at level 1: refused, nothing lost.
    let r = post(&mut admin, form("2")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("au niveau 1."), "{}", r.body);
    assert!(r.body.contains("value=\"CONV-2026-01\""), "{}", r.body);
    assert!(r.body.contains("value=\"rssi@banque.ma\""), "{}", r.body);
    let r = post(&mut admin, form("1")).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let page = r.location().unwrap().to_string();
    assert!(page.starts_with("/contracts/"), "{page}");
    let r = admin.get(&page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Banque"), "{}", r.body);
    assert!(r.body.contains("DC Rabat, Rabat (MA)"), "{}", r.body);
    assert!(r.body.contains("Salma Idrissi"), "{}", r.body);
    // Every clause starts missing; the text of 3.15.1 names them.
    assert!(r.body.contains("0 clause(s) présente(s) sur"), "{}", r.body);
    assert!(r.body.contains("id=\"clause-3.15.1.g\""), "{}", r.body);
    let path = page.split('?').next().unwrap().to_string();
    let r = admin
        .post_form(
            &format!("{path}/clauses/3.15.1.g"),
            &[
                ("present", "on"),
                ("reference", "article 12"),
                ("evidence", ""),
            ],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let r = admin.get(&path).await;
    assert!(r.body.contains("1 clause(s) présente(s) sur"), "{}", r.body);
    assert!(r.body.contains("value=\"article 12\""), "{}", r.body);
    // The statement of applicability (and so the dossier) cites the
    // agreement as evidence of the clause, and the sites for 3.15.2.a.
    let r = admin.get(&format!("/services/{}/soa", service.0)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("CONV-2026-01 · "), "{}", r.body);
    assert!(r.body.contains("3.15.1.g article 12"), "{}", r.body);
    assert!(r.body.contains("DC Rabat, Rabat (MA)"), "{}", r.body);
    // A clause 3.15.1 does not require: refused beside the checklist.
    let r = admin
        .post_form(
            &format!("{path}/clauses/3.1.1.a"),
            &[("present", "on"), ("reference", ""), ("evidence", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("pas une clause exigée"), "{}", r.body);

    // The commanditaire's member sees its contract; the other's sees none.
    t.user(Directory::Customers, "nadia", &["Utilisateur"], false)
        .await;
    let mut nadia = t.portal();
    nadia.login("nadia", support::PASSWORD).await;
    let r = nadia.get("/contracts").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("CONV-2026-01"), "{}", r.body);
    assert!(r.body.contains("DC Rabat, Rabat (MA)"), "{}", r.body);
    assert!(r.body.contains("1 clause(s) présente(s) sur"), "{}", r.body);
    t.user_in(
        Tenant::Organisation(org_b),
        "karim",
        &["Utilisateur"],
        false,
    )
    .await;
    let mut karim = t.portal();
    karim.login("karim", support::PASSWORD).await;
    let r = karim.get("/contracts").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("CONV-2026-01"), "{}", r.body);
    assert!(r.body.contains("Aucun contrat pour l"), "{}", r.body);

    // The same over the API, in each realm.
    let contracts = async |c: &mut Client, scope: &str| {
        let token = c.api_token(&[scope]).await;
        let r = c.api(Method::GET, "/api/v1/contracts", &token, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        v["contracts"].as_array().unwrap().clone()
    };
    let seen = contracts(&mut admin, "services.read").await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["reference"], "CONV-2026-01");
    assert_eq!(seen[0]["clauses_present"], 1);
    assert_eq!(seen[0]["sites"][0]["city"], "Rabat");
    let seen = contracts(&mut nadia, "portal.read").await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["contacts"][0]["email"], "rssi@banque.ma");
    assert!(contracts(&mut karim, "portal.read").await.is_empty());
}

//! Notices as the people involved use them: the provider's account
//! administrator announces a change of subcontractor about a service (the
//! form names a missing field and keeps what was typed); the commanditaire
//! holding a contract on it finds it in its portal inbox and refuses its
//! consent, saying why; the operator sees the refusal, cannot mark the
//! change done until the decision taken with that customer is recorded.
//! Another commanditaire, without a contract, sees nothing of it.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::StatusCode;
use support::TestApp;
use thiqa_domain::Tenant;
use thiqa_store::{Actor, NewContract, NewService};

on_both_backends!(
    a_refused_consent_reaches_the_operator_and_blocks_the_change,
    an_administrator_manages_webhook_endpoints_and_sees_each_secret_once,
);

async fn a_refused_consent_reaches_the_operator_and_blocks_the_change(t: TestApp) {
    let (Tenant::Provider(p), Tenant::Organisation(org_a)) = (t.provider, t.organisation) else {
        unreachable!()
    };
    let cli = Actor::cli();
    let store = t.store();
    let service = store
        .provider(p)
        .create_service(
            &NewService {
                name: "Atlas Stockage",
                description: "",
                model: "iaas",
                level: 1,
                facts_json: "{}",
            },
            &cli,
        )
        .await
        .unwrap();
    store
        .provider(p)
        .create_contract(
            &NewContract {
                organisation: org_a,
                service,
                reference: "CONV-1".into(),
                level: 1,
                starts_on: "2026-01-01".into(),
                ends_on: None,
                sites: vec![],
                contacts: vec![],
            },
            &cli,
        )
        .await
        .unwrap();
    let org_b = t.other_organisation("Assurance Sud").await;

    let mut admin = t
        .operator_signed("amine", &["Administrateur des comptes"])
        .await;
    let r = admin.get("/notices").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"notices-empty\""), "{}", r.body);
    let r = admin.get("/notices/new?kind=subcontractor-change").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Atlas Stockage"), "{}", r.body);
    let service_id = service.0.to_string();
    let mut fields = vec![
        ("kind", "subcontractor-change"),
        ("title", "Nouvel hébergeur de sauvegardes"),
        ("service", service_id.as_str()),
        ("answer_by", ""),
        ("f.third_party", "Sauvegarde Maroc SA"),
        ("f.change", "ajout"),
        ("f.role", "Conserve les copies chiffrées"),
        ("f.effective_on", "2027-02-01"),
    ];
    // The location is missing: named, and nothing typed is lost.
    let r = admin.post_form("/notices", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Localisation des données chez le tiers"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("value=\"Sauvegarde Maroc SA\""),
        "{}",
        r.body
    );
    fields.push(("f.location", "Casablanca (MA)"));
    let r = admin.post_form("/notices", &fields).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let page = r.location().unwrap().split('?').next().unwrap().to_string();
    let r = admin.get(&page).await;
    assert!(r.body.contains("Banque"), "{}", r.body);
    assert!(r.body.contains("Sans réponse"), "{}", r.body);

    // The commanditaire's administrator answers in the portal.
    let mut nadia = t
        .member_signed("nadia", &["Administrateur de l'organisation"])
        .await;
    // Her home says something waits for her, with a link to it.
    let r = nadia.get("/").await;
    assert!(r.body.contains("attendent votre réponse"), "{}", r.body);
    assert!(r.body.contains("href=\"/notices\""), "{}", r.body);
    let r = nadia.get("/notices").await;
    assert!(
        r.body.contains("Nouvel hébergeur de sauvegardes"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Accord attendu"), "{}", r.body);
    let notice_path = page.clone();
    let r = nadia.get(&notice_path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Sauvegarde Maroc SA"), "{}", r.body);
    let answer = format!("{notice_path}/answer");
    // A refusal says why.
    let r = nadia
        .post_form(&answer, &[("answer", "refuse"), ("comment", "")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Un refus s&#39;explique"), "{}", r.body);
    let r = nadia
        .post_form(
            &answer,
            &[("answer", "refuse"), ("comment", "Pas sans audit du tiers")],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let r = nadia.get(&notice_path).await;
    assert!(r.body.contains("Accord refusé"), "{}", r.body);

    // Another commanditaire sees nothing of it.
    t.user_in(
        Tenant::Organisation(org_b),
        "karim",
        &["Administrateur de l'organisation"],
        false,
    )
    .await;
    let mut karim = t.portal();
    karim.login("karim", support::PASSWORD).await;
    let r = karim.get("/notices").await;
    assert!(r.body.contains("id=\"notices-empty\""), "{}", r.body);
    assert_eq!(karim.get(&notice_path).await.status, StatusCode::NOT_FOUND);
    let r = karim
        .post_form(&answer, &[("answer", "accept"), ("comment", "")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The operator sees the refusal (from the home too); the change waits
    // for a decision; the contract keeps the notice as evidence.
    let r = admin.get("/").await;
    assert!(r.body.contains("accord manque ou est refusé"), "{}", r.body);
    // The statement of applicability (and so the dossier) cites it under
    // the obligation it serves (3.11.1.c).
    let r = admin.get(&format!("/services/{}/soa", service.0)).await;
    assert!(
        r.body.contains("Avis 1 · Nouvel hébergeur de sauvegardes"),
        "{}",
        r.body
    );
    let r = admin.get("/contracts/1").await;
    assert!(
        r.body.contains("Nouvel hébergeur de sauvegardes"),
        "{}",
        r.body
    );
    let r = admin.get(&page).await;
    assert!(r.body.contains("Pas sans audit du tiers"), "{}", r.body);
    assert!(r.body.contains("id=\"notice-blocked\""), "{}", r.body);
    let r = admin.post_form(&format!("{page}/done"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("enregistrez d&#39;abord la décision"),
        "{}",
        r.body
    );
    // A decision too long is refused, and what was typed stays.
    let long = format!("Décision {}", "x".repeat(2000));
    let r = admin
        .post_form(
            &format!("{page}/decisions/{}", org_a.0),
            &[("decision", long.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains(&long), "the typed decision is kept");
    let r = admin
        .post_form(
            &format!("{page}/decisions/{}", org_a.0),
            &[(
                "decision",
                "Sauvegardes de la Banque gardées chez l'ancien hébergeur",
            )],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let r = admin.post_form(&format!("{page}/done"), &[]).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let r = admin.get(&page).await;
    assert!(r.body.contains("Changement réalisé"), "{}", r.body);
    assert!(r.body.contains("gardées chez l"), "{}", r.body);
}

async fn an_administrator_manages_webhook_endpoints_and_sees_each_secret_once(t: TestApp) {
    let mut nadia = t
        .member_signed("nadia", &["Administrateur de l'organisation"])
        .await;
    let r = nadia.get("/webhooks").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"webhooks-empty\""), "{}", r.body);
    // Inside addresses and clear HTTP are refused (SSRF), the URL kept.
    for (url, message) in [
        ("http://hooks.banque.ma/x", "doit commencer par https://"),
        ("https://169.254.169.254/latest", "adresse privée"),
        ("https://user:pw@hooks.banque.ma/", "ni nom d"),
    ] {
        let r = nadia.post_form("/webhooks", &[("url", url)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(r.body.contains(message), "{url}: {}", r.body);
        assert!(r.body.contains(&format!("value=\"{url}\"")), "{}", r.body);
    }
    let r = nadia
        .post_form("/webhooks", &[("url", "https://hooks.banque.ma/thiqa")])
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let secret = |body: &str| {
        let start = body.find("whsec_").expect("the secret is shown");
        body[start..].split('<').next().unwrap().to_string()
    };
    let first = secret(&r.body);
    // Listed, the secret no longer shown.
    let r = nadia.get("/webhooks").await;
    assert!(
        r.body.contains("https://hooks.banque.ma/thiqa"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("whsec_"), "{}", r.body);
    let id = t.store().tenant(t.organisation).webhooks().await.unwrap()[0].id;
    let r = nadia
        .post_form(&format!("/webhooks/{id}/rotate"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let second = secret(&r.body);
    assert_ne!(first, second);
    assert!(
        r.body.contains("L&#39;ancien secret signe aussi"),
        "{}",
        r.body
    );
    // A member who does not administer the organisation cannot.
    let mut omar = t.member_signed("omar", &["Utilisateur"]).await;
    assert_eq!(omar.get("/webhooks").await.status, StatusCode::FORBIDDEN);
    let r = nadia
        .post_form(&format!("/webhooks/{id}/delete"), &[])
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    assert!(t
        .store()
        .tenant(t.organisation)
        .webhooks()
        .await
        .unwrap()
        .is_empty());
}

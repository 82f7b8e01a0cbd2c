//! Support access to a commanditaire's data, only with its consent (3.5.7),
//! as the people and the machine involved use it: a support engineer whose
//! vetting an account administrator recorded asks in the console; the
//! commanditaire grants or refuses in its portal; the provider's bastion
//! asks the API whether the engineer may reach a resource now and records
//! the sessions. A grant expires on time, a revoked grant answers no to
//! the bastion at once, an unanswered request expires after 12 hours, a
//! level-2 contract refuses support from abroad, an unvetted operator is
//! refused, and another organisation or provider gets 404.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use support::{Client, Reply, TestApp};
use thiqa_app::tenants::seed_tenant;
use thiqa_domain::{Clock, ContractId, Directory, ProviderId, SupportRequestId, Tenant};
use thiqa_store::{Actor, NewContract, NewService};

on_both_backends!(
    a_grant_lets_the_bastion_in_until_its_end_exactly,
    a_revoked_grant_answers_no_to_the_bastion_at_once,
    an_unanswered_request_expires_after_twelve_hours,
    level_two_refuses_support_from_abroad_and_level_one_needs_a_jump_host,
    an_unvetted_operator_is_refused_everywhere,
    another_organisation_or_provider_gets_404,
);

const H: i64 = 3_600_000;

struct World {
    provider: ProviderId,
    org: i64,
    /// Level 1 and level 2 contracts of the test organisation.
    level1: ContractId,
    level2: ContractId,
    service1: i64,
    /// The account administrator, the vetted support engineer, the
    /// bastion's token, and the commanditaire's member who consents.
    admin: Client,
    admin_id: i64,
    yasmine: Client,
    yasmine_id: i64,
    yasmine_secret: thiqa_crypto::totp::TotpSecret,
    bastion: Client,
    token: String,
    nadia: Client,
}

async fn operator(t: &TestApp, name: &str, roles: &[&str]) -> (i64, Client) {
    let (id, _, c) = operator_with_secret(t, name, roles).await;
    (id, c)
}

async fn operator_with_secret(
    t: &TestApp,
    name: &str,
    roles: &[&str],
) -> (i64, thiqa_crypto::totp::TotpSecret, Client) {
    let (id, secret) = t.user(Directory::Operators, name, roles, true).await;
    let secret = secret.unwrap();
    let mut c = t.signed_operator(name, &secret).await;
    c.get("/").await;
    (id, secret, c)
}

/// Signs the people in again after the test clock jumped past their
/// sessions' idle limit.
async fn sign_in_again(t: &TestApp, w: &mut World) {
    w.nadia.login("nadia", support::PASSWORD).await;
    w.yasmine = t.signed_operator("yasmine", &w.yasmine_secret).await;
}

async fn world(t: &TestApp) -> World {
    let (Tenant::Provider(p), Tenant::Organisation(org)) = (t.provider, t.organisation) else {
        unreachable!()
    };
    let cli = Actor::cli();
    let store = t.store();
    let mut contracts = Vec::new();
    let mut services = Vec::new();
    for (name, level) in [("Atlas Stockage", 1), ("Atlas Calcul", 2)] {
        let service = store
            .provider(p)
            .create_service(
                &NewService {
                    name,
                    description: "",
                    model: "iaas",
                    level,
                    facts_json: "{}",
                },
                &cli,
            )
            .await
            .unwrap();
        services.push(service);
        contracts.push(
            store
                .provider(p)
                .create_contract(
                    &NewContract {
                        organisation: org,
                        service,
                        reference: format!("CONV-{level}"),
                        level,
                        starts_on: "2026-01-01".into(),
                        ends_on: None,
                        sites: vec![],
                        contacts: vec![],
                    },
                    &cli,
                )
                .await
                .unwrap(),
        );
    }
    let (admin_id, mut admin) = operator(t, "amine", &["Administrateur des comptes"]).await;
    let (yasmine_id, yasmine_secret, yasmine) =
        operator_with_secret(t, "yasmine", &["Support technique"]).await;
    // The account administrator records the engineer's checks (3.3.1).
    let r = admin.get("/support/vetting").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin
        .post_form(
            &format!("/accounts/{yasmine_id}/vetting"),
            &[("reference", "RH-2026-014"), ("vetted_on", "2026-03-02")],
        )
        .await;
    assert_eq!(r.location(), Some("/support/vetting"), "{}", r.body);
    let (_, mut bastion) = operator(t, "bastion", &["Bastion du support"]).await;
    let token = bastion.api_token(&["support.enforce"]).await;
    t.user(Directory::Customers, "nadia", &["Utilisateur"], false)
        .await;
    let mut nadia = t.portal();
    nadia.login("nadia", support::PASSWORD).await;
    World {
        provider: p,
        org: org.0,
        level1: contracts[0],
        level2: contracts[1],
        service1: services[0].0,
        admin,
        admin_id,
        yasmine,
        yasmine_id,
        yasmine_secret,
        bastion,
        token,
        nadia,
    }
}

/// The form as an engineer fills it, from Morocco, on the level-1 contract.
fn form(w: &World) -> Vec<(&'static str, String)> {
    vec![
        ("contract", w.level1.0.to_string()),
        ("reason", "Lenteur des volumes du client".into()),
        ("ticket", "INC-2041".into()),
        ("resources", "vm-prod-12\nvol-88".into()),
        ("location", "morocco".into()),
        ("country", String::new()),
        ("jump_host", String::new()),
        ("starts_at", String::new()),
        ("hours", "4".into()),
    ]
}

async fn ask(c: &mut Client, fields: &[(&'static str, String)]) -> Reply {
    c.get("/support/new").await;
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post_form("/support", &fields).await
}

/// Asks and returns the new request's id.
async fn asked(w: &mut World, fields: &[(&'static str, String)]) -> SupportRequestId {
    let r = ask(&mut w.yasmine, fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.location().unwrap().trim_start_matches("/support/");
    SupportRequestId(id.parse().unwrap())
}

async fn answer(w: &mut World, id: SupportRequestId, answer: &str, comment: &str) -> Reply {
    let page = format!("/support/{id}");
    w.nadia.get(&page).await;
    w.nadia
        .post_form(
            &format!("{page}/answer"),
            &[("answer", answer), ("comment", comment)],
        )
        .await
}

/// The bastion's question about yasmine on `resource` of service 1.
async fn check(w: &mut World, resource: &str, jump_host: Option<&str>) -> Value {
    let body = json!({
        "operator": "yasmine",
        "organisation_id": w.org,
        "service_id": w.service1,
        "resource": resource,
        "jump_host": jump_host,
    });
    let r = w
        .bastion
        .api(
            Method::POST,
            "/api/v1/support/check",
            &w.token,
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

async fn session(w: &mut World, id: SupportRequestId, action: &str, reference: &str) -> Reply {
    let body = json!({"action": action, "reference": reference});
    w.bastion
        .api(
            Method::POST,
            &format!("/api/v1/support/grants/{id}/sessions"),
            &w.token,
            Some(&body.to_string()),
        )
        .await
}

async fn stored(t: &TestApp, w: &World, id: SupportRequestId) -> thiqa_store::SupportRequest {
    t.store()
        .provider(w.provider)
        .support_request(id)
        .await
        .unwrap()
        .request
}

async fn a_grant_lets_the_bastion_in_until_its_end_exactly(t: TestApp) {
    let mut w = world(&t).await;
    let fields = form(&w);
    let id = asked(&mut w, &fields).await;
    let r = w.yasmine.get(&format!("/support/{id}")).await;
    assert!(r.body.contains("En attente de l&#39;accord"), "{}", r.body);
    assert_eq!(check(&mut w, "vm-prod-12", None).await["reason"], "pending");

    // The commanditaire sees the request and grants it.
    let r = w.nadia.get("/support").await;
    assert!(r.body.contains("INC-2041"), "{}", r.body);
    let r = w.nadia.get(&format!("/support/{id}")).await;
    assert!(r.body.contains("vérifié le 2026-03-02"), "{}", r.body);
    assert!(r.body.contains("id=\"support-grant\""), "{}", r.body);
    let r = answer(&mut w, id, "grant", "Pour INC-2041").await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);

    let a = check(&mut w, "vm-prod-12", None).await;
    assert_eq!(a["allowed"], true, "{a}");
    assert_eq!(a["grant_id"], id.0);
    assert_eq!(a["reason"], "granted");
    // Only the resources named.
    let other = check(&mut w, "vm-prod-13", None).await;
    assert_eq!(
        (&other["allowed"], &other["reason"]),
        (&json!(false), &json!("out_of_scope"))
    );
    let r = session(&mut w, id, "start", "psm-5521").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // One millisecond before its end it lets in; at its end, no.
    let ends_at = stored(&t, &w, id).await.ends_at;
    t.clock.advance_ms(ends_at - t.clock.now_ms() - 1);
    assert_eq!(check(&mut w, "vm-prod-12", None).await["allowed"], true);
    t.clock.advance_ms(1);
    let a = check(&mut w, "vm-prod-12", None).await;
    assert_eq!(
        (&a["allowed"], &a["reason"]),
        (&json!(false), &json!("ended")),
        "{a}"
    );
    let r = session(&mut w, id, "start", "psm-5522").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // The bastion still records the end of the session it had opened.
    let r = session(&mut w, id, "end", "psm-5521").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // Both sides see it over, with the session.
    sign_in_again(&t, &mut w).await;
    for (c, page) in [
        (&mut w.nadia, format!("/support/{id}")),
        (&mut w.yasmine, format!("/support/{id}")),
    ] {
        let r = c.get(&page).await;
        assert!(r.body.contains("Accordée, terminée"), "{}", r.body);
        assert!(r.body.contains("psm-5521"), "{}", r.body);
    }
    // Journaled as administration in the organisation's journal.
    let events = t
        .store()
        .events(&thiqa_store::EventFilter {
            tenant: Some(t.organisation),
            action_prefix: Some("support.".into()),
            limit: 20,
        })
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "support.session.end",
            "support.session.start",
            "support.grant",
            "support.request"
        ]
    );
    assert!(events.iter().all(|e| e
        .details
        .as_deref()
        .unwrap_or("")
        .starts_with("administration")));
}

async fn a_revoked_grant_answers_no_to_the_bastion_at_once(t: TestApp) {
    let mut w = world(&t).await;
    let fields = form(&w);
    let id = asked(&mut w, &fields).await;
    // A refusal says why.
    let r = answer(&mut w, id, "refuse", "").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("Un refus s&#39;explique"), "{}", r.body);
    answer(&mut w, id, "grant", "").await;
    assert_eq!(check(&mut w, "vol-88", None).await["allowed"], true);
    let r = session(&mut w, id, "start", "psm-1").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let page = format!("/support/{id}");
    let r = w.nadia.get(&page).await;
    assert!(r.body.contains("id=\"support-revoke\""), "{}", r.body);
    // Revoking asks for confirmation first.
    assert!(
        r.body.contains("Révoquer cet accès maintenant ?"),
        "{}",
        r.body
    );
    let r = w
        .nadia
        .post_form(
            &format!("{page}/revoke"),
            &[("comment", "Incident clos de notre côté")],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    // No time passes: the bastion's next question reads the revocation.
    let a = check(&mut w, "vol-88", None).await;
    assert_eq!(
        (&a["allowed"], &a["reason"]),
        (&json!(false), &json!("revoked")),
        "{a}"
    );
    assert!(a["grant_id"].is_null() && a["until"].is_null(), "{a}");
    let r = session(&mut w, id, "start", "psm-2").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = w.yasmine.get(&page).await;
    assert!(
        r.body.contains("Révoquée par le commanditaire"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Incident clos de notre côté"), "{}", r.body);
    // A denial is journaled for the provider.
    let denied = t
        .store()
        .events(&thiqa_store::EventFilter {
            tenant: Some(t.provider),
            action_prefix: Some("support.check".into()),
            limit: 5,
        })
        .await
        .unwrap();
    assert!(
        denied[0].details.as_deref().unwrap().contains("revoked"),
        "{denied:?}"
    );
}

async fn an_unanswered_request_expires_after_twelve_hours(t: TestApp) {
    let mut w = world(&t).await;
    let mut fields = form(&w);
    fields.retain(|(k, _)| *k != "hours");
    fields.push(("hours", "48".into()));
    let id = asked(&mut w, &fields).await;
    let r = stored(&t, &w, id).await;
    assert_eq!(r.answer_by - r.requested_at, 12 * H);
    t.clock.advance_ms(r.answer_by - t.clock.now_ms() - 1);
    w.nadia.login("nadia", support::PASSWORD).await;
    let page = format!("/support/{id}");
    let r = w.nadia.get(&page).await;
    assert!(r.body.contains("id=\"support-grant\""), "{}", r.body);
    t.clock.advance_ms(1);
    let r = w.nadia.get(&page).await;
    assert!(r.body.contains("Expirée sans réponse"), "{}", r.body);
    assert!(!r.body.contains("id=\"support-grant\""), "{}", r.body);
    let r = answer(&mut w, id, "grant", "").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("n&#39;attend plus de réponse"),
        "{}",
        r.body
    );
    assert_eq!(check(&mut w, "vm-prod-12", None).await["reason"], "expired");
}

async fn level_two_refuses_support_from_abroad_and_level_one_needs_a_jump_host(t: TestApp) {
    let mut w = world(&t).await;
    let mut abroad = form(&w);
    for (k, v) in abroad.iter_mut() {
        match *k {
            "location" => *v = "abroad".into(),
            "country" => *v = "France".into(),
            "contract" => *v = w.level2.0.to_string(),
            _ => {}
        }
    }
    let r = ask(&mut w.yasmine, &abroad).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("niveau 2"), "{}", r.body);
    // What was typed is kept.
    assert!(r.body.contains("value=\"INC-2041\""), "{}", r.body);
    assert!(r.body.contains("value=\"France\""), "{}", r.body);

    // Level 1: only through a declared jump host.
    for (k, v) in abroad.iter_mut() {
        if *k == "contract" {
            *v = w.level1.0.to_string();
        }
    }
    let r = ask(&mut w.yasmine, &abroad).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("poste de rebond déclaré"), "{}", r.body);
    let (_, mut rssi) = operator(&t, "rssi", &["RSSI"]).await;
    rssi.get("/support/jump-hosts").await;
    let r = rssi
        .post_form(
            "/support/jump-hosts",
            &[
                ("name", "rebond-rabat"),
                (
                    "description",
                    "Bastion PSM à Rabat, sessions supervisées par le SOC",
                ),
            ],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let r = w.yasmine.get("/support/new").await;
    let host = r
        .body
        .split("<option value=\"")
        .find_map(|o| {
            o.split_once("\">rebond-rabat<")
                .map(|(id, _)| id.to_string())
        })
        .unwrap_or_else(|| panic!("no jump host offered: {}", r.body));
    for (k, v) in abroad.iter_mut() {
        if *k == "jump_host" {
            *v = host.clone();
        }
    }
    let id = asked(&mut w, &abroad).await;
    answer(&mut w, id, "grant", "").await;
    let a = check(&mut w, "vm-prod-12", None).await;
    assert_eq!(a["reason"], "jump_host_required", "{a}");
    let a = check(&mut w, "vm-prod-12", Some("rebond-rabat")).await;
    assert_eq!(a["allowed"], true, "{a}");
    let r = w.nadia.get(&format!("/support/{id}")).await;
    assert!(r.body.contains("France"), "{}", r.body);
    assert!(r.body.contains("rebond-rabat"), "{}", r.body);
}

async fn an_unvetted_operator_is_refused_everywhere(t: TestApp) {
    let mut w = world(&t).await;
    let (omar_id, mut omar) = operator(&t, "omar", &["Support technique"]).await;
    let r = omar.get("/support/new").await;
    assert!(r.body.contains("id=\"support-not-vetted\""), "{}", r.body);
    let r = ask(&mut omar, &form(&w)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body
            .contains("Vos vérifications (3.3.1) ne sont pas enregistrées"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Lenteur des volumes du client"),
        "{}",
        r.body
    );
    // Nobody records its own checks, and a date to come is refused.
    w.admin.get("/support/vetting").await;
    let r = w
        .admin
        .post_form(
            &format!("/accounts/{}/vetting", w.admin_id),
            &[("reference", "RH-1"), ("vetted_on", "2026-01-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = w
        .admin
        .post_form(
            &format!("/accounts/{omar_id}/vetting"),
            &[("reference", "RH-77"), ("vetted_on", "2999-01-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("value=\"RH-77\""), "{}", r.body);

    // Granted to yasmine, then her vetting withdrawn: the bastion says no.
    let fields = form(&w);
    let id = asked(&mut w, &fields).await;
    answer(&mut w, id, "grant", "").await;
    assert_eq!(check(&mut w, "vm-prod-12", None).await["allowed"], true);
    let r = w
        .admin
        .post_form(&format!("/accounts/{}/vetting/withdraw", w.yasmine_id), &[])
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let a = check(&mut w, "vm-prod-12", None).await;
    assert_eq!(a["reason"], "not_vetted", "{a}");
    let r = w.nadia.get(&format!("/support/{id}")).await;
    assert!(r.body.contains("Non enregistrées"), "{}", r.body);
}

async fn another_organisation_or_provider_gets_404(t: TestApp) {
    let mut w = world(&t).await;
    let fields = form(&w);
    let id = asked(&mut w, &fields).await;
    let page = format!("/support/{id}");
    let cli = Actor::cli();
    let store = t.store();
    // Another organisation of the same provider.
    let org_b = store
        .provider(w.provider)
        .create_organisation("Assurance Sud", false, &cli)
        .await
        .unwrap();
    seed_tenant(store, Tenant::Organisation(org_b), &cli)
        .await
        .unwrap();
    t.user_in(
        Tenant::Organisation(org_b),
        "karim",
        &["Utilisateur"],
        false,
    )
    .await;
    let mut karim = t.portal();
    karim.login("karim", support::PASSWORD).await;
    let r = karim.get("/support").await;
    assert!(r.body.contains("id=\"support-empty\""), "{}", r.body);
    assert_eq!(karim.get(&page).await.status, StatusCode::NOT_FOUND);
    for action in ["answer", "revoke"] {
        let r = karim
            .post_form(
                &format!("{page}/{action}"),
                &[("answer", "grant"), ("comment", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}: {}", r.body);
    }
    // Another provider, its support engineer and its bastion.
    let b = Tenant::Provider(store.create_provider("Autre nuage", &cli).await.unwrap());
    seed_tenant(store, b, &cli).await.unwrap();
    let (_, secret) = t
        .user_in(b, "b-support", &["Support technique"], true)
        .await;
    let mut engineer = t
        .signed_operator("b-support", secret.as_ref().unwrap())
        .await;
    assert_eq!(engineer.get(&page).await.status, StatusCode::NOT_FOUND);
    engineer.get("/support").await;
    let r = engineer.post_form(&format!("{page}/close"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let (_, secret) = t
        .user_in(b, "b-bastion", &["Bastion du support"], true)
        .await;
    let mut other = t
        .signed_operator("b-bastion", secret.as_ref().unwrap())
        .await;
    let token = other.api_token(&["support.enforce"]).await;
    let body = json!({"action": "start", "reference": "x"}).to_string();
    let r = other
        .api(
            Method::POST,
            &format!("/api/v1/support/grants/{id}/sessions"),
            &token,
            Some(&body),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let body = json!({
        "operator": "yasmine", "organisation_id": w.org, "service_id": w.service1,
        "resource": "vm-prod-12"
    })
    .to_string();
    let r = other
        .api(Method::POST, "/api/v1/support/check", &token, Some(&body))
        .await;
    let a: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (&a["allowed"], &a["reason"]),
        (&json!(false), &json!("unknown_operator"))
    );
    // Within the provider, only the requester closes its request.
    w.admin.get("/support").await;
    let r = w.admin.post_form(&format!("{page}/close"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    w.yasmine.get(&page).await;
    let r = w.yasmine.post_form(&format!("{page}/close"), &[]).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let r = w.nadia.get(&page).await;
    assert!(r.body.contains("Retirée par l&#39;opérateur"), "{}", r.body);
}

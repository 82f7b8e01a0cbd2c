//! Security alerts and journal search as people use them (3.8.9): failed
//! logins through the real login form raise an alert the RSSI sees on
//! /alerts and acknowledges with a comment; a commanditaire's user searches
//! the journal and never sees another organisation's events.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use support::{Backend, TestApp, PASSWORD};
use thiqa_domain::{Directory, Tenant};
use thiqa_journal::{Event, Outcome, Severity, Timestamp};
use thiqa_store::{Actor, AlertQuery};

async fn evaluate(t: &TestApp) -> Vec<thiqa_domain::AlertId> {
    let rules = t.app.config.alerts.rules().unwrap();
    thiqa_server::alerting::evaluate_now(&t.app, &rules)
        .await
        .unwrap()
        .raised
}

async fn alerts_story(t: TestApp) {
    let mut rssi = t.operator_signed("rachid", &["RSSI"]).await;
    t.user(Directory::Operators, "amal", &["Lecteur"], true)
        .await;
    assert!(
        evaluate(&t).await.is_empty(),
        "setting up the tenants raises nothing"
    );

    // Someone tries passwords for amal on the console's login form.
    let mut attacker = t.console();
    for i in 0..10 {
        let r = attacker.login("amal", &format!("guess-{i}")).await;
        assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
        t.clock.advance_s(10);
    }
    let raised = evaluate(&t).await;
    assert!(!raised.is_empty());
    let alerts = t
        .store()
        .tenant(t.provider)
        .alerts(&AlertQuery::default())
        .await
        .unwrap();
    let brute: Vec<_> = alerts
        .iter()
        .filter(|a| a.rule_id == "auth.bruteforce.account")
        .collect();
    assert_eq!(brute.len(), 1, "{alerts:?}");
    let alert = brute[0];
    assert_eq!(alert.key, "actor=amal");
    assert_eq!(alert.count, 10);
    // The account was locked on the way: that is an alert of its own.
    assert!(alerts.iter().any(|a| a.rule_id == "auth.lockout"));

    // The RSSI's daily review: open alerts first, today's marked.
    let page = rssi.get("/alerts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("href=\"/alerts\""), "nav link");
    assert!(page.body.contains(&format!("id=\"alert-{}\"", alert.id)));
    assert!(page
        .body
        .contains("10 échecs de connexion pour un même compte en 5 minutes"));
    assert!(page.body.contains("actor=amal"));
    assert!(page.body.contains("alert-today"));
    let open = alerts.len().to_string();
    assert!(
        page.body.contains(&format!("id=\"count-open\">{open}<")),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"count-high\">1<"));

    // Acknowledging needs a comment.
    let path = format!("/alerts/{}/acknowledge", alert.id);
    let r = rssi.post_form(&path, &[("comment", "  ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("commentaire"), "{}", r.body);
    // Too long: refused inside that alert's own form, with what was typed.
    let long = format!(
        "Analyse {}",
        "détaillée ".repeat(thiqa_store::MAX_ACK_COMMENT / 5)
    );
    let r = rssi.post_form(&path, &[("comment", &long)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let form = r
        .body
        .split(&format!("action=\"{path}\""))
        .nth(1)
        .expect("the alert's form");
    let form = &form[..form.find("</form>").unwrap()];
    assert!(form.contains("id=\"form-error\""), "{form}");
    assert!(form.contains(long.trim()), "the comment is kept: {form}");
    let r = rssi
        .post_form(
            &path,
            &[(
                "comment",
                "Vérifié avec Amal : mot de passe oublié, compte réinitialisé",
            )],
        )
        .await;
    assert_eq!(r.location(), Some("/alerts"), "{}", r.body);
    // The page it returns to confirms the change once; the next visit
    // (a plain /alerts) no longer does.
    let page = rssi.get(r.raw_location().unwrap()).await;
    assert!(
        page.body.contains(
            "<p class=\"notice\" role=\"status\" id=\"notice\">Modification enregistrée.</p>"
        ),
        "{}",
        page.body
    );
    let page = rssi.get("/alerts").await;
    assert!(!page.body.contains("id=\"notice\""));
    let done = page.body.split("id=\"acknowledged\"").nth(1).unwrap();
    assert!(done.contains(&format!("id=\"alert-{}\"", alert.id)));
    assert!(done.contains("mot de passe oublié"));
    assert!(done.contains("rachid"));
    let stored = t.store().tenant(t.provider).alert(alert.id).await.unwrap();
    let ack = stored.acknowledgement.unwrap();
    assert_eq!(ack.by, "rachid");
    use thiqa_domain::Clock;
    assert!(ack.at_ms <= t.clock.now_ms());

    // Twice is refused, naming the alert.
    let r = rssi.post_form(&path, &[("comment", "encore")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // In the reader's language, from the message files.
    assert!(
        r.body.contains("a déjà été prise en compte, par rachid"),
        "{}",
        r.body
    );

    // Both the raise and the acknowledgement are in the journal.
    let r = rssi.get("/journal/search?type=alert.").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("alert.raise"));
    assert!(r.body.contains("alert.acknowledge"));
    assert!(r.body.contains("compte réinitialisé"));

    // Without journal.read, neither page opens.
    let mut reader = t.operator_signed("lina", &["Lecteur"]).await;
    assert_eq!(reader.get("/alerts").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reader.post_form(&path, &[("comment", "x")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reader.get("/journal/search").await.status,
        StatusCode::FORBIDDEN
    );
}

fn infra_event(
    now_ms: i64,
    tenant: Option<Tenant>,
    actor: &str,
    message: &str,
    days_ago: i64,
) -> Event {
    let t = Timestamp::from_unix_millis(now_ms - days_ago * 86_400_000).unwrap();
    Event {
        event_time: t,
        received_time: t,
        source: "hv/kvm-07".into(),
        action: "vm.snapshot.delete".into(),
        severity: Severity::Warning,
        actor: actor.into(),
        target: "vm-42".into(),
        tenant: tenant.map(|t| {
            let (k, i) = t.parts();
            format!("{k}:{i}")
        }),
        source_address: None,
        outcome: Outcome::Success,
        attributes: BTreeMap::from([("message".to_owned(), message.to_owned())]),
    }
}

async fn portal_search_story(t: TestApp) {
    let Tenant::Provider(provider) = t.provider else {
        unreachable!()
    };
    let other = Tenant::Organisation(
        t.store()
            .provider(provider)
            .create_organisation("Autre Banque", false, &Actor::cli())
            .await
            .unwrap(),
    );
    let own = t.organisation;
    let now_ms = {
        use thiqa_domain::Clock;
        t.clock.now_ms()
    };
    for (tenant, actor, message, days) in [
        (Some(own), "ops-a", "Instantané supprimé chez nous", 1),
        (Some(own), "ops-b", "Ancien instantané", 150),
        (Some(other), "ops-c", "Instantané de l'autre banque", 1),
        (Some(other), "ops-d", "Instantané de l'autre banque", 150),
        (Some(t.provider), "ops-e", "Instantané du prestataire", 1),
        (None, "ops-f", "Instantané sans commanditaire", 1),
    ] {
        t.store()
            .journal_append(&infra_event(now_ms, tenant, actor, message, days))
            .await
            .unwrap();
    }

    t.user(
        Directory::Customers,
        "karim",
        &["Administrateur de l'organisation"],
        false,
    )
    .await;
    let mut karim = t.portal();
    assert_eq!(karim.login("karim", PASSWORD).await.location(), Some("/"));
    let home = karim.get("/").await;
    assert!(home.body.contains("href=\"/journal/search\""), "nav link");

    let own_only = |body: &str| {
        assert!(body.contains("ops-a"), "{body}");
        assert!(body.contains("ops-b"), "six months back: {body}");
        for foreign in ["ops-c", "ops-d", "ops-e", "ops-f", "autre banque"] {
            assert!(!body.contains(foreign), "{foreign} leaked: {body}");
        }
    };
    let r = karim.get("/journal/search").await;
    assert_eq!(r.status, StatusCode::OK);
    own_only(&r.body);
    // The organisation of the query is ignored: the session decides.
    let Tenant::Organisation(other_id) = other else {
        unreachable!()
    };
    let r = karim
        .get(&format!("/journal/search?organisation={}", other_id.0))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    own_only(&r.body);
    let r = karim.get("/journal/search?q=AUTRE+banque").await;
    assert!(!r.body.contains("ops-c") && !r.body.contains("ops-d"));
    let r = karim
        .get("/journal/search?q=instantane+supprime&type=vm.snapshot&source=hv%2Fkvm-07&severity=4")
        .await;
    assert!(
        r.body.contains("ops-a") && !r.body.contains("ops-b"),
        "{}",
        r.body
    );

    // Users without org.journal.read cannot search.
    t.user(Directory::Customers, "nadia", &["Utilisateur"], false)
        .await;
    let mut nadia = t.portal();
    nadia.login("nadia", PASSWORD).await;
    assert_eq!(
        nadia.get("/journal/search").await.status,
        StatusCode::FORBIDDEN
    );

    // The provider's operators search everything, or one commanditaire.
    let mut rssi = t.operator_signed("rachid", &["RSSI"]).await;
    let r = rssi.get("/journal/search?q=instantane").await;
    for actor in ["ops-a", "ops-b", "ops-c", "ops-d", "ops-e", "ops-f"] {
        assert!(r.body.contains(actor), "{actor}: {}", r.body);
    }
    let r = rssi
        .get(&format!("/journal/search?organisation={}", other_id.0))
        .await;
    assert!(r.body.contains("ops-c") && !r.body.contains("ops-a"));
    assert_eq!(
        rssi.get("/journal/search?organisation=99999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rssi.get("/journal/search?from=yesterday").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn alerts_sqlite() {
    alerts_story(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn alerts_postgres() {
    alerts_story(TestApp::new(Backend::Postgres).await).await;
}

#[tokio::test]
async fn portal_search_sqlite() {
    portal_search_story(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn portal_search_postgres() {
    portal_search_story(TestApp::new(Backend::Postgres).await).await;
}

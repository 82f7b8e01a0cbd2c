//! Journal search and security alerts (référentiel 3.8.9), on SQLite and
//! PostgreSQL alike: correlation rules raise one alert per (rule, key,
//! window), across evaluation batches; alerts are acknowledged once, with
//! who, when and a comment, and both are journaled; search filters by time,
//! tenant, source, type, severity and text, page by page.

mod support;

use std::collections::BTreeMap;

use support::TestStore;
use thiqa_domain::{Directory, Tenant};
use thiqa_journal::{Event, Outcome, Severity, Timestamp};
use thiqa_store::{
    Actor, AlertQuery, AlertSeverity, EventFilter, JournalSearch, NewEvent, RuleSet, Store,
    StoreError,
};

on_both_backends!(
    ten_failed_logins_in_five_minutes_raise_one_alert,
    nine_failed_logins_raise_nothing,
    ten_failed_logins_over_twenty_minutes_raise_nothing,
    events_split_across_batches_still_count,
    concurrent_evaluations_evaluate_each_leaf_once,
    the_default_rules_see_thiqa_failed_logins,
    acknowledgement_is_recorded_journaled_and_once_only,
    search_filters_by_time_tenant_source_type_severity_and_text,
    search_pages_do_not_overlap_and_resume,
);

const RULES: &str = r#"
[[rule]]
id = "auth.bruteforce"
title = "10 échecs de connexion pour un même compte en 5 minutes"
severity = "high"
match = { action = "login", outcome = "failure" }
group_by = ["target"]
threshold = 10
window = "5m"
"#;

fn rules() -> RuleSet {
    RuleSet::parse_toml(RULES).unwrap()
}

async fn provider(s: &Store) -> Tenant {
    provider_named(s, "Atlas Cloud").await
}

async fn provider_named(s: &Store, name: &str) -> Tenant {
    Tenant::Provider(s.create_provider(name, &Actor::cli()).await.unwrap())
}

/// One failed login of `account`, then the clock moves `gap_s` seconds.
async fn failed_login(t: &TestStore, tenant: Tenant, account: &str, gap_s: i64) {
    t.store
        .record_event(
            &Actor::anonymous(account, Some("192.0.2.7".into())),
            NewEvent::failure("login")
                .target(format!("operators:{account}"))
                .tenant(tenant)
                .details("wrong password"),
        )
        .await
        .unwrap();
    t.clock.advance_s(gap_s);
}

async fn evaluate(t: &TestStore, rules: &RuleSet) -> Vec<thiqa_domain::AlertId> {
    use thiqa_domain::Clock;
    let run = t
        .store
        .evaluate_alert_rules(rules, t.clock.now_ms())
        .await
        .unwrap();
    assert!(run.caught_up);
    run.raised
}

async fn all_alerts(s: &Store, scope: Tenant) -> Vec<thiqa_store::Alert> {
    s.tenant(scope)
        .alerts(&AlertQuery::default())
        .await
        .unwrap()
}

async fn ten_failed_logins_in_five_minutes_raise_one_alert(t: TestStore) {
    let p = provider(&t.store).await;
    let rules = rules();
    // Events before alerting was first evaluated count like any other.
    for _ in 0..10 {
        failed_login(&t, p, "amal", 25).await;
    }
    let raised = evaluate(&t, &rules).await;
    assert_eq!(raised.len(), 1);
    let alerts = all_alerts(&t.store, p).await;
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.id, raised[0]);
    assert_eq!(a.rule_id, "auth.bruteforce");
    assert_eq!(a.severity, "high");
    assert_eq!(a.key, "target=operators:amal");
    assert_eq!(a.count, 10);
    assert_eq!(a.tenant, Some(p));
    assert_eq!(a.window_end_ms - a.window_start_ms, 300_000);
    assert!(a.first_leaf < a.last_leaf);
    assert!(a.acknowledgement.is_none());

    // The raise is a security event, in the journal too.
    let events = t
        .store
        .events(&EventFilter {
            action_prefix: Some("alert.raise".into()),
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].target.as_deref(),
        Some(&*format!("alert:{}", a.id))
    );
    assert!(events[0]
        .details
        .as_deref()
        .unwrap()
        .contains("severity=high"));
    let found = t
        .store
        .journal_search(&JournalSearch {
            action_prefix: Some("alert.".into()),
            ..JournalSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(found.hits.len(), 1);
    assert_eq!(
        found.hits[0].event.tenant.as_deref(),
        Some(&*format!("provider:{}", tenant_id(p)))
    );

    // An eleventh failure in the same window adds to the alert.
    failed_login(&t, p, "amal", 1).await;
    assert!(evaluate(&t, &rules).await.is_empty());
    let alerts = all_alerts(&t.store, p).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 11);
    assert!(alerts[0].last_leaf > a.last_leaf);
    // Nothing is evaluated twice.
    assert!(evaluate(&t, &rules).await.is_empty());
    assert_eq!(all_alerts(&t.store, p).await[0].count, 11);

    // Another account is another key; after the window a new alert.
    for _ in 0..10 {
        failed_login(&t, p, "rachid", 1).await;
    }
    t.clock.advance_s(600);
    for _ in 0..10 {
        failed_login(&t, p, "amal", 1).await;
    }
    assert_eq!(evaluate(&t, &rules).await.len(), 2);
    let alerts = all_alerts(&t.store, p).await;
    assert_eq!(alerts.len(), 3);
    assert_eq!(
        alerts
            .iter()
            .filter(|a| a.key == "target=operators:amal")
            .count(),
        2
    );
}

fn tenant_id(t: Tenant) -> i64 {
    t.parts().1
}

async fn nine_failed_logins_raise_nothing(t: TestStore) {
    let p = provider(&t.store).await;
    for _ in 0..9 {
        failed_login(&t, p, "amal", 10).await;
    }
    // And one for another account: keys are not mixed.
    failed_login(&t, p, "rachid", 10).await;
    assert!(evaluate(&t, &rules()).await.is_empty());
    assert!(all_alerts(&t.store, p).await.is_empty());
}

async fn ten_failed_logins_over_twenty_minutes_raise_nothing(t: TestStore) {
    let p = provider(&t.store).await;
    // 10 failures, 130 s apart: 19.5 minutes, at most 3 in any 5 minutes.
    for _ in 0..10 {
        failed_login(&t, p, "amal", 130).await;
    }
    assert!(evaluate(&t, &rules()).await.is_empty());
    assert!(all_alerts(&t.store, p).await.is_empty());
}

async fn events_split_across_batches_still_count(t: TestStore) {
    use thiqa_domain::Clock;
    let p = provider(&t.store).await;
    let rules = rules();
    for _ in 0..4 {
        failed_login(&t, p, "amal", 10).await;
    }
    assert!(evaluate(&t, &rules).await.is_empty());
    for _ in 0..3 {
        failed_login(&t, p, "amal", 10).await;
    }
    assert!(evaluate(&t, &rules).await.is_empty());
    for _ in 0..3 {
        failed_login(&t, p, "amal", 10).await;
    }
    // The last three, and the alert events in between, two leaves a batch.
    let run = t
        .store
        .evaluate_alert_rules_in_batches(&rules, t.clock.now_ms(), 2)
        .await
        .unwrap();
    assert!(run.caught_up);
    assert_eq!(run.raised.len(), 1);
    assert_eq!(all_alerts(&t.store, p).await[0].count, 10);
    assert_eq!(
        t.store.alert_cursor().await.unwrap().next_leaf,
        t.store.journal_head().await.unwrap().size - 1,
        "the alert's own event is the one leaf left"
    );
}

async fn concurrent_evaluations_evaluate_each_leaf_once(t: TestStore) {
    use thiqa_domain::Clock;
    let p = provider(&t.store).await;
    let rules = rules();
    for account in ["amal", "rachid", "samira"] {
        for _ in 0..10 {
            failed_login(&t, p, account, 1).await;
        }
    }
    let now = t.clock.now_ms();
    let (a, b) = tokio::join!(
        t.store.evaluate_alert_rules_in_batches(&rules, now, 7),
        t.store.evaluate_alert_rules_in_batches(&rules, now, 7),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.raised.len() + b.raised.len(), 3, "{a:?} {b:?}");
    let alerts = all_alerts(&t.store, p).await;
    assert_eq!(alerts.len(), 3);
    assert!(alerts.iter().all(|a| a.count == 10), "{alerts:?}");
}

async fn the_default_rules_see_thiqa_failed_logins(t: TestStore) {
    let p = provider(&t.store).await;
    // The login form records failures with the claimed name as actor and,
    // for unknown accounts, the bare name as target.
    for _ in 0..10 {
        t.store
            .record_event(
                &Actor::anonymous("ghost", Some("198.51.100.9".into())),
                NewEvent::failure("login")
                    .target("ghost")
                    .details("unknown account"),
            )
            .await
            .unwrap();
        t.clock.advance_s(5);
    }
    let raised = evaluate(&t, &RuleSet::defaults()).await;
    assert_eq!(raised.len(), 1);
    let alerts = all_alerts(&t.store, p).await;
    assert_eq!(alerts[0].rule_id, "auth.bruteforce.account");
    assert_eq!(alerts[0].key, "actor=ghost");
    // No tenant on the events: the alert has none, and every provider sees it.
    assert_eq!(alerts[0].tenant, None);
}

async fn acknowledgement_is_recorded_journaled_and_once_only(t: TestStore) {
    use thiqa_domain::Clock;
    let p = provider(&t.store).await;
    let Tenant::Provider(pid) = p else {
        unreachable!()
    };
    let org = Tenant::Organisation(
        t.store
            .provider(pid)
            .create_organisation("Banque Exemple", false, &Actor::cli())
            .await
            .unwrap(),
    );
    let other = provider_named(&t.store, "Autre prestataire").await;
    for _ in 0..10 {
        failed_login(&t, p, "amal", 1).await;
    }
    let id = evaluate(&t, &rules()).await[0];
    let amal = Actor {
        directory: Some(Directory::Operators),
        id: Some(7),
        name: "amal".into(),
        source_ip: Some("192.0.2.10".into()),
    };

    // Comment required.
    let err = t
        .store
        .tenant(p)
        .acknowledge_alert(id, "  ", &amal)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ref m) if m.english().contains("comment") && m.key == "refusal-alert-comment"),
        "{err}"
    );
    // Other tenants do not see it.
    for scope in [other, org] {
        let err = t
            .store
            .tenant(scope)
            .acknowledge_alert(id, "vu", &amal)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound), "{err}");
        assert!(all_alerts(&t.store, scope).await.is_empty());
    }

    t.clock.advance_s(3600);
    let at = t.clock.now_ms();
    let comment = "Test d'intrusion planifié (ticket SEC-42) ; compte vérifié";
    let acked = t
        .store
        .tenant(p)
        .acknowledge_alert(id, comment, &amal)
        .await
        .unwrap();
    let ack = acked.acknowledgement.as_ref().unwrap();
    assert_eq!(ack.by, "amal");
    assert_eq!(ack.by_id, Some(7));
    assert_eq!(ack.at_ms, at);
    assert_eq!(ack.comment, comment);
    assert_eq!(t.store.tenant(p).alert(id).await.unwrap(), acked);

    let events = t
        .store
        .events(&EventFilter {
            action_prefix: Some("alert.acknowledge".into()),
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_name.as_deref(), Some("amal"));
    assert!(events[0].details.as_deref().unwrap().contains("SEC-42"));
    let journaled = t
        .store
        .journal_search(&JournalSearch {
            action_prefix: Some("alert.acknowledge".into()),
            text: Some("sec-42".into()),
            ..JournalSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(journaled.hits.len(), 1);
    assert_eq!(journaled.hits[0].event.actor, "amal");

    // Twice is refused, naming the alert and who acknowledged it.
    let rachid = Actor {
        name: "rachid".into(),
        id: Some(8),
        ..amal.clone()
    };
    let err = t
        .store
        .tenant(p)
        .acknowledge_alert(id, "moi aussi", &rachid)
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict(r) => {
            let m = r.english();
            assert!(m.contains(&format!("alert {id}")), "{m}");
            assert!(m.contains("already acknowledged"), "{m}");
            assert!(m.contains("amal"), "{m}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(t.store.tenant(p).alert(id).await.unwrap(), acked);

    // Unacknowledged alerts come first and are counted per severity.
    t.clock.advance_s(600);
    for _ in 0..10 {
        failed_login(&t, p, "samira", 1).await;
    }
    let second = evaluate(&t, &rules()).await[0];
    let alerts = all_alerts(&t.store, p).await;
    assert_eq!(
        alerts.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![second, id]
    );
    let open = t
        .store
        .tenant(p)
        .alerts(&AlertQuery {
            unacknowledged_only: true,
            limit: 50,
        })
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    let counts = t.store.tenant(p).open_alert_counts().await.unwrap();
    assert_eq!(counts[1], (AlertSeverity::High, 1));
    assert_eq!(counts.iter().map(|c| c.1).sum::<u64>(), 1);
}

// ---- search ------------------------------------------------------------

const DAY: i64 = 86_400_000;
const T0: i64 = 1_780_000_000_000;

#[allow(clippy::too_many_arguments)]
fn event(
    day: i64,
    source: &str,
    action: &str,
    severity: Severity,
    actor: &str,
    tenant: Option<Tenant>,
    detail: &str,
) -> Event {
    let t = Timestamp::from_unix_millis(T0 - day * DAY).unwrap();
    Event {
        event_time: t,
        received_time: t,
        source: source.into(),
        action: action.into(),
        severity,
        actor: actor.into(),
        target: "vm-07".into(),
        tenant: tenant.map(|t| {
            let (k, i) = t.parts();
            format!("{k}:{i}")
        }),
        source_address: None,
        outcome: Outcome::Success,
        attributes: BTreeMap::from([("message".to_owned(), detail.to_owned())]),
    }
}

/// Actors of the hits, leaving out Thiqa's own events (creating the
/// provider and organisations), whose actor is `cli`.
async fn search(s: &Store, q: JournalSearch) -> Vec<String> {
    s.journal_search(&q)
        .await
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.event.actor)
        .filter(|a| a != "cli")
        .collect()
}

async fn search_filters_by_time_tenant_source_type_severity_and_text(t: TestStore) {
    let p = provider(&t.store).await;
    let Tenant::Provider(pid) = p else {
        unreachable!()
    };
    let a = Tenant::Organisation(
        t.store
            .provider(pid)
            .create_organisation("Banque A", false, &Actor::cli())
            .await
            .unwrap(),
    );
    let b = Tenant::Organisation(
        t.store
            .provider(pid)
            .create_organisation("Banque B", false, &Actor::cli())
            .await
            .unwrap(),
    );
    use Severity::*;
    // Appended in an order unlike event time: search orders by event time.
    let events = [
        event(
            200,
            "fw/edge-1",
            "net.deny",
            Warning,
            "e200",
            Some(a),
            "Paquet refusé",
        ),
        event(
            1,
            "hv/kvm-07",
            "vm.snapshot.delete",
            Notice,
            "e1",
            Some(a),
            "Instantané supprimé",
        ),
        event(
            170,
            "hv/kvm-07",
            "vm.start",
            Informational,
            "e170",
            Some(b),
            "Démarrage",
        ),
        event(
            30,
            "bastion",
            "access.grant",
            Error,
            "e30",
            Some(a),
            "Échec d'accès au coffre",
        ),
        event(
            90,
            "hv/kvm-07",
            "vm.snapshot.create",
            Informational,
            "e90",
            Some(b),
            "ok",
        ),
        event(
            10,
            "fw/edge-1",
            "net.deny",
            Critical,
            "e10",
            None,
            "Flux bloqué vers l'hôte",
        ),
        event(
            60,
            "bastion",
            "access.revoke",
            Notice,
            "e60",
            Some(a),
            "Accès retiré",
        ),
    ];
    for e in &events {
        t.store.journal_append(e).await.unwrap();
    }
    let six_months = JournalSearch {
        from_ms: T0 - 183 * DAY,
        to_ms: T0 + DAY,
        limit: 100,
        ..JournalSearch::default()
    };
    // Newest first, and day 200 is outside six months.
    let all = search(&t.store, six_months.clone()).await;
    assert_eq!(all, ["e1", "e10", "e30", "e60", "e90", "e170"]);

    // Tenant isolation: organisation A sees its own only.
    let of_a = search(
        &t.store,
        JournalSearch {
            tenant: Some(a),
            ..six_months.clone()
        },
    )
    .await;
    assert_eq!(of_a, ["e1", "e30", "e60"]);
    let of_b = search(
        &t.store,
        JournalSearch {
            tenant: Some(b),
            from_ms: i64::MIN,
            ..six_months.clone()
        },
    )
    .await;
    assert_eq!(of_b, ["e90", "e170"]);

    // Time range: [from, to).
    let window = search(
        &t.store,
        JournalSearch {
            from_ms: T0 - 60 * DAY,
            to_ms: T0 - 10 * DAY,
            source: Some("bastion".into()),
            ..six_months.clone()
        },
    )
    .await;
    assert_eq!(window, ["e30", "e60"]);

    // Source.
    let kvm = search(
        &t.store,
        JournalSearch {
            source: Some("hv/kvm-07".into()),
            ..six_months.clone()
        },
    )
    .await;
    assert_eq!(kvm, ["e1", "e90", "e170"]);

    // Type (action prefix), with the tenant.
    let snapshots = search(
        &t.store,
        JournalSearch {
            action_prefix: Some("vm.snapshot.".into()),
            tenant: Some(b),
            ..six_months.clone()
        },
    )
    .await;
    assert_eq!(snapshots, ["e90"]);

    // Severity: warning or worse.
    let severe = search(
        &t.store,
        JournalSearch {
            min_severity: Some(Warning.code()),
            source: Some("fw/edge-1".into()),
            from_ms: i64::MIN,
            ..six_months.clone()
        },
    )
    .await;
    assert_eq!(severe, ["e10", "e200"]);
    let errors = search(
        &t.store,
        JournalSearch {
            min_severity: Some(Error.code()),
            tenant: Some(a),
            ..six_months.clone()
        },
    )
    .await;
    assert_eq!(errors, ["e30"]);

    // Text: case and accents ignored, every word must appear.
    for (text, expected) in [
        ("echec ACCES", vec!["e30"]),
        ("ÉCHEC d'accès coffre", vec!["e30"]),
        ("hote", vec!["e10"]),
        ("instantane", vec!["e1"]),
        ("acces", vec!["e30", "e60"]),
        ("acces absent", vec![]),
        ("vm-07 snapshot", vec!["e1", "e90"]),
    ] {
        let found = search(
            &t.store,
            JournalSearch {
                text: Some(text.into()),
                ..six_months.clone()
            },
        )
        .await;
        assert_eq!(found, expected, "text {text:?}");
    }
}

async fn search_pages_do_not_overlap_and_resume(t: TestStore) {
    let p = provider(&t.store).await;
    // 25 events a day apart, two of them at the same millisecond.
    let mut expected = Vec::new();
    for d in 0..25 {
        let day = if d == 12 { 11 } else { d };
        let actor = format!("p{d:02}");
        t.store
            .journal_append(&event(
                day,
                "fw/edge-1",
                "net.deny",
                Severity::Warning,
                &actor,
                Some(p),
                "x",
            ))
            .await
            .unwrap();
        expected.push((day, actor));
    }
    // Newest first: by day ascending (days ago), then later index first.
    expected.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let expected: Vec<String> = expected.into_iter().map(|(_, a)| a).collect();
    let base = JournalSearch {
        source: Some("fw/edge-1".into()),
        limit: 10,
        ..JournalSearch::default()
    };
    let mut pages = Vec::new();
    let mut q = base.clone();
    loop {
        let page = t.store.journal_search(&q).await.unwrap();
        assert!(!page.truncated);
        pages.push(page.clone());
        match page.older {
            Some(c) if !page.hits.is_empty() => {
                q = JournalSearch {
                    after: Some(c),
                    ..base.clone()
                }
            }
            _ => break,
        }
    }
    let got: Vec<String> = pages
        .iter()
        .flat_map(|p| p.hits.iter().map(|h| h.event.actor.clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(pages[0].newer, None);
    assert_eq!(pages[0].hits.len(), 10);

    // Back from the second page gives the first again.
    let back = t
        .store
        .journal_search(&JournalSearch {
            before: pages[1].newer,
            ..base.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        back.hits.iter().map(|h| h.index).collect::<Vec<_>>(),
        pages[0].hits.iter().map(|h| h.index).collect::<Vec<_>>()
    );

    // A scan budget stops early and says where to resume.
    let q = JournalSearch {
        text: Some("nothing like this".into()),
        max_scan: 7,
        ..base.clone()
    };
    let page = t.store.journal_search(&q).await.unwrap();
    assert!(page.hits.is_empty());
    assert!(page.truncated);
    assert_eq!(page.scanned, 7);
    let resumed = t
        .store
        .journal_search(&JournalSearch {
            after: page.older,
            max_scan: 100,
            ..q
        })
        .await
        .unwrap();
    assert!(!resumed.truncated);
    assert_eq!(resumed.scanned, 18);
    assert_eq!(resumed.older, None);
}

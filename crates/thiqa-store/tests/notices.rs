//! Notices to commanditaires (3.8.2, 3.11.1, 3.11.4…): a notice about a
//! service reaches exactly the organisations holding a contract in force on
//! it, with one message per member who reads the portal (and wants e-mail)
//! and per contract contact, committed with the notice; a refused or
//! missing consent blocks marking the change done until a decision is
//! recorded; the outbox hands each message to one sender at a time, again
//! after a lease runs out, and never after it is sent.

mod support;

use support::TestStore;
use thiqa_domain::{NoticeId, OrganisationId, Permission, ProviderId, ServiceId, Tenant};
use thiqa_store::{
    Actor, Contact, DeliveryOutcome, NewContract, NewNotice, NewService, NoticeAnswer, Store,
    StoreError,
};

on_both_backends!(
    a_notice_reaches_exactly_the_organisations_with_a_contract,
    a_notice_to_everyone_reaches_every_organisation_of_the_provider,
    a_refused_consent_blocks_the_change_until_a_decision_is_recorded,
    the_outbox_leases_each_message_and_forgets_none,
    organisations_that_have_not_answered_are_reminded_once,
);

struct World {
    provider: ProviderId,
    storage: ServiceId,
    compute: ServiceId,
    /// A holds a contract on storage, B on compute, C none.
    a: OrganisationId,
    b: OrganisationId,
    c: OrganisationId,
}

/// A member of `org` who reads the portal, with an address when given.
async fn reader(
    s: &Store,
    org: OrganisationId,
    name: &str,
    email: Option<&str>,
    role: thiqa_domain::RoleId,
) -> i64 {
    let t = s.tenant(Tenant::Organisation(org));
    let id = t
        .create_account(
            thiqa_store::NewAccount {
                username: name.into(),
                display_name: name.into(),
                email: email.map(str::to_string),
                password_hash: None,
                totp_secret: None,
                language: "fr".into(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    t.assign_role(id, role, &Actor::cli()).await.unwrap();
    id
}

async fn reader_role(s: &Store, org: OrganisationId, name: &str) -> thiqa_domain::RoleId {
    s.tenant(Tenant::Organisation(org))
        .create_role(name, "", &[Permission::PortalRead], false, &Actor::cli())
        .await
        .unwrap()
}

async fn world(s: &Store) -> World {
    let cli = Actor::cli();
    let provider = s.create_provider("Nuage", &cli).await.unwrap();
    let p = s.provider(provider);
    let storage = support::iaas_service(s, provider).await;
    let compute = p
        .create_service(
            &NewService {
                name: "Calcul",
                description: "",
                model: "paas",
                level: 1,
                facts_json: "{}",
            },
            &cli,
        )
        .await
        .unwrap();
    let mut orgs = Vec::new();
    for name in ["Banque A", "Office B", "Agence C"] {
        orgs.push(p.create_organisation(name, false, &cli).await.unwrap());
    }
    let (a, b, c) = (orgs[0], orgs[1], orgs[2]);
    for (org, service, reference, contact) in [
        (a, storage, "A-1", "rssi@a.ma"),
        (b, compute, "B-1", "soc@b.ma"),
    ] {
        p.create_contract(
            &NewContract {
                organisation: org,
                service,
                reference: reference.into(),
                level: 1,
                starts_on: "2026-01-01".into(),
                ends_on: None,
                sites: vec![],
                contacts: vec![
                    Contact {
                        role: "security".into(),
                        name: "Sécurité".into(),
                        email: contact.into(),
                    },
                    Contact {
                        role: "billing".into(),
                        name: "Compta".into(),
                        email: "factures@x.ma".into(),
                    },
                ],
            },
            &cli,
        )
        .await
        .unwrap();
    }
    for (org, prefix) in [(a, "a"), (b, "b"), (c, "c")] {
        let role = reader_role(s, org, "Lecteur").await;
        reader(
            s,
            org,
            &format!("{prefix}-lea"),
            Some(&format!("lea@{prefix}.ma")),
            role,
        )
        .await;
        // Without an address: told in the portal only.
        reader(s, org, &format!("{prefix}-omar"), None, role).await;
    }
    World {
        provider,
        storage,
        compute,
        a,
        b,
        c,
    }
}

fn notice(services: Vec<ServiceId>, answer: &str, now_ms: i64) -> NewNotice {
    NewNotice {
        kind: if answer == "consent" {
            "subcontractor-change"
        } else {
            "planned-operation"
        }
        .into(),
        title: "Maintenance".into(),
        fields: r#"{"nature":"Remplacement"}"#.into(),
        answer: answer.into(),
        answer_by: now_ms + 10 * 86_400_000,
        remind_at: now_ms + 9 * 86_400_000,
        authority: false,
        services,
        everyone: false,
        today: "2026-05-28".into(),
    }
}

async fn addresses(s: &Store) -> Vec<String> {
    let mut out: Vec<String> = s
        .lease_deliveries(1000, 60_000, "test", true)
        .await
        .unwrap()
        .into_iter()
        .map(|d| format!("{}:{}", d.channel, d.address))
        .collect();
    out.sort();
    out
}

async fn a_notice_reaches_exactly_the_organisations_with_a_contract(ts: TestStore) {
    let s = &ts.store;
    let w = world(s).await;
    let now = ts.clock_ms();
    // A member who turned e-mail off and one who does not read the portal
    // get nothing by e-mail.
    let t = s.tenant(Tenant::Organisation(w.a));
    let role = reader_role(s, w.a, "Lecteur discret").await;
    let quiet = reader(s, w.a, "a-quiet", Some("quiet@a.ma"), role).await;
    t.set_notice_email(quiet, false, &Actor::cli())
        .await
        .unwrap();
    t.create_account(
        thiqa_store::NewAccount {
            username: "a-norights".into(),
            display_name: "x".into(),
            email: Some("norights@a.ma".into()),
            password_hash: None,
            totp_secret: None,
            language: "fr".into(),
        },
        &Actor::cli(),
    )
    .await
    .unwrap();

    let sent = s
        .provider(w.provider)
        .send_notice(&notice(vec![w.storage], "acknowledge", now), &Actor::cli())
        .await
        .unwrap();
    assert_eq!(sent.organisations, 1);
    // Léa of A and A's security contact; not the billing contact.
    assert_eq!(addresses(s).await, ["email:lea@a.ma", "email:rssi@a.ma"]);
    assert_eq!(sent.messages, 2);

    let detail = s.provider(w.provider).notice(sent.id).await.unwrap();
    let reached: Vec<_> = detail.targets.iter().map(|t| t.organisation_id).collect();
    assert_eq!(reached, [w.a]);
    assert_eq!(
        s.provider(w.provider)
            .notices_of_contract(thiqa_domain::ContractId(1))
            .await
            .unwrap()
            .len(),
        1
    );

    // A sees it; B and C neither list it nor open it.
    let a = s.tenant(Tenant::Organisation(w.a));
    assert_eq!(a.notices_received().await.unwrap().len(), 1);
    a.notice_received(sent.id).await.unwrap();
    assert_eq!(a.notice_services(sent.id).await.unwrap(), ["IaaS"]);
    for other in [w.b, w.c] {
        let t = s.tenant(Tenant::Organisation(other));
        assert!(t.notices_received().await.unwrap().is_empty());
        assert!(matches!(
            t.notice_received(sent.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            t.answer_notice(sent.id, NoticeAnswer::Acknowledge, "", &Actor::cli())
                .await,
            Err(StoreError::NotFound)
        ));
    }
    // Another provider cannot send about this provider's service.
    let other = s.create_provider("Autre", &Actor::cli()).await.unwrap();
    assert!(matches!(
        s.provider(other)
            .send_notice(&notice(vec![w.storage], "acknowledge", now), &Actor::cli())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.provider(other).notice(sent.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_notice_to_everyone_reaches_every_organisation_of_the_provider(ts: TestStore) {
    let s = &ts.store;
    let w = world(s).await;
    let mut n = notice(vec![], "acknowledge", ts.clock_ms());
    n.kind = "third-party-security-lowered".into();
    n.everyone = true;
    n.authority = true;
    let sent = s
        .provider(w.provider)
        .send_notice(&n, &Actor::cli())
        .await
        .unwrap();
    assert_eq!(sent.organisations, 3);
    let got = addresses(s).await;
    assert_eq!(
        got,
        [
            "email:lea@a.ma",
            "email:lea@b.ma",
            "email:lea@c.ma",
            "email:rssi@a.ma",
            "email:soc@b.ma"
        ]
    );
    for org in [w.a, w.b, w.c] {
        assert_eq!(
            s.tenant(Tenant::Organisation(org))
                .notices_received()
                .await
                .unwrap()
                .len(),
            1
        );
    }
    let p = s.provider(w.provider);
    p.record_authority_informed(sent.id, "Courrier DGSSI n° 12", &Actor::cli())
        .await
        .unwrap();
    assert!(p
        .notice(sent.id)
        .await
        .unwrap()
        .notice
        .authority_informed_at
        .is_some());
}

async fn a_refused_consent_blocks_the_change_until_a_decision_is_recorded(ts: TestStore) {
    let s = &ts.store;
    let w = world(s).await;
    let p = s.provider(w.provider);
    let sent = p
        .send_notice(
            &notice(vec![w.storage, w.compute], "consent", ts.clock_ms()),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let (a, b) = (
        s.tenant(Tenant::Organisation(w.a)),
        s.tenant(Tenant::Organisation(w.b)),
    );
    // A consent is given or refused, not acknowledged.
    match a
        .answer_notice(sent.id, NoticeAnswer::Acknowledge, "", &Actor::cli())
        .await
    {
        Err(StoreError::Conflict(r)) => assert_eq!(r.key, "refusal-notice-answer"),
        other => panic!("{other:?}"),
    }
    a.answer_notice(sent.id, NoticeAnswer::Accept, "", &Actor::cli())
        .await
        .unwrap();
    // B has not answered: the change cannot be done.
    let refused = |e: StoreError| match e {
        StoreError::Conflict(r) => (r.key, r.args.first().map(|(_, v)| v.clone())),
        other => panic!("{other:?}"),
    };
    let e = p
        .mark_notice_done(sent.id, &Actor::cli())
        .await
        .unwrap_err();
    assert_eq!(
        refused(e),
        ("refusal-notice-consent-missing", Some("1".into()))
    );
    b.answer_notice(
        sent.id,
        NoticeAnswer::Refuse,
        "Pas sans audit du tiers",
        &Actor::cli(),
    )
    .await
    .unwrap();
    let e = p
        .mark_notice_done(sent.id, &Actor::cli())
        .await
        .unwrap_err();
    assert_eq!(refused(e).0, "refusal-notice-consent-missing");
    let detail = p.notice(sent.id).await.unwrap();
    let of_b = detail
        .targets
        .iter()
        .find(|t| t.organisation_id == w.b)
        .unwrap();
    assert_eq!(of_b.state, "refused");
    assert_eq!(of_b.comment.as_deref(), Some("Pas sans audit du tiers"));
    // An accepted consent takes no decision.
    let e = p
        .record_notice_decision(sent.id, w.a, "x", &Actor::cli())
        .await
        .unwrap_err();
    assert_eq!(refused(e).0, "refusal-notice-decision");
    p.record_notice_decision(sent.id, w.b, "Contrat de B résilié au 30/06", &Actor::cli())
        .await
        .unwrap();
    p.mark_notice_done(sent.id, &Actor::cli()).await.unwrap();
    // Answers close with the change.
    let e = b
        .answer_notice(sent.id, NoticeAnswer::Accept, "", &Actor::cli())
        .await
        .unwrap_err();
    assert_eq!(refused(e).0, "refusal-notice-closed");
    let summary = &p.notices().await.unwrap()[0];
    assert_eq!(
        (summary.targets, summary.pending, summary.blocking),
        (2, 0, 0)
    );
}

async fn the_outbox_leases_each_message_and_forgets_none(ts: TestStore) {
    let s = &ts.store;
    let w = world(s).await;
    let sent = s
        .provider(w.provider)
        .send_notice(
            &notice(vec![w.storage], "acknowledge", ts.clock_ms()),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let first = s.lease_deliveries(10, 60_000, "one", true).await.unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].notice.as_ref().unwrap().id, sent.id);
    // Leased: another instance gets nothing meanwhile.
    assert!(s
        .lease_deliveries(10, 60_000, "two", true)
        .await
        .unwrap()
        .is_empty());
    // The instance dies; once the lease runs out, the same messages (same
    // ids, the idempotency keys) are handed out again.
    ts.clock.advance_s(61);
    let again = s.lease_deliveries(10, 60_000, "two", true).await.unwrap();
    let ids = |v: &[thiqa_store::Delivery]| v.iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&first));
    // The first instance comes back late with an outcome: its lease ran
    // out, the message is the second's now, and the late word is dropped.
    s.finish_deliveries(&[(first[0].clone(), DeliveryOutcome::Sent)])
        .await
        .unwrap();
    let detail = s.provider(w.provider).notice(sent.id).await.unwrap();
    assert_eq!(detail.deliveries.sent, 0);
    let now = ts.clock_ms();
    s.finish_deliveries(&[
        (again[0].clone(), DeliveryOutcome::Sent),
        (
            again[1].clone(),
            DeliveryOutcome::Retry {
                error: "421 try later".into(),
                at: now + 30_000,
            },
        ),
    ])
    .await
    .unwrap();
    assert!(s
        .lease_deliveries(10, 60_000, "two", true)
        .await
        .unwrap()
        .is_empty());
    ts.clock.advance_s(31);
    let retried = s.lease_deliveries(10, 60_000, "two", true).await.unwrap();
    assert_eq!(ids(&retried), [again[1].id]);
    assert_eq!(retried[0].attempts, 1);
    s.finish_deliveries(&[(
        retried[0].clone(),
        DeliveryOutcome::Dead {
            error: "550 no such user".into(),
        },
    )])
    .await
    .unwrap();
    ts.clock.advance_s(3600);
    assert!(s
        .lease_deliveries(10, 60_000, "two", true)
        .await
        .unwrap()
        .is_empty());
    let detail = s.provider(w.provider).notice(sent.id).await.unwrap();
    assert_eq!(
        (
            detail.deliveries.sent,
            detail.deliveries.pending,
            detail.deliveries.dead
        ),
        (1, 0, 1)
    );
    assert_eq!(detail.dead[0].last_error, "550 no such user");
}

async fn organisations_that_have_not_answered_are_reminded_once(ts: TestStore) {
    let s = &ts.store;
    let w = world(s).await;
    let sent = s
        .provider(w.provider)
        .send_notice(
            &notice(vec![w.storage, w.compute], "consent", ts.clock_ms()),
            &Actor::cli(),
        )
        .await
        .unwrap();
    s.tenant(Tenant::Organisation(w.a))
        .answer_notice(sent.id, NoticeAnswer::Accept, "", &Actor::cli())
        .await
        .unwrap();
    let first = s.lease_deliveries(100, 60_000, "x", true).await.unwrap();
    let sent_all: Vec<_> = first
        .into_iter()
        .map(|d| (d, DeliveryOutcome::Sent))
        .collect();
    s.finish_deliveries(&sent_all).await.unwrap();
    assert!(s.remind_unanswered_notices().await.unwrap().is_empty());
    ts.clock.advance_s(9 * 86_400 + 60);
    assert_eq!(s.remind_unanswered_notices().await.unwrap(), [sent.id]);
    let reminders = s.lease_deliveries(100, 60_000, "x", true).await.unwrap();
    let mut to: Vec<_> = reminders
        .iter()
        .map(|d| (d.topic.as_str(), d.address.as_str()))
        .collect();
    to.sort();
    // Only B, which has not answered.
    assert_eq!(
        to,
        [
            ("notice-reminder", "lea@b.ma"),
            ("notice-reminder", "soc@b.ma")
        ]
    );
    assert!(s.remind_unanswered_notices().await.unwrap().is_empty());
    let _: NoticeId = sent.id;
}

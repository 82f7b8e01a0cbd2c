//! Support access to a commanditaire's data (3.5.7): a request of a vetted
//! operator under a contract waits for the customer's answer and expires
//! unanswered; a grant lets the operator in over its window only, ends
//! exactly on time, and a revocation answers no at once, to the bastion's
//! question and to a session it tries to open; another organisation or
//! provider sees and changes nothing of it.

mod support;

use support::TestStore;
use thiqa_domain::support::{verdict, Candidate, Denial, SupportState};
use thiqa_domain::{
    ContractId, Directory, OrganisationId, ProviderId, ServiceId, SupportRequestId, Tenant,
};
use thiqa_store::{Actor, NewContract, NewSupportRequest, Store, StoreError};

on_both_backends!(
    a_grant_lets_the_operator_in_only_over_its_window,
    an_unanswered_request_expires_and_cannot_be_granted,
    a_revoked_grant_answers_no_at_once,
    an_operator_without_vetting_is_never_let_in,
    a_retired_jump_host_lets_nobody_in,
    another_tenant_sees_and_changes_nothing,
    nobody_vouches_for_itself_whatever_the_path,
);

const H: i64 = 3_600_000;

struct World {
    provider: ProviderId,
    service: ServiceId,
    org: OrganisationId,
    contract: ContractId,
    /// A vetted operator of the provider.
    amal: i64,
}

async fn world(ts: &TestStore) -> World {
    let s = &ts.store;
    let cli = Actor::cli();
    let provider = s.create_provider("Nuage", &cli).await.unwrap();
    let service = support::iaas_service(s, provider).await;
    let p = s.provider(provider);
    let org = p
        .create_organisation("Banque A", false, &cli)
        .await
        .unwrap();
    let contract = p
        .create_contract(
            &NewContract {
                organisation: org,
                service,
                reference: "A-1".into(),
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
    let amal = ts.operator(Tenant::Provider(provider), "amal").await;
    p.record_vetting(amal, "RH-2026-014", "2026-03-02", &cli)
        .await
        .unwrap();
    World {
        provider,
        service,
        org,
        contract,
        amal,
    }
}

fn request(w: &World, now: i64, hours: i64) -> NewSupportRequest {
    NewSupportRequest {
        contract: w.contract,
        operator: w.amal,
        reason: "Lenteur des volumes".into(),
        ticket: "INC-7".into(),
        resources: vec!["vm-12".into()],
        abroad: false,
        country: None,
        jump_host: None,
        starts_at: now,
        ends_at: now + hours * H,
        answer_by: now + 12 * H,
    }
}

fn amal() -> Actor {
    Actor {
        name: "amal".into(),
        ..Actor::cli()
    }
}

fn nadia() -> Actor {
    Actor {
        name: "nadia".into(),
        ..Actor::cli()
    }
}

/// The bastion's verdict for amal on vm-12 at the store's instant.
async fn bastion(ts: &TestStore, w: &World) -> Result<SupportRequestId, Denial> {
    let now = ts.clock_ms();
    let found = ts
        .store
        .provider(w.provider)
        .support_candidates("amal", w.org, w.service)
        .await
        .unwrap()
        .expect("amal is an active operator");
    let candidates: Vec<Candidate> = found.requests.iter().map(|r| r.candidate(now)).collect();
    verdict(found.vetted, &candidates, "vm-12", None).map(|a| a.grant)
}

async fn state(s: &Store, w: &World, id: SupportRequestId, now: i64) -> SupportState {
    s.provider(w.provider)
        .support_request(id)
        .await
        .unwrap()
        .request
        .state(now)
}

async fn a_grant_lets_the_operator_in_only_over_its_window(ts: TestStore) {
    let s = &ts.store;
    let w = world(&ts).await;
    let start = ts.clock_ms() + H;
    let mut new = request(&w, start, 4);
    new.answer_by = ts.clock_ms() + 12 * H;
    let id = s
        .provider(w.provider)
        .create_support_request(&new, &amal())
        .await
        .unwrap();
    assert_eq!(bastion(&ts, &w).await, Err(Denial::Pending));
    let org = s.tenant(Tenant::Organisation(w.org));
    org.answer_support_request(id, true, "", &nadia())
        .await
        .unwrap();
    assert_eq!(
        state(s, &w, id, ts.clock_ms()).await,
        SupportState::Scheduled
    );
    assert_eq!(bastion(&ts, &w).await, Err(Denial::NotStarted));
    ts.clock.advance_s(3600);
    assert_eq!(bastion(&ts, &w).await, Ok(id));
    let p = s.provider(w.provider);
    let session = p
        .start_support_session(id, "bastion-991", None, &Actor::cli())
        .await
        .unwrap();
    p.end_support_session(id, "bastion-991", &Actor::cli())
        .await
        .unwrap();
    let detail = p.support_request(id).await.unwrap();
    assert_eq!(detail.sessions.len(), 1);
    assert_eq!(detail.sessions[0].id, session);
    assert!(detail.sessions[0].ended_at.is_some());
    // One millisecond before its end it still lets in; at its end, no.
    ts.clock.advance_ms(4 * H - 1);
    assert_eq!(bastion(&ts, &w).await, Ok(id));
    ts.clock.advance_ms(1);
    assert_eq!(bastion(&ts, &w).await, Err(Denial::Ended));
    assert_eq!(state(s, &w, id, ts.clock_ms()).await, SupportState::Ended);
    assert!(matches!(
        p.start_support_session(id, "bastion-992", None, &Actor::cli())
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Both journals tell every step, as administration; the provider's
    // also the vetting record it rests on.
    let steps = [
        "support.session.end",
        "support.session.start",
        "support.grant",
        "support.request",
    ];
    for (tenant, vetting) in [
        (Tenant::Provider(w.provider), true),
        (Tenant::Organisation(w.org), false),
    ] {
        let actions: Vec<String> = s
            .events(&thiqa_store::EventFilter {
                tenant: Some(tenant),
                action_prefix: Some("support.".into()),
                limit: 50,
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        let mut expected = steps.to_vec();
        if vetting {
            expected.push("support.vetting.record");
        }
        assert_eq!(actions, expected, "{tenant:?}");
    }
}

async fn an_unanswered_request_expires_and_cannot_be_granted(ts: TestStore) {
    let s = &ts.store;
    let w = world(&ts).await;
    let id = s
        .provider(w.provider)
        .create_support_request(&request(&w, ts.clock_ms(), 24), &amal())
        .await
        .unwrap();
    ts.clock.advance_ms(12 * H - 1);
    assert_eq!(state(s, &w, id, ts.clock_ms()).await, SupportState::Pending);
    ts.clock.advance_ms(1);
    assert_eq!(state(s, &w, id, ts.clock_ms()).await, SupportState::Expired);
    let org = s.tenant(Tenant::Organisation(w.org));
    match org.answer_support_request(id, true, "", &nadia()).await {
        Err(StoreError::Conflict(r)) => assert_eq!(r.key, "refusal-support-answered"),
        other => panic!("an expired request was granted: {other:?}"),
    }
    assert_eq!(bastion(&ts, &w).await, Err(Denial::Expired));
    // The operator cannot withdraw what already expired either.
    assert!(matches!(
        s.provider(w.provider)
            .close_support_request(id, w.amal, &amal())
            .await,
        Err(StoreError::Conflict(_))
    ));
}

async fn a_revoked_grant_answers_no_at_once(ts: TestStore) {
    let s = &ts.store;
    let w = world(&ts).await;
    let id = s
        .provider(w.provider)
        .create_support_request(&request(&w, ts.clock_ms(), 8), &amal())
        .await
        .unwrap();
    let org = s.tenant(Tenant::Organisation(w.org));
    org.answer_support_request(id, true, "Pour l'incident INC-7", &nadia())
        .await
        .unwrap();
    assert_eq!(bastion(&ts, &w).await, Ok(id));
    org.revoke_support_grant(id, "Incident clos de notre côté", &nadia())
        .await
        .unwrap();
    // No time passes: the next question reads the revocation.
    assert_eq!(bastion(&ts, &w).await, Err(Denial::Revoked));
    assert!(matches!(
        s.provider(w.provider)
            .start_support_session(id, "bastion-1", None, &Actor::cli())
            .await,
        Err(StoreError::Conflict(_))
    ));
    let r = org.support_request_received(id).await.unwrap().request;
    assert_eq!(r.state(ts.clock_ms()), SupportState::Revoked);
    assert_eq!(r.revoked_by.as_deref(), Some("nadia"));
    assert_eq!(r.comment.as_deref(), Some("Pour l'incident INC-7"));
    assert_eq!(
        r.revoked_comment.as_deref(),
        Some("Incident clos de notre côté")
    );
    // Revoked once is revoked: a second time is refused.
    assert!(matches!(
        org.revoke_support_grant(id, "", &nadia()).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn an_operator_without_vetting_is_never_let_in(ts: TestStore) {
    let s = &ts.store;
    let w = world(&ts).await;
    let p = s.provider(w.provider);
    // Without a vetting record, no request is recorded.
    let omar = ts.operator(Tenant::Provider(w.provider), "omar").await;
    let mut new = request(&w, ts.clock_ms(), 8);
    new.operator = omar;
    assert!(matches!(
        p.create_support_request(&new, &Actor::cli()).await,
        Err(StoreError::Conflict(_))
    ));
    // Vetting withdrawn after the request: it cannot be granted…
    let id = p
        .create_support_request(&request(&w, ts.clock_ms(), 8), &amal())
        .await
        .unwrap();
    p.withdraw_vetting(w.amal, &Actor::cli()).await.unwrap();
    let org = s.tenant(Tenant::Organisation(w.org));
    match org.answer_support_request(id, true, "", &nadia()).await {
        Err(StoreError::Conflict(r)) => assert_eq!(r.key, "refusal-support-not-vetted"),
        other => panic!("granted to an unvetted operator: {other:?}"),
    }
    // …and once granted, withdrawing it stops the bastion at once.
    p.record_vetting(w.amal, "RH-2026-014", "2026-03-02", &Actor::cli())
        .await
        .unwrap();
    org.answer_support_request(id, true, "", &nadia())
        .await
        .unwrap();
    assert_eq!(bastion(&ts, &w).await, Ok(id));
    p.withdraw_vetting(w.amal, &Actor::cli()).await.unwrap();
    assert_eq!(bastion(&ts, &w).await, Err(Denial::NotVetted));
    assert!(matches!(
        p.start_support_session(id, "b-1", None, &Actor::cli())
            .await,
        Err(StoreError::Conflict(_))
    ));
    let register = p.vetting_register().await.unwrap();
    assert!(register.iter().all(|r| r.vetting.is_none()), "{register:?}");
}

async fn a_retired_jump_host_lets_nobody_in(ts: TestStore) {
    let s = &ts.store;
    let w = world(&ts).await;
    let p = s.provider(w.provider);
    let host = p
        .add_jump_host(
            "rebond-rabat",
            "Bastion supervisé par le SOC",
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert!(matches!(
        p.add_jump_host("rebond-rabat", "doublon", &Actor::cli())
            .await,
        Err(StoreError::Conflict(_))
    ));
    let mut new = request(&w, ts.clock_ms(), 8);
    new.abroad = true;
    new.country = Some("France".into());
    new.jump_host = Some(host);
    let id = p.create_support_request(&new, &amal()).await.unwrap();
    s.tenant(Tenant::Organisation(w.org))
        .answer_support_request(id, true, "", &nadia())
        .await
        .unwrap();
    // Only through the jump host.
    assert!(matches!(
        p.start_support_session(id, "b-1", None, &Actor::cli())
            .await,
        Err(StoreError::Conflict(_))
    ));
    p.start_support_session(id, "b-1", Some("rebond-rabat"), &Actor::cli())
        .await
        .unwrap();
    p.retire_jump_host(host, &Actor::cli()).await.unwrap();
    assert!(matches!(
        p.start_support_session(id, "b-2", Some("rebond-rabat"), &Actor::cli())
            .await,
        Err(StoreError::Conflict(_))
    ));
    let r = p.support_request(id).await.unwrap().request;
    assert!(r.jump_host_retired);
    let c = r.candidate(ts.clock_ms());
    assert_eq!(
        verdict(true, &[c], "vm-12", Some("rebond-rabat")),
        Err(Denial::JumpHostRequired)
    );
    // A retired host takes no new request.
    assert!(matches!(
        p.create_support_request(&new, &amal()).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn another_tenant_sees_and_changes_nothing(ts: TestStore) {
    let s = &ts.store;
    let w = world(&ts).await;
    let cli = Actor::cli();
    let id = s
        .provider(w.provider)
        .create_support_request(&request(&w, ts.clock_ms(), 8), &amal())
        .await
        .unwrap();
    // Another organisation of the same provider.
    let org_b = s
        .provider(w.provider)
        .create_organisation("Office B", false, &cli)
        .await
        .unwrap();
    let b = s.tenant(Tenant::Organisation(org_b));
    assert!(b.support_requests_received().await.unwrap().is_empty());
    assert!(matches!(
        b.support_request_received(id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        b.answer_support_request(id, true, "", &nadia()).await,
        Err(StoreError::NotFound)
    ));
    // Another provider, with an operator of its own.
    let other = s.create_provider("Autre", &cli).await.unwrap();
    let q = s.provider(other);
    let karim = ts.operator(Tenant::Provider(other), "karim").await;
    q.record_vetting(karim, "X", "2026-01-01", &cli)
        .await
        .unwrap();
    assert!(q.support_requests().await.unwrap().is_empty());
    assert!(matches!(
        q.support_request(id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        q.close_support_request(id, w.amal, &cli).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        q.start_support_session(id, "b", None, &cli).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        q.record_vetting(w.amal, "X", "2026-01-01", &cli).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        q.withdraw_vetting(w.amal, &cli).await,
        Err(StoreError::NotFound)
    ));
    // Its bastion does not know A's operator, and its own operator cannot
    // ask under A's contract.
    assert!(q
        .support_candidates("amal", w.org, w.service)
        .await
        .unwrap()
        .is_none());
    let mut new = request(&w, ts.clock_ms(), 8);
    new.operator = karim;
    assert!(matches!(
        q.create_support_request(&new, &cli).await,
        Err(StoreError::NotFound)
    ));
    // A's own request is untouched.
    assert_eq!(state(s, &w, id, ts.clock_ms()).await, SupportState::Pending);
}

/// The store itself refuses an operator its own vetting record and the
/// recording of the sessions of its own grant, whoever calls it.
async fn nobody_vouches_for_itself_whatever_the_path(ts: TestStore) {
    let s = &ts.store;
    let w = world(&ts).await;
    let p = s.provider(w.provider);
    let as_amal = Actor {
        directory: Some(Directory::Operators),
        id: Some(w.amal),
        name: "amal".into(),
        source_ip: None,
    };
    match p
        .record_vetting(w.amal, "RH-SELF", "2026-03-02", &as_amal)
        .await
    {
        Err(StoreError::Conflict(r)) => assert_eq!(r.key, "refusal-vetting-self"),
        other => panic!("an operator recorded its own vetting: {other:?}"),
    }
    assert_eq!(
        p.vetting(w.amal).await.unwrap().unwrap().reference,
        "RH-2026-014"
    );
    // An operator with no request yet is still known to the bastion, with
    // its vetting.
    let found = p
        .support_candidates("amal", w.org, w.service)
        .await
        .unwrap()
        .unwrap();
    assert!(found.vetted && found.requests.is_empty());
    let id = p
        .create_support_request(&request(&w, ts.clock_ms(), 8), &as_amal)
        .await
        .unwrap();
    s.tenant(Tenant::Organisation(w.org))
        .answer_support_request(id, true, "", &nadia())
        .await
        .unwrap();
    for attempt in [
        p.start_support_session(id, "b-1", None, &as_amal).await,
        p.end_support_session(id, "b-1", &as_amal).await,
    ] {
        match attempt {
            Err(StoreError::Conflict(r)) => assert_eq!(r.key, "refusal-support-session-self"),
            other => panic!("an operator recorded its own session: {other:?}"),
        }
    }
    // The bastion records it.
    p.start_support_session(id, "b-1", None, &Actor::cli())
        .await
        .unwrap();
    match p.end_support_session(id, "b-1", &as_amal).await {
        Err(StoreError::Conflict(r)) => assert_eq!(r.key, "refusal-support-session-self"),
        other => panic!("an operator closed its own session: {other:?}"),
    }
}

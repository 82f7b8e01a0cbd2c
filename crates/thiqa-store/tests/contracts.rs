//! Contracts (3.15.1, 3.15.2): a provider records which of its
//! organisations uses which of its services, at a level the service has,
//! with sites of that very service; the organisation reads the contracts it
//! holds and nobody else's; the agreement checklist keeps what was recorded.

mod support;

use support::TestStore;
use thiqa_domain::{OrganisationId, ProviderId, ServiceId, SiteId, Tenant};
use thiqa_store::{Actor, ClauseState, Contact, NewContract, Store, StoreError};

on_both_backends!(
    a_contract_binds_an_organisation_to_a_service_of_the_same_provider,
    an_organisation_sees_only_its_own_contracts,
    the_checklist_keeps_the_latest_state_of_each_clause,
);

struct Provider {
    id: ProviderId,
    org: OrganisationId,
    service: ServiceId,
    site: SiteId,
}

async fn provider(s: &Store, name: &str) -> Provider {
    let cli = Actor::cli();
    let id = s.create_provider(name, &cli).await.unwrap();
    let org = s
        .provider(id)
        .create_organisation(&format!("Banque de {name}"), false, &cli)
        .await
        .unwrap();
    let service = support::iaas_service(s, id).await;
    let site = s
        .provider(id)
        .add_site(service, "DC1", "Rabat", "MA", &cli)
        .await
        .unwrap();
    Provider {
        id,
        org,
        service,
        site,
    }
}

fn contract(p: &Provider, reference: &str, level: i64) -> NewContract {
    NewContract {
        organisation: p.org,
        service: p.service,
        reference: reference.into(),
        level,
        starts_on: "2026-01-01".into(),
        ends_on: None,
        sites: vec![p.site],
        contacts: vec![Contact {
            role: "security".into(),
            name: "Salma".into(),
            email: "rssi@banque.ma".into(),
        }],
    }
}

fn refusal_key(e: StoreError) -> &'static str {
    match e {
        StoreError::Conflict(r) => r.key,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn a_contract_binds_an_organisation_to_a_service_of_the_same_provider(ts: TestStore) {
    let s = &ts.store;
    let (a, b) = (provider(s, "A").await, provider(s, "B").await);
    let cli = Actor::cli();
    let id = s
        .provider(a.id)
        .create_contract(&contract(&a, "C-1", 2), &cli)
        .await
        .unwrap();
    let detail = s.provider(a.id).contract(id).await.unwrap();
    assert_eq!(detail.contract.organisation_id, a.org);
    assert_eq!(
        detail.sites.iter().map(|s| s.id).collect::<Vec<_>>(),
        [a.site]
    );
    assert_eq!(detail.contacts[0].email, "rssi@banque.ma");
    // Another provider's organisation, service or site: never.
    let mut theirs = contract(&a, "C-2", 1);
    theirs.organisation = b.org;
    assert!(matches!(
        s.provider(a.id).create_contract(&theirs, &cli).await,
        Err(StoreError::NotFound)
    ));
    let mut theirs = contract(&a, "C-2", 1);
    theirs.service = b.service;
    assert!(matches!(
        s.provider(a.id).create_contract(&theirs, &cli).await,
        Err(StoreError::NotFound)
    ));
    let mut elsewhere = contract(&a, "C-2", 1);
    elsewhere.sites = vec![b.site];
    let e = s.provider(a.id).create_contract(&elsewhere, &cli).await;
    assert_eq!(refusal_key(e.unwrap_err()), "refusal-contract-site");
    // The same reference twice is refused; B cannot read A's contract.
    let e = s
        .provider(a.id)
        .create_contract(&contract(&a, "C-1", 1), &cli)
        .await;
    assert_eq!(refusal_key(e.unwrap_err()), "refusal-contract-reference");
    assert!(matches!(
        s.provider(b.id).contract(id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.provider(a.id).contracts(None).await.unwrap().len(), 1);
    assert!(s.provider(b.id).contracts(None).await.unwrap().is_empty());
}

async fn an_organisation_sees_only_its_own_contracts(ts: TestStore) {
    let s = &ts.store;
    let a = provider(s, "A").await;
    let cli = Actor::cli();
    let other = s
        .provider(a.id)
        .create_organisation("Assurance", false, &cli)
        .await
        .unwrap();
    s.provider(a.id)
        .create_contract(&contract(&a, "C-1", 1), &cli)
        .await
        .unwrap();
    let held = s
        .tenant(Tenant::Organisation(a.org))
        .contracts_held()
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].contract.reference, "C-1");
    assert_eq!(held[0].sites[0].city, "Rabat");
    let none = s
        .tenant(Tenant::Organisation(other))
        .contracts_held()
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
    assert!(s
        .tenant(Tenant::Provider(a.id))
        .contracts_held()
        .await
        .unwrap()
        .is_empty());
}

async fn the_checklist_keeps_the_latest_state_of_each_clause(ts: TestStore) {
    let s = &ts.store;
    let (a, b) = (provider(s, "A").await, provider(s, "B").await);
    let cli = Actor::cli();
    let id = s
        .provider(a.id)
        .create_contract(&contract(&a, "C-1", 1), &cli)
        .await
        .unwrap();
    let state = |present, reference: &str| ClauseState {
        present,
        reference: reference.into(),
        evidence: None,
    };
    s.provider(a.id)
        .set_clause(id, "3.15.1.g", &state(false, ""), &cli)
        .await
        .unwrap();
    s.provider(a.id)
        .set_clause(id, "3.15.1.g", &state(true, "art. 12"), &cli)
        .await
        .unwrap();
    let clauses = s.provider(a.id).contract(id).await.unwrap().clauses;
    assert_eq!(clauses.len(), 1);
    assert!(clauses[0].present);
    assert_eq!(clauses[0].reference, "art. 12");
    // Another provider cannot touch it.
    assert!(matches!(
        s.provider(b.id)
            .set_clause(id, "3.15.1.g", &state(false, ""), &cli)
            .await,
        Err(StoreError::NotFound)
    ));
    let events = s
        .events(&thiqa_store::EventFilter::default())
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.action == "contract.clause"));
    // The customer's own journal shows the contract.
    assert!(events.iter().any(|e| e.action == "contract.create"
        && e.tenant_kind.as_deref() == Some("organisation")
        && e.tenant_id == Some(a.org.0)));
}

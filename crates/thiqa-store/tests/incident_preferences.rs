//! Incident notification preferences (3.12.2): an organisation names only
//! its own active members, a refused set changes nothing, and another
//! organisation never sees them.

mod support;

use support::TestStore;
use thiqa_domain::Tenant;
use thiqa_store::{Actor, IncidentPreference, NewAccount, StoreError};

on_both_backends!(only_the_organisations_own_members_are_told);

fn pref(severity: &str, user_id: i64, channel: &str) -> IncidentPreference {
    IncidentPreference {
        severity: severity.into(),
        user_id,
        channel: channel.into(),
    }
}

async fn only_the_organisations_own_members_are_told(ts: TestStore) {
    let s = &ts.store;
    let cli = Actor::cli();
    let p = s.create_provider("Atlas", &cli).await.unwrap();
    let mut orgs = Vec::new();
    for name in ["Banque", "Assurance"] {
        let org = s
            .provider(p)
            .create_organisation(name, false, &cli)
            .await
            .unwrap();
        let user = s
            .tenant(Tenant::Organisation(org))
            .create_account(
                NewAccount {
                    username: format!("rssi-{name}").to_lowercase(),
                    display_name: name.into(),
                    email: Some("rssi@example.ma".into()),
                    password_hash: None,
                    totp_secret: None,
                    language: "fr".into(),
                },
                &cli,
            )
            .await
            .unwrap();
        orgs.push((Tenant::Organisation(org), user));
    }
    let [(bank, amal), (insurer, karim)] = [orgs[0], orgs[1]];
    let chosen = [pref("critical", amal, "email"), pref("high", amal, "inbox")];
    s.tenant(bank)
        .set_incident_preferences(&chosen, &cli)
        .await
        .unwrap();
    assert_eq!(s.tenant(bank).incident_preferences().await.unwrap(), chosen);
    // Another organisation's member: refused, and nothing changed.
    let e = s
        .tenant(bank)
        .set_incident_preferences(&[pref("low", karim, "email")], &cli)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Conflict(r) if r.key == "refusal-incident-preference-member"),
        "{e:?}"
    );
    assert_eq!(s.tenant(bank).incident_preferences().await.unwrap(), chosen);
    assert!(s
        .tenant(insurer)
        .incident_preferences()
        .await
        .unwrap()
        .is_empty());
    // Saving again replaces the whole set.
    s.tenant(bank)
        .set_incident_preferences(&[pref("critical", amal, "inbox")], &cli)
        .await
        .unwrap();
    assert_eq!(
        s.tenant(bank).incident_preferences().await.unwrap(),
        [pref("critical", amal, "inbox")]
    );
    // A provider has none and keeps none.
    assert!(matches!(
        s.tenant(Tenant::Provider(p))
            .set_incident_preferences(&[], &cli)
            .await,
        Err(StoreError::NotFound)
    ));
}

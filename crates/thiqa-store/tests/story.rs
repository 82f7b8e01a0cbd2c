//! The storage scenario, run against SQLite and PostgreSQL alike.

mod support;

use support::TestStore;
use thiqa_domain::separation::default_pairs;
use thiqa_domain::{Directory, Permission, Tenant};
use thiqa_store::{Actor, AssignmentError, EventFilter, NewAccount, SessionPolicy};

on_both_backends!(
    accounts_lock_after_failures_and_unlock,
    directories_are_separate,
    incompatible_permissions_are_refused_naming_the_pair,
    totp_steps_are_never_accepted_twice,
    sessions_expire_when_idle,
    deregistration_removes_access_and_personal_data,
    rate_limits_count_per_window,
    concurrent_incompatible_assignments_cannot_both_pass,
    assessments_keep_the_history_of_every_change,
    an_account_made_whole_is_all_or_nothing,
);

async fn setup(ts: &TestStore) -> (Tenant, Tenant, i64, i64) {
    let s = &ts.store;
    let provider = s
        .create_provider("Atlas Cloud", &Actor::cli())
        .await
        .unwrap();
    let org = s
        .provider(provider)
        .create_organisation("Banque Exemple", false, &Actor::cli())
        .await
        .unwrap();
    let pt = Tenant::Provider(provider);
    let ot = Tenant::Organisation(org);
    let op = s
        .tenant(pt)
        .create_account(new_account("amal"), &Actor::cli())
        .await
        .unwrap();
    let cu = s
        .tenant(ot)
        .create_account(new_account("karim"), &Actor::cli())
        .await
        .unwrap();
    (pt, ot, op, cu)
}

/// The référentiel's incompatible pairs of operator rights, declared.
async fn declare_operator_pairs(s: &thiqa_store::Store, pt: Tenant) {
    for (a, b, why) in default_pairs()
        .into_iter()
        .filter(|(a, _, _)| a.directory() == Directory::Operators)
    {
        s.tenant(pt)
            .add_incompatible_pair(a, b, why, &Actor::cli())
            .await
            .unwrap();
    }
}

fn new_account(name: &str) -> NewAccount {
    NewAccount {
        username: name.into(),
        display_name: name.to_uppercase(),
        email: Some(format!("{name}@example.ma")),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        totp_secret: None,
        language: "fr".into(),
    }
}

async fn accounts_lock_after_failures_and_unlock(ts: TestStore) {
    let (_, _, _, _) = setup(&ts).await;
    let s = &ts.store;
    let a = s
        .account_by_username(Directory::Operators, "amal")
        .await
        .unwrap()
        .unwrap();
    for i in 1..=5 {
        let a = s.tenant(a.tenant).account(a.id).await.unwrap();
        let f = s
            .record_login_failure(&a, 5, &Actor::anonymous("amal", None), "bad password")
            .await
            .unwrap();
        assert_eq!(f.attempts, i);
        assert_eq!(f.now_locked, i == 5);
    }
    let a = s.tenant(a.tenant).account(a.id).await.unwrap();
    assert!(a.locked_at.is_some());
    s.unlock_account(&a, &Actor::cli()).await.unwrap();
    let a = s.tenant(a.tenant).account(a.id).await.unwrap();
    assert!(a.locked_at.is_none());
    assert_eq!(a.failed_attempts, 0);
    let events = s.events(&EventFilter::default()).await.unwrap();
    assert!(events.iter().any(|e| e.action == "account.lock"));
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "login" && e.outcome == "failure")
            .count(),
        5
    );
}

async fn directories_are_separate(ts: TestStore) {
    setup(&ts).await;
    let s = &ts.store;
    assert!(s
        .account_by_username(Directory::Customers, "amal")
        .await
        .unwrap()
        .is_none());
    assert!(s
        .account_by_username(Directory::Operators, "karim")
        .await
        .unwrap()
        .is_none());
    // The same name may exist in both directories: they are different people.
    let (pt, ot, _, _) = (
        Tenant::Provider(thiqa_domain::ProviderId(1)),
        Tenant::Organisation(thiqa_domain::OrganisationId(1)),
        0,
        0,
    );
    s.tenant(ot)
        .create_account(new_account("amal"), &Actor::cli())
        .await
        .unwrap();
    let err = s
        .tenant(pt)
        .create_account(new_account("amal"), &Actor::cli())
        .await
        .unwrap_err();
    // The same words whatever the reason, never "already exists" (issue 11).
    assert!(err.to_string().contains("username not available"), "{err}");
    // An account's directory is its tenant's: a customer tenant's account
    // is in the customer directory, never among the operators.
    s.tenant(ot)
        .create_account(new_account("x"), &Actor::cli())
        .await
        .unwrap();
    let made = s
        .account_by_username(Directory::Customers, "x")
        .await
        .unwrap();
    assert_eq!(made.map(|a| a.tenant), Some(ot));
    assert!(s
        .account_by_username(Directory::Operators, "x")
        .await
        .unwrap()
        .is_none());
}

async fn incompatible_permissions_are_refused_naming_the_pair(ts: TestStore) {
    let (pt, _, op, _) = setup(&ts).await;
    let s = &ts.store;
    declare_operator_pairs(s, pt).await;
    let accounts = s
        .tenant(pt)
        .create_role(
            "Comptes",
            "",
            &[Permission::OperatorsManage],
            true,
            &Actor::cli(),
        )
        .await
        .unwrap();
    let approver = s
        .tenant(pt)
        .create_role(
            "Habilitations",
            "",
            &[Permission::AccessApprove],
            true,
            &Actor::cli(),
        )
        .await
        .unwrap();
    s.tenant(pt)
        .assign_role(op, accounts, &Actor::cli())
        .await
        .unwrap();
    let err = s
        .tenant(pt)
        .assign_role(op, approver, &Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(err, AssignmentError::Separation(_)));
    let msg = err.to_string();
    assert!(
        msg.contains("access.approve") && msg.contains("operators.manage"),
        "{msg}"
    );
    // Nothing was half-written: the rights are unchanged.
    let rights = s.tenant(pt).rights_of(op).await.unwrap();
    assert_eq!(rights.len(), 1);
    assert_eq!(rights[0].permission, Permission::OperatorsManage);
    assert_eq!(rights[0].role_name, "Comptes");
    // Widening a role the user holds is refused the same way.
    let err = s
        .tenant(pt)
        .set_role_permissions(
            accounts,
            &[Permission::OperatorsManage, Permission::AccessApprove],
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("access.approve"));
    // Declaring a pair someone already breaks is refused, naming them.
    let both = s
        .tenant(pt)
        .create_role(
            "Lecture",
            "",
            &[Permission::CatalogRead, Permission::JournalRead],
            false,
            &Actor::cli(),
        )
        .await
        .unwrap();
    s.tenant(pt)
        .assign_role(op, both, &Actor::cli())
        .await
        .unwrap();
    let err = s
        .tenant(pt)
        .add_incompatible_pair(
            Permission::CatalogRead,
            Permission::JournalRead,
            "test",
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("amal"), "{err}");
}

async fn totp_steps_are_never_accepted_twice(ts: TestStore) {
    setup(&ts).await;
    let s = &ts.store;
    let a = s
        .account_by_username(Directory::Operators, "amal")
        .await
        .unwrap()
        .unwrap();
    s.enable_totp(
        &a,
        "JBSWY3DPEHPK3PXP",
        100,
        &["h1".into(), "h2".into()],
        &Actor::cli(),
    )
    .await
    .unwrap();
    assert!(!s.accept_totp_step(&a, 100).await.unwrap());
    assert!(s.accept_totp_step(&a, 101).await.unwrap());
    assert!(!s.accept_totp_step(&a, 101).await.unwrap());
    assert!(s
        .consume_recovery_code(&a, "h1", &Actor::cli())
        .await
        .unwrap());
    assert!(!s
        .consume_recovery_code(&a, "h1", &Actor::cli())
        .await
        .unwrap());
    assert_eq!(
        s.recovery_code_hashes(&a).await.unwrap(),
        vec!["h2".to_string()]
    );
}

async fn sessions_expire_when_idle(ts: TestStore) {
    let (_, _, op, _) = setup(&ts).await;
    let s = &ts.store;
    let policy = SessionPolicy {
        idle_s: 600,
        absolute_s: 3600,
    };
    s.create_session(
        Directory::Operators,
        op,
        "hash1",
        "csrf",
        false,
        policy,
        Some("127.0.0.1"),
        None,
    )
    .await
    .unwrap();
    assert!(s
        .session(Directory::Operators, "hash1", policy)
        .await
        .unwrap()
        .is_some());
    // The same token means nothing in the other directory.
    assert!(s
        .session(Directory::Customers, "hash1", policy)
        .await
        .unwrap()
        .is_none());
    s.complete_session(Directory::Operators, "hash1", "hash2", "csrf2", policy)
        .await
        .unwrap();
    assert!(s
        .session(Directory::Operators, "hash1", policy)
        .await
        .unwrap()
        .is_none());
    let live = s
        .session(Directory::Operators, "hash2", policy)
        .await
        .unwrap()
        .unwrap();
    assert!(live.mfa_passed);
    ts.clock.advance_s(599);
    assert!(s
        .session(Directory::Operators, "hash2", policy)
        .await
        .unwrap()
        .is_some());
    ts.clock.advance_s(600);
    assert!(s
        .session(Directory::Operators, "hash2", policy)
        .await
        .unwrap()
        .is_none());
}

async fn deregistration_removes_access_and_personal_data(ts: TestStore) {
    let (pt, _, op, _) = setup(&ts).await;
    let s = &ts.store;
    let role = s
        .tenant(pt)
        .create_role(
            "Lecteur",
            "",
            &[Permission::CatalogRead],
            true,
            &Actor::cli(),
        )
        .await
        .unwrap();
    s.tenant(pt)
        .assign_role(op, role, &Actor::cli())
        .await
        .unwrap();
    let policy = SessionPolicy::default();
    s.create_session(Directory::Operators, op, "h", "c", true, policy, None, None)
        .await
        .unwrap();
    let a = s.tenant(pt).account(op).await.unwrap();
    s.create_api_token(
        &a,
        "ci",
        "tokhash",
        &[Permission::CatalogRead],
        i64::MAX / 2,
        &Actor::cli(),
    )
    .await
    .unwrap();
    s.deregister_account(&a, &Actor::cli()).await.unwrap();
    let a = s.tenant(pt).account(op).await.unwrap();
    assert!(!a.is_active());
    assert_eq!(a.display_name, "");
    assert!(a.email.is_none() && a.password_hash.is_none());
    assert!(s
        .account_by_username(Directory::Operators, "amal")
        .await
        .unwrap()
        .is_none());
    assert!(s
        .session(Directory::Operators, "h", policy)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .api_token_by_hash(Directory::Operators, "tokhash")
        .await
        .unwrap()
        .is_none());
    assert!(s.tenant(pt).rights_of(op).await.unwrap().is_empty());
    let events = s.events(&EventFilter::default()).await.unwrap();
    assert!(events.iter().any(|e| e.action == "account.deregister"));
    assert!(
        events.iter().any(|e| e.action == "account.create"),
        "past events stay"
    );
}

async fn rate_limits_count_per_window(ts: TestStore) {
    let s = &ts.store;
    for _ in 0..3 {
        assert!(s.rate_limit_hit("login:ip:1.2.3.4", 3, 300).await.unwrap());
    }
    assert!(!s.rate_limit_hit("login:ip:1.2.3.4", 3, 300).await.unwrap());
    ts.clock.advance_s(300);
    assert!(s.rate_limit_hit("login:ip:1.2.3.4", 3, 300).await.unwrap());
}

async fn concurrent_incompatible_assignments_cannot_both_pass(ts: TestStore) {
    let (pt, _, op, _) = setup(&ts).await;
    let s = &ts.store;
    s.tenant(pt)
        .add_incompatible_pair(
            Permission::OperatorsManage,
            Permission::AccessApprove,
            "3.5.5",
            &Actor::cli(),
        )
        .await
        .unwrap();
    let a = s
        .tenant(pt)
        .create_role(
            "A",
            "",
            &[Permission::OperatorsManage],
            false,
            &Actor::cli(),
        )
        .await
        .unwrap();
    let b = s
        .tenant(pt)
        .create_role("B", "", &[Permission::AccessApprove], false, &Actor::cli())
        .await
        .unwrap();
    for _ in 0..5 {
        let (s1, s2) = (s.clone(), s.clone());
        let first =
            tokio::spawn(async move { s1.tenant(pt).assign_role(op, a, &Actor::cli()).await });
        let second =
            tokio::spawn(async move { s2.tenant(pt).assign_role(op, b, &Actor::cli()).await });
        let results = [first.await.unwrap(), second.await.unwrap()];
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "exactly one of two racing assignments wins"
        );
        let held = s.tenant(pt).permissions_of(op).await.unwrap();
        assert!(
            !(held.contains(Permission::OperatorsManage)
                && held.contains(Permission::AccessApprove))
        );
        for role in [a, b] {
            let _ = s.tenant(pt).revoke_role(op, role, &Actor::cli()).await;
        }
    }
}

async fn assessments_keep_the_history_of_every_change(ts: TestStore) {
    use thiqa_domain::{AssessmentInput, AssessmentStatus};
    let (pt, _, _, _) = setup(&ts).await;
    let s = &ts.store;
    let thiqa_domain::Tenant::Provider(provider) = pt else {
        unreachable!()
    };
    let service = support::iaas_service(s, provider).await;
    let input = |status, statement: &str| AssessmentInput {
        status,
        statement: statement.into(),
        justification: String::new(),
        owner: "rssi".into(),
        next_review: "2027-06-30".into(),
    };
    let changed = s
        .provider(provider)
        .save_assessments(
            service,
            &[(
                "3.6.3.a".into(),
                input(AssessmentStatus::PartiallyCompliant, "Chiffrement en cours"),
            )],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(changed, 4, "status, statement, owner and review date set");
    ts.clock.advance_s(60);
    let changed = s
        .provider(provider)
        .save_assessments(
            service,
            &[(
                "3.6.3.a".into(),
                input(AssessmentStatus::Compliant, "Chiffrement par volume"),
            )],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(changed, 2);
    // Saving the same values again changes nothing and records nothing.
    let same = s
        .provider(provider)
        .save_assessments(
            service,
            &[(
                "3.6.3.a".into(),
                input(AssessmentStatus::Compliant, "Chiffrement par volume"),
            )],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(same, 0);
    let a = s
        .provider(provider)
        .assessment(service, "3.6.3.a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AssessmentStatus::Compliant);
    let history = s
        .provider(provider)
        .assessment_history(service, "3.6.3.a")
        .await
        .unwrap();
    assert_eq!(history.len(), 6);
    let status_changes: Vec<_> = history
        .iter()
        .filter(|h| h.field == "status")
        .map(|h| (h.old_value.as_str(), h.new_value.as_str()))
        .collect();
    assert_eq!(
        status_changes,
        vec![
            ("partially_compliant", "compliant"),
            ("not_assessed", "partially_compliant")
        ]
    );
    // Another provider's service is out of reach.
    let other = s.create_provider("Autre", &Actor::cli()).await.unwrap();
    assert!(s.provider(other).assessments(service).await.is_err());
}

/// `create_account_with` writes the account, its second factor and its
/// roles in one rights transaction: roles whose rights are incompatible
/// together leave no account behind, and a success leaves all three.
async fn an_account_made_whole_is_all_or_nothing(ts: TestStore) {
    let (pt, _, _, _) = setup(&ts).await;
    let s = &ts.store;
    declare_operator_pairs(s, pt).await;
    let role = |name: &'static str, p: Permission| async move {
        s.tenant(pt)
            .create_role(name, "", &[p], true, &Actor::cli())
            .await
            .unwrap()
    };
    let accounts = role("Comptes", Permission::OperatorsManage).await;
    let approver = role("Habilitations", Permission::AccessApprove).await;
    let hashes = vec!["h1".to_string(), "h2".to_string()];
    let totp = || thiqa_store::SecondFactor {
        secret: "JBSWY3DPEHPK3PXP",
        last_step: 0,
        recovery_hashes: &hashes,
    };
    let refused = s
        .tenant(pt)
        .create_account_with(
            new_account("nadia"),
            Some(totp()),
            &[accounts, approver],
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AssignmentError::Separation(_)),
        "{refused}"
    );
    assert!(
        s.account_by_username(Directory::Operators, "nadia")
            .await
            .unwrap()
            .is_none(),
        "a refused role leaves no account behind"
    );
    let journaled = s
        .events(&EventFilter {
            tenant: Some(pt),
            action_prefix: Some("account.create".into()),
            limit: 10,
        })
        .await
        .unwrap();
    assert!(
        journaled
            .iter()
            .any(|e| e.target.as_deref() == Some("operator:nadia")
                && e.details
                    .as_deref()
                    .is_some_and(|d| d.contains("access.approve"))),
        "the refusal is journaled: {journaled:?}"
    );
    let id = s
        .tenant(pt)
        .create_account_with(
            new_account("nadia"),
            Some(totp()),
            &[accounts],
            &Actor::cli(),
        )
        .await
        .unwrap();
    let made = s.tenant(pt).account(id).await.unwrap();
    assert!(made.totp_enabled);
    assert_eq!(s.recovery_code_hashes(&made).await.unwrap().len(), 2);
    let rights = s.tenant(pt).rights_of(id).await.unwrap();
    assert!(
        rights
            .iter()
            .any(|r| r.permission == Permission::OperatorsManage),
        "the role was given"
    );
}

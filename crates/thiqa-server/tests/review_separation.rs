//! Review issue 11, items 2–4 (référentiel 3.5.3): separation of duties as
//! an insider would attack it. Nobody widens a role they hold or changes
//! their own assignments; removing a pair or widening a role with an
//! administrative right waits for a different approver (four eyes, both
//! names journaled); the invariant holds under racing changes; an active
//! auditor holds no right that edits the audited service and never answers
//! its own finding. On SQLite and PostgreSQL.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::{Method, StatusCode};
use support::{Client, TestApp, PASSWORD};
use thiqa_domain::{Directory, Permission, ProviderId, RoleId, ServiceId, Tenant};
use thiqa_store::{Actor, EventFilter, NewEngagement, NewFinding, NewService};

on_both_backends!(
    console_admin_cannot_widen_its_own_role_nor_drop_the_pairs_to_take_access_approve,
    portal_admin_cannot_widen_its_own_role_nor_drop_the_pairs_to_take_access_approve,
    a_request_is_approved_by_another_approver_only_and_journaled_with_both_names,
    nobody_grants_a_right_to_itself_in_the_console_the_api_or_the_portal,
    a_role_widening_racing_an_assignment_cannot_break_a_pair,
    an_active_auditor_cannot_be_granted_a_right_that_edits_the_audited_service,
    an_auditor_never_answers_its_own_finding_nor_closes_one_it_answered,
    approving_a_request_never_undoes_a_later_edit_of_the_role,
);

async fn operator(t: &TestApp, name: &str, roles: &[&str]) -> (i64, Client) {
    let (id, secret) = t.user(Directory::Operators, name, roles, true).await;
    let mut c = t.signed_operator(name, secret.as_ref().unwrap()).await;
    c.get("/").await;
    (id, c)
}

async fn customer(t: &TestApp, name: &str, roles: &[&str]) -> (i64, Client) {
    let (id, _) = t.user(Directory::Customers, name, roles, false).await;
    let mut c = t.portal();
    let r = c.login(name, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    c.get("/").await;
    (id, c)
}

async fn role_id(t: &TestApp, tenant: Tenant, name: &str) -> RoleId {
    t.store()
        .tenant(tenant)
        .roles()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap()
        .id
}

/// The role's permission form fields with `extra` added.
async fn widened(t: &TestApp, tenant: Tenant, role: RoleId, extra: Permission) -> Vec<String> {
    let mut perms: Vec<String> = t
        .store()
        .tenant(tenant)
        .role(role)
        .await
        .unwrap()
        .permissions
        .iter()
        .map(|p| p.as_str().to_string())
        .collect();
    perms.push(extra.as_str().to_string());
    perms
}

async fn post_permissions(c: &mut Client, role: RoleId, perms: &[String]) -> support::Reply {
    let page = c.get("/roles").await;
    // The role's form carries the version it edits (issue 12, lost updates).
    let version = page
        .body
        .split(&format!("id=\"role-{}\"", role.0))
        .nth(1)
        .and_then(|s| s.split("name=\"version\" value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string();
    let mut fields: Vec<(&str, &str)> = perms.iter().map(|p| ("permission", p.as_str())).collect();
    fields.push(("version", &version));
    c.post_form(&format!("/roles/{}", role.0), &fields).await
}

/// Request numbers on the approvals page, pending first, newest first.
async fn request_ids(c: &mut Client) -> Vec<i64> {
    let page = c.get("/approvals").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
        .split("id=\"request-")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect()
}

async fn role_has(t: &TestApp, tenant: Tenant, role: RoleId, p: Permission) -> bool {
    t.store()
        .tenant(tenant)
        .role(role)
        .await
        .unwrap()
        .permissions
        .contains(&p)
}

/// Whether account `id` of `tenant` holds `p`.
async fn holds(t: &TestApp, tenant: Tenant, id: i64, p: Permission) -> bool {
    t.store()
        .tenant(tenant)
        .permissions_of(id)
        .await
        .unwrap()
        .contains(p)
}

async fn journal(t: &TestApp, tenant: Tenant) -> Vec<thiqa_store::SecurityEvent> {
    t.store()
        .events(&EventFilter {
            tenant: Some(tenant),
            action_prefix: None,
            limit: 500,
        })
        .await
        .unwrap()
}

/// The review's console attack, step by step: the account administrator
/// adds `separation.manage` to the role it holds, deletes the pairs, then
/// adds `access.approve`. Every step fails; nothing changes.
async fn console_admin_cannot_widen_its_own_role_nor_drop_the_pairs_to_take_access_approve(
    t: TestApp,
) {
    let (amal, mut admin) = operator(&t, "amal", &["Administrateur des comptes"]).await;
    let own = role_id(&t, t.provider, "Administrateur des comptes").await;
    let pairs_before = t
        .store()
        .tenant(t.provider)
        .incompatible_pairs()
        .await
        .unwrap();

    let perms = widened(&t, t.provider, own, Permission::SeparationManage).await;
    let r = post_permissions(&mut admin, own, &perms).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // The refusal is shown in the role's own form, whose boxes stay as the
    // user ticked them (the refused one included), not as stored.
    let form = r
        .body
        .split(&format!("id=\"role-{}\"", own.0))
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_default();
    assert!(
        form.contains("personne ne modifie un rôle qu"),
        "{}",
        r.body
    );
    assert!(
        form.contains("value=\"separation.manage\" checked"),
        "{form}"
    );
    assert!(!holds(&t, t.provider, amal, Permission::SeparationManage).await);

    for p in &pairs_before {
        let r = admin
            .post_form(&format!("/separation/{}/delete", p.id.0), &[])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        t.store()
            .tenant(t.provider)
            .incompatible_pairs()
            .await
            .unwrap(),
        pairs_before
    );

    let perms = widened(&t, t.provider, own, Permission::AccessApprove).await;
    let r = post_permissions(&mut admin, own, &perms).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Widening a role it does not hold with an administrative right only
    // files a request: amal still cannot approve access.
    let reader = role_id(&t, t.provider, "Lecteur").await;
    let perms = widened(&t, t.provider, reader, Permission::AccessApprove).await;
    let r = post_permissions(&mut admin, reader, &perms).await;
    // Back to the roles, told that a second person decides.
    assert_eq!(r.location(), Some("/roles"), "{}", r.body);
    assert_eq!(r.notice(), Some("awaiting-approval"));
    let page = admin.get("/roles?notice=awaiting-approval").await;
    assert!(
        page.body.contains("id=\"notice\">Demande enregistrée"),
        "{}",
        page.body
    );
    assert!(!role_has(&t, t.provider, reader, Permission::AccessApprove).await);
    assert!(!holds(&t, t.provider, amal, Permission::AccessApprove).await);
    // The same change sent again (twice-clicked, another tab) stands once.
    let again = post_permissions(&mut admin, reader, &perms).await;
    assert_eq!(again.notice(), Some("awaiting-approval"), "{}", again.body);
    assert_eq!(request_ids(&mut admin).await.len(), 1);
    let page = admin.get("/approvals").await;
    assert!(
        page.body.contains("En attente") && page.body.contains("amal, "),
        "{}",
        page.body
    );
}

/// The same attack in the portal, where `org.roles.manage` both edits roles
/// and the pairs.
async fn portal_admin_cannot_widen_its_own_role_nor_drop_the_pairs_to_take_access_approve(
    t: TestApp,
) {
    let org = t.organisation;
    let (nadia, mut admin) = customer(&t, "nadia", &["Administrateur de l'organisation"]).await;
    let pairs_before = t.store().tenant(org).incompatible_pairs().await.unwrap();
    assert!(!pairs_before.is_empty());
    for p in &pairs_before {
        admin.get("/separation").await;
        let r = admin
            .post_form(&format!("/separation/{}/delete", p.id.0), &[])
            .await;
        assert_eq!(r.location(), Some("/separation"), "{}", r.body);
        assert_eq!(r.notice(), Some("awaiting-approval"));
    }
    assert_eq!(
        t.store().tenant(org).incompatible_pairs().await.unwrap(),
        pairs_before
    );
    let page = admin.get("/approvals").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("org.users.manage / org.access.approve"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("/approve\""),
        "the requester is offered no approval"
    );

    let own = role_id(&t, org, "Administrateur de l'organisation").await;
    let perms = widened(&t, org, own, Permission::OrgAccessApprove).await;
    let r = post_permissions(&mut admin, own, &perms).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(!holds(&t, t.organisation, nadia, Permission::OrgAccessApprove).await);
    // Even with the pairs gone, an approval right reaches nobody without a
    // second person: nadia cannot approve (she lacks the right).
    let id = request_ids(&mut admin).await[0];
    let r = admin
        .post_form(&format!("/approvals/{id}/approve"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.store().tenant(org).incompatible_pairs().await.unwrap(),
        pairs_before
    );
}

/// Four eyes: the requester cannot approve its own request even when it
/// holds the approval right; another approver can, the change applies and
/// the journal names both. Approving the widening of a role one holds is
/// refused too.
async fn a_request_is_approved_by_another_approver_only_and_journaled_with_both_names(t: TestApp) {
    let pt = t.provider;
    let roles_only = t
        .store()
        .tenant(pt)
        .create_role(
            "Rôles",
            "",
            &[Permission::RolesManage],
            false,
            &Actor::cli(),
        )
        .await
        .unwrap();
    let (hicham, mut requester) = operator(&t, "hicham", &["Approbateur des accès"]).await;
    t.store()
        .tenant(pt)
        .assign_role(hicham, roles_only, &Actor::cli())
        .await
        .unwrap();
    let (_, mut approver) = operator(&t, "yasmine", &["Approbateur des accès", "Lecteur"]).await;

    let reader = role_id(&t, pt, "Lecteur").await;
    let perms = widened(&t, pt, reader, Permission::ConfigManage).await;
    let r = post_permissions(&mut requester, reader, &perms).await;
    assert_eq!(
        (r.location(), r.notice()),
        (Some("/roles"), Some("awaiting-approval")),
        "{}",
        r.body
    );
    let id = request_ids(&mut requester).await[0];
    // Sent again: the same request, still approvable below.
    post_permissions(&mut requester, reader, &perms).await;
    assert_eq!(request_ids(&mut requester).await, vec![id]);
    // Both filings are in the journal.
    let target = format!("request:{id}");
    let filings = journal(&t, pt)
        .await
        .into_iter()
        .filter(|e| e.action == "rights.request" && e.target.as_deref() == Some(target.as_str()))
        .count();
    assert_eq!(filings, 2);

    let r = requester
        .post_form(&format!("/approvals/{id}/approve"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(
        r.body.contains("autre personne que son auteur"),
        "{}",
        r.body
    );
    // yasmine holds Lecteur: approving would widen her own rights.
    approver.get("/approvals").await;
    let r = approver
        .post_form(&format!("/approvals/{id}/approve"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(!role_has(&t, pt, reader, Permission::ConfigManage).await);
    let page = approver.get("/approvals").await;
    assert!(page.body.contains("En attente"), "{}", page.body);

    // A third approver, holding no affected role, approves.
    let (_, mut third) = operator(&t, "omar", &["Approbateur des accès"]).await;
    third.get("/approvals").await;
    let r = third
        .post_form(&format!("/approvals/{id}/approve"), &[])
        .await;
    assert_eq!(
        (r.location(), r.notice()),
        (Some("/approvals"), Some("decided")),
        "{}",
        r.body
    );
    assert!(role_has(&t, pt, reader, Permission::ConfigManage).await);
    let page = third.get("/approvals").await;
    assert!(page.body.contains("Approuvée — omar, "), "{}", page.body);

    // An approved change is still checked: widening Lecteur with
    // operators.manage would give yasmine both sides of a pair.
    let perms = widened(&t, pt, reader, Permission::OperatorsManage).await;
    let r = post_permissions(&mut requester, reader, &perms).await;
    assert_eq!(
        (r.location(), r.notice()),
        (Some("/roles"), Some("awaiting-approval")),
        "{}",
        r.body
    );
    let refused = request_ids(&mut third).await[0];
    let r = third
        .post_form(&format!("/approvals/{refused}/approve"), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("operators.manage / access.approve"),
        "{}",
        r.body
    );
    assert!(!role_has(&t, pt, reader, Permission::OperatorsManage).await);
    let r = third
        .post_form(&format!("/approvals/{refused}/reject"), &[])
        .await;
    assert_eq!(r.location(), Some("/approvals"), "{}", r.body);

    // A pair removal the same way: filed by the RSSI, approved by omar.
    let (_, mut rssi) = operator(&t, "rachida", &["RSSI"]).await;
    let pair = t
        .store()
        .tenant(pt)
        .incompatible_pairs()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.first == Permission::AssessmentEdit)
        .unwrap();
    rssi.get("/separation").await;
    let r = rssi
        .post_form(&format!("/separation/{}/delete", pair.id.0), &[])
        .await;
    assert_eq!(
        (r.location(), r.notice()),
        (Some("/separation"), Some("awaiting-approval"))
    );
    let pending = request_ids(&mut third).await[0];
    let r = third
        .post_form(&format!("/approvals/{pending}/approve"), &[])
        .await;
    assert_eq!(r.location(), Some("/approvals"), "{}", r.body);
    assert!(!t
        .store()
        .tenant(pt)
        .incompatible_pairs()
        .await
        .unwrap()
        .contains(&pair));

    let events = journal(&t, pt).await;
    for action in ["role.update", "separation.remove"] {
        assert!(
            events.iter().any(|e| e.action == action
                && e.actor_name.as_deref() == Some("omar")
                && e.details
                    .as_deref()
                    .is_some_and(|d| d.contains("approved by omar")
                        && (d.contains("requested by hicham")
                            || d.contains("requested by rachida")))),
            "{action} journaled with both names"
        );
    }
    assert!(events.iter().any(|e| e.action == "rights.approve"
        && e.outcome == "failure"
        && e.actor_name.as_deref() == Some("hicham")));
}

/// Item 3: assigning or revoking one's own roles is refused in the
/// console, the API and the portal.
async fn nobody_grants_a_right_to_itself_in_the_console_the_api_or_the_portal(t: TestApp) {
    let pt = t.provider;
    let (hicham, mut c) = operator(&t, "hicham", &["Approbateur des accès"]).await;
    let rssi = role_id(&t, pt, "Responsable conformité").await;
    c.get(&format!("/accounts/{hicham}")).await;
    let r = c
        .post_form(
            &format!("/accounts/{hicham}/roles"),
            &[("role_id", &rssi.0.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("ses propres attributions"), "{}", r.body);
    assert!(!holds(&t, t.provider, hicham, Permission::AssessmentEdit).await);
    let own = role_id(&t, pt, "Approbateur des accès").await;
    let r = c
        .post_form(&format!("/accounts/{hicham}/roles/{}/revoke", own.0), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let token = c.api_token(&["access.approve"]).await;
    let body = format!("{{\"role_id\": {}}}", rssi.0);
    let r = c
        .api(
            Method::POST,
            &format!("/api/v1/accounts/{hicham}/roles"),
            &token,
            Some(&body),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("own_rights"), "{}", r.body);
    assert!(!holds(&t, t.provider, hicham, Permission::AssessmentEdit).await);

    let (karim, mut portal) = customer(&t, "karim", &["Approbateur des accès"]).await;
    let admin = role_id(&t, t.organisation, "Utilisateur").await;
    portal.get(&format!("/accounts/{karim}")).await;
    let r = portal
        .post_form(
            &format!("/accounts/{karim}/roles"),
            &[("role_id", &admin.0.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(!holds(&t, t.organisation, karim, Permission::OrgSupportConsent).await);
    // The refusals are journaled.
    assert!(journal(&t, pt)
        .await
        .iter()
        .any(|e| e.action == "role.assign" && e.outcome == "failure"));
}

/// The invariant is checked inside the change's transaction: a role
/// widened while someone holding it gets the other side of a pair cannot
/// let both changes through.
async fn a_role_widening_racing_an_assignment_cannot_break_a_pair(t: TestApp) {
    let pt = t.provider;
    let s = t.store().clone();
    let (op, _) = t.user(Directory::Operators, "amal", &[], false).await;
    let cli = Actor::cli();
    let accounts = s
        .tenant(pt)
        .create_role("A", "", &[Permission::OperatorsManage], false, &cli)
        .await
        .unwrap();
    s.tenant(pt).assign_role(op, accounts, &cli).await.unwrap();
    for round in 0..8 {
        let other = s
            .tenant(pt)
            .create_role(
                &format!("B{round}"),
                "",
                &[Permission::CatalogRead],
                false,
                &cli,
            )
            .await
            .unwrap();
        let (s1, s2) = (s.clone(), s.clone());
        let widen = tokio::spawn(async move {
            s1.tenant(pt)
                .set_role_permissions(other, &[Permission::AccessApprove], &Actor::cli())
                .await
                .map(|_| ())
        });
        let assign =
            tokio::spawn(async move { s2.tenant(pt).assign_role(op, other, &Actor::cli()).await });
        let (w, a) = (widen.await.unwrap(), assign.await.unwrap());
        assert!(
            w.is_err() || a.is_err(),
            "round {round}: both changes passed"
        );
        let held = s.tenant(pt).permissions_of(op).await.unwrap();
        assert!(
            !(held.contains(Permission::OperatorsManage)
                && held.contains(Permission::AccessApprove)),
            "round {round}: amal holds both sides of a pair"
        );
    }
}

async fn service(t: &TestApp, name: &str) -> (ProviderId, ServiceId) {
    let Tenant::Provider(p) = t.provider else {
        unreachable!()
    };
    let new = NewService {
        name,
        description: "",
        model: "iaas",
        level: 2,
        facts_json: "{}",
    };
    (
        p,
        t.store()
            .provider(p)
            .create_service(&new, &Actor::cli())
            .await
            .unwrap(),
    )
}

async fn engage(
    t: &TestApp,
    p: ProviderId,
    s: ServiceId,
    auditor: i64,
) -> thiqa_domain::EngagementId {
    use thiqa_domain::Clock;
    let now = t.clock.now_s();
    let new = NewEngagement {
        service: s,
        auditor_id: auditor,
        firm: "Cabinet Atlas PASSI".into(),
        starts_at: now - 60,
        expires_at: now + 10 * 86_400,
    };
    t.store()
        .provider(p)
        .create_engagement(&new, &Actor::cli())
        .await
        .unwrap()
}

/// Item 4: while an engagement runs, granting its auditor a right that
/// edits the audited service is refused naming the engagement, by role
/// assignment and by widening a role the auditor holds; once revoked, the
/// grant passes.
async fn an_active_auditor_cannot_be_granted_a_right_that_edits_the_audited_service(t: TestApp) {
    let pt = t.provider;
    let (p, s) = service(&t, "Cloud souverain").await;
    let (driss, _) = t
        .user(Directory::Operators, "driss", &["Lecteur"], false)
        .await;
    let engagement = engage(&t, p, s, driss).await;
    let (_, mut approver) = operator(&t, "hicham", &["Approbateur des accès"]).await;
    let officer = role_id(&t, pt, "Responsable conformité").await;
    approver.get(&format!("/accounts/{driss}")).await;
    let r = approver
        .post_form(
            &format!("/accounts/{driss}/roles"),
            &[("role_id", &officer.0.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // The refusal names the engagement ("mission d'audit N").
    assert!(
        r.body.contains(&format!("audit {engagement})")),
        "{}",
        r.body
    );
    assert!(r.body.contains("Cloud souverain"), "{}", r.body);
    assert!(!holds(&t, t.provider, driss, Permission::AssessmentEdit).await);

    // Widening the role the auditor holds (not an administrative right:
    // applied at once for anyone else) is refused the same way.
    let (_, mut roles_admin) = operator(&t, "amal", &["Administrateur des comptes"]).await;
    let reader = role_id(&t, pt, "Lecteur").await;
    let perms = widened(&t, pt, reader, Permission::AssessmentEdit).await;
    let r = post_permissions(&mut roles_admin, reader, &perms).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(!holds(&t, t.provider, driss, Permission::AssessmentEdit).await);
    assert!(r.body.contains("driss audite"), "{}", r.body);

    t.store()
        .provider(p)
        .revoke_engagement(engagement, &Actor::cli())
        .await
        .unwrap();
    approver.get(&format!("/accounts/{driss}")).await;
    let r = approver
        .post_form(
            &format!("/accounts/{driss}/roles"),
            &[("role_id", &officer.0.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // And an account that edits the service cannot be invited.
    let err = t
        .store()
        .provider(p)
        .create_engagement(
            &NewEngagement {
                service: s,
                auditor_id: driss,
                firm: "X".into(),
                starts_at: 0,
                expires_at: i64::MAX / 2,
            },
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("assessment.edit"), "{err}");
}

/// The auditor records, the provider answers, the auditor closes: the
/// auditor never answers a finding it raised, and whoever answered a
/// finding does not close it.
async fn an_auditor_never_answers_its_own_finding_nor_closes_one_it_answered(t: TestApp) {
    let (p, s) = service(&t, "Cloud souverain").await;
    let (driss, _) = t.user(Directory::Operators, "driss", &[], false).await;
    let (amal, _) = t.user(Directory::Operators, "amal", &[], false).await;
    let engagement = engage(&t, p, s, driss).await;
    let as_user = |id: i64, name: &str| Actor {
        directory: Some(Directory::Operators),
        id: Some(id),
        name: name.into(),
        source_ip: None,
    };
    let new = NewFinding {
        obligation_id: "3.6.2.a".into(),
        severity: "minor".into(),
        description: "TLS 1.0 accepté".into(),
    };
    let st = t.store();
    let f = st
        .provider(p)
        .record_finding(s, Some(engagement), &new, &as_user(driss, "driss"))
        .await
        .unwrap();
    let err = st
        .provider(p)
        .respond_to_finding(s, f, "corrigé", None, &as_user(driss, "driss"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("its author cannot answer it"),
        "{err}"
    );
    assert_eq!(st.provider(p).finding(s, f).await.unwrap().status, "open");

    // A finding the provider recorded itself (internal audit) and answered:
    // its answerer cannot close it.
    let g = st
        .provider(p)
        .record_finding(s, None, &new, &as_user(amal, "amal"))
        .await
        .unwrap();
    st.provider(p)
        .respond_to_finding(s, g, "corrigé", None, &as_user(driss, "driss"))
        .await
        .unwrap();
    let err = st
        .provider(p)
        .close_finding(s, g, "ok", None, &as_user(driss, "driss"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot close it"), "{err}");
    // The normal path still works: amal answers driss's finding, he closes it.
    st.provider(p)
        .respond_to_finding(s, f, "corrigé", None, &as_user(amal, "amal"))
        .await
        .unwrap();
    st.provider(p)
        .close_finding(s, f, "vérifié", None, &as_user(driss, "driss"))
        .await
        .unwrap();
    assert!(st.provider(p).finding(s, f).await.unwrap().is_closed());
}

/// A role edited after a widening was requested: approving the request
/// would put back what the later edit removed. It is refused (409) and the
/// role keeps the later edit.
async fn approving_a_request_never_undoes_a_later_edit_of_the_role(t: TestApp) {
    let pt = t.provider;
    let roles_only = t
        .store()
        .tenant(pt)
        .create_role(
            "Rôles",
            "",
            &[Permission::RolesManage],
            false,
            &Actor::cli(),
        )
        .await
        .unwrap();
    let (hicham, mut requester) = operator(&t, "hicham", &["Approbateur des accès"]).await;
    t.store()
        .tenant(pt)
        .assign_role(hicham, roles_only, &Actor::cli())
        .await
        .unwrap();
    let reader = role_id(&t, pt, "Lecteur").await;
    let perms = widened(&t, pt, reader, Permission::ConfigManage).await;
    let r = post_permissions(&mut requester, reader, &perms).await;
    assert_eq!(
        (r.location(), r.notice()),
        (Some("/roles"), Some("awaiting-approval")),
        "{}",
        r.body
    );
    let id = request_ids(&mut requester).await[0];
    // Meanwhile the role loses services.read (an applied, narrowing edit).
    let narrowed: Vec<Permission> = t
        .store()
        .tenant(pt)
        .role(reader)
        .await
        .unwrap()
        .permissions
        .into_iter()
        .filter(|p| *p != Permission::ServicesRead)
        .collect();
    t.store()
        .tenant(pt)
        .set_role_permissions_from(reader, &narrowed, None, &Actor::cli())
        .await
        .unwrap();
    let (_, mut approver) = operator(&t, "omar", &["Approbateur des accès"]).await;
    approver.get("/approvals").await;
    let r = approver
        .post_form(&format!("/approvals/{id}/approve"), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(!role_has(&t, pt, reader, Permission::ServicesRead).await);
    assert!(!role_has(&t, pt, reader, Permission::ConfigManage).await);
}

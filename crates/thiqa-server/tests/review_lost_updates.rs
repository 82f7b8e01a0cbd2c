//! Lost updates (issue 12, item 4), as editors meet them: the assessment
//! form carries the version it was loaded at; of twenty editors who loaded
//! the same version, one saves and nineteen get a 409 that keeps their
//! input and shows what was saved meanwhile; history stays exact when
//! editors save concurrently and retry.

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::{Method, StatusCode};
use support::{Client, TestApp};
use thiqa_domain::{Directory, ServiceId, Tenant};

on_both_backends!(
    of_twenty_editors_of_one_version_one_saves_and_nineteen_get_409,
    concurrent_editors_who_retry_leave_an_exact_history,
    an_assessment_save_without_its_version_is_refused,
    of_two_service_editors_of_one_version_the_second_gets_409,
    a_stale_service_change_over_the_api_gets_409_with_the_current_service,
    of_two_role_editors_of_one_version_the_second_gets_409,
    of_two_action_editors_of_one_version_the_second_gets_409,
    of_two_answers_to_one_finding_version_the_second_gets_409,
    of_two_new_files_for_one_evidence_version_the_second_gets_409,
);

const ITEM: &str = "3.6.3.b";

/// A signed editor and the obligation page's path.
async fn editor(t: &TestApp) -> (Client, String) {
    let (c, service) = support::evidence::officer(t).await;
    (c, format!("{service}/o/{ITEM}"))
}

/// Another browser of the same editor (same session, own requests).
fn twin(c: &Client, t: &TestApp) -> Client {
    let mut other = t.console();
    other.cookies = c.cookies.clone();
    other.csrf = c.csrf.clone();
    other
}

fn version_in(body: &str) -> String {
    let at = body
        .find("name=\"version\" value=\"")
        .expect("version field")
        + 22;
    body[at..].split('"').next().unwrap().to_string()
}

async fn save(c: &mut Client, item: &str, statement: &str, version: &str) -> support::Reply {
    c.post_form(
        item,
        &[
            ("status", "partially_compliant"),
            ("statement", statement),
            ("owner", "rssi"),
            ("version", version),
        ],
    )
    .await
}

/// The statement's history, oldest first, from the store.
async fn statement_history(t: &TestApp, item: &str) -> Vec<(String, String)> {
    let Tenant::Provider(provider) = t.provider else {
        unreachable!()
    };
    let service: i64 = item.split('/').nth(2).unwrap().parse().unwrap();
    let mut h: Vec<_> = t
        .store()
        .provider(provider)
        .assessment_history(ServiceId(service), ITEM)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.field == "statement")
        .map(|h| (h.old_value, h.new_value))
        .collect();
    h.reverse();
    h
}

async fn of_twenty_editors_of_one_version_one_saves_and_nineteen_get_409(t: TestApp) {
    let (mut c, item) = editor(&t).await;
    let page = c.get(&item).await;
    let r = save(&mut c, &item, "baseline", &version_in(&page.body)).await;
    assert_eq!(r.location(), Some(item.as_str()), "{}", r.body);
    let loaded = version_in(&c.get(&item).await.body);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (mut other, item, loaded) = (twin(&c, &t), item.clone(), loaded.clone());
        tasks.spawn(async move {
            let mine = format!("statement of editor {i}");
            let r = save(&mut other, &item, &mine, &loaded).await;
            (mine, r)
        });
    }
    let (mut saved, mut refused) = (vec![], vec![]);
    while let Some(done) = tasks.join_next().await {
        let (mine, r) = done.unwrap();
        match r.status {
            StatusCode::SEE_OTHER => saved.push(mine),
            StatusCode::CONFLICT => refused.push((mine, r.body)),
            other => panic!("{other}: {}", r.body),
        }
    }
    assert_eq!((saved.len(), refused.len()), (1, 19), "saved: {saved:?}");
    let winner = &saved[0];
    for (mine, body) in &refused {
        let current = body.split("id=\"current-values\"").nth(1).expect(body);
        assert!(
            current.contains(winner.as_str()),
            "shows what changed: {body}"
        );
        let form = body.split("name=\"statement\"").nth(1).unwrap();
        assert!(form.contains(mine.as_str()), "keeps the user's input");
    }
    assert_eq!(
        statement_history(&t, &item).await,
        vec![
            (String::new(), "baseline".to_string()),
            ("baseline".to_string(), winner.clone())
        ],
        "one entry per save that happened"
    );
    // The refused page edits the current version: saving it again works.
    let (mine, body) = &refused[0];
    let r = save(&mut c, &item, mine, &version_in(body)).await;
    assert_eq!(r.location(), Some(item.as_str()), "{}", r.body);
}

/// Five editors each save six times, concurrently, reloading and retrying
/// on 409: all thirty saves land and the history is one unbroken chain.
async fn concurrent_editors_who_retry_leave_an_exact_history(t: TestApp) {
    let (c, item) = editor(&t).await;
    let mut tasks = tokio::task::JoinSet::new();
    for e in 0..5 {
        let (mut other, item) = (twin(&c, &t), item.clone());
        tasks.spawn(async move {
            for n in 0..6 {
                let mine = format!("editor {e} save {n}");
                loop {
                    let version = version_in(&other.get(&item).await.body);
                    let r = save(&mut other, &item, &mine, &version).await;
                    match r.status {
                        StatusCode::SEE_OTHER => break,
                        StatusCode::CONFLICT => tokio::task::yield_now().await,
                        s => panic!("{s}: {}", r.body),
                    }
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let history = statement_history(&t, &item).await;
    assert_eq!(history.len(), 30, "{history:?}");
    let mut previous = String::new();
    for (old, new) in &history {
        assert_eq!(old, &previous, "broken chain: {history:?}");
        previous = new.clone();
    }
}

async fn an_assessment_save_without_its_version_is_refused(t: TestApp) {
    let (mut c, item) = editor(&t).await;
    c.get(&item).await;
    for version in [None, Some("abc"), Some("-1")] {
        let mut fields = vec![("status", "compliant"), ("statement", "x")];
        fields.extend(version.map(|v| ("version", v)));
        let r = c.post_form(&item, &fields).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{version:?}");
        assert!(r.body.contains("version"), "names the field: {}", r.body);
    }
    let Tenant::Provider(provider) = t.provider else {
        unreachable!()
    };
    let service: i64 = item.split('/').nth(2).unwrap().parse().unwrap();
    let stored = t
        .store()
        .provider(provider)
        .assessment(ServiceId(service), ITEM)
        .await
        .unwrap();
    assert!(stored.is_none(), "nothing saved");
}

async fn of_two_service_editors_of_one_version_the_second_gets_409(t: TestApp) {
    let (mut karima, item) = editor(&t).await;
    let service = item.split("/o/").next().unwrap().to_string();
    let mut youssef = twin(&karima, &t);
    let version = version_in(&karima.get(&service).await.body);
    let r = karima
        .post_form(&service, &service_edit("Karima's description", &version))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = youssef
        .post_form(&service, &service_edit("Youssef's description", &version))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let error = r.body.split("id=\"form-error\"").nth(1).expect(&r.body);
    assert!(
        error.contains("Karima&#39;s description") || error.contains("Karima's description"),
        "{error}"
    );
    assert!(
        r.body.contains("Youssef&#39;s description") || r.body.contains("Youssef's description"),
        "keeps the input"
    );
    let Tenant::Provider(provider) = t.provider else {
        unreachable!()
    };
    let id: i64 = service.rsplit('/').next().unwrap().parse().unwrap();
    let now = t
        .store()
        .provider(provider)
        .service(ServiceId(id))
        .await
        .unwrap();
    assert_eq!(
        now.description, "Karima's description",
        "nothing overwritten"
    );
    // The refused page edits the current version: saving it again works.
    let r = youssef
        .post_form(
            &service,
            &service_edit("Youssef's description", &version_in(&r.body)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn a_stale_service_change_over_the_api_gets_409_with_the_current_service(t: TestApp) {
    let (mut c, item) = editor(&t).await;
    let id = item
        .split("/o/")
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let token = c.api_token(&["services.read", "services.manage"]).await;
    let path = format!("/api/v1/services/{id}");
    let read = c.api(Method::GET, &path, &token, None).await;
    let v: serde_json::Value = serde_json::from_str(&read.body).unwrap();
    let version = v["version"].as_i64().expect("GET gives the version");
    let put = |description: &str, version: Option<i64>| {
        let mut body = serde_json::json!({"name": "IaaS", "model": "iaas", "level": 2, "description": description});
        if let Some(v) = version {
            body["version"] = v.into();
        }
        body.to_string()
    };
    let r = c
        .api(
            Method::PUT,
            &path,
            &token,
            Some(&put("first", Some(version))),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c
        .api(
            Method::PUT,
            &path,
            &token,
            Some(&put("second", Some(version))),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["error"]["code"], "conflict");
    assert_eq!(
        v["current"]["description"], "first",
        "shows what changed: {v}"
    );
    assert_eq!(v["current"]["version"], version + 1);
    let r = c
        .api(Method::PUT, &path, &token, Some(&put("third", None)))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("version"), "{}", r.body);
}

/// The service form's fields: a description edited from `version`.
fn service_edit<'a>(description: &'a str, version: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("name", "IaaS"),
        ("description", description),
        ("model", "iaas"),
        ("level", "2"),
        ("version", version),
    ]
}

/// Two administrators edit the "Lecteur" role from one version: the first
/// adds journal.read, the second (not seeing it) would add assessment.edit
/// and so drop journal.read. The second gets 409 and the page shows the
/// role with journal.read; nothing of the second edit is saved.
async fn of_two_role_editors_of_one_version_the_second_gets_409(t: TestApp) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    let mut first = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    let role = t
        .store()
        .tenant(t.provider)
        .roles()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "Lecteur")
        .unwrap();
    let section = format!("id=\"role-{}\"", role.id.0);
    let page = first.get("/roles").await;
    let version = version_in(page.body.split(&section).nth(1).unwrap());
    let mut second = twin(&first, &t);
    let path = format!("/roles/{}", role.id.0);
    let edit = |extra: &'static str| {
        vec![
            ("permission", "catalog.read"),
            ("permission", "services.read"),
            ("permission", extra),
        ]
    };
    let mut fields = edit("journal.read");
    fields.push(("version", &version));
    let r = first.post_form(&path, &fields).await;
    assert_eq!(r.location(), Some("/roles"), "{}", r.body);
    let mut fields = edit("assessment.edit");
    fields.push(("version", &version));
    let r = second.post_form(&path, &fields).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let shown = r.body.split(&section).nth(1).unwrap();
    let shown = shown.split("</section>").next().unwrap();
    assert!(
        shown.contains("value=\"journal.read\" checked"),
        "shows what changed: {shown}"
    );
    let now = t.store().tenant(t.provider).role(role.id).await.unwrap();
    let names: Vec<&str> = now.permissions.iter().map(|p| p.as_str()).collect();
    assert!(
        names.contains(&"journal.read") && !names.contains(&"assessment.edit"),
        "{names:?}"
    );
}

async fn of_two_action_editors_of_one_version_the_second_gets_409(t: TestApp) {
    let (mut first, item) = editor(&t).await;
    let actions = format!("{}/actions", item.split("/o/").next().unwrap());
    first.get(&actions).await;
    let r = first
        .post_form(
            &actions,
            &[
                ("title", "Clés HSM"),
                ("owner", "rssi"),
                ("due_date", "2027-01-31"),
                ("obligations", ITEM),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(actions.as_str()), "{}", r.body);
    let page = first.get(&actions).await;
    let form = page.body.split("/actions/").nth(1).unwrap();
    let aid = form.split('"').next().unwrap().to_string();
    let version = version_in(form);
    let mut second = twin(&first, &t);
    let path = format!("{actions}/{aid}");
    let r = first
        .post_form(&path, &[("status", "done"), ("version", &version)])
        .await;
    assert_eq!(r.location(), Some(actions.as_str()), "{}", r.body);
    let r = second
        .post_form(&path, &[("status", "cancelled"), ("version", &version)])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let row = r.body.split(&format!("id=\"st-{aid}\"")).nth(1).unwrap();
    let row = row.split("</select>").next().unwrap();
    assert!(
        row.contains("value=\"done\" selected"),
        "shows what changed: {row}"
    );
}

async fn of_two_answers_to_one_finding_version_the_second_gets_409(t: TestApp) {
    let (mut first, item) = editor(&t).await;
    let service = item.split("/o/").next().unwrap().to_string();
    let Tenant::Provider(provider) = t.provider else {
        unreachable!()
    };
    let sid = ServiceId(service.rsplit('/').next().unwrap().parse().unwrap());
    let new = thiqa_store::NewFinding {
        obligation_id: ITEM.into(),
        severity: "minor".into(),
        description: "TLS 1.0 encore accepté".into(),
    };
    let fid = t
        .store()
        .provider(provider)
        .record_finding(sid, None, &new, &thiqa_store::Actor::cli())
        .await
        .unwrap();
    let findings = format!("{service}/findings");
    let page = first.get(&findings).await;
    let form = page
        .body
        .split(&format!("/findings/{fid}/respond"))
        .nth(1)
        .unwrap();
    let version = version_in(form);
    let mut second = twin(&first, &t);
    let path = format!("{findings}/{fid}/respond");
    let r = first
        .post_form(
            &path,
            &[("response", "TLS 1.0 retiré"), ("version", &version)],
        )
        .await;
    assert_eq!(r.location(), Some(findings.as_str()), "{}", r.body);
    let r = second
        .post_form(
            &path,
            &[("response", "Rien à faire"), ("version", &version)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("TLS 1.0 retiré"),
        "shows what changed: {}",
        r.body
    );
    // The refused answer is still in its field, with the reason in the
    // finding's card: nothing the user typed is lost.
    let card = r
        .body
        .split(&format!("id=\"finding-{fid}\""))
        .nth(1)
        .and_then(|s| s.split("</article>").next())
        .unwrap();
    assert!(card.contains("id=\"form-error\""), "{card}");
    assert!(
        card.contains(">Rien à faire</textarea>"),
        "the typed answer is kept: {card}"
    );
    let now = t
        .store()
        .provider(provider)
        .finding(sid, fid)
        .await
        .unwrap();
    assert_eq!(now.response, "TLS 1.0 retiré", "nothing overwritten");
}

/// Two officers renew the same certificate from the same page: the first
/// file becomes version 2; the second, meant to replace version 1, is not
/// silently stacked on top of it.
async fn of_two_new_files_for_one_evidence_version_the_second_gets_409(t: TestApp) {
    use support::evidence::{first_item_link, multipart};
    let (mut first, service) = support::evidence::officer(&t).await;
    let csrf = first.csrf.clone().unwrap();
    let (ct, body) = multipart(
        &[("title", "Certificat ISO 27001"), ("obligations", ITEM)],
        Some(("iso-2025.pdf", "application/pdf", b"certificat 2025")),
    );
    let r = first
        .post_raw(&format!("{service}/evidence/upload?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let item = first_item_link(
        &first.get(&format!("{service}/evidence")).await.body,
        &service,
    );
    let page = first.get(&item).await;
    let needle = "name=\"replacing\" value=\"";
    let at = page
        .body
        .find(needle)
        .expect("the form says which version it replaces")
        + needle.len();
    let seen = page.body[at..].split('"').next().unwrap().to_string();
    assert_eq!(seen, "1");
    let mut second = twin(&first, &t);
    let upload = |file: &'static [u8]| {
        multipart(
            &[("replacing", seen.as_str()), ("valid_until", "2027-12-31")],
            Some(("iso.pdf", "application/pdf", file)),
        )
    };
    let (ct, body) = upload(b"certificat 2026, par Amal");
    let r = first
        .post_raw(&format!("{item}/versions?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (ct, body) = upload(b"certificat 2026, par Karim");
    let r = second
        .post_raw(&format!("{item}/versions?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("id=\"form-error\""), "{}", r.body);
    // The versions table's rows (`<td>vN`), not any "v3" in a token.
    assert!(
        r.body.contains("<td>v2"),
        "shows the version added meanwhile"
    );
    assert!(!r.body.contains("<td>v3"), "nothing stacked on top");
    assert!(
        r.body.contains("name=\"replacing\" value=\"2\""),
        "the form now replaces what is current"
    );
    // Refused before its bytes were received: the file was not stored.
    let karim = thiqa_domain::text::hex(&<sha2::Sha256 as sha2::Digest>::digest(
        b"certificat 2026, par Karim",
    ));
    assert!(t.app.blobs.local_file(&karim).is_none());
}

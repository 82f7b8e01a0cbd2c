//! Forms follow one pattern (issue 13, item 6): a refused form shows again
//! everything the user typed, with the problem named beside it; a chosen
//! file is the only thing that cannot be kept, and the form says so. Here:
//! a service's declaration and change (profile included), its sites, and
//! its evidence (link or note, file upload), its action plan. The console and the API refuse the same things
//! (one use case, `thiqa_app::services`). The same for a service's sites
//! (where its data lives, 3.15.2).

// Test data is set up through the store's tenant scopes, which the
// server itself never makes (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use axum::http::StatusCode;
use support::evidence::{multipart, officer};
use support::TestApp;
use thiqa_domain::Directory;

on_both_backends!(
    refused_service_forms_keep_the_typed_profile,
    a_refused_site_keeps_what_was_typed_beside_its_problem,
    refused_evidence_forms_keep_what_was_typed,
    a_refused_action_keeps_what_was_typed,
    onboarding_an_organisation_keeps_what_was_typed_and_creates_nothing_when_refused,
    a_refused_event_source_keeps_its_name_and_commanditaires,
    a_refused_account_keeps_what_was_typed_inside_its_form,
    refused_role_forms_keep_what_was_typed_inside_them,
    refused_rights_changes_keep_the_choice_inside_their_form,
);

/// Whether the form shows `value` selected in the select named `name`.
fn selected(body: &str, name: &str, value: &str) -> bool {
    let Some(start) = body.find(&format!("name=\"{name}\"")) else {
        return false;
    };
    let select = &body[start
        ..body[start..]
            .find("</select>")
            .map_or(body.len(), |e| start + e)];
    select.contains(&format!("<option value=\"{value}\" selected>"))
}

/// The page from the form posting to `action` on: where a refused form's
/// problem and typed values must be.
fn form_from<'a>(body: &'a str, action: &str) -> &'a str {
    let at = body
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("a form posting to {action}: {body}"));
    &body[at..]
}

/// The form posting to `action` alone, up to its end.
fn only_form<'a>(body: &'a str, action: &str) -> &'a str {
    let form = form_from(body, action);
    &form[..form.find("</form>").unwrap_or(form.len())]
}

/// Whether the form ticks the checkbox of `value`.
fn ticked(form: &str, value: &str) -> bool {
    form.contains(&format!("value=\"{value}\" checked"))
}

/// A console client signed in as a new operator holding `roles`.
async fn operator(t: &TestApp, username: &str, roles: &[&str]) -> support::Client {
    let (_, secret) = t.user(Directory::Operators, username, roles, true).await;
    t.signed_operator(username, secret.as_ref().unwrap()).await
}

/// The refused form shows its problem and every value typed.
fn assert_kept(form: &str, typed: &[&str]) {
    assert!(
        form.contains("id=\"form-error\""),
        "the problem is in the refused form: {form}"
    );
    for value in typed {
        assert!(form.contains(value), "{value} kept: {form}");
    }
}

async fn refused_service_forms_keep_the_typed_profile(t: TestApp) {
    // `officer` declares service "IaaS" (iaas, level 2).
    let (mut c, service) = officer(&t).await;

    // A new service without a name, typed as PaaS level 1: refused, the
    // problem named, the model and level as typed.
    c.get("/services").await;
    let r = c
        .post_form(
            "/services",
            &[
                ("name", "  "),
                ("description", "Bases managées"),
                ("model", "paas"),
                ("level", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"form-error\""), "{}", r.body);
    assert!(r.body.contains("Bases managées"), "the description stays");
    assert!(selected(&r.body, "model", "paas"), "the model stays");
    assert!(selected(&r.body, "level", "1"), "the level stays");

    // The same name as the existing service: refused as taken, with the
    // input kept.
    let r = c
        .post_form(
            "/services",
            &[("name", "IaaS"), ("model", "saas"), ("level", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("IaaS"), "{}", r.body);
    assert!(selected(&r.body, "model", "saas"));

    // A change with an empty name but a new model: refused, and the form
    // shows the model typed, not the one saved.
    let page = c.get(&service).await;
    let version = page
        .body
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the form names the version it edits")
        .to_string();
    let r = c
        .post_form(
            &service,
            &[
                ("version", version.as_str()),
                ("name", ""),
                ("model", "saas"),
                ("level", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        selected(&r.body, "model", "saas"),
        "the typed model, not the saved iaas"
    );
    assert!(selected(&r.body, "level", "1"));

    // Nothing was saved: the service is still IaaS level 2.
    let page = c.get(&service).await;
    assert!(selected(&page.body, "model", "iaas"));
    assert!(selected(&page.body, "level", "2"));

    // The same change with a name is saved and says what it did.
    let r = c
        .post_form(
            &service,
            &[
                ("version", version.as_str()),
                ("name", "IaaS"),
                ("model", "saas"),
                ("level", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(selected(&r.body, "model", "saas"));
}

async fn a_refused_site_keeps_what_was_typed_beside_its_problem(t: TestApp) {
    let (mut c, service) = officer(&t).await;
    c.get(&service).await;
    let r = c
        .post_form(
            &format!("{service}/sites"),
            &[
                ("name", "Centre Technopolis"),
                ("city", "Salé"),
                ("country", "MAR"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let form = &r.body[r
        .body
        .find("/sites\" class=\"card\"")
        .expect("the site form")..];
    assert!(
        form.contains("id=\"site-error\""),
        "the problem is beside the site form"
    );
    assert!(form.contains("value=\"Centre Technopolis\""), "{form}");
    assert!(form.contains("value=\"Salé\""));
    assert!(form.contains("value=\"MAR\""), "the country as typed");
    assert!(
        !r.body.contains("<td>Centre Technopolis</td>"),
        "nothing saved"
    );

    // Corrected, it is added, confirmed and listed.
    let r = c
        .post_form(
            &format!("{service}/sites"),
            &[
                ("name", "Centre Technopolis"),
                ("city", "Salé"),
                ("country", "ma"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get(r.location().unwrap()).await;
    assert!(
        page.body
            .contains("<td>Centre Technopolis</td><td>Salé</td><td>MA</td>"),
        "{}",
        page.body
    );
}

async fn refused_evidence_forms_keep_what_was_typed(t: TestApp) {
    let (mut c, service) = officer(&t).await;
    let evidence = format!("{service}/evidence");

    // A link to a non-web address: refused, everything typed kept in the
    // link form, the upload form left empty.
    let r = c
        .post_form(
            &evidence,
            &[
                ("title", "Politique de sauvegarde"),
                ("obligations", "3.8.5.a"),
                ("url", "ftp://intranet/pssi.pdf"),
                ("note", "Version validée en comité"),
                ("valid_until", "2027-06-30"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let link_form = form_from(&r.body, &evidence);
    assert_kept(
        link_form,
        &[
            "value=\"Politique de sauvegarde\"",
            "value=\"3.8.5.a\"",
            "value=\"ftp://intranet/pssi.pdf\"",
            ">Version validée en comité</textarea>",
            "value=\"2027-06-30\"",
        ],
    );
    let upload_form = &r.body[r.body.find("evidence/upload").unwrap()
        ..r.body.find(&format!("action=\"{evidence}\"")).unwrap()];
    assert!(!upload_form.contains("Politique de sauvegarde"));

    // An upload without a file: the fields kept, and the form says the file
    // must be chosen again.
    let csrf = c.csrf.clone().unwrap();
    let (ct, body) = multipart(
        &[
            ("title", "Registre des accès"),
            ("obligations", "3.7.2.a"),
            ("valid_until", "2027-01-31"),
        ],
        None,
    );
    let r = c
        .post_raw(&format!("{evidence}/upload?csrf={csrf}"), &ct, body)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let upload_form = &r.body[r.body.find("evidence/upload").unwrap()..];
    assert!(
        upload_form.contains("value=\"Registre des accès\""),
        "{upload_form}"
    );
    assert!(upload_form.contains("value=\"3.7.2.a\""));
    assert!(upload_form.contains("value=\"2027-01-31\""));
    assert!(
        upload_form.contains("id=\"file-again\""),
        "the form says to choose the file again"
    );
}

async fn a_refused_action_keeps_what_was_typed(t: TestApp) {
    let (mut c, service) = officer(&t).await;
    let actions = format!("{service}/actions");
    c.get(&actions).await;
    // No due date: refused, every field kept inside the form.
    let r = c
        .post_form(
            &actions,
            &[
                ("title", "Revoir les accès aux sauvegardes"),
                ("description", "Revue mensuelle (3.8.5)"),
                ("obligations", "3.8.5.a"),
                ("findings", ""),
                ("owner", "exploitation"),
                ("due_date", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_kept(
        form_from(&r.body, &actions),
        &[
            "value=\"Revoir les accès aux sauvegardes\"",
            ">Revue mensuelle (3.8.5)</textarea>",
            "value=\"3.8.5.a\"",
            "value=\"exploitation\"",
        ],
    );
}

async fn onboarding_an_organisation_keeps_what_was_typed_and_creates_nothing_when_refused(
    t: TestApp,
) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "admin",
            &["Administrateur des comptes"],
            true,
        )
        .await;
    let mut c = t.signed_operator("admin", secret.as_ref().unwrap()).await;
    let thiqa_domain::Tenant::Provider(provider) = t.provider else {
        unreachable!("the test provider")
    };
    let organisations = || async {
        t.store()
            .provider(provider)
            .organisations()
            .await
            .unwrap()
            .len()
    };
    let before = organisations().await;
    c.get("/organisations").await;

    // No administrator name and a broken address: refused, every value
    // typed shown again (MFA left unticked stays unticked).
    let typed = [
        ("name", "Banque du Nord"),
        ("username", ""),
        ("display_name", "Salma Idrissi"),
        ("email", "salma at example"),
    ];
    let r = c.post_form("/organisations", &typed).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let form = form_from(&r.body, "/organisations");
    assert_kept(
        form,
        &["Banque du Nord", "Salma Idrissi", "salma at example"],
    );
    assert!(
        !form.contains("value=\"on\" checked"),
        "MFA as typed: {form}"
    );
    assert_eq!(organisations().await, before, "nothing created");

    // Accepted: the administrator's one-time set-up link, shown once.
    let r = c
        .post_form(
            "/organisations",
            &[
                ("name", "Banque du Nord"),
                ("require_mfa", "on"),
                ("username", "salma"),
                ("display_name", "Salma Idrissi"),
                ("email", "salma@banque.ma"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body.contains("id=\"setup-link\""), "{}", r.body);
    assert!(r.body.contains("/reset/"), "{}", r.body);
    assert_eq!(organisations().await, before + 1);
    assert!(!t
        .store()
        .username_available(Directory::Customers, "salma")
        .await
        .unwrap());

    // The same administrator name for another organisation: refused
    // before anything is created, with what was typed kept.
    let r = c
        .post_form(
            "/organisations",
            &[
                ("name", "Assurances Atlas"),
                ("username", "salma"),
                ("display_name", "Salma Bis"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_kept(
        form_from(&r.body, "/organisations"),
        &["Assurances Atlas", "Salma Bis"],
    );
    assert_eq!(
        organisations().await,
        before + 1,
        "no organisation without its administrator"
    );
}

async fn a_refused_event_source_keeps_its_name_and_commanditaires(t: TestApp) {
    let (_, secret) = t.user(Directory::Operators, "rssi", &["RSSI"], true).await;
    let mut c = t.signed_operator("rssi", secret.as_ref().unwrap()).await;
    let thiqa_domain::Tenant::Organisation(org) = t.organisation else {
        unreachable!("the test organisation")
    };
    let org = org.0.to_string();
    c.get("/journal/sources").await;
    let r = c
        .post_form(
            "/journal/sources",
            &[("name", "pare feu rabat"), ("organisation", &org)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let form = form_from(&r.body, "/journal/sources");
    assert_kept(form, &["value=\"pare feu rabat\""]);
    assert!(
        form.contains(&format!("value=\"{org}\" checked")),
        "the commanditaire stays ticked: {form}"
    );
    let thiqa_domain::Tenant::Provider(provider) = t.provider else {
        unreachable!("the test provider")
    };
    assert!(t
        .store()
        .provider(provider)
        .intake_sources()
        .await
        .unwrap()
        .is_empty());
}

async fn a_refused_account_keeps_what_was_typed_inside_its_form(t: TestApp) {
    let mut c = operator(&t, "admin", &["Administrateur des comptes"]).await;
    let accounts = || async { t.store().tenant(t.provider).accounts().await.unwrap().len() };
    let before = accounts().await;
    c.get("/accounts").await;

    // No username, a broken address: refused, the problems inside the
    // form, what was typed kept.
    let r = c
        .post_form(
            "/accounts",
            &[
                ("username", ""),
                ("display_name", "Youssef Alami"),
                ("email", "youssef at example"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_kept(
        only_form(&r.body, "/accounts"),
        &["value=\"Youssef Alami\"", "value=\"youssef at example\""],
    );

    // A username taken: refused as unavailable, with the input kept.
    let r = c
        .post_form(
            "/accounts",
            &[
                ("username", "admin"),
                ("display_name", "Autre Admin"),
                ("email", "autre@thiqa.ma"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let form = only_form(&r.body, "/accounts");
    assert_kept(
        form,
        &[
            "value=\"admin\"",
            "value=\"Autre Admin\"",
            "value=\"autre@thiqa.ma\"",
        ],
    );
    assert!(
        form.contains("Cet identifiant n&#39;est pas disponible"),
        "{form}"
    );
    assert_eq!(accounts().await, before, "nothing created");

    // Accepted: the set-up link, shown once.
    let r = c
        .post_form(
            "/accounts",
            &[("username", "youssef"), ("display_name", "Youssef Alami")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("/reset/"), "{}", r.body);
    assert_eq!(accounts().await, before + 1);
}

async fn refused_role_forms_keep_what_was_typed_inside_them(t: TestApp) {
    let mut c = operator(&t, "admin", &["Administrateur des comptes"]).await;
    let roles = || async { t.store().tenant(t.provider).roles().await.unwrap() };
    let before = roles().await.len();
    c.get("/roles").await;

    // A new role without a name: refused inside the creation form, the
    // description and the boxes as typed.
    let r = c
        .post_form(
            "/roles",
            &[
                ("name", " "),
                ("description", "Lecture des services"),
                ("permission", "services.read"),
                ("permission", "journal.read"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let form = only_form(&r.body, "/roles");
    assert_kept(form, &["value=\"Lecture des services\""]);
    assert!(ticked(form, "services.read") && ticked(form, "journal.read"));
    assert!(
        !ticked(form, "catalog.read"),
        "only what was ticked: {form}"
    );

    // A name taken: refused the same way.
    let r = c
        .post_form(
            "/roles",
            &[
                ("name", "Lecteur"),
                ("description", "Doublon"),
                ("permission", "catalog.read"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let form = only_form(&r.body, "/roles");
    assert_kept(form, &["value=\"Lecteur\"", "value=\"Doublon\""]);
    assert!(ticked(form, "catalog.read"));
    assert_eq!(roles().await.len(), before, "nothing created");

    // Editing a role one holds: refused (403) inside that role's form,
    // the boxes as ticked, not as saved.
    let held = roles()
        .await
        .into_iter()
        .find(|r| r.name == "Administrateur des comptes")
        .unwrap();
    let action = format!("/roles/{}", held.id.0);
    let version = held.version.to_string();
    let r = c
        .post_form(
            &action,
            &[
                ("version", version.as_str()),
                ("permission", "catalog.read"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let form = only_form(&r.body, &action);
    assert_kept(form, &[]);
    assert!(ticked(form, "catalog.read"));
    assert!(!ticked(form, "operators.manage"), "as typed: {form}");
    let after = roles().await.into_iter().find(|r| r.id == held.id).unwrap();
    assert_eq!(after.permissions, held.permissions, "nothing saved");
}

async fn refused_rights_changes_keep_the_choice_inside_their_form(t: TestApp) {
    // karim manages accounts; an approval role would give him both sides
    // of a default pair.
    let (karim, _) = t
        .user(
            Directory::Operators,
            "karim",
            &["Administrateur des comptes"],
            false,
        )
        .await;
    t.user(
        Directory::Operators,
        "salma",
        &["Responsable conformité"],
        false,
    )
    .await;
    let approver = t
        .store()
        .tenant(t.provider)
        .roles()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "Approbateur des accès")
        .unwrap();
    let mut c = operator(&t, "nadia", &["Approbateur des accès"]).await;
    let account = format!("/accounts/{karim}");
    c.get(&account).await;
    let r = c
        .post_form(
            &format!("{account}/roles"),
            &[("role_id", approver.id.0.to_string().as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let form = only_form(&r.body, &format!("{account}/roles"));
    assert_kept(form, &[&format!("value=\"{}\" selected", approver.id.0)]);

    // A pair that salma already holds both sides of: refused, worded from
    // the message files, the choice and the reason kept in the form.
    let mut rssi = operator(&t, "rssi", &["RSSI"]).await;
    rssi.get("/separation").await;
    let r = rssi
        .post_form(
            "/separation",
            &[
                ("first", "services.manage"),
                ("second", "assessment.edit"),
                ("reason", "Qui déclare ne renseigne pas"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let form = only_form(&r.body, "/separation");
    assert_kept(form, &["value=\"Qui déclare ne renseigne pas\"", "salma"]);
    assert!(selected(form, "first", "services.manage"), "{form}");
    assert!(selected(form, "second", "assessment.edit"), "{form}");

    // A personal token without a name: refused inside its form, the days
    // and the scopes as typed.
    rssi.get("/me").await;
    let r = rssi
        .post_form(
            "/me/tokens",
            &[("name", ""), ("days", "30"), ("scope", "services.read")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let form = only_form(&r.body, "/me/tokens");
    assert_kept(form, &["value=\"30\""]);
    assert!(ticked(form, "services.read"));
    assert!(
        !ticked(form, "journal.read"),
        "only what was ticked: {form}"
    );
}

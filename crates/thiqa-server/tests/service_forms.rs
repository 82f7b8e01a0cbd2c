//! The service forms follow the form pattern (issue 13, item 6): a refused
//! declaration or change shows again everything the user typed, profile
//! included, with the problem named; a change that succeeds says what it
//! did to applicability. The console and the API refuse the same things
//! (one use case, `thiqa_app::services`). The same for a service's sites
//! (where its data lives, 3.15.2).

mod support;

use axum::http::StatusCode;
use support::evidence::officer;
use support::TestApp;

on_both_backends!(
    refused_service_forms_keep_the_typed_profile,
    a_refused_site_keeps_what_was_typed_beside_its_problem,
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

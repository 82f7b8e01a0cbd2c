//! The system security plan: the service as a system (model, level, sites)
//! and, per applicable obligation, how the provider meets it.
//!
//! OSCAL 1.1 puts the implementation status on a component's part of a
//! requirement (`by-components`), not on the requirement: the service is one
//! `this-system` component and every requirement has one `by-component`
//! carrying the statement and the status.

use serde_json::{json, Map, Value};
use thiqa_catalog::oscal::{control_id, NS};

use super::{
    document, line, prop, put_list, text_or, uuid, BackMatter, Meta, OscalAssessment, OscalService,
    Status,
};

/// The SSP of `service` (`{"system-security-plan": …}`), importing the
/// service's profile at `profile_href`. `generated_at` is an RFC 3339
/// date-time with its offset. The requirements follow the order of
/// `assessments`; those not `applicable` are left out. OSCAL wants at least
/// one requirement, which a service profile always has.
pub fn ssp(
    service: &OscalService,
    assessments: &[OscalAssessment],
    generated_at: &str,
    profile_href: &str,
) -> Value {
    let mut meta = Meta::new(service);
    let sites = meta.sites();
    let mut back = BackMatter::default();
    let this_system = uuid(service, "component/this-system");
    let requirements: Vec<Value> = assessments
        .iter()
        .filter(|a| a.applicable)
        .map(|a| requirement(service, a, &this_system, &mut meta, &mut back))
        .collect();
    let name = text_or(&service.name, format!("Service {}", service.id));
    let owner_roles: Vec<String> = meta
        .roles
        .iter()
        .filter_map(|r| r["id"].as_str())
        .filter(|id| id.starts_with("owner-"))
        .map(String::from)
        .collect();

    let mut body = Map::new();
    body.insert("import-profile".into(), json!({ "href": profile_href }));
    body.insert(
        "system-characteristics".into(),
        characteristics(service, &name, sites.len()),
    );
    let mut user = json!({
        "uuid": uuid(service, "user/staff"),
        "title": format!("Staff of {}", text_or(&service.provider, "the provider")),
        "description": "The people of the provider who operate the service and own its obligations.",
    });
    if !owner_roles.is_empty() {
        user["role-ids"] = owner_roles.into();
    }
    body.insert(
        "system-implementation".into(),
        json!({
            "users": [user],
            "components": [{
                "uuid": this_system,
                "type": "this-system",
                "title": name,
                "description": text_or(&service.description, format!("The cloud service {name}.")),
                "status": not_recorded_state(),
            }],
        }),
    );
    body.insert(
        "control-implementation".into(),
        json!({
            "description": format!(
                "How {name} meets the obligations of the DGSSI cloud qualification référentiel \
                 ({}) that apply to a {} service at level {}, as self-assessed in Thiqa.",
                text_or(&service.catalog_version, "version not recorded"),
                text_or(&service.model, "cloud"),
                service.level,
            ),
            "implemented-requirements": requirements,
        }),
    );
    document(
        "system-security-plan",
        uuid(service, "ssp"),
        meta.build(format!("{name} — system security plan"), generated_at),
        body,
        back,
    )
}

/// Thiqa does not record whether the service is in production: say so
/// rather than guess.
fn not_recorded_state() -> Value {
    json!({ "state": "other", "remarks": "The operational state is not recorded in Thiqa." })
}

fn characteristics(service: &OscalService, name: &str, sites: usize) -> Value {
    let level = format!("level-{}", service.level);
    let props: Vec<Value> = [
        prop("service-model", &service.model),
        prop("level", &service.level.to_string()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let places = service
        .sites
        .iter()
        .map(|(n, city, country)| {
            let at: Vec<&str> = [city.trim(), country.trim()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            format!("- {} ({})", n.trim(), at.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let boundary = if sites == 0 {
        format!(
            "The {} service {name}; its hosting sites are not recorded.",
            service.model.trim()
        )
    } else {
        format!(
            "The {} service {name}, operated by {} and hosted at:\n\n{places}",
            service.model.trim(),
            text_or(&service.provider, "the provider"),
        )
    };
    let mut c = Map::new();
    c.insert(
        "system-ids".into(),
        json!([
            // A UUID, so that the POA&M can name the system without the SSP.
            { "identifier-type": "http://ietf.org/rfc/rfc4122", "id": uuid(service, "system") },
            { "identifier-type": NS, "id": format!("service-{}", service.id) },
        ]),
    );
    c.insert("system-name".into(), line(name).unwrap_or_default().into());
    c.insert(
        "description".into(),
        text_or(&service.description, format!("The cloud service {name}.")).into(),
    );
    put_list(&mut c, "props", props);
    c.insert("security-sensitivity-level".into(), level.into());
    // What the service holds is its customers' data; DGSSI levels are not
    // FIPS 199 impacts, so no impact is claimed.
    c.insert(
        "system-information".into(),
        json!({ "information-types": [{
            "uuid": uuid(service, "information-type/customer-data"),
            "title": "Customer data",
            "description": format!(
                "The information that the customers of {name} store or process in it; the \
                 service is assessed against the DGSSI cloud qualification at level {}.",
                service.level
            ),
        }] }),
    );
    c.insert("status".into(), not_recorded_state());
    c.insert(
        "authorization-boundary".into(),
        json!({ "description": boundary }),
    );
    Value::Object(c)
}

/// One implemented requirement: the owner as responsible role, evidence as
/// links to back-matter, Thiqa's exact status as a prop next to the closest
/// OSCAL state, the justification as the remarks OSCAL expects on it.
fn requirement(
    service: &OscalService,
    a: &OscalAssessment,
    this_system: &str,
    meta: &mut Meta,
    back: &mut BackMatter,
) -> Value {
    let status = Status::parse(&a.status);
    let ob = a.obligation_id.trim();
    let props: Vec<Value> = [
        prop("assessment-status", &a.status),
        a.next_review
            .as_deref()
            .and_then(|d| prop("next-review", d)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let links: Vec<Value> = a
        .evidence
        .iter()
        .map(|e| json!({ "href": back.evidence(service, ob, e), "rel": "evidence" }))
        .collect();

    let fallback = match status {
        Status::NotApplicable => "Not applicable to this service (see the justification).",
        _ => "No implementation statement recorded yet.",
    };
    let mut by = json!({
        "component-uuid": this_system,
        "uuid": uuid(service, &format!("by-component/{ob}")),
        "description": text_or(&a.statement, fallback),
    });
    if let Some(state) = status.implementation_state() {
        let mut s = json!({ "state": state });
        let remarks = match (a.justification.trim(), status) {
            ("", Status::NonCompliant) => {
                "Not compliant at the last self-assessment; the remediation is tracked in the \
                 plan of action and milestones."
            }
            (j, _) => j,
        };
        if !remarks.is_empty() {
            s["remarks"] = remarks.into();
        }
        by["implementation-status"] = s;
    }

    let mut r = Map::new();
    r.insert(
        "uuid".into(),
        uuid(service, &format!("requirement/{ob}")).into(),
    );
    r.insert("control-id".into(), control_id(ob).into());
    put_list(&mut r, "props", props);
    put_list(&mut r, "links", links);
    if let Some(role) = meta.owner_role(&a.owner) {
        r.insert("responsible-roles".into(), json!([{ "role-id": role }]));
    }
    r.insert("by-components".into(), json!([by]));
    if !a.reason.trim().is_empty() {
        r.insert(
            "remarks".into(),
            format!("Applicability: {}", a.reason.trim()).into(),
        );
    }
    Value::Object(r)
}

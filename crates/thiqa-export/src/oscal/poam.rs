//! The plan of action and milestones: what remains to be done.
//!
//! Items are the pending actions (not `done` nor `cancelled`) and the open
//! findings (not `closed`) that no pending action addresses yet, so each
//! weakness appears once: an action's item links the findings it addresses.
//! Those findings and their observations are carried in the document (with
//! the UUIDs they have in the assessment results) so that every link
//! resolves. Closed findings only appear when a pending action still cites
//! them; they never make an item.

use std::collections::HashSet;

use serde_json::{json, Map, Value};
use thiqa_catalog::oscal::control_id;

use super::ar::{
    audit_finding, audit_finding_uuid, audit_observation, audit_observation_uuid, is_open,
};
use super::{
    document, line, prop, put_list, text_or, uuid, BackMatter, Meta, OscalAction, OscalFinding,
    OscalService,
};

/// The POA&M of `service` (`{"plan-of-action-and-milestones": …}`),
/// importing its SSP at `ssp_href`. Items follow the order of `actions`,
/// then of `findings`. OSCAL requires at least one item: with nothing open,
/// the only item says so (prop `placeholder`).
pub fn poam(
    service: &OscalService,
    findings: &[OscalFinding],
    actions: &[OscalAction],
    generated_at: &str,
    ssp_href: &str,
) -> Value {
    let mut meta = Meta::new(service);
    let name = text_or(&service.name, format!("Service {}", service.id));
    let open_actions: Vec<&OscalAction> = actions.iter().filter(|a| is_pending(a)).collect();
    let addressed: HashSet<i64> = open_actions
        .iter()
        .flat_map(|a| a.finding_ids.iter().copied())
        .collect();
    // The findings the document carries: open ones, and closed ones a
    // pending action still cites.
    let carried: Vec<&OscalFinding> = findings
        .iter()
        .filter(|f| is_open(f) || addressed.contains(&f.id))
        .collect();

    let mut items: Vec<Value> = open_actions
        .iter()
        .map(|a| action_item(service, a, &carried))
        .collect();
    items.extend(
        carried
            .iter()
            .filter(|f| is_open(f) && !addressed.contains(&f.id))
            .map(|f| finding_item(service, f, &mut meta)),
    );
    if items.is_empty() {
        items.push(json!({
            "uuid": uuid(service, "poam-item/none"),
            "title": "No open item",
            "description": format!("{name} has no open action and no open finding."),
            "props": [prop("placeholder", "true")],
        }));
    }
    let observations = carried
        .iter()
        .map(|f| audit_observation(service, f, &mut meta))
        .collect();
    let weaknesses = carried
        .iter()
        .map(|f| audit_finding(service, f, &mut meta))
        .collect();

    let mut body = Map::new();
    body.insert("import-ssp".into(), json!({ "href": ssp_href }));
    body.insert(
        "system-id".into(),
        json!({ "identifier-type": "http://ietf.org/rfc/rfc4122", "id": uuid(service, "system") }),
    );
    put_list(&mut body, "observations", observations);
    put_list(&mut body, "findings", weaknesses);
    body.insert("poam-items".into(), items.into());
    document(
        "plan-of-action-and-milestones",
        uuid(service, "poam"),
        meta.build(
            format!("{name} — plan of action and milestones"),
            generated_at,
        ),
        body,
        BackMatter::default(),
    )
}

/// Whether an action is still to be carried out: anything but `done` and
/// `cancelled` (an unknown status is kept rather than hidden).
fn is_pending(a: &OscalAction) -> bool {
    !matches!(a.status.trim(), "done" | "cancelled")
}

/// `related-findings` and `related-observations` for these findings.
fn relate(item: &mut Map<String, Value>, service: &OscalService, fs: &[&OscalFinding]) {
    let findings = fs
        .iter()
        .map(|f| json!({ "finding-uuid": audit_finding_uuid(service, f) }))
        .collect();
    let observations = fs
        .iter()
        .map(|f| json!({ "observation-uuid": audit_observation_uuid(service, f) }))
        .collect();
    put_list(item, "related-findings", findings);
    put_list(item, "related-observations", observations);
}

/// An open action: OSCAL items have no owner or due date, so those are
/// Thiqa props, with the obligations it serves as `control-id` props.
fn action_item(service: &OscalService, a: &OscalAction, carried: &[&OscalFinding]) -> Value {
    let mut props: Vec<Value> = [
        prop("action-id", &a.id.to_string()),
        prop("action-status", &a.status),
        prop("owner", &a.owner),
        a.due.as_deref().and_then(|d| prop("due", d)),
    ]
    .into_iter()
    .flatten()
    .collect();
    props.extend(
        a.obligation_ids
            .iter()
            .filter_map(|o| prop("control-id", &control_id(o.trim()))),
    );
    let mut item = Map::new();
    item.insert(
        "uuid".into(),
        uuid(service, &format!("poam-item/action/{}", a.id)).into(),
    );
    item.insert(
        "title".into(),
        line(&a.title)
            .unwrap_or_else(|| format!("Action #{}", a.id))
            .into(),
    );
    item.insert(
        "description".into(),
        text_or(&a.description, "No description recorded.").into(),
    );
    put_list(&mut item, "props", props);
    let fs: Vec<&OscalFinding> = a
        .finding_ids
        .iter()
        .filter_map(|id| carried.iter().find(|f| f.id == *id).copied())
        .collect();
    relate(&mut item, service, &fs);
    Value::Object(item)
}

/// An open finding no open action addresses yet.
fn finding_item(service: &OscalService, f: &OscalFinding, meta: &mut Meta) -> Value {
    let props: Vec<Value> = [
        prop("finding-id", &f.id.to_string()),
        prop("finding-kind", &f.kind),
        prop("control-id", &control_id(f.obligation_id.trim())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut item = Map::new();
    item.insert(
        "uuid".into(),
        uuid(service, &format!("poam-item/finding/{}", f.id)).into(),
    );
    item.insert(
        "title".into(),
        format!(
            "Remediate audit finding #{} ({}) on {}",
            f.id,
            line(&f.kind).unwrap_or_else(|| "finding".into()),
            f.obligation_id.trim()
        )
        .into(),
    );
    item.insert(
        "description".into(),
        text_or(&f.description, "No description recorded.").into(),
    );
    put_list(&mut item, "props", props);
    if let Some(party) = meta.auditor(&f.auditor) {
        item.insert(
            "origins".into(),
            json!([{ "actors": [{ "type": "party", "actor-uuid": party, "role-id": "assessor" }] }]),
        );
    }
    relate(&mut item, service, &[f]);
    if !f.response.trim().is_empty() {
        item.insert(
            "remarks".into(),
            format!("Provider's response: {}", f.response.trim()).into(),
        );
    }
    Value::Object(item)
}

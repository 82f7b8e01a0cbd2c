//! The assessment results: one result holding the provider's
//! self-assessment of every applicable obligation and the auditors' findings.
//!
//! Each assessed obligation is an observation (the statement and evidence)
//! and a finding concluding `satisfied` or `not-satisfied` on the
//! obligation's statement; each auditor's finding is an observation (who,
//! when, the provider's response) and a finding on its obligation. The audit
//! observations and findings keep their UUIDs in the POA&M.

use serde_json::{json, Map, Value};
use thiqa_catalog::oscal::control_id;

use super::{
    day_start, document, line, prop, put_list, statement_id, text_or, uuid, BackMatter, Meta,
    OscalAssessment, OscalFinding, OscalService, Status,
};

/// The assessment results of `service` (`{"assessment-results": …}`).
///
/// OSCAL makes results import an assessment plan; Thiqa has none apart from
/// the SSP (every applicable obligation is assessed), so `import-ap` points
/// to a back-matter resource that says so and links the SSP at `ssp_href`.
/// `generated_at` (RFC 3339) is when the results were collected.
pub fn assessment_results(
    service: &OscalService,
    assessments: &[OscalAssessment],
    findings: &[OscalFinding],
    generated_at: &str,
    ssp_href: &str,
) -> Value {
    let mut meta = Meta::new(service);
    let mut back = BackMatter::default();
    let name = text_or(&service.name, format!("Service {}", service.id));
    let plan = uuid(service, "assessment-plan");
    back.push(json!({
        "uuid": plan,
        "title": format!("Assessment plan of {name}"),
        "description": "No separate assessment plan: every obligation that applies to the \
                        service, as listed in its system security plan, is self-assessed in \
                        Thiqa and open to the auditors.",
        "rlinks": [{ "href": ssp_href }],
    }));

    let applicable: Vec<&OscalAssessment> = assessments.iter().filter(|a| a.applicable).collect();
    let mut selection = json!({
        "description": "The obligations that apply to the service.",
    });
    if !applicable.is_empty() {
        selection["include-controls"] = applicable
            .iter()
            .map(|a| json!({ "control-id": control_id(a.obligation_id.trim()) }))
            .collect();
    }

    let mut observations = Vec::new();
    let mut conclusions = Vec::new();
    for a in &applicable {
        let observed = self_assessment_observation(service, a, generated_at, &mut back);
        let obs_uuid = observed.as_ref().map(|o| o["uuid"].clone());
        observations.extend(observed);
        conclusions.push(self_assessment_finding(service, a, obs_uuid));
    }
    for f in findings {
        observations.push(audit_observation(service, f, &mut meta));
        conclusions.push(audit_finding(service, f, &mut meta));
    }

    let mut result = Map::new();
    result.insert("uuid".into(), uuid(service, "result").into());
    result.insert("title".into(), format!("Compliance state of {name}").into());
    result.insert(
        "description".into(),
        "The provider's self-assessment of the obligations of the DGSSI cloud qualification \
         that apply to the service, and the findings of its auditors, as recorded in Thiqa."
            .into(),
    );
    result.insert("start".into(), generated_at.into());
    result.insert(
        "reviewed-controls".into(),
        json!({ "control-selections": [selection] }),
    );
    put_list(&mut result, "observations", observations);
    put_list(&mut result, "findings", conclusions);

    let mut body = Map::new();
    body.insert("import-ap".into(), json!({ "href": format!("#{plan}") }));
    body.insert("results".into(), json!([Value::Object(result)]));
    document(
        "assessment-results",
        uuid(service, "assessment-results"),
        meta.build(format!("{name} — assessment results"), generated_at),
        body,
        back,
    )
}

/// What the provider recorded for an obligation; nothing for one not yet
/// assessed. It expires at the next review date.
fn self_assessment_observation(
    service: &OscalService,
    a: &OscalAssessment,
    generated_at: &str,
    back: &mut BackMatter,
) -> Option<Value> {
    let status = Status::parse(&a.status);
    if status == Status::NotAssessed {
        return None;
    }
    let ob = a.obligation_id.trim();
    let mut o = Map::new();
    o.insert(
        "uuid".into(),
        uuid(service, &format!("observation/assessment/{ob}")).into(),
    );
    o.insert("title".into(), format!("Self-assessment of {ob}").into());
    o.insert(
        "description".into(),
        text_or(&a.statement, "No implementation statement recorded.").into(),
    );
    let props: Vec<Value> = [
        prop("assessment-status", &a.status),
        prop("owner", &a.owner),
    ]
    .into_iter()
    .flatten()
    .collect();
    put_list(&mut o, "props", props);
    // The provider examined its own implementation and evidence.
    o.insert("methods".into(), json!(["EXAMINE"]));
    o.insert("types".into(), json!(["control-objective"]));
    let evidence: Vec<Value> = a
        .evidence
        .iter()
        .map(|e| {
            json!({
                "href": back.evidence(service, ob, e),
                "description": text_or(&e.title, "Evidence"),
            })
        })
        .collect();
    put_list(&mut o, "relevant-evidence", evidence);
    o.insert("collected".into(), generated_at.into());
    if let Some(at) = a.next_review.as_deref().and_then(day_start) {
        o.insert("expires".into(), at.into());
    }
    if !a.justification.trim().is_empty() {
        o.insert("remarks".into(), a.justification.trim().into());
    }
    Some(Value::Object(o))
}

/// The conclusion on an applicable obligation, from its Thiqa status.
fn self_assessment_finding(
    service: &OscalService,
    a: &OscalAssessment,
    observation: Option<Value>,
) -> Value {
    let status = Status::parse(&a.status);
    let ob = a.obligation_id.trim();
    let (state, reason) = status.objective();
    let mut target = json!({
        "type": "statement-id",
        "target-id": statement_id(ob),
        "status": { "state": state, "reason": reason },
    });
    if let Some(s) = status.implementation_state() {
        target["implementation-status"] = json!({ "state": s });
    }
    if status == Status::NotApplicable && !a.justification.trim().is_empty() {
        target["status"]["remarks"] = a.justification.trim().into();
    }
    let mut f = Map::new();
    f.insert(
        "uuid".into(),
        uuid(service, &format!("finding/assessment/{ob}")).into(),
    );
    f.insert("title".into(), format!("{ob}: {}", status.label()).into());
    f.insert(
        "description".into(),
        format!("Self-assessed as {} in Thiqa.", status.label()).into(),
    );
    put_list(
        &mut f,
        "props",
        prop("assessment-status", &a.status).into_iter().collect(),
    );
    f.insert("target".into(), target);
    if let Some(o) = observation {
        f.insert(
            "related-observations".into(),
            json!([{ "observation-uuid": o }]),
        );
    }
    Value::Object(f)
}

pub(super) fn is_open(f: &OscalFinding) -> bool {
    // Anything not explicitly closed is still to be dealt with.
    f.status.trim() != "closed"
}

fn finding_props(f: &OscalFinding) -> Vec<Value> {
    [
        prop("finding-id", &f.id.to_string()),
        prop("finding-kind", &f.kind),
        prop("finding-status", &f.status),
        f.closed_at.as_deref().and_then(|c| prop("closed-at", c)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `origins` naming the auditor, when known.
fn origins(f: &OscalFinding, meta: &mut Meta) -> Option<Value> {
    meta.auditor(&f.auditor).map(|party| {
        json!([{ "actors": [{ "type": "party", "actor-uuid": party, "role-id": "assessor" }] }])
    })
}

pub(super) fn audit_observation_uuid(service: &OscalService, f: &OscalFinding) -> String {
    uuid(service, &format!("observation/finding/{}", f.id))
}

pub(super) fn audit_finding_uuid(service: &OscalService, f: &OscalFinding) -> String {
    uuid(service, &format!("finding/audit/{}", f.id))
}

/// What an auditor noted, when, and the provider's response. Thiqa does not
/// record the auditor's method, hence `UNKNOWN`.
pub(super) fn audit_observation(
    service: &OscalService,
    f: &OscalFinding,
    meta: &mut Meta,
) -> Value {
    let mut o = Map::new();
    o.insert("uuid".into(), audit_observation_uuid(service, f).into());
    o.insert("title".into(), title(f).into());
    o.insert(
        "description".into(),
        text_or(&f.description, "No description recorded.").into(),
    );
    put_list(&mut o, "props", finding_props(f));
    o.insert("methods".into(), json!(["UNKNOWN"]));
    o.insert("types".into(), json!(["finding"]));
    if let Some(origins) = origins(f, meta) {
        o.insert("origins".into(), origins);
    }
    o.insert("collected".into(), f.created_at.trim().into());
    if !f.response.trim().is_empty() {
        o.insert(
            "remarks".into(),
            format!("Provider's response: {}", f.response.trim()).into(),
        );
    }
    Value::Object(o)
}

/// The auditor's conclusion on the obligation: an open minor or major
/// nonconformity leaves it not satisfied; a closed one no longer does; an
/// observation is a remark, not a nonconformity.
pub(super) fn audit_finding(service: &OscalService, f: &OscalFinding, meta: &mut Meta) -> Value {
    let nonconformity = matches!(f.kind.trim(), "minor" | "major");
    let status = match (nonconformity, is_open(f)) {
        (true, true) => json!({ "state": "not-satisfied", "reason": "fail" }),
        (true, false) => json!({
            "state": "satisfied",
            "reason": "pass",
            "remarks": match f.closed_at.as_deref().and_then(line) {
                Some(at) => format!("Nonconformity closed on {at}."),
                None => "Nonconformity closed.".to_string(),
            },
        }),
        (false, _) => json!({
            "state": "satisfied",
            "reason": "other",
            "remarks": "An observation, not a nonconformity.",
        }),
    };
    let mut x = Map::new();
    x.insert("uuid".into(), audit_finding_uuid(service, f).into());
    x.insert("title".into(), title(f).into());
    x.insert(
        "description".into(),
        text_or(&f.description, "No description recorded.").into(),
    );
    put_list(&mut x, "props", finding_props(f));
    if let Some(origins) = origins(f, meta) {
        x.insert("origins".into(), origins);
    }
    x.insert(
        "target".into(),
        json!({
            "type": "statement-id",
            "target-id": statement_id(f.obligation_id.trim()),
            "status": status,
        }),
    );
    x.insert(
        "related-observations".into(),
        json!([{ "observation-uuid": audit_observation_uuid(service, f) }]),
    );
    if !f.response.trim().is_empty() {
        x.insert(
            "remarks".into(),
            format!("Provider's response: {}", f.response.trim()).into(),
        );
    }
    Value::Object(x)
}

fn title(f: &OscalFinding) -> String {
    let kind = line(&f.kind).unwrap_or_else(|| "finding".into());
    format!(
        "Audit finding #{} ({kind}) on {}",
        f.id,
        f.obligation_id.trim()
    )
}

//! The OSCAL SSP, assessment results and POA&M of a realistic service must be
//! accepted by an independent OSCAL implementation, compliance-trestle
//! (pydantic models generated from the NIST schemas), next to the catalog and
//! profile they refer to; and they must say what a reviewer would look for.
//!
//! Needs `trestle` on PATH (`pip install 'compliance-trestle<4'`: trestle 4
//! and later only read OSCAL 1.2) or its path in `THIQA_TRESTLE`; without it
//! the validation test fails and says how to install it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use thiqa_catalog::{oscal as catalog_oscal, Lang, Level, Profile, ServiceModel};
use thiqa_export::oscal::{
    assessment_results, poam, ssp, OscalAction, OscalAssessment, OscalEvidence, OscalFinding,
    OscalService,
};

const AT: &str = "2025-09-15T10:30:00+01:00";
const PROFILE_HREF: &str = "trestle://profiles/cloud-rabat/profile.json";
const SSP_HREF: &str = "trestle://system-security-plans/cloud-rabat/system-security-plan.json";

fn service() -> OscalService {
    OscalService {
        id: 7,
        name: "Atlas Cloud Compute".into(),
        description: "Virtual machines, block storage and private networks for Moroccan \
                      public bodies."
            .into(),
        model: "IaaS".into(),
        level: 2,
        provider: "Atlas Hosting SARL".into(),
        sites: vec![
            ("DC Rabat 1".into(), "Rabat".into(), "MA".into()),
            ("DC Casablanca".into(), "Casablanca".into(), "MA".into()),
        ],
        catalog_version: "2025-08-01".into(),
    }
}

fn profile() -> Profile {
    Profile::new(ServiceModel::Iaas, Level::Two)
}

/// Six obligations that apply to an IaaS level 2 service, in every status,
/// and one that does not apply.
fn assessments() -> Vec<OscalAssessment> {
    let catalog = thiqa_catalog::dgssi_cloud_2025();
    let applicable: Vec<String> = catalog
        .applicable_obligations(&profile())
        .iter()
        .map(|o| o.id.clone())
        .collect();
    assert!(
        applicable.len() >= 6,
        "the profile keeps at least six obligations"
    );
    let not_applicable = catalog
        .obligations()
        .map(|(_, _, o)| o.id.clone())
        .find(|id| !applicable.contains(id))
        .expect("some obligation does not apply to IaaS level 2");
    let a = |i: usize, status: &str, statement: &str| OscalAssessment {
        obligation_id: applicable[i].clone(),
        applicable: true,
        reason: "Applies to every IaaS service at level 2.".into(),
        status: status.into(),
        statement: statement.into(),
        owner: "rssi".into(),
        ..Default::default()
    };
    vec![
        OscalAssessment {
            next_review: Some("2026-03-01".into()),
            evidence: vec![
                OscalEvidence {
                    title: "Politique de sécurité v3".into(),
                    sha256: Some(
                        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                    ),
                    url: Some("https://thiqa.example/evidence/41".into()),
                    media_type: Some("application/pdf".into()),
                },
                OscalEvidence {
                    title: "Procès-verbal du comité".into(),
                    sha256: Some(
                        "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752".into(),
                    ),
                    url: None,
                    media_type: None,
                },
            ],
            ..a(
                0,
                "compliant",
                "The security policy is approved by management.",
            )
        },
        OscalAssessment {
            owner: "Équipe conformité".into(),
            justification: "Second site not yet covered.".into(),
            ..a(
                1,
                "partially_compliant",
                "Backups are encrypted on the primary site.",
            )
        },
        a(2, "non_compliant", ""),
        OscalAssessment {
            justification: "The service stores no payment card data: no card is ever \
                            processed by the platform."
                .into(),
            ..a(3, "not_applicable", "")
        },
        OscalAssessment {
            owner: String::new(),
            ..a(4, "not_assessed", "")
        },
        OscalAssessment {
            // The same file as the first one's: one back-matter resource.
            evidence: vec![OscalEvidence {
                title: "Politique de sécurité v3".into(),
                sha256: Some(
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
                ),
                url: Some("https://thiqa.example/evidence/41".into()),
                media_type: Some("application/pdf".into()),
            }],
            ..a(
                5,
                "compliant",
                "Access reviews every quarter.\n\n- admins\n- operators",
            )
        },
        OscalAssessment {
            obligation_id: not_applicable,
            applicable: false,
            reason: "Only for SaaS.".into(),
            status: "not_assessed".into(),
            ..Default::default()
        },
    ]
}

fn findings(a: &[OscalAssessment]) -> Vec<OscalFinding> {
    vec![
        OscalFinding {
            id: 12,
            obligation_id: a[2].obligation_id.clone(),
            kind: "major".into(),
            description: "No incident response plan was produced.".into(),
            response: "A plan is being written.".into(),
            status: "open".into(),
            auditor: "Karim Benali (PASSI)".into(),
            created_at: "2025-07-02T09:00:00+01:00".into(),
            closed_at: None,
        },
        OscalFinding {
            id: 13,
            obligation_id: a[0].obligation_id.clone(),
            kind: "minor".into(),
            description: "The policy was not signed.".into(),
            response: "Signed on 10 July.".into(),
            status: "closed".into(),
            auditor: "Karim Benali (PASSI)".into(),
            created_at: "2025-07-02T09:30:00+01:00".into(),
            closed_at: Some("2025-07-10T16:00:00+01:00".into()),
        },
    ]
}

fn actions(a: &[OscalAssessment]) -> Vec<OscalAction> {
    vec![
        OscalAction {
            id: 3,
            title: "Extend encrypted backups to Casablanca".into(),
            description: "Deploy the backup agent with encryption on the second site.".into(),
            owner: "Équipe conformité".into(),
            due: Some("2025-12-31".into()),
            status: "in_progress".into(),
            obligation_ids: vec![a[1].obligation_id.clone()],
            finding_ids: vec![],
        },
        OscalAction {
            id: 4,
            title: "Sign the security policy".into(),
            description: "Have the CEO sign the policy.".into(),
            owner: "rssi".into(),
            due: Some("2025-07-15".into()),
            status: "done".into(),
            obligation_ids: vec![a[0].obligation_id.clone()],
            finding_ids: vec![13],
        },
        OscalAction {
            id: 5,
            title: "Buy a second HSM".into(),
            description: "Replaced by the cloud KMS.".into(),
            owner: "rssi".into(),
            due: None,
            status: "cancelled".into(),
            obligation_ids: vec![a[2].obligation_id.clone()],
            finding_ids: vec![12],
        },
    ]
}

struct Docs {
    ssp: Value,
    ar: Value,
    poam: Value,
}

fn docs(service: &OscalService, at: &str) -> Docs {
    let a = assessments();
    let f = findings(&a);
    let x = actions(&a);
    Docs {
        ssp: ssp(service, &a, at, PROFILE_HREF),
        ar: assessment_results(service, &a, &f, at, SSP_HREF),
        poam: poam(service, &f, &x, at, SSP_HREF),
    }
}

/// The same state with every optional field blank: no provider, no site,
/// no owner or auditor, nothing open.
fn sparse() -> Docs {
    let service = OscalService {
        id: 9,
        level: 1,
        ..Default::default()
    };
    let mut a = assessments();
    for x in &mut a {
        x.reason.clear();
        x.statement.clear();
        x.owner = "  ".into();
        x.next_review = Some("soon".into());
        for e in &mut x.evidence {
            e.url = None;
            e.sha256 = None;
            e.title.clear();
        }
    }
    a[0].status.clear();
    let mut f = findings(&a);
    for x in &mut f {
        x.status = "closed".into();
        x.auditor.clear();
        x.kind.clear();
        x.description.clear();
        x.response.clear();
    }
    let mut x = actions(&a);
    x.retain(|x| x.status == "done" || x.status == "cancelled");
    Docs {
        ssp: ssp(&service, &a, AT, PROFILE_HREF),
        ar: assessment_results(&service, &a, &f, AT, SSP_HREF),
        poam: poam(&service, &f, &x, AT, SSP_HREF),
    }
}

/// What the NIST JSON schemas ask beyond trestle's models: every array holds
/// at least one item, and strings are not blank nor padded.
fn assert_schema_shape(v: &Value, path: &str) {
    match v {
        Value::Array(a) => {
            assert!(!a.is_empty(), "empty list at {path}");
            for (i, x) in a.iter().enumerate() {
                assert_schema_shape(x, &format!("{path}[{i}]"));
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                assert_schema_shape(x, &format!("{path}.{k}"));
            }
        }
        Value::String(s) => {
            assert!(
                !s.is_empty() && s.trim() == s,
                "blank or padded string at {path}: {s:?}"
            )
        }
        _ => {}
    }
}

#[test]
fn documents_have_no_empty_list_or_blank_string() {
    for d in [docs(&service(), AT), sparse()] {
        assert_schema_shape(&d.ssp, "ssp");
        assert_schema_shape(&d.ar, "ar");
        assert_schema_shape(&d.poam, "poam");
    }
    let d = sparse();
    let items = list(&d.poam["plan-of-action-and-milestones"], "poam-items");
    assert_eq!(ns_prop(&items[0], "placeholder"), Some("true"));
    assert_eq!(
        d.ssp["system-security-plan"]["system-characteristics"]["system-name"],
        "Service 9"
    );
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is a list in {v:#}"))
}

fn ns_prop<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v["props"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name && p["ns"] == catalog_oscal::NS)
        .and_then(|p| p["value"].as_str())
}

#[test]
fn ssp_says_what_applies_and_how() {
    let a = assessments();
    let d = docs(&service(), AT);
    let s = &d.ssp["system-security-plan"];
    assert_eq!(s["import-profile"]["href"], PROFILE_HREF);
    let ch = &s["system-characteristics"];
    assert_eq!(ch["security-sensitivity-level"], "level-2");
    assert_eq!(ch["system-name"], "Atlas Cloud Compute");
    assert_eq!(ns_prop(ch, "service-model"), Some("IaaS"));
    assert_eq!(list(&s["metadata"], "locations").len(), 2);
    let boundary = ch["authorization-boundary"]["description"]
        .as_str()
        .unwrap();
    assert!(
        boundary.contains("DC Casablanca (Casablanca, MA)"),
        "{boundary}"
    );

    let reqs = list(&s["control-implementation"], "implemented-requirements");
    let ids: Vec<&str> = reqs
        .iter()
        .map(|r| r["control-id"].as_str().unwrap())
        .collect();
    let want: Vec<String> = a
        .iter()
        .filter(|x| x.applicable)
        .map(|x| catalog_oscal::control_id(&x.obligation_id))
        .collect();
    assert_eq!(
        ids, want,
        "one requirement per applicable obligation, in order"
    );

    let states: Vec<Option<&str>> = reqs
        .iter()
        .map(|r| r["by-components"][0]["implementation-status"]["state"].as_str())
        .collect();
    assert_eq!(
        states,
        [
            Some("implemented"),
            Some("partial"),
            Some("planned"),
            Some("not-applicable"),
            None,
            Some("implemented")
        ]
    );
    assert_eq!(
        ns_prop(&reqs[2], "assessment-status"),
        Some("non_compliant")
    );
    let na = &reqs[3]["by-components"][0]["implementation-status"];
    assert!(na["remarks"]
        .as_str()
        .unwrap()
        .contains("no payment card data"));
    assert_eq!(reqs[0]["responsible-roles"][0]["role-id"], "owner-rssi");
    assert_eq!(
        reqs[1]["responsible-roles"][0]["role-id"],
        "owner-equipe-conformite"
    );
    assert!(
        reqs[4].get("responsible-roles").is_none(),
        "no owner, no role"
    );
    assert_eq!(ns_prop(&reqs[0], "next-review"), Some("2026-03-01"));

    // Evidence: back-matter resources with their digest, shared when the same file.
    let resources = list(&s["back-matter"], "resources");
    assert_eq!(resources.len(), 2, "{resources:#?}");
    let hash = &resources[0]["rlinks"][0]["hashes"][0];
    assert_eq!(hash["algorithm"], "SHA-256");
    assert_eq!(
        hash["value"],
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
    assert_eq!(reqs[0]["links"][0]["href"], reqs[5]["links"][0]["href"]);
    assert_eq!(
        ns_prop(&resources[1], "sha256"),
        Some("60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752")
    );
}

#[test]
fn assessment_results_conclude_per_obligation_and_finding() {
    let a = assessments();
    let d = docs(&service(), AT);
    let ar = &d.ar["assessment-results"];
    let result = &list(ar, "results")[0];
    let reviewed = list(
        &result["reviewed-controls"]["control-selections"][0],
        "include-controls",
    );
    assert_eq!(reviewed.len(), 6, "the applicable obligations only");

    let findings = list(result, "findings");
    let on = |ob: &str, kind: &str| -> Vec<&Value> {
        let target = format!("{}_smt", catalog_oscal::control_id(ob));
        findings
            .iter()
            .filter(|f| f["target"]["target-id"] == target.as_str())
            .filter(|f| ns_prop(f, kind).is_some())
            .collect()
    };
    let state = |f: &Value| f["target"]["status"]["state"].as_str().unwrap().to_string();

    let non_compliant = on(&a[2].obligation_id, "assessment-status");
    assert_eq!(non_compliant.len(), 1);
    assert_eq!(state(non_compliant[0]), "not-satisfied");
    assert_eq!(non_compliant[0]["target"]["status"]["reason"], "fail");
    assert_eq!(
        state(on(&a[0].obligation_id, "assessment-status")[0]),
        "satisfied"
    );
    assert_eq!(
        state(on(&a[1].obligation_id, "assessment-status")[0]),
        "not-satisfied"
    );
    assert_eq!(
        state(on(&a[4].obligation_id, "assessment-status")[0]),
        "not-satisfied"
    );
    let na = on(&a[3].obligation_id, "assessment-status")[0];
    assert_eq!(
        na["target"]["implementation-status"]["state"],
        "not-applicable"
    );

    // The open major finding leaves its obligation not satisfied; the closed one does not.
    let major = on(&a[2].obligation_id, "finding-id")[0];
    assert_eq!(ns_prop(major, "finding-id"), Some("12"));
    assert_eq!(state(major), "not-satisfied");
    assert_eq!(state(on(&a[0].obligation_id, "finding-id")[0]), "satisfied");

    // Observations: five assessed obligations and two audit findings; the
    // auditor is a party with the assessor role.
    let observations = list(result, "observations");
    assert_eq!(observations.len(), 7);
    let audit = observations
        .iter()
        .find(|o| ns_prop(o, "finding-id") == Some("12"))
        .unwrap();
    let party = audit["origins"][0]["actors"][0]["actor-uuid"]
        .as_str()
        .unwrap();
    let parties = list(&ar["metadata"], "parties");
    assert!(parties
        .iter()
        .any(|p| p["uuid"] == party && p["name"] == "Karim Benali (PASSI)"));
    assert_eq!(audit["collected"], "2025-07-02T09:00:00+01:00");
    let first = observations
        .iter()
        .find(|o| o["title"] == format!("Self-assessment of {}", a[0].obligation_id).as_str())
        .unwrap();
    assert_eq!(first["expires"], "2026-03-01T00:00:00Z");
    assert_eq!(list(first, "relevant-evidence").len(), 2);

    // import-ap: a back-matter resource pointing at the SSP.
    let href = ar["import-ap"]["href"].as_str().unwrap();
    let plan = list(&ar["back-matter"], "resources")
        .iter()
        .find(|r| format!("#{}", r["uuid"].as_str().unwrap()) == href)
        .expect("import-ap resolves in back-matter");
    assert_eq!(plan["rlinks"][0]["href"], SSP_HREF);
}

#[test]
fn poam_lists_what_remains_open() {
    let d = docs(&service(), AT);
    let p = &d.poam["plan-of-action-and-milestones"];
    assert_eq!(p["import-ssp"]["href"], SSP_HREF);
    let items = list(p, "poam-items");
    // The open action and the open finding no action addresses.
    assert_eq!(items.len(), 2, "{items:#?}");
    assert_eq!(ns_prop(&items[0], "action-id"), Some("3"));
    assert_eq!(ns_prop(&items[0], "due"), Some("2025-12-31"));
    assert_eq!(ns_prop(&items[0], "owner"), Some("Équipe conformité"));
    assert_eq!(ns_prop(&items[1], "finding-id"), Some("12"));
    // The done and cancelled actions and the closed finding make no item.
    assert!(items.iter().all(|i| ns_prop(i, "action-id") != Some("4")));
    assert!(items.iter().all(|i| ns_prop(i, "action-id") != Some("5")));
    assert!(items.iter().all(|i| ns_prop(i, "finding-id") != Some("13")));
    let carried: Vec<&str> = list(p, "findings")
        .iter()
        .filter_map(|f| ns_prop(f, "finding-id"))
        .collect();
    assert_eq!(
        carried,
        ["12"],
        "closed findings no open action cites are left out"
    );

    // Links resolve inside the document, with the same UUIDs as in the AR.
    let finding_uuid = items[1]["related-findings"][0]["finding-uuid"]
        .as_str()
        .unwrap();
    assert_eq!(list(p, "findings")[0]["uuid"], finding_uuid);
    let obs_uuid = items[1]["related-observations"][0]["observation-uuid"]
        .as_str()
        .unwrap();
    assert_eq!(list(p, "observations")[0]["uuid"], obs_uuid);
    let ar_findings = list(&list(&d.ar["assessment-results"], "results")[0], "findings");
    assert!(ar_findings.iter().any(|f| f["uuid"] == finding_uuid));
    assert_eq!(
        p["system-id"]["id"],
        d.ssp["system-security-plan"]["system-characteristics"]["system-ids"][0]["id"]
    );
}

#[test]
fn poam_with_nothing_open_still_has_its_one_required_item() {
    let mut f = findings(&assessments());
    f.retain(|f| f.status == "closed");
    let p = poam(&service(), &f, &[], AT, SSP_HREF);
    let items = list(&p["plan-of-action-and-milestones"], "poam-items");
    assert_eq!(items.len(), 1);
    assert_eq!(ns_prop(&items[0], "placeholder"), Some("true"));
    assert!(p["plan-of-action-and-milestones"].get("findings").is_none());
}

fn uuids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "uuid" {
                    out.push(x.as_str().unwrap().to_string());
                }
                uuids(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| uuids(x, out)),
        _ => {}
    }
}

#[test]
fn same_state_same_documents_but_for_timestamps() {
    let later = "2025-10-01T08:00:00Z";
    let (one, two) = (docs(&service(), AT), docs(&service(), later));
    for (x, y) in [
        (&one.ssp, &two.ssp),
        (&one.ar, &two.ar),
        (&one.poam, &two.poam),
    ] {
        let (mut ux, mut uy) = (Vec::new(), Vec::new());
        uuids(x, &mut ux);
        uuids(y, &mut uy);
        assert_eq!(ux, uy);
        let unique: BTreeSet<&String> = ux.iter().collect();
        assert_eq!(unique.len(), ux.len(), "UUIDs are unique within a document");
        assert_eq!(x.to_string().replace(AT, later), y.to_string());
    }
    // Another service, other UUIDs.
    let other = docs(&OscalService { id: 8, ..service() }, AT);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    uuids(&one.ssp, &mut a);
    uuids(&other.ssp, &mut b);
    assert!(a.iter().all(|u| !b.contains(u)));
}

// ---- trestle ----

fn trestle() -> String {
    let exe = std::env::var("THIQA_TRESTLE").unwrap_or_else(|_| "trestle".into());
    let out = Command::new(&exe).arg("version").output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        _ => panic!(
            "compliance-trestle not found (`{exe}`): install it with \
             pip install 'compliance-trestle<4' (then `pyenv rehash` if you use pyenv), \
             or set THIQA_TRESTLE to its path; the OSCAL exports cannot be validated without it"
        ),
    };
    // "Trestle version v3.12.4 based on OSCAL version 1.1.3"
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.contains("OSCAL version 1.1."),
        "this trestle cannot read OSCAL 1.1.2 documents ({}); \
         install pip install 'compliance-trestle<4'",
        said.trim()
    );
    exe
}

struct Workspace(PathBuf);

impl Workspace {
    fn new(tag: &str) -> Workspace {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("thiqa-oscal-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp workspace");
        Workspace(dir)
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs trestle in `dir`; on failure, panics with everything trestle said.
fn run(exe: &str, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(exe)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run trestle");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "`trestle {}` failed ({}):\n{text}",
        args.join(" "),
        out.status
    );
    text
}

fn write(dir: &Path, rel: &str, value: &Value) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

#[test]
fn exports_validate_with_trestle() {
    let exe = trestle();
    let ws = Workspace::new("svc");
    run(&exe, &ws.0, &["init"]);
    let catalog = thiqa_catalog::dgssi_cloud_2025();
    write(
        &ws.0,
        "catalogs/dgssi/catalog.json",
        &catalog_oscal::catalog(catalog, Lang::Fr),
    );
    let profile = catalog_oscal::profile(
        catalog,
        &profile(),
        "trestle://catalogs/dgssi/catalog.json",
        Lang::Fr,
    );
    write(&ws.0, "profiles/cloud-rabat/profile.json", &profile);
    let d = docs(&service(), AT);
    let s = sparse();
    let files = [
        (
            "system-security-plans/cloud-rabat/system-security-plan.json",
            &d.ssp,
        ),
        (
            "assessment-results/cloud-rabat/assessment-results.json",
            &d.ar,
        ),
        (
            "plan-of-action-and-milestones/cloud-rabat/plan-of-action-and-milestones.json",
            &d.poam,
        ),
        (
            "system-security-plans/sparse/system-security-plan.json",
            &s.ssp,
        ),
        ("assessment-results/sparse/assessment-results.json", &s.ar),
        (
            "plan-of-action-and-milestones/sparse/plan-of-action-and-milestones.json",
            &s.poam,
        ),
    ];
    for (rel, doc) in files {
        write(&ws.0, rel, doc);
    }
    // One by one: a failure names its document, and our documents raise no
    // warning (every back-matter link resolves and every resource is used).
    // Validating the SSP resolves its profile, whose item removals trestle's
    // resolver warns it does not apply: those warnings are the profile's.
    for (rel, _) in files {
        let out = run(&exe, &ws.0, &["validate", "-f", rel]);
        let ours: Vec<&str> = out
            .lines()
            .filter(|l| l.contains("WARNING") && !l.contains("trestle.core.resolver"))
            .collect();
        assert!(ours.is_empty(), "{rel}:\n{out}");
    }
    let out = run(&exe, &ws.0, &["validate", "-a"]);
    println!("{out}");

    // The SSP's control ids are those the profile selects from the catalog.
    let selected: BTreeSet<&str> = profile["profile"]["imports"][0]["include-controls"][0]
        ["with-ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for r in list(
        &d.ssp["system-security-plan"]["control-implementation"],
        "implemented-requirements",
    ) {
        assert!(
            selected.contains(r["control-id"].as_str().unwrap()),
            "{r:#}"
        );
    }
}

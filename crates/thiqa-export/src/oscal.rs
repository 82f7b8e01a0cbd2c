//! OSCAL 1.1.2 exports of one service's compliance state: its system security
//! plan (`ssp`), assessment results (`assessment_results`) and plan of action
//! and milestones (`poam`).
//!
//! Why: GRC tools and auditors (PASSI) import OSCAL; with the catalog and the
//! profile that `thiqa_catalog::oscal` already exports, these three documents
//! hand over the whole state of a qualification: what applies, how the
//! provider meets it, what was found, and what is being done about it.
//!
//! Like the spreadsheets, these are views: the server fills the plain structs
//! below from its database, and the functions return JSON values (no I/O).
//! They follow the catalog export's conventions: control ids (`o-3.5.5.c`),
//! Thiqa's prop namespace for what OSCAL has no word for (Thiqa's exact
//! statuses, finding kinds, due dates), and name-based UUIDs. Every UUID is
//! derived from the service id and the object's own id (obligation, finding,
//! action), so exporting the same state twice gives the same documents but
//! for the timestamps, and an object keeps its UUID across documents and
//! revisions, as OSCAL asks ("assigned per-subject").
//!
//! Text fields OSCAL constrains to one trimmed line (prop values, names) are
//! normalised here; free text (statements, descriptions) is passed through
//! as Markdown, with a neutral sentence when the database holds none,
//! because OSCAL requires those fields.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};
use thiqa_catalog::oscal::{control_id, NS, OSCAL_VERSION};

mod ar;
mod poam;
mod ssp;

pub use ar::assessment_results;
pub use poam::poam;
pub use ssp::ssp;

/// The service the documents describe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OscalService {
    /// The database id: every UUID of the documents derives from it.
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `IaaS`, `PaaS` or `SaaS`.
    pub model: String,
    /// The DGSSI qualification level, 1 or 2.
    pub level: u8,
    /// The provider's name.
    pub provider: String,
    /// The hosting sites: (name, city, country).
    pub sites: Vec<(String, String, String)>,
    /// The référentiel version the profile was computed from.
    pub catalog_version: String,
}

/// The self-assessment of one obligation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OscalAssessment {
    /// As in the catalog (`3.5.5.c`).
    pub obligation_id: String,
    /// Whether the applicability engine keeps the obligation for the service;
    /// obligations that do not apply are left out of every document.
    pub applicable: bool,
    /// Why it applies (the engine's reason, for people).
    pub reason: String,
    /// `not_assessed`, `compliant`, `partially_compliant`, `non_compliant`
    /// or `not_applicable`.
    pub status: String,
    /// How the provider meets the obligation.
    pub statement: String,
    /// Why the status (required for `not_applicable`).
    pub justification: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub next_review: Option<String>,
    pub evidence: Vec<OscalEvidence>,
}

/// A piece of evidence attached to an assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OscalEvidence {
    pub title: String,
    /// Hex digest of the file.
    pub sha256: Option<String>,
    /// Where to fetch it.
    pub url: Option<String>,
    pub media_type: Option<String>,
}

/// A finding recorded by an auditor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OscalFinding {
    pub id: i64,
    pub obligation_id: String,
    /// `observation`, `minor` or `major`.
    pub kind: String,
    pub description: String,
    /// The provider's response.
    pub response: String,
    /// `open`, `responded` or `closed`: only `closed` ends it.
    pub status: String,
    pub auditor: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub closed_at: Option<String>,
}

/// A remediation action of the provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OscalAction {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub due: Option<String>,
    /// `open`, `in_progress`, `done` or `cancelled`.
    pub status: String,
    pub obligation_ids: Vec<String>,
    pub finding_ids: Vec<i64>,
}

/// The UUID of an object of the service, from a path such as `finding/12`.
fn uuid(service: &OscalService, path: &str) -> String {
    thiqa_catalog::thiqa_uuid(&format!("thiqa/service/{}/{path}", service.id))
}

/// One trimmed line, or `None` when blank: OSCAL's strings (prop values,
/// names) must start and end with a non-space and hold no line break.
fn line(s: &str) -> Option<String> {
    let l = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!l.is_empty()).then_some(l)
}

/// Free text, or `fallback` when blank (the field is required).
fn text_or(s: &str, fallback: impl Into<String>) -> String {
    let t = s.trim();
    if t.is_empty() {
        fallback.into()
    } else {
        t.to_string()
    }
}

/// A Thiqa prop, or nothing when the value is blank.
fn prop(name: &str, value: &str) -> Option<Value> {
    line(value).map(|v| json!({ "name": name, "ns": NS, "value": v }))
}

/// `YYYY-MM-DD` as a date-time at the start of that day (UTC); `None` for
/// anything else, which then only appears as a prop.
fn day_start(date: &str) -> Option<String> {
    let d = date.trim();
    let shape = d.len() == 10
        && d.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    shape.then(|| format!("{d}T00:00:00Z"))
}

/// The id of the statement part of an obligation's control in the catalog
/// export: findings target it (OSCAL targets statements or objectives).
fn statement_id(obligation_id: &str) -> String {
    format!("{}_smt", control_id(obligation_id))
}

/// Inserts `key` only when the list is not empty: OSCAL arrays hold at least
/// one item.
fn put_list(map: &mut Map<String, Value>, key: &str, list: Vec<Value>) {
    if !list.is_empty() {
        map.insert(key.into(), list.into());
    }
}

/// Thiqa's assessment statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    NotAssessed,
    Compliant,
    Partial,
    NonCompliant,
    NotApplicable,
}

impl Status {
    /// Unknown values count as not assessed: nothing is claimed for them.
    fn parse(s: &str) -> Status {
        match s.trim() {
            "compliant" => Status::Compliant,
            "partially_compliant" => Status::Partial,
            "non_compliant" => Status::NonCompliant,
            "not_applicable" => Status::NotApplicable,
            _ => Status::NotAssessed,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Status::NotAssessed => "not assessed",
            Status::Compliant => "compliant",
            Status::Partial => "partially compliant",
            Status::NonCompliant => "non compliant",
            Status::NotApplicable => "not applicable",
        }
    }

    /// The closest OSCAL implementation state. OSCAL has no "not
    /// implemented": `planned` ("there is a plan for implementing the
    /// control") is the nearest, and the POA&M holds the plan. Nothing is
    /// claimed for an obligation not yet assessed.
    fn implementation_state(self) -> Option<&'static str> {
        match self {
            Status::NotAssessed => None,
            Status::Compliant => Some("implemented"),
            Status::Partial => Some("partial"),
            Status::NonCompliant => Some("planned"),
            Status::NotApplicable => Some("not-applicable"),
        }
    }

    /// The objective status of the self-assessment finding: (state, reason).
    /// An obligation not yet assessed has not been shown to be satisfied; a
    /// justified exemption is satisfied for "other" reasons than a pass.
    fn objective(self) -> (&'static str, &'static str) {
        match self {
            Status::Compliant => ("satisfied", "pass"),
            Status::NotApplicable => ("satisfied", "other"),
            Status::Partial | Status::NonCompliant => ("not-satisfied", "fail"),
            Status::NotAssessed => ("not-satisfied", "other"),
        }
    }
}

/// The metadata of a document: roles, parties and sites, collected while the
/// body is built so that every role-id and party-uuid it uses is defined.
struct Meta<'a> {
    service: &'a OscalService,
    roles: Vec<Value>,
    role_ids: HashSet<String>,
    owners: HashMap<String, String>,
    parties: Vec<Value>,
    party_uuids: HashSet<String>,
    responsible: Vec<(String, String)>,
    locations: Vec<Value>,
}

impl<'a> Meta<'a> {
    /// With the provider as the `provider` party, when it has a name.
    fn new(service: &'a OscalService) -> Meta<'a> {
        let mut m = Meta {
            service,
            roles: Vec::new(),
            role_ids: HashSet::new(),
            owners: HashMap::new(),
            parties: Vec::new(),
            party_uuids: HashSet::new(),
            responsible: Vec::new(),
            locations: Vec::new(),
        };
        if let Some(name) = line(&service.provider) {
            m.role("provider", "Cloud service provider");
            let id = m.provider_uuid();
            m.party_uuids.insert(id.clone());
            m.parties
                .push(json!({ "uuid": id.clone(), "type": "organization", "name": name }));
            m.responsible.push(("provider".into(), id));
        }
        m
    }

    fn provider_uuid(&self) -> String {
        uuid(self.service, "party/provider")
    }

    fn role(&mut self, id: &str, title: &str) {
        if self.role_ids.insert(id.to_string()) {
            self.roles.push(json!({ "id": id, "title": title }));
        }
    }

    /// The hosting sites as locations, tied to the provider party.
    fn sites(&mut self) -> Vec<String> {
        let mut ids = Vec::new();
        for (name, city, country) in &self.service.sites {
            let id = uuid(self.service, &format!("site/{name}/{city}/{country}"));
            if ids.contains(&id) {
                continue;
            }
            let mut address = Map::new();
            if let Some(c) = line(city) {
                address.insert("city".into(), c.into());
            }
            if let Some(c) = line(country) {
                address.insert("country".into(), c.into());
            }
            let mut loc = Map::new();
            loc.insert("uuid".into(), id.clone().into());
            loc.insert("title".into(), text_or(name, "Site").into());
            if !address.is_empty() {
                loc.insert("address".into(), Value::Object(address));
            }
            self.locations.push(Value::Object(loc));
            ids.push(id);
        }
        let provider = self.provider_uuid();
        if let Some(p) = self
            .parties
            .iter_mut()
            .find(|p| p["uuid"] == provider.as_str())
        {
            if !ids.is_empty() {
                p["location-uuids"] = ids.clone().into();
            }
        }
        ids
    }

    /// The role standing for an owner: owners are functions or teams
    /// ("rssi", "conformite"), which OSCAL calls roles. The id is a slug of
    /// the name, made unique; the title is the name as entered.
    fn owner_role(&mut self, owner: &str) -> Option<String> {
        let name = line(owner)?;
        if let Some(id) = self.owners.get(&name) {
            return Some(id.clone());
        }
        let base = format!("owner-{}", slug(&name));
        let mut id = base.clone();
        let mut n = 2;
        while self.role_ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.role(&id, &name);
        self.owners.insert(name, id.clone());
        Some(id)
    }

    /// The party of an auditor (a person, `assessor` role), by name.
    fn auditor(&mut self, name: &str) -> Option<String> {
        let name = line(name)?;
        let id = uuid(self.service, &format!("party/auditor/{name}"));
        if self.party_uuids.insert(id.clone()) {
            self.role("assessor", "Assessor");
            self.parties
                .push(json!({ "uuid": id.clone(), "type": "person", "name": name }));
            self.responsible.push(("assessor".into(), id.clone()));
        }
        Some(id)
    }

    /// The `metadata` object. Its version is the time of the snapshot: the
    /// state changes continuously and has no other version.
    fn build(self, title: String, generated_at: &str) -> Value {
        let mut m = Map::new();
        m.insert("title".into(), title.into());
        m.insert("last-modified".into(), generated_at.into());
        m.insert("version".into(), generated_at.into());
        m.insert("oscal-version".into(), OSCAL_VERSION.into());
        let props: Vec<Value> = [
            prop("service-id", &self.service.id.to_string()),
            prop("catalog-version", &self.service.catalog_version),
        ]
        .into_iter()
        .flatten()
        .collect();
        put_list(&mut m, "props", props);
        put_list(&mut m, "roles", self.roles);
        put_list(&mut m, "locations", self.locations);
        put_list(&mut m, "parties", self.parties);
        // One entry per role, listing its parties (OSCAL keys them by role).
        let mut by_role: Vec<(String, Vec<String>)> = Vec::new();
        for (role, party) in self.responsible {
            match by_role.iter_mut().find(|(r, _)| *r == role) {
                Some((_, parties)) => parties.push(party),
                None => by_role.push((role, vec![party])),
            }
        }
        let responsible = by_role
            .into_iter()
            .map(|(r, p)| json!({ "role-id": r, "party-uuids": p }))
            .collect();
        put_list(&mut m, "responsible-parties", responsible);
        Value::Object(m)
    }
}

/// A token for a role id: ASCII letters (French accents folded) and digits,
/// other runs as one `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-');
    if t.is_empty() {
        "x".into()
    } else {
        t.to_string()
    }
}

/// The back-matter resources of a document: evidence files, each once
/// however many obligations cite it.
#[derive(Default)]
struct BackMatter {
    resources: Vec<Value>,
    uuids: HashSet<String>,
}

impl BackMatter {
    fn push(&mut self, resource: Value) {
        let id = resource["uuid"].as_str().unwrap_or_default().to_string();
        if self.uuids.insert(id) {
            self.resources.push(resource);
        }
    }

    /// Adds a piece of evidence and returns the `#uuid` href that cites it.
    /// Its UUID follows its content when a digest is known (the same file
    /// attached twice is one resource), else its URL, else its title.
    fn evidence(
        &mut self,
        service: &OscalService,
        obligation_id: &str,
        e: &OscalEvidence,
    ) -> String {
        let sha = e.sha256.as_deref().and_then(line).map(|s| s.to_lowercase());
        let url = e.url.as_deref().and_then(line);
        let key = match (&sha, &url) {
            (Some(s), _) => format!("evidence/sha256/{s}"),
            (None, Some(u)) => format!("evidence/url/{u}"),
            (None, None) => format!("evidence/{obligation_id}/{}", e.title.trim()),
        };
        let id = uuid(service, &key);
        let mut r = Map::new();
        r.insert("uuid".into(), id.clone().into());
        r.insert("title".into(), text_or(&e.title, "Evidence").into());
        match url {
            // OSCAL carries digests on the link to the file.
            Some(href) => {
                let mut rlink = json!({ "href": href });
                if let Some(m) = e.media_type.as_deref().and_then(line) {
                    rlink["media-type"] = m.into();
                }
                if let Some(s) = &sha {
                    rlink["hashes"] = json!([{ "algorithm": "SHA-256", "value": s }]);
                }
                r.insert("rlinks".into(), json!([rlink]));
            }
            // No link to hang the digest on: keep it as a prop.
            None => {
                if let Some(p) = sha.as_deref().and_then(|s| prop("sha256", s)) {
                    r.insert("props".into(), json!([p]));
                }
            }
        }
        self.push(Value::Object(r));
        format!("#{id}")
    }

    fn into_value(self) -> Option<Value> {
        (!self.resources.is_empty()).then(|| json!({ "resources": self.resources }))
    }
}

/// The document wrapper `{ "<root>": { uuid, metadata, …body, back-matter } }`.
fn document(
    root: &str,
    id: String,
    metadata: Value,
    body: Map<String, Value>,
    back: BackMatter,
) -> Value {
    let mut doc = Map::new();
    doc.insert("uuid".into(), id.into());
    doc.insert("metadata".into(), metadata);
    doc.extend(body);
    if let Some(b) = back.into_value() {
        doc.insert("back-matter".into(), b);
    }
    json!({ root: Value::Object(doc) })
}

//! A service's compliance state as OSCAL documents — system security plan,
//! assessment results and plan of action and milestones — filled from the
//! database for the console's downloads and for the dossier. The documents
//! refer to each other by the relative names below, which is how they sit
//! side by side in the dossier's `oscal/` folder.

use std::collections::HashMap;

use serde_json::Value;
use thiqa_catalog::Subject;
use thiqa_domain::{ProviderId, ServiceId};
use thiqa_export::oscal::{
    self, OscalAction, OscalAssessment, OscalEvidence, OscalFinding, OscalService,
};

use crate::services::profile_of;
use crate::time::rfc3339;
use crate::{App, AppError, ServiceScope};

pub const CATALOG_HREF: &str = "../catalog/oscal-catalog.json";
pub const PROFILE_FILE: &str = "profile.json";
pub const SSP_FILE: &str = "system-security-plan.json";
pub const AR_FILE: &str = "assessment-results.json";
pub const POAM_FILE: &str = "plan-of-action-and-milestones.json";

/// The four documents of one service (profile first: the SSP imports it).
pub struct OscalDocuments {
    pub profile: Value,
    pub ssp: Value,
    pub assessment_results: Value,
    pub poam: Value,
}

impl OscalDocuments {
    /// (file name, document) in the order a reader resolves them.
    pub fn files(&self) -> [(&'static str, &Value); 4] {
        [
            (PROFILE_FILE, &self.profile),
            (SSP_FILE, &self.ssp),
            (AR_FILE, &self.assessment_results),
            (POAM_FILE, &self.poam),
        ]
    }
}

/// One of the scope's service's documents by its file name (`None` for a
/// name that is not one of them), as JSON bytes; the download is journaled.
pub async fn export(
    app: &App,
    scope: &ServiceScope,
    file: &str,
) -> Result<Option<(&'static str, Vec<u8>)>, AppError> {
    let docs = documents(app, scope.provider(), scope.service()).await?;
    let Some((name, doc)) = docs.files().into_iter().find(|(n, _)| *n == file) else {
        return Ok(None);
    };
    let body = serde_json::to_vec_pretty(doc).map_err(|e| AppError::Internal(e.to_string()))?;
    crate::soa::journal_export(app, scope, &format!("OSCAL {name}")).await?;
    Ok(Some((name, body)))
}

/// The four documents, filled from the database.
pub(crate) async fn documents(
    app: &App,
    provider: ProviderId,
    id: ServiceId,
) -> Result<OscalDocuments, AppError> {
    let c = app.catalog;
    // OSCAL documents are exchanged with the authority: in French, the
    // référentiel's language.
    let l = thiqa_catalog::Lang::Fr;
    let service = app.store.provider(provider).service(id).await?;
    let profile = profile_of(c, &service)?;
    let sites = app.store.provider(provider).sites(id).await?;
    let subject = OscalService {
        id: id.0,
        name: service.name.clone(),
        description: service.description.clone(),
        model: profile.model.label().to_string(),
        level: profile.level.number(),
        provider: app.store.provider(provider).name().await?,
        sites: sites
            .into_iter()
            .map(|s| (s.name, s.city, s.country))
            .collect(),
        catalog_version: c.version().to_string(),
    };
    let stored = app.store.provider(provider).assessments(id).await?;
    let mut evidence: HashMap<String, Vec<OscalEvidence>> = HashMap::new();
    for e in app.store.provider(provider).evidence(id, None).await? {
        for o in &e.obligations {
            evidence.entry(o.clone()).or_default().push(OscalEvidence {
                title: e.title.clone(),
                sha256: e.sha256.clone(),
                url: e.url.clone(),
                media_type: e.media_type.clone(),
            });
        }
    }
    let assessments: Vec<OscalAssessment> = c
        .applicability(&profile)
        .iter()
        .filter(|d| matches!(d.subject, Subject::Obligation))
        .map(|d| {
            let a = stored.get(&d.id);
            OscalAssessment {
                obligation_id: d.id.clone(),
                applicable: d.applicable,
                reason: d.explain(l, c),
                status: a
                    .as_ref()
                    .map_or("not_assessed", |a| a.status.as_str())
                    .to_string(),
                next_review: a
                    .as_ref()
                    .map(|a| a.next_review.clone())
                    .filter(|d| !d.is_empty()),
                statement: a.as_ref().map(|a| a.statement.clone()).unwrap_or_default(),
                justification: a
                    .as_ref()
                    .map(|a| a.justification.clone())
                    .unwrap_or_default(),
                owner: a.map(|a| a.owner.clone()).unwrap_or_default(),
                evidence: evidence.remove(&d.id).unwrap_or_default(),
            }
        })
        .collect();
    let findings: Vec<OscalFinding> = app
        .store
        .provider(provider)
        .findings(id)
        .await?
        .into_iter()
        .map(|f| OscalFinding {
            id: f.id.0,
            obligation_id: f.obligation_id,
            kind: f.severity,
            description: f.description,
            response: f.response,
            status: f.status,
            auditor: f.recorded_by,
            created_at: rfc3339(f.recorded_at),
            closed_at: f.closed_at.map(rfc3339),
        })
        .collect();
    let actions: Vec<OscalAction> = app
        .store
        .provider(provider)
        .actions(id)
        .await?
        .into_iter()
        .map(|a| OscalAction {
            id: a.id.0,
            title: a.title,
            description: a.description,
            owner: a.owner,
            due: Some(a.due_date).filter(|d| !d.is_empty()),
            status: a.status,
            obligation_ids: a.obligations,
            finding_ids: a.findings.iter().map(|f| f.0).collect(),
        })
        .collect();
    let now = rfc3339(app.store.clock().now_s());
    Ok(OscalDocuments {
        profile: thiqa_catalog::oscal::profile(c, &profile, CATALOG_HREF, l),
        ssp: oscal::ssp(&subject, &assessments, &now, PROFILE_FILE),
        assessment_results: oscal::assessment_results(
            &subject,
            &assessments,
            &findings,
            &now,
            SSP_FILE,
        ),
        poam: oscal::poam(&subject, &findings, &actions, &now, SSP_FILE),
    })
}

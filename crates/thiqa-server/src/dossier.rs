//! Building the signed qualification dossier of a service (used by the
//! console's button and by `thiqa dossier build`): statement of
//! applicability (PDF, CSV, XLSX), OSCAL catalog, profile, SSP, assessment
//! results and POA&M, the assessment, findings, action plan and evidence
//! files, under a manifest signed with the provider's Ed25519 key.

use std::path::Path;

use axum::extract::State;
use axum::http::{header::CONTENT_TYPE, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ed25519_dalek::SigningKey;
use serde_json::json;
use thiqa_domain::{ProviderId, ServiceId, Tenant};
use thiqa_export::dossier::{self, Source};
use thiqa_store::{Actor, KeyCustody, KeyError, NewEvent, SigningKeyName};

use crate::i18n::Lang;
use crate::state::AppState;
pub use thiqa_domain::text::hex;

#[derive(Debug, thiserror::Error)]
pub enum DossierBuildError {
    #[error("dossier key {path}: {message}")]
    Key { path: String, message: String },
    #[error("{0}")]
    Content(String),
    #[error(transparent)]
    Store(#[from] thiqa_store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The provider's dossier key under `custody` (files or database, as
/// configured): created when absent and `create` (building a dossier), else
/// `None` when no dossier was ever signed.
pub async fn key_in(
    store: &thiqa_store::Store,
    custody: &KeyCustody,
    create: bool,
) -> Result<Option<SigningKey>, DossierBuildError> {
    let seed = store
        .signing_seed(
            custody,
            SigningKeyName::Dossier,
            create,
            &thiqa_store::instance_name(),
        )
        .await
        .map_err(|e| match e {
            KeyError::Unusable { place, message, .. } => DossierBuildError::Key {
                path: place,
                message,
            },
            KeyError::Store(e) => DossierBuildError::Store(e),
        })?;
    Ok(seed.map(|seed| SigningKey::from_bytes(&seed)))
}

impl AppState {
    /// The provider's dossier key ([`key_in`] this deployment's custody),
    /// read once, then kept.
    pub async fn dossier_key(&self, create: bool) -> Result<Option<SigningKey>, DossierBuildError> {
        if let Some(key) = self.dossier_key.get() {
            return Ok(Some(key.clone()));
        }
        let key = key_in(&self.store, &self.keys, create).await?;
        // Every instance reads the same key, so a lost race sets nothing new.
        Ok(key.map(|key| self.dossier_key.get_or_init(|| key).clone()))
    }
}

/// The dossier public key, for whoever receives a dossier, as text: the
/// hex key that `thiqa dossier verify --key` takes (`GET /dossier/key` on
/// the public listener). No account needed: a public key is public.
pub async fn published_key(State(app): State<AppState>) -> Response {
    match public_key(&app).await {
        Ok(Some(public)) => (
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            hex(&public) + "\n",
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no dossier has been signed yet\n").into_response(),
        Err(e) => unreadable(&e),
    }
}

/// The same as JSON, with the key's fingerprint (`/api/v1/dossier/key`).
pub async fn published_key_json(State(app): State<AppState>) -> Response {
    match public_key(&app).await {
        Ok(Some(public)) => Json(json!({
            "public_key": hex(&public),
            "fingerprint": dossier::key_fingerprint(&public),
            "algorithm": "Ed25519",
        }))
        .into_response(),
        Ok(None) => crate::web::error::ApiError::new(
            StatusCode::NOT_FOUND,
            "no_dossier_key",
            "no dossier has been signed yet",
        )
        .into_response(),
        Err(e) => unreadable(&e),
    }
}

/// The published key, read without ever creating one.
async fn public_key(app: &AppState) -> Result<Option<[u8; 32]>, DossierBuildError> {
    Ok(app
        .dossier_key(false)
        .await?
        .map(|k| k.verifying_key().to_bytes()))
}

fn unreadable(e: &DossierBuildError) -> Response {
    tracing::error!(error = %e, "dossier key unreadable");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// A dossier written by [`build`].
pub struct BuiltDossier {
    pub files: usize,
    /// The signer's public key (hex) and its fingerprint.
    pub public_key: String,
    pub fingerprint: String,
    /// SHA-256 (hex) of its manifest, journaled in `dossier.build`.
    pub manifest_sha256: String,
}

/// Writes the dossier to `out` (through a `.partial` file renamed at the
/// end, so a failure leaves nothing) and journals it (`dossier.build` with
/// the manifest's SHA-256, the service and the key's fingerprint, so the
/// dossier's issue is provable with an inclusion proof).
pub async fn build(
    app: &AppState,
    provider: ProviderId,
    service: ServiceId,
    out: &Path,
    actor: &Actor,
) -> Result<BuiltDossier, DossierBuildError> {
    let key = app
        .dossier_key(true)
        .await?
        .ok_or_else(|| DossierBuildError::Content("the dossier key was not created".into()))?;
    let content = |e: String| DossierBuildError::Content(e);
    let (name, profile, rows) = crate::pages::reports::soa_rows(app, provider, service, Lang::Fr)
        .await
        .map_err(|e| content(format!("{e:?}")))?;
    let mut files: Vec<(String, Source)> = Vec::new();
    let mut csv = Vec::new();
    thiqa_export::soa_csv(&rows, &mut csv).map_err(|e| content(e.to_string()))?;
    files.push((
        "soa/declaration-applicabilite.csv".into(),
        Source::Bytes(csv),
    ));
    let chapters = crate::pages::reports::chapters(app, Lang::Fr);
    let pdf = crate::pages::reports::soa_pdf_bytes(app, provider, &name, rows.clone(), Lang::Fr)
        .await
        .map_err(|e| content(format!("{e:?}")))?;
    files.push((
        "soa/declaration-applicabilite.pdf".into(),
        Source::Bytes(pdf),
    ));
    let xlsx =
        thiqa_export::soa_xlsx(&name, &chapters, &rows).map_err(|e| content(e.to_string()))?;
    files.push((
        "soa/declaration-applicabilite.xlsx".into(),
        Source::Bytes(xlsx),
    ));
    let json_bytes =
        |v: &serde_json::Value| serde_json::to_vec_pretty(v).map_err(|e| content(e.to_string()));
    files.push((
        "catalog/oscal-catalog.json".into(),
        Source::Bytes(json_bytes(&thiqa_catalog::oscal::catalog(
            app.catalog,
            thiqa_catalog::Lang::Fr,
        ))?),
    ));
    let oscal = crate::oscal_docs::build(app, provider, service)
        .await
        .map_err(|e| content(format!("{e:?}")))?;
    for (file, doc) in oscal.files() {
        files.push((format!("oscal/{file}"), Source::Bytes(json_bytes(doc)?)));
    }
    let findings = serde_json::to_value(app.store.findings(provider, service).await?)
        .map_err(|e| content(e.to_string()))?;
    files.push((
        "assessment/findings.json".into(),
        Source::Bytes(json_bytes(&findings)?),
    ));
    let assessments = serde_json::to_value(app.store.assessments(provider, service).await?)
        .map_err(|e| content(e.to_string()))?;
    files.push((
        "assessment/assessments.json".into(),
        Source::Bytes(json_bytes(&assessments)?),
    ));
    let actions = serde_json::to_value(app.store.actions(provider, service).await?)
        .map_err(|e| content(e.to_string()))?;
    files.push((
        "assessment/action-plan.json".into(),
        Source::Bytes(json_bytes(&actions)?),
    ));
    let evidence = app.store.evidence(provider, service, None).await?;
    let index = serde_json::to_value(&evidence).map_err(|e| content(e.to_string()))?;
    files.push((
        "evidence/index.json".into(),
        Source::Bytes(json_bytes(&index)?),
    ));
    for e in &evidence {
        if let (Some(sha), Some(fname)) = (&e.sha256, &e.filename) {
            // Opened when its turn comes (one request per object on S3); a
            // missing file fails the build, which then leaves no archive.
            let (blobs, sha, runtime) = (
                app.blobs.clone(),
                sha.clone(),
                tokio::runtime::Handle::current(),
            );
            let missing = format!("evidence {} ({fname}): stored file missing", e.id);
            let open: thiqa_export::dossier::Opener = Box::new(move || {
                blobs
                    .read_blocking(&sha, &runtime)?
                    .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, missing))
            });
            files.push((format!("evidence/{}-{fname}", e.id), Source::Stream(open)));
        }
    }
    let meta = json!({
        "dossier": "Thiqa qualification dossier",
        "service": {"id": service.0, "name": name, "profile": profile},
        "catalog": {"id": app.catalog.id(), "version": app.catalog.version()},
        "generated_at": crate::auth::login::format_utc(app.store.clock().now_s()),
        "generator": format!("thiqa {}", env!("CARGO_PKG_VERSION")),
    });
    let count = files.len();
    let public = key.verifying_key().to_bytes();
    let tmp = out.with_extension("partial");
    // Copying evidence files is blocking I/O: off the async runtime.
    let path = tmp.clone();
    let written = tokio::task::spawn_blocking(move || -> Result<String, String> {
        let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
        let built = dossier::build(std::io::BufWriter::new(file), files, meta, &key)
            .map_err(|e| e.to_string())?;
        built
            .out
            .into_inner()
            .map_err(|e| e.to_string())?
            .sync_all()
            .map_err(|e| e.to_string())?;
        Ok(built.manifest_sha256)
    })
    .await
    .map_err(|e| content(e.to_string()))?;
    let manifest_sha256 = match written {
        Ok(sha) => sha,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(content(e));
        }
    };
    let built = BuiltDossier {
        files: count,
        public_key: hex(&public),
        fingerprint: dossier::key_fingerprint(&public),
        manifest_sha256,
    };
    // Journaled before the archive takes its name: a dossier whose issue
    // could not be journaled is not handed out.
    let journaled = app
        .store
        .record_event(
            actor,
            NewEvent::success("dossier.build")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "manifest sha256 {}, service {}, key {}, {count} files",
                    built.manifest_sha256, service.0, built.fingerprint
                )),
        )
        .await;
    if let Err(e) = journaled {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    std::fs::rename(&tmp, out)?;
    Ok(built)
}

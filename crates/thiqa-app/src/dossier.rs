//! The signed qualification dossier of a service (the console's button and
//! `thiqa dossier build`): statement of applicability (PDF, CSV, XLSX),
//! OSCAL catalog, profile, SSP, assessment results and POA&M, the
//! assessment, findings, action plan and evidence files, under a manifest
//! signed with the provider's Ed25519 key.

use std::path::Path;

use ed25519_dalek::SigningKey;
use serde_json::json;
use thiqa_catalog::Lang;
use thiqa_domain::text::hex;
use thiqa_domain::{ServiceId, Tenant};
use thiqa_export::dossier::{self, Source};
use thiqa_store::{KeyCustody, KeyError, NewEvent, SigningKeyName, Store};

use crate::time::format_utc;
use crate::{soa, App, AppError, DossierSigner};

/// The provider's dossier key under `custody` (files or database, as
/// configured): created when absent and `create` (building a dossier), else
/// `None` when no dossier was ever signed.
pub async fn key_in(
    store: &Store,
    custody: &KeyCustody,
    create: bool,
) -> Result<Option<SigningKey>, AppError> {
    let seed = store
        .signing_seed(
            custody,
            SigningKeyName::Dossier,
            create,
            &thiqa_store::instance_name(),
        )
        .await
        .map_err(|e| match e {
            KeyError::Unusable { place, message, .. } => AppError::Key { place, message },
            KeyError::Store(e) => e.into(),
        })?;
    Ok(seed.map(|seed| SigningKey::from_bytes(&seed)))
}

impl App {
    /// The provider's dossier key ([`key_in`] this deployment's custody),
    /// read once, then kept.
    pub async fn dossier_key(&self, create: bool) -> Result<Option<SigningKey>, AppError> {
        if let Some(key) = self.dossier_key.get() {
            return Ok(Some(key.clone()));
        }
        let key = key_in(&self.store, &self.keys, create).await?;
        // Every instance reads the same key, so a lost race sets nothing new.
        Ok(key.map(|key| self.dossier_key.get_or_init(|| key).clone()))
    }

    /// The published key (verifying half), read without ever creating one:
    /// `None` until the first dossier is signed.
    pub async fn dossier_public_key(&self) -> Result<Option<[u8; 32]>, AppError> {
        Ok(self
            .dossier_key(false)
            .await?
            .map(|k| k.verifying_key().to_bytes()))
    }
}

/// A dossier written by [`build`].
pub struct BuiltDossier {
    pub files: usize,
    /// The signer's public key (hex) and its fingerprint.
    pub public_key: String,
    pub fingerprint: String,
    /// SHA-256 (hex) of its manifest, journaled in `dossier.build`.
    pub manifest_sha256: String,
    /// The service's name, for the file a browser saves.
    pub service_name: String,
}

/// Writes the dossier of `service` to `out` (through a `.partial` file
/// renamed at the end, so a failure leaves nothing) and journals it
/// (`dossier.build` with the manifest's SHA-256, the service and the key's
/// fingerprint, so the dossier's issue is provable with an inclusion proof).
pub async fn build(
    app: &App,
    signer: &DossierSigner,
    service: ServiceId,
    out: &Path,
) -> Result<BuiltDossier, AppError> {
    let provider = signer.provider();
    // The service must be the signer's provider's (NotFound otherwise).
    let statement = soa::statement(app, provider, service, Lang::Fr).await?;
    let key = app
        .dossier_key(true)
        .await?
        .ok_or_else(|| AppError::Internal("the dossier key was not created".into()))?;
    let internal = |e: String| AppError::Internal(e);
    let json_bytes =
        |v: &serde_json::Value| serde_json::to_vec_pretty(v).map_err(|e| internal(e.to_string()));
    let mut files: Vec<(String, Source)> = vec![
        (
            "soa/declaration-applicabilite.csv".into(),
            Source::Bytes(soa::csv(&statement)?),
        ),
        (
            "soa/declaration-applicabilite.pdf".into(),
            Source::Bytes(soa::pdf(app, provider, &statement, Lang::Fr).await?),
        ),
        (
            "soa/declaration-applicabilite.xlsx".into(),
            Source::Bytes(soa::xlsx(app, &statement, Lang::Fr).await?),
        ),
        (
            "catalog/oscal-catalog.json".into(),
            Source::Bytes(json_bytes(&thiqa_catalog::oscal::catalog(
                app.catalog,
                Lang::Fr,
            ))?),
        ),
    ];
    let oscal = crate::oscal::documents(app, provider, service).await?;
    for (file, doc) in oscal.files() {
        files.push((format!("oscal/{file}"), Source::Bytes(json_bytes(doc)?)));
    }
    let as_json = |v: Result<serde_json::Value, serde_json::Error>| {
        v.map_err(|e| internal(e.to_string()))
            .and_then(|v| json_bytes(&v))
    };
    let findings = as_json(serde_json::to_value(
        app.store.provider(provider).findings(service).await?,
    ))?;
    files.push(("assessment/findings.json".into(), Source::Bytes(findings)));
    let assessments = as_json(serde_json::to_value(
        app.store
            .provider(provider)
            .assessments(service)
            .await?
            .to_vec(),
    ))?;
    files.push((
        "assessment/assessments.json".into(),
        Source::Bytes(assessments),
    ));
    let actions = as_json(serde_json::to_value(
        app.store.provider(provider).actions(service).await?,
    ))?;
    files.push(("assessment/action-plan.json".into(), Source::Bytes(actions)));
    let evidence = app.store.provider(provider).evidence(service, None).await?;
    files.push((
        "evidence/index.json".into(),
        Source::Bytes(as_json(serde_json::to_value(&evidence))?),
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
            let open: dossier::Opener = Box::new(move || {
                blobs
                    .read_blocking(&sha, &runtime)?
                    .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, missing))
            });
            files.push((format!("evidence/{}-{fname}", e.id), Source::Stream(open)));
        }
    }
    let meta = json!({
        "dossier": "Thiqa qualification dossier",
        "service": {"id": service.0, "name": statement.service_name, "profile": statement.profile},
        "catalog": {"id": app.catalog.id(), "version": app.catalog.version()},
        "generated_at": format_utc(app.store.clock().now_s()),
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
    .map_err(|e| internal(e.to_string()))?;
    let manifest_sha256 = match written {
        Ok(sha) => sha,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(internal(e));
        }
    };
    let built = BuiltDossier {
        files: count,
        public_key: hex(&public),
        fingerprint: dossier::key_fingerprint(&public),
        manifest_sha256,
        service_name: statement.service_name,
    };
    // Journaled before the archive takes its name: a dossier whose issue
    // could not be journaled is not handed out.
    let journaled = app
        .store
        .record_event(
            signer.actor(),
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

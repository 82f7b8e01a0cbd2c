//! Versions of file evidence: a new file replaces the current one of an
//! item (its links to obligations stay) while every earlier version stays
//! listed and downloadable.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{EvidenceId, ServiceId, Tenant};

use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::scope::ProviderScope;

/// The file of a new version.
#[derive(Debug, Clone)]
pub struct NewEvidenceVersion {
    pub sha256: String,
    pub size: i64,
    pub filename: String,
    pub media_type: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceVersion {
    pub version: i64,
    pub sha256: String,
    pub size: i64,
    pub filename: String,
    pub media_type: String,
    pub valid_until: String,
    pub created_at: i64,
    pub created_by: String,
}

/// Records version `version` of file evidence `evidence` (inside the
/// caller's transaction).
pub(crate) async fn insert_version(
    tx: &mut crate::Tx<'static>,
    evidence: i64,
    version: i64,
    new: &NewEvidenceVersion,
    at: i64,
    by: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO evidence_versions (evidence_id, version, sha256, size, filename, media_type, valid_until, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(evidence)
    .bind(version)
    .bind(&new.sha256)
    .bind(new.size)
    .bind(&new.filename)
    .bind(&new.media_type)
    .bind(&new.valid_until)
    .bind(at)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl ProviderScope<'_> {
    /// Makes `new` the current file of evidence item `evidence` (a file
    /// item of this provider's service), keeping the earlier versions;
    /// returns the new version number. Journaled in the same transaction.
    ///
    /// `replacing`: the version the uploader saw as current. When someone
    /// added another meanwhile, nothing is added ([`StoreError::Stale`]):
    /// the uploader meant to replace a file that is no longer the current
    /// one, and must look at it first.
    pub async fn add_evidence_version(
        self,
        service: ServiceId,
        evidence: EvidenceId,
        new: &NewEvidenceVersion,
        replacing: Option<i64>,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let provider = self.provider;
        let evidence = evidence.0;
        self.service(service).await?;
        let mut w = self.store.write().await?;
        // One statement both checks the item and takes the next number, so
        // two concurrent uploads get two versions, never the same one (and
        // with `replacing`, only the first of them gets one).
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE evidence SET version = version + 1, sha256 = $1, size = $2, filename = $3, media_type = $4, valid_until = $5 \
             WHERE id = $6 AND service_id = $7 AND kind = 'file' AND ($8 < 0 OR version = $8) RETURNING version",
        )
        .bind(&new.sha256)
        .bind(new.size)
        .bind(&new.filename)
        .bind(&new.media_type)
        .bind(&new.valid_until)
        .bind(evidence)
        .bind(service.0)
        .bind(replacing.unwrap_or(-1))
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(version) = version else {
            let exists = sqlx::query(
                "SELECT 1 FROM evidence WHERE id = $1 AND service_id = $2 AND kind = 'file'",
            )
            .bind(evidence)
            .bind(service.0)
            .fetch_optional(&mut *w.tx)
            .await?;
            return Err(match (exists, replacing) {
                (Some(_), Some(_)) => crate::versions::stale(
                    "refusal-stale-evidence",
                    evidence,
                    &format!("evidence item {evidence}"),
                ),
                _ => StoreError::NotFound,
            });
        };
        insert_version(
            &mut w.tx,
            evidence,
            version,
            new,
            self.store.clock.now_s(),
            &actor.name,
        )
        .await?;
        w.event(
            actor,
            &NewEvent::success("evidence.version")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "evidence {evidence} version {version} {} ({} bytes) {}",
                    new.sha256, new.size, new.filename
                )),
        )
        .await?;
        w.commit().await?;
        Ok(version)
    }

    /// Every version of a file evidence item of this provider's service,
    /// newest first (empty for a URL, a note or another service's item).
    pub async fn evidence_versions(
        self,
        service: ServiceId,
        evidence: EvidenceId,
    ) -> Result<Vec<EvidenceVersion>, StoreError> {
        self.service(service).await?;
        let evidence = evidence.0;
        // Scoped by the service in the query itself: an item of another
        // service has no versions here.
        let rows = sqlx::query(
            "SELECT v.version, v.sha256, v.size, v.filename, v.media_type, v.valid_until, v.created_at, v.created_by \
             FROM evidence_versions v JOIN evidence e ON e.id = v.evidence_id \
             WHERE v.evidence_id = $1 AND e.service_id = $2 ORDER BY v.version DESC",
        )
        .bind(evidence)
        .bind(service.0)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EvidenceVersion {
                    version: r.try_get("version")?,
                    sha256: r.try_get("sha256")?,
                    size: r.try_get("size")?,
                    filename: r.try_get("filename")?,
                    media_type: r.try_get("media_type")?,
                    valid_until: r.try_get("valid_until")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                })
            })
            .collect()
    }
}

//! Evidence records of a service and the obligations each supports.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{EvidenceId, ServiceId, Tenant};

use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::evidence_versions::{insert_version, NewEvidenceVersion};
use crate::scope::ProviderScope;

/// A new evidence item: a stored file (by hash), a URL or a text note.
#[derive(Debug, Clone, Default)]
pub struct NewEvidence {
    pub kind: &'static str,
    pub title: String,
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub filename: Option<String>,
    pub media_type: Option<String>,
    pub url: Option<String>,
    pub note: Option<String>,
    pub valid_until: String,
    pub obligations: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub id: EvidenceId,
    pub kind: String,
    pub title: String,
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub filename: Option<String>,
    pub media_type: Option<String>,
    pub url: Option<String>,
    pub note: Option<String>,
    pub valid_until: String,
    pub created_at: i64,
    pub created_by: String,
    /// Current version of a file (1 for URLs and notes).
    pub version: i64,
    pub obligations: Vec<String>,
}

const COLUMNS: &str =
    "e.id, e.kind, e.title, e.sha256, e.size, e.filename, e.media_type, e.url, e.note, \
    e.valid_until, e.created_at, e.created_by, e.version";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Evidence, StoreError> {
    Ok(Evidence {
        id: EvidenceId(r.try_get("id")?),
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        filename: r.try_get("filename")?,
        media_type: r.try_get("media_type")?,
        url: r.try_get("url")?,
        note: r.try_get("note")?,
        valid_until: r.try_get("valid_until")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        version: r.try_get("version")?,
        obligations: Vec::new(),
    })
}

impl ProviderScope<'_> {
    /// Records an evidence item and its links, with its event, in one transaction.
    pub async fn create_evidence(
        self,
        service: ServiceId,
        new: &NewEvidence,
        actor: &Actor,
    ) -> Result<EvidenceId, StoreError> {
        let provider = self.provider;
        self.service(service).await?;
        let mut w = self.store.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO evidence (service_id, kind, title, sha256, size, filename, media_type, url, note, valid_until, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(service.0)
        .bind(new.kind)
        .bind(&new.title)
        .bind(&new.sha256)
        .bind(new.size)
        .bind(&new.filename)
        .bind(&new.media_type)
        .bind(&new.url)
        .bind(&new.note)
        .bind(&new.valid_until)
        .bind(self.store.clock.now_s())
        .bind(&actor.name)
        .fetch_one(&mut *w.tx)
        .await?;
        if let (Some(sha256), Some(size), Some(filename), Some(media_type)) =
            (&new.sha256, new.size, &new.filename, &new.media_type)
        {
            let first = NewEvidenceVersion {
                sha256: sha256.clone(),
                size,
                filename: filename.clone(),
                media_type: media_type.clone(),
                valid_until: new.valid_until.clone(),
            };
            insert_version(
                &mut w.tx,
                id,
                1,
                &first,
                self.store.clock.now_s(),
                &actor.name,
            )
            .await?;
        }
        for o in &new.obligations {
            sqlx::query("INSERT INTO evidence_links (evidence_id, obligation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(o)
                .execute(&mut *w.tx)
                .await?;
        }
        w.event(
            actor,
            &NewEvent::success("evidence.add")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "evidence {id} ({}) \"{}\" {} for {}",
                    new.kind,
                    new.title,
                    new.sha256.as_deref().unwrap_or(""),
                    new.obligations.join(" ")
                )),
        )
        .await?;
        w.commit().await?;
        Ok(EvidenceId(id))
    }

    /// The service's evidence, newest first, each with its obligations;
    /// only those supporting `obligation` when given.
    pub async fn evidence(
        self,
        service: ServiceId,
        obligation: Option<&str>,
    ) -> Result<Vec<Evidence>, StoreError> {
        self.service(service).await?;
        let sql = format!(
            "SELECT {COLUMNS}, l.obligation_id FROM evidence e LEFT JOIN evidence_links l ON l.evidence_id = e.id \
             WHERE e.service_id = $1 AND ($2 IS NULL OR e.id IN (SELECT evidence_id FROM evidence_links WHERE obligation_id = $2)) \
             ORDER BY e.id DESC, l.obligation_id"
        );
        let rows = sqlx::query(&sql)
            .bind(service.0)
            .bind(obligation)
            .fetch_all(&self.store.pool)
            .await?;
        let mut out: Vec<Evidence> = Vec::new();
        for r in &rows {
            let id = EvidenceId(r.try_get("id")?);
            if out.last().is_none_or(|e| e.id != id) {
                out.push(from_row(r)?);
            }
            let link: Option<String> = r.try_get("obligation_id")?;
            if let (Some(link), Some(last)) = (link, out.last_mut()) {
                last.obligations.push(link);
            }
        }
        Ok(out)
    }

    /// One evidence item of a service of this provider (for download).
    pub async fn evidence_item(
        self,
        service: ServiceId,
        id: EvidenceId,
    ) -> Result<Evidence, StoreError> {
        self.evidence(service, None)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or(StoreError::NotFound)
    }
}

//! The self-assessment of a service, obligation by obligation, with the
//! history of every change (who, when, old → new) written in the same
//! transaction as the change and its security event.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{AssessmentInput, AssessmentStatus, ProviderId, ServiceId, Tenant};

use crate::connect::{Store, WriteTx};
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::services::Service;
use crate::versions::{self, Key};

#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub obligation_id: String,
    pub status: AssessmentStatus,
    pub statement: String,
    pub justification: String,
    pub owner: String,
    pub next_review: String,
    pub updated_at: i64,
    pub updated_by: String,
    /// Bumped by every save; a save names the version it edited (0: never
    /// saved) and is refused when another saved meanwhile.
    pub version: i64,
}

/// One recorded change of one field.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentChange {
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub changed_by: String,
    pub changed_at: i64,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Assessment, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(Assessment {
        obligation_id: r.try_get("obligation_id")?,
        status: AssessmentStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("assessment status {status}")))?,
        statement: r.try_get("statement")?,
        justification: r.try_get("justification")?,
        owner: r.try_get("owner")?,
        next_review: r.try_get("next_review")?,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
        version: r.try_get("version")?,
    })
}

const COLUMNS: &str = "obligation_id, status, statement, justification, owner, next_review, \
     updated_at, updated_by, version";

impl Store {
    /// [`Store::assessments`] keyed by obligation id, as pages and exports
    /// look them up.
    pub async fn assessments_by_obligation(
        &self,
        provider: ProviderId,
        service: ServiceId,
    ) -> Result<std::collections::HashMap<String, Assessment>, StoreError> {
        Ok(self
            .assessments(provider, service)
            .await?
            .into_iter()
            .map(|a| (a.obligation_id.clone(), a))
            .collect())
    }

    /// Every recorded assessment of a service of this provider, by
    /// obligation id. NotFound when the service is not this provider's.
    pub async fn assessments(
        &self,
        provider: ProviderId,
        service: ServiceId,
    ) -> Result<Vec<Assessment>, StoreError> {
        Ok(self.service_and_assessments(provider, service).await?.1)
    }

    /// The service and every assessment recorded for it, in one read: the
    /// assessment page's data. NotFound when the service is not this
    /// provider's.
    pub async fn service_and_assessments(
        &self,
        provider: ProviderId,
        service: ServiceId,
    ) -> Result<(Service, Vec<Assessment>), StoreError> {
        // One query on both backends: the provider check is the join (no
        // row: not this provider's service; one row of NULLs: a service
        // with nothing assessed yet), the service's own columns ride on
        // every row (one round trip instead of two), and the rows come
        // through the backend's native reader (reads.rs).
        let rows = self
            .read(
                "SELECT s.id, s.provider_id, s.name, s.description, s.model, s.level, s.facts, \
                 s.updated_at AS service_updated_at, s.version AS service_version, \
                 a.obligation_id, a.status, a.statement, a.justification, a.owner, a.next_review, \
                 a.updated_at, a.updated_by, a.version \
                 FROM services s LEFT JOIN assessments a ON a.service_id = s.id \
                 WHERE s.id = $1 AND s.provider_id = $2 ORDER BY a.obligation_id",
                &[service.0.into(), provider.0.into()],
            )
            .await?;
        let mut rows = rows.into_iter();
        let Some(mut first) = rows.next() else {
            return Err(StoreError::NotFound);
        };
        let found = Service {
            id: ServiceId(first.take("id")?),
            provider_id: ProviderId(first.take("provider_id")?),
            name: first.take("name")?,
            description: first.take("description")?,
            model: first.take("model")?,
            level: first.take("level")?,
            facts: first.take("facts")?,
            updated_at: first.take("service_updated_at")?,
            version: first.take("service_version")?,
        };
        let mut out = Vec::with_capacity(rows.len() + 1);
        for mut r in std::iter::once(first).chain(rows) {
            let Some(obligation_id) = r.take::<Option<String>>("obligation_id")? else {
                continue;
            };
            let status: String = r.take("status")?;
            out.push(Assessment {
                status: AssessmentStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("assessment status {status}")))?,
                obligation_id,
                statement: r.take("statement")?,
                justification: r.take("justification")?,
                owner: r.take("owner")?,
                next_review: r.take("next_review")?,
                updated_at: r.take("updated_at")?,
                updated_by: r.take("updated_by")?,
                version: r.take("version")?,
            });
        }
        Ok((found, out))
    }

    pub async fn assessment(
        &self,
        provider: ProviderId,
        service: ServiceId,
        obligation: &str,
    ) -> Result<Option<Assessment>, StoreError> {
        self.service(provider, service).await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM assessments WHERE service_id = $1 AND obligation_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(service.0)
            .bind(obligation)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| from_row(&r)).transpose()
    }

    /// Newest first.
    pub async fn assessment_history(
        &self,
        provider: ProviderId,
        service: ServiceId,
        obligation: &str,
    ) -> Result<Vec<AssessmentChange>, StoreError> {
        self.service(provider, service).await?;
        let rows = sqlx::query(
            "SELECT field, old_value, new_value, changed_by, changed_at FROM assessment_history \
             WHERE service_id = $1 AND obligation_id = $2 ORDER BY id DESC",
        )
        .bind(service.0)
        .bind(obligation)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AssessmentChange {
                    field: r.try_get("field")?,
                    old_value: r.try_get("old_value")?,
                    new_value: r.try_get("new_value")?,
                    changed_by: r.try_get("changed_by")?,
                    changed_at: r.try_get("changed_at")?,
                })
            })
            .collect()
    }

    /// Saves the assessments of several obligations at once (import, demo),
    /// all or nothing, whatever was saved before; returns how many fields
    /// changed. The caller has checked the inputs and that each obligation
    /// exists in the catalog.
    pub async fn save_assessments(
        &self,
        provider: ProviderId,
        service: ServiceId,
        inputs: &[(String, AssessmentInput)],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let edits: Vec<Edit> = inputs.iter().map(|(o, i)| (o.as_str(), i, None)).collect();
        self.save_edits(provider, service, &edits, actor).await
    }

    /// Like `save_assessments` for edits made from what a reader saw: each
    /// names the version it edited, and if any is no longer current
    /// (another editor saved meanwhile) nothing is saved: `Stale`.
    pub async fn save_assessments_from(
        &self,
        provider: ProviderId,
        service: ServiceId,
        inputs: &[(String, AssessmentInput, i64)],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let edits: Vec<Edit> = inputs
            .iter()
            .map(|(o, i, v)| (o.as_str(), i, Some(*v)))
            .collect();
        self.save_edits(provider, service, &edits, actor).await
    }

    async fn save_edits(
        &self,
        provider: ProviderId,
        service: ServiceId,
        edits: &[Edit<'_>],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        self.service(provider, service).await?;
        let mut w = self.write().await?;
        let mut changed = 0;
        for (obligation, input, version) in edits {
            changed += save_one(
                &mut w,
                service,
                obligation,
                input,
                *version,
                &actor.name,
                self.clock.now_s(),
            )
            .await?;
        }
        let ids: Vec<&str> = edits.iter().map(|(o, _, _)| *o).collect();
        w.event(
            actor,
            &NewEvent::success("assessment.update")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "{} obligation(s), {changed} field(s) changed: {}",
                    edits.len(),
                    ids.join(" ")
                )),
        )
        .await?;
        w.commit().await?;
        Ok(changed)
    }
}

/// An obligation, its new assessment, and the version it was edited from
/// (None: whatever is stored).
type Edit<'a> = (&'a str, &'a AssessmentInput, Option<i64>);

fn stale(obligation: &str) -> StoreError {
    versions::stale(
        "refusal-stale-assessment",
        obligation,
        &format!("the assessment of {obligation}"),
    )
}

/// Claims the row (`versions::claim`), then reads it as it was before this
/// save (None: never saved); `Stale` if `expected` is not the current version.
async fn claim(
    w: &mut WriteTx,
    service: ServiceId,
    obligation: &str,
    expected: Option<i64>,
) -> Result<Option<Assessment>, StoreError> {
    let key = [
        ("service_id", Key::Int(service.0)),
        ("obligation_id", Key::Text(obligation)),
    ];
    let claimed = versions::claim(w, "assessments", &key, expected).await?;
    let sql =
        format!("SELECT {COLUMNS} FROM assessments WHERE service_id = $1 AND obligation_id = $2");
    let row = sqlx::query(&sql)
        .bind(service.0)
        .bind(obligation)
        .fetch_optional(&mut *w.tx)
        .await?
        .map(|r| from_row(&r))
        .transpose()?;
    match row {
        // As it was before the bump, which only this save can see.
        Some(mut old) if claimed => {
            old.version -= 1;
            Ok(Some(old))
        }
        Some(_) => Err(stale(obligation)),
        None if expected.unwrap_or(0) == 0 => Ok(None),
        None => Err(stale(obligation)),
    }
}

async fn save_one(
    w: &mut WriteTx,
    service: ServiceId,
    obligation: &str,
    input: &AssessmentInput,
    expected: Option<i64>,
    by: &str,
    now: i64,
) -> Result<usize, StoreError> {
    let old = claim(w, service, obligation, expected).await?;
    let before = |f: fn(&Assessment) -> String| old.as_ref().map(f).unwrap_or_default();
    let fields: [(&str, String, String); 5] = [
        (
            "status",
            old.as_ref()
                .map(|a| a.status.as_str())
                .unwrap_or("not_assessed")
                .to_string(),
            input.status.as_str().to_string(),
        ),
        (
            "statement",
            before(|a| a.statement.clone()),
            input.statement.clone(),
        ),
        (
            "justification",
            before(|a| a.justification.clone()),
            input.justification.clone(),
        ),
        ("owner", before(|a| a.owner.clone()), input.owner.clone()),
        (
            "next_review",
            before(|a| a.next_review.clone()),
            input.next_review.clone(),
        ),
    ];
    let changes: Vec<_> = fields.into_iter().filter(|(_, o, n)| o != n).collect();
    if changes.is_empty() {
        return Ok(0);
    }
    // A first save inserts at version 1; two first saves racing meet on the
    // primary key, and the later one is stale.
    let sql = if old.is_some() {
        "UPDATE assessments SET status = $3, statement = $4, justification = $5, owner = $6, \
         next_review = $7, updated_at = $8, updated_by = $9 \
         WHERE service_id = $1 AND obligation_id = $2"
    } else {
        "INSERT INTO assessments (service_id, obligation_id, status, statement, justification, \
         owner, next_review, updated_at, updated_by, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)"
    };
    sqlx::query(sql)
        .bind(service.0)
        .bind(obligation)
        .bind(input.status.as_str())
        .bind(&input.statement)
        .bind(&input.justification)
        .bind(&input.owner)
        .bind(&input.next_review)
        .bind(now)
        .bind(by)
        .execute(&mut *w.tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => stale(obligation),
            _ => StoreError::Database(e),
        })?;
    for (field, old_value, new_value) in &changes {
        sqlx::query(
            "INSERT INTO assessment_history (service_id, obligation_id, field, old_value, new_value, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(service.0)
        .bind(obligation)
        .bind(*field)
        .bind(old_value)
        .bind(new_value)
        .bind(by)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
    }
    Ok(changes.len())
}

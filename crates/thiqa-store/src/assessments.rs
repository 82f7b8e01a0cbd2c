//! The self-assessment of a service, obligation by obligation, with the
//! history of every change (who, when, old → new) written in the same
//! transaction as the change and its security event.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::{AssessmentInput, AssessmentStatus, ProviderId, ServiceId, Tenant};

use crate::connect::{Backend, Store, WriteTx};
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};

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
    })
}

const COLUMNS: &str =
    "obligation_id, status, statement, justification, owner, next_review, updated_at, updated_by";

impl Store {
    /// Every recorded assessment of a service of this provider, by
    /// obligation id.
    pub async fn assessments(
        &self,
        provider: ProviderId,
        service: ServiceId,
    ) -> Result<Vec<Assessment>, StoreError> {
        self.service(provider, service).await?;
        // One row holding them all as a JSON array: row by row, a fully
        // assessed service (~250 rows) crossed the SQLite driver's worker
        // thread value by value, which made most of the assessment page's
        // time under load. Same columns, same order as `ORDER BY obligation_id`.
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT json_group_array(json_array(obligation_id, status, statement, \
                 justification, owner, next_review, updated_at, updated_by) \
                 ORDER BY obligation_id) FROM assessments WHERE service_id = $1"
            }
            Backend::Postgres => {
                "SELECT COALESCE(json_agg(json_build_array(obligation_id, status, statement, \
                 justification, owner, next_review, updated_at, updated_by) \
                 ORDER BY obligation_id), '[]')::text FROM assessments WHERE service_id = $1"
            }
        };
        let text: String = sqlx::query_scalar(sql)
            .bind(service.0)
            .fetch_one(&self.pool)
            .await?;
        type Columns = (String, String, String, String, String, String, i64, String);
        let rows: Vec<Columns> = serde_json::from_str(&text).map_err(|e| {
            StoreError::Corrupt(format!("assessments of service {}: {e}", service.0))
        })?;
        rows.into_iter()
            .map(
                |(
                    obligation_id,
                    status,
                    statement,
                    justification,
                    owner,
                    next_review,
                    updated_at,
                    updated_by,
                )| {
                    Ok(Assessment {
                        status: AssessmentStatus::parse(&status).ok_or_else(|| {
                            StoreError::Corrupt(format!("assessment status {status}"))
                        })?,
                        obligation_id,
                        statement,
                        justification,
                        owner,
                        next_review,
                        updated_at,
                        updated_by,
                    })
                },
            )
            .collect()
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

    /// Saves the assessments of several obligations at once (bulk edit), all
    /// or nothing; returns how many fields changed. The caller has checked
    /// the inputs and that each obligation exists in the catalog.
    pub async fn save_assessments(
        &self,
        provider: ProviderId,
        service: ServiceId,
        inputs: &[(String, AssessmentInput)],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        self.service(provider, service).await?;
        let mut w = self.write().await?;
        let mut changed = 0;
        for (obligation, input) in inputs {
            changed += save_one(
                &mut w,
                service,
                obligation,
                input,
                &actor.name,
                self.clock.now_s(),
            )
            .await?;
        }
        let ids: Vec<&str> = inputs.iter().map(|(o, _)| o.as_str()).collect();
        w.event(
            actor,
            &NewEvent::success("assessment.update")
                .target(format!("service:{}", service.0))
                .tenant(Tenant::Provider(provider))
                .details(format!(
                    "{} obligation(s), {changed} field(s) changed: {}",
                    inputs.len(),
                    ids.join(" ")
                )),
        )
        .await?;
        w.commit().await?;
        Ok(changed)
    }
}

async fn save_one(
    w: &mut WriteTx,
    service: ServiceId,
    obligation: &str,
    input: &AssessmentInput,
    by: &str,
    now: i64,
) -> Result<usize, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM assessments WHERE service_id = $1 AND obligation_id = $2");
    let old = sqlx::query(&sql)
        .bind(service.0)
        .bind(obligation)
        .fetch_optional(&mut *w.tx)
        .await?
        .map(|r| from_row(&r))
        .transpose()?;
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
    sqlx::query(
        "INSERT INTO assessments (service_id, obligation_id, status, statement, justification, owner, next_review, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (service_id, obligation_id) DO UPDATE SET status = excluded.status, statement = excluded.statement, \
         justification = excluded.justification, owner = excluded.owner, next_review = excluded.next_review, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
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
    .await?;
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

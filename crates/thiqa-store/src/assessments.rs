//! The self-assessment of a service, obligation by obligation, with the
//! history of every change (who, when, old → new) written in the same
//! transaction as the change and its security event.

use sqlx::Row;
use thiqa_domain::{AssessmentInput, AssessmentStatus, ServiceId, Tenant};

use crate::assessment_rows::{Assessment, AssessmentChange, AssessmentSet};
use crate::connect::WriteTx;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::reads::ReadRow;
use crate::scope::ProviderScope;
use crate::services::{service_from, Service, SERVICE_COLUMNS};
use crate::versions::{self, Key};

/// An assessment from its row, whichever driver read it.
fn assessment_from(mut r: ReadRow) -> Result<Assessment, StoreError> {
    let status: String = r.take("status")?;
    Ok(Assessment {
        status: AssessmentStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("assessment status {status}")))?,
        obligation_id: r.take("obligation_id")?,
        statement: r.take("statement")?,
        justification: r.take("justification")?,
        owner: r.take("owner")?,
        next_review: r.take("next_review")?,
        updated_at: r.take("updated_at")?,
        updated_by: r.take("updated_by")?,
        version: r.take("version")?,
    })
}

const COLUMNS: &str = "obligation_id, status, statement, justification, owner, next_review, \
     updated_at, updated_by, version";

impl ProviderScope<'_> {
    /// Every recorded assessment of a service of this provider, by
    /// obligation id. NotFound when the service is not this provider's.
    pub async fn assessments(self, service: ServiceId) -> Result<AssessmentSet, StoreError> {
        Ok(self.service_and_assessments(service).await?.1)
    }

    /// The service and every assessment recorded for it: the assessment
    /// page's data. NotFound when the service is not this provider's.
    pub async fn service_and_assessments(
        self,
        service: ServiceId,
    ) -> Result<(Service, AssessmentSet), StoreError> {
        let provider = self.provider;
        // The service row checks the provider and carries the stamp of its
        // assessments' last save: the rows come from memory while it holds
        // (assessment_cache.rs). Two reads rather than one join: joined,
        // the service's columns rode on each of the 250 rows.
        let sql = format!(
            "SELECT {SERVICE_COLUMNS}, assessed_stamp FROM services WHERE id = $1 AND provider_id = $2"
        );
        let mut row = self
            .store
            .read(&sql, &[service.0.into(), provider.0.into()])
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)?;
        let stamp: i64 = row.take("assessed_stamp")?;
        let found = service_from(row)?;
        if let Some(set) = self.store.assessment_cache.get(service, stamp) {
            return Ok((found, set));
        }
        let sql = format!("SELECT {COLUMNS} FROM assessments WHERE service_id = $1");
        let rows = self.store.read(&sql, &[service.0.into()]).await?;
        let set = AssessmentSet::new(
            rows.into_iter()
                .map(assessment_from)
                .collect::<Result<_, _>>()?,
        );
        self.store.assessment_cache.put(service, stamp, set.clone());
        Ok((found, set))
    }

    pub async fn assessment(
        self,
        service: ServiceId,
        obligation: &str,
    ) -> Result<Option<Assessment>, StoreError> {
        self.service(service).await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM assessments WHERE service_id = $1 AND obligation_id = $2"
        );
        let rows = self
            .store
            .read(&sql, &[service.0.into(), obligation.into()])
            .await?;
        rows.into_iter().next().map(assessment_from).transpose()
    }

    /// Newest first.
    pub async fn assessment_history(
        self,
        service: ServiceId,
        obligation: &str,
    ) -> Result<Vec<AssessmentChange>, StoreError> {
        self.service(service).await?;
        let rows = sqlx::query(
            "SELECT field, old_value, new_value, changed_by, changed_at FROM assessment_history \
             WHERE service_id = $1 AND obligation_id = $2 ORDER BY id DESC",
        )
        .bind(service.0)
        .bind(obligation)
        .fetch_all(&self.store.pool)
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
        self,
        service: ServiceId,
        inputs: &[(String, AssessmentInput)],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let edits: Vec<Edit> = inputs.iter().map(|(o, i)| (o.as_str(), i, None)).collect();
        self.save_edits(service, &edits, actor).await
    }

    /// Like `save_assessments` for edits made from what a reader saw: each
    /// names the version it edited, and if any is no longer current
    /// (another editor saved meanwhile) nothing is saved: `Stale`.
    pub async fn save_assessments_from(
        self,
        service: ServiceId,
        inputs: &[(String, AssessmentInput, i64)],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let edits: Vec<Edit> = inputs
            .iter()
            .map(|(o, i, v)| (o.as_str(), i, Some(*v)))
            .collect();
        self.save_edits(service, &edits, actor).await
    }

    async fn save_edits(
        self,
        service: ServiceId,
        edits: &[Edit<'_>],
        actor: &Actor,
    ) -> Result<usize, StoreError> {
        let provider = self.provider;
        self.service(service).await?;
        let mut w = self.store.write().await?;
        let mut changed = 0;
        for (obligation, input, version) in edits {
            changed += save_one(
                &mut w,
                service,
                obligation,
                input,
                *version,
                &actor.name,
                self.store.clock.now_s(),
            )
            .await?;
        }
        // A fresh stamp: every instance's cached rows of this service are
        // read again (assessment_cache.rs).
        let stamp =
            thiqa_crypto::random_i64().map_err(|e| StoreError::Randomness(e.to_string()))?;
        sqlx::query("UPDATE services SET assessed_stamp = $1 WHERE id = $2")
            .bind(stamp)
            .bind(service.0)
            .execute(&mut *w.tx)
            .await?;
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
        .map(|r| ReadRow::from_any(&r).and_then(assessment_from))
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

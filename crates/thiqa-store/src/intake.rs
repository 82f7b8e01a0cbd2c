//! Intake of security events from the provider's infrastructure
//! (référentiel 3.8.6, 3.8.7): hypervisors, firewalls, bastions… post NDJSON
//! batches that become journal leaves.
//!
//! - An operator registers an event source: its name (the `source` of its
//!   events), the commanditaires it may tag, and a token shown once (only its
//!   SHA-256 is kept, as for API tokens). Registration and revocation are
//!   security events.
//! - A batch is atomic: [`parse::parse_batch`] checks every line first, then
//!   [`Store::journal_append_batch`] appends all its events in one
//!   transaction, with one `journal.intake` security event saying which
//!   source sent how many events at which indexes. A refused batch writes
//!   nothing at all.

pub(crate) mod bench;
mod certificates;
mod receipts;

use serde::Serialize;
use sqlx::Row;
use thiqa_crypto::token::{ct_eq, Token};
use thiqa_domain::{OrganisationId, ProviderId, SourceId, Tenant};
use thiqa_journal::{Event, Timestamp};

use crate::connect::Store;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::journal::{append_leaves, lock_for_writing, LeafMeta, NewLeaf};
use crate::scope::ProviderScope;
pub use receipts::BatchKey;
use thiqa_intake::ndjson as parse;
use thiqa_intake::{BatchContext, BatchRefusal, IntakeLimits};

/// A registered event source.
#[derive(Debug, Clone, Serialize)]
pub struct IntakeSource {
    pub id: SourceId,
    pub provider_id: ProviderId,
    /// The `source` of every event it sends.
    pub name: String,
    /// Commanditaires its events may be tagged with.
    pub organisations: Vec<OrganisationId>,
    /// Who registered it (actor name).
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl IntakeSource {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// The actor of its `journal.intake` events.
    pub fn actor(&self, source_ip: Option<String>) -> Actor {
        Actor {
            directory: None,
            id: None,
            name: format!("intake-source:{}", self.name),
            source_ip,
        }
    }
}

/// A source just registered, with its token: show it once, it is not kept.
#[derive(Debug)]
pub struct CreatedIntakeSource {
    pub source: IntakeSource,
    pub token: Token,
}

/// Where an accepted batch went in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IntakeReceipt {
    pub first_index: u64,
    pub last_index: u64,
    pub count: u64,
}

/// Why a batch was not appended. Nothing of it was stored.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Bad lines (all of them, up to the reporting cap).
    #[error("batch refused: {} bad lines", .0.total)]
    Refused(BatchRefusal),
    /// The source was revoked (or never existed).
    #[error("the event source is revoked")]
    Revoked,
    /// The batch's Idempotency-Key already named another batch.
    #[error("this Idempotency-Key was already used for a different batch of this source")]
    KeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for IntakeError {
    fn from(e: sqlx::Error) -> Self {
        IntakeError::Store(StoreError::Database(e))
    }
}

const SOURCE_COLUMNS: &str =
    "id, provider_id, name, token_hash, created_by, created_at, revoked_at";

fn source_from(
    row: &sqlx::any::AnyRow,
    organisations: Vec<OrganisationId>,
) -> Result<IntakeSource, StoreError> {
    Ok(IntakeSource {
        id: SourceId(row.try_get("id")?),
        provider_id: ProviderId(row.try_get("provider_id")?),
        name: row.try_get("name")?,
        organisations,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// An event's leaf bytes and the tenant it tags, or why it is refused.
type Checked = Result<(Vec<u8>, Option<Tenant>), String>;

/// One event of `source`: checked (its source name, the tenant it tags)
/// and encoded as a leaf, or the reason it is refused.
fn check_one(source: &IntakeSource, event: &Event) -> Checked {
    let tenant = event.tenant.as_deref().and_then(Tenant::from_text);
    let allowed = match tenant {
        Some(Tenant::Provider(p)) => p == source.provider_id,
        Some(Tenant::Organisation(o)) => source.organisations.contains(&o),
        None => event.tenant.is_none(),
    };
    if event.source != source.name {
        return Err(format!("source {:?} is not this source", event.source));
    }
    if !allowed {
        return Err(format!(
            "tenant {:?} is not one this source may tag",
            event.tenant.as_deref().unwrap_or_default()
        ));
    }
    let leaf = event.to_leaf().map_err(|e| e.to_string())?;
    Ok((leaf, tenant))
}

/// [`check_one`] for every event, in order, the batch split over the
/// machine's cores: encoding 10,000 events is milliseconds of one core,
/// spent before the database has anything to do.
fn check_and_encode_all(source: &IntakeSource, events: &[Event]) -> Vec<Checked> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = events.len().div_ceil(cores).max(1024);
    if events.len() <= per_thread {
        return events.iter().map(|e| check_one(source, e)).collect();
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = events
            .chunks(per_thread)
            .map(|part| {
                let encoding = scope.spawn(move || {
                    part.iter()
                        .map(|e| check_one(source, e))
                        .collect::<Vec<_>>()
                });
                (part.len(), encoding)
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|(len, encoding)| {
                // A panic while encoding refuses that part's events, each
                // on its own line, rather than the process.
                encoding
                    .join()
                    .unwrap_or_else(|_| vec![Err("the event could not be encoded".to_owned()); len])
            })
            .collect()
    })
}

impl Store {
    async fn source_organisations(&self, id: i64) -> Result<Vec<OrganisationId>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT organisation_id FROM intake_source_organisations WHERE source_id = $1 \
             ORDER BY organisation_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(OrganisationId).collect())
    }

    /// The live (not revoked) source whose token has this hash, if any.
    ///
    /// Found through the unique index on the hash; the stored hash is then
    /// compared in constant time, as tokens are elsewhere.
    pub async fn intake_source_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<IntakeSource>, StoreError> {
        let found = self.live_source_where("token_hash", token_hash).await?;
        Ok(found
            .filter(|(_, stored)| ct_eq(stored.as_bytes(), token_hash.as_bytes()))
            .map(|(source, _)| source))
    }

    /// The live source whose unique `column` (token hash or certificate
    /// fingerprint) is `value`, with that column's stored value.
    pub(crate) async fn live_source_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<(IntakeSource, String)>, StoreError> {
        let sql = format!(
            "SELECT {SOURCE_COLUMNS}, {column} AS matched FROM intake_sources \
             WHERE {column} = $1 AND revoked_at IS NULL"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let source = source_from(&row, self.source_organisations(id).await?)?;
        Ok(Some((source, row.try_get("matched")?)))
    }

    /// Checks an NDJSON batch of `source` and appends it whole, or refuses
    /// it whole naming every bad line. Receipt time is the store's clock.
    pub async fn intake_batch(
        &self,
        source: &IntakeSource,
        body: &[u8],
        limits: &IntakeLimits,
        actor: &Actor,
    ) -> Result<IntakeReceipt, IntakeError> {
        let ctx = self.intake_context(source, limits.retention_days)?;
        let events = parse::parse_batch(body, &ctx, limits).map_err(IntakeError::Refused)?;
        self.journal_append_batch(source, &events, actor).await
    }

    /// What [`parse::parse_batch`] checks a batch of `source` against, with
    /// the store's clock as the receipt time.
    pub fn intake_context<'a>(
        &self,
        source: &'a IntakeSource,
        retention_days: u32,
    ) -> Result<BatchContext<'a>, StoreError> {
        Ok(BatchContext {
            source: &source.name,
            provider: source.provider_id,
            organisations: &source.organisations,
            received: Timestamp::from_unix_millis(self.clock.now_ms())
                .map_err(|e| StoreError::Corrupt(format!("clock: {e}")))?,
            retention_days,
        })
    }

    /// Appends `events` of `source` to the journal in one transaction, under
    /// the head lock, followed by one `journal.intake` security event naming
    /// the source, the count and the range; returns the range of the events.
    ///
    /// Refused whole (nothing written) when the source was revoked meanwhile,
    /// when an event is not from this source or tags an organisation the
    /// source may not tag, or when an event does not encode.
    pub async fn journal_append_batch(
        &self,
        source: &IntakeSource,
        events: &[Event],
        actor: &Actor,
    ) -> Result<IntakeReceipt, IntakeError> {
        self.journal_append_batch_once(source, events, actor, None)
            .await
            .map(|(receipt, _)| receipt)
    }

    /// The same, appended at most once per `key`: a batch sent again with
    /// its key gets the original receipt and `true` (replayed), nothing new
    /// is written.
    pub async fn journal_append_batch_once(
        &self,
        source: &IntakeSource,
        events: &[Event],
        actor: &Actor,
        key: Option<&BatchKey>,
    ) -> Result<(IntakeReceipt, bool), IntakeError> {
        if events.is_empty() {
            return Err(IntakeError::Refused(BatchRefusal {
                errors: vec![parse::LineError {
                    line: 1,
                    reason: "the batch holds no event".into(),
                }],
                total: 1,
            }));
        }
        let mut refusal = BatchRefusal {
            errors: Vec::new(),
            total: 0,
        };
        let mut leaves = Vec::with_capacity(events.len());
        let mut tenants = Vec::with_capacity(events.len());
        for (i, checked) in check_and_encode_all(source, events).into_iter().enumerate() {
            match checked {
                Ok((leaf, tenant)) => {
                    leaves.push(leaf);
                    tenants.push(tenant);
                }
                Err(reason) => refusal.push(i + 1, reason),
            }
        }
        if refusal.total > 0 {
            return Err(IntakeError::Refused(refusal));
        }
        let new: Vec<NewLeaf<'_>> = leaves
            .iter()
            .zip(events)
            .zip(&tenants)
            .map(|((leaf, event), tenant)| NewLeaf {
                leaf,
                meta: LeafMeta {
                    event_time_ms: event.event_time.unix_millis(),
                    received_time_ms: event.received_time.unix_millis(),
                    tenant: *tenant,
                    source: &source.name,
                    event_id: None,
                },
            })
            .collect();
        let mut w = self.write().await?;
        w.leaves_sessions();
        lock_for_writing(&mut w.tx).await?;
        // Checked under the head lock: a revocation committed before this
        // point refuses the batch; one after it is ordered after the batch.
        let live: Option<Option<i64>> =
            sqlx::query_scalar("SELECT revoked_at FROM intake_sources WHERE id = $1")
                .bind(source.id.0)
                .fetch_optional(&mut *w.tx)
                .await?;
        if !matches!(live, Some(None)) {
            return Err(IntakeError::Revoked);
        }
        if let Some(key) = key {
            match receipts::earlier(&mut w.tx, source.id.0, key).await? {
                Some(Ok(receipt)) => return Ok((receipt, true)),
                Some(Err(())) => return Err(IntakeError::KeyReused),
                None => {}
            }
        }
        let range = append_leaves(&mut w.tx, &new).await?;
        let receipt = IntakeReceipt {
            first_index: range.start,
            last_index: range.end - 1,
            count: range.end - range.start,
        };
        w.event(
            actor,
            &NewEvent::success("journal.intake")
                .target(format!("intake_source:{}", source.id))
                .tenant(Tenant::Provider(source.provider_id))
                .details(format!(
                    "source \"{}\": {} events, leaves {}..={}",
                    source.name, receipt.count, receipt.first_index, receipt.last_index
                )),
        )
        .await?;
        if let Some(key) = key {
            receipts::record(&mut w.tx, source.id.0, key, &receipt, self.clock.now_ms()).await?;
        }
        w.commit().await?;
        tracing::info!(
            target: "thiqa::journal",
            source = %source.name,
            count = receipt.count,
            first = receipt.first_index,
            last = receipt.last_index,
            "intake batch appended"
        );
        Ok((receipt, false))
    }
}

impl ProviderScope<'_> {
    /// Registers an event source of `provider` that may tag `organisations`
    /// (each must be a commanditaire of that provider). Journaled. The token
    /// is returned once; only its hash is stored.
    pub async fn create_intake_source(
        self,
        name: &str,
        organisations: &[OrganisationId],
        actor: &Actor,
    ) -> Result<CreatedIntakeSource, StoreError> {
        let provider = self.provider;
        if !parse::valid_source_name(name) {
            return Err(StoreError::Conflict(
                crate::Refusal::new(
                    "refusal-source-name",
                    format!("{name:?} is not a valid source name (1-64 letters, digits, . _ - / :, not \"thiqa\")"),
                )
                .arg("name", name),
            ));
        }
        let mut organisations = organisations.to_vec();
        organisations.sort_unstable_by_key(|o| o.0);
        organisations.dedup();
        let token = Token::generate_api()
            .map_err(|e| StoreError::Corrupt(format!("OS random source: {e}")))?;
        let now = self.store.clock.now_s();
        let mut w = self.store.write().await?;
        for org in &organisations {
            let owner: Option<i64> =
                sqlx::query_scalar("SELECT provider_id FROM organisations WHERE id = $1")
                    .bind(org.0)
                    .fetch_optional(&mut *w.tx)
                    .await?;
            if owner != Some(provider.0) {
                return Err(StoreError::Conflict(
                    crate::Refusal::new(
                        "refusal-source-organisation",
                        format!(
                            "organisation {} is not a commanditaire of this provider",
                            org.0
                        ),
                    )
                    .arg("id", org.0),
                ));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO intake_sources (provider_id, name, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(provider.0)
        .bind(name)
        .bind(token.hash().as_str())
        .bind(&actor.name)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on(
                e,
                crate::Refusal::exists("refusal-exists-source", "event source", name),
            )
        })?;
        for org in &organisations {
            sqlx::query(
                "INSERT INTO intake_source_organisations (source_id, organisation_id) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(org.0)
            .execute(&mut *w.tx)
            .await?;
        }
        let tags = organisations
            .iter()
            .map(|o| o.0.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        w.event(
            actor,
            &NewEvent::success("intake_source.create")
                .target(format!("intake_source:{id}"))
                .tenant(Tenant::Provider(provider))
                .details(format!("source \"{name}\" may tag organisations: [{tags}]")),
        )
        .await?;
        w.commit().await?;
        Ok(CreatedIntakeSource {
            source: IntakeSource {
                id: SourceId(id),
                provider_id: provider,
                name: name.to_owned(),
                organisations,
                created_by: actor.name.clone(),
                created_at: now,
                revoked_at: None,
            },
            token,
        })
    }

    /// Every source of `provider`, revoked ones included, by name.
    pub async fn intake_sources(self) -> Result<Vec<IntakeSource>, StoreError> {
        let provider = self.provider;
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM intake_sources WHERE provider_id = $1 ORDER BY name, id"
        );
        let rows = sqlx::query(&sql)
            .bind(provider.0)
            .fetch_all(&self.store.pool)
            .await?;
        let links = sqlx::query(
            "SELECT l.source_id, l.organisation_id FROM intake_source_organisations l \
             JOIN intake_sources s ON s.id = l.source_id WHERE s.provider_id = $1 \
             ORDER BY l.organisation_id",
        )
        .bind(provider.0)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                let mut orgs = Vec::new();
                for l in &links {
                    if l.try_get::<i64, _>("source_id")? == id {
                        orgs.push(OrganisationId(l.try_get("organisation_id")?));
                    }
                }
                source_from(row, orgs)
            })
            .collect()
    }

    /// One source of `provider`.
    pub async fn intake_source(self, id: SourceId) -> Result<IntakeSource, StoreError> {
        let id = id.0;
        let provider = self.provider;
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM intake_sources WHERE id = $1 AND provider_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(provider.0)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        source_from(&row, self.store.source_organisations(id).await?)
    }

    /// Revokes a live source of `provider`: its token stops working at once.
    /// Journaled.
    pub async fn revoke_intake_source(self, id: SourceId, actor: &Actor) -> Result<(), StoreError> {
        let id = id.0;
        let provider = self.provider;
        let mut w = self.store.write().await?;
        let name: Option<String> = sqlx::query_scalar(
            "UPDATE intake_sources SET revoked_at = $1 \
             WHERE id = $2 AND provider_id = $3 AND revoked_at IS NULL RETURNING name",
        )
        .bind(self.store.clock.now_s())
        .bind(id)
        .bind(provider.0)
        .fetch_optional(&mut *w.tx)
        .await?;
        let name = name.ok_or(StoreError::NotFound)?;
        w.event(
            actor,
            &NewEvent::success("intake_source.revoke")
                .target(format!("intake_source:{id}"))
                .tenant(Tenant::Provider(provider))
                .details(format!("source \"{name}\"")),
        )
        .await?;
        w.commit().await
    }
}

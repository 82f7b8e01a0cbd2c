//! Support access to a commanditaire's data (3.5.7), the provider's side:
//! an operator's request under a contract, the provider's list, the
//! operator closing its access when the work is done, and what the
//! bastion needs — the operator's requests on an organisation's service,
//! and the sessions it records under a grant. Every change is journaled
//! for the provider and the organisation concerned.
//!
//! Nothing stores a computed state: a request's state at an instant comes
//! from its decision and its times (`thiqa_domain::support`), so a request
//! expires and a grant ends exactly on time, and a revocation committed a
//! moment ago is what the next question reads.

use serde::Serialize;
use sqlx::Row;
use thiqa_domain::support::{Candidate, SupportState};
use thiqa_domain::{
    ContractId, Directory, JumpHostId, OrganisationId, ProviderId, ServiceId, SupportRequestId,
    Tenant,
};

use crate::connect::WriteTx;
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::scope::ProviderScope;
use crate::Store;

/// A request as the use cases made it from the operator's form.
#[derive(Debug, Clone)]
pub struct NewSupportRequest {
    pub contract: ContractId,
    /// The operator who asks, and who will access.
    pub operator: i64,
    pub reason: String,
    pub ticket: String,
    pub resources: Vec<String>,
    pub abroad: bool,
    pub country: Option<String>,
    pub jump_host: Option<JumpHostId>,
    /// The window asked for and the answer's deadline, ms since the epoch.
    pub starts_at: i64,
    pub ends_at: i64,
    pub answer_by: i64,
}

/// A request (and the grant it became) as stored, with the names of
/// everything it points to.
#[derive(Debug, Clone, Serialize)]
pub struct SupportRequest {
    pub id: SupportRequestId,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub service_id: ServiceId,
    pub service_name: String,
    pub contract_id: ContractId,
    pub contract_reference: String,
    /// The contract's level when asked.
    pub level: i64,
    pub operator_id: i64,
    pub operator_username: String,
    pub operator_name: String,
    pub reason: String,
    pub ticket: String,
    pub resources: Vec<String>,
    pub abroad: bool,
    pub country: Option<String>,
    pub jump_host_id: Option<JumpHostId>,
    pub jump_host: Option<String>,
    /// The jump host was retired since: it lets nobody in.
    pub jump_host_retired: bool,
    pub starts_at: i64,
    pub ends_at: i64,
    pub requested_at: i64,
    pub answer_by: i64,
    /// `pending`, `granted`, `refused`, `withdrawn`, `revoked` or `closed`.
    pub decision: String,
    pub answered_at: Option<i64>,
    pub answered_by: Option<String>,
    pub comment: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    /// Why the commanditaire revoked it, if it said.
    pub revoked_comment: Option<String>,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    /// The operator's vetting record now (3.3.1): when, and where filed.
    pub vetted_on: Option<String>,
    pub vetting_reference: Option<String>,
}

impl SupportRequest {
    /// What the request is at `now_ms`.
    pub fn state(&self, now_ms: i64) -> SupportState {
        SupportState::at(
            &self.decision,
            now_ms,
            self.answer_by,
            self.starts_at,
            self.ends_at,
        )
    }

    /// The request as the bastion's question weighs it at `now_ms`.
    pub fn candidate(&self, now_ms: i64) -> Candidate {
        Candidate {
            id: self.id,
            state: self.state(now_ms),
            ends_at: self.ends_at,
            resources: self.resources.clone(),
            jump_host: self
                .jump_host
                .clone()
                .map(|name| (name, !self.jump_host_retired)),
        }
    }
}

/// One of the operator's requests with only what the bastion's question
/// weighs: read at every access, so nothing else is read.
#[derive(Debug, Clone)]
pub struct CandidateRequest {
    pub id: SupportRequestId,
    /// As [`SupportRequest::decision`].
    pub decision: String,
    pub answer_by: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub resources: Vec<String>,
    /// The jump host by name, and whether it is still declared.
    pub jump_host: Option<(String, bool)>,
}

impl CandidateRequest {
    /// The request as the bastion's question weighs it at `now_ms`.
    pub fn candidate(&self, now_ms: i64) -> Candidate {
        Candidate {
            id: self.id,
            state: SupportState::at(
                &self.decision,
                now_ms,
                self.answer_by,
                self.starts_at,
                self.ends_at,
            ),
            ends_at: self.ends_at,
            resources: self.resources.clone(),
            jump_host: self.jump_host.clone(),
        }
    }
}

/// A session the bastion recorded under a grant.
#[derive(Debug, Clone, Serialize)]
pub struct SupportSession {
    pub id: i64,
    pub reference: String,
    pub jump_host: Option<String>,
    pub started_at: i64,
    pub started_by: String,
    pub ended_at: Option<i64>,
    pub ended_by: Option<String>,
}

/// A request with its sessions.
#[derive(Debug, Clone)]
pub struct SupportDetail {
    pub request: SupportRequest,
    pub sessions: Vec<SupportSession>,
}

/// What the bastion's question needs: the operator, whether it is vetted
/// now, and its requests on the organisation's service, newest first.
#[derive(Debug, Clone)]
pub struct SupportCandidates {
    pub operator_id: i64,
    pub vetted: bool,
    pub requests: Vec<CandidateRequest>,
}

const SUPPORT_SELECT: &str = "SELECT r.id, r.organisation_id, \
     o.name AS organisation_name, r.service_id, s.name AS service_name, r.contract_id, \
     c.reference AS contract_reference, r.level, r.operator_id, op.username AS operator_username, \
     op.display_name AS operator_name, r.reason, r.ticket, r.resources, r.location, r.country, \
     r.jump_host_id, jh.name AS jump_host, jh.retired_at AS jump_host_retired_at, r.starts_at, \
     r.ends_at, r.requested_at, r.answer_by, r.state, r.answered_at, r.answered_by, r.comment, \
     r.revoked_at, r.revoked_by, r.revoked_comment, r.closed_at, r.closed_by, v.vetted_on, \
     v.reference AS vetting_reference \
     FROM support_requests r JOIN organisations o ON o.id = r.organisation_id \
     JOIN services s ON s.id = r.service_id JOIN contracts c ON c.id = r.contract_id \
     JOIN operators op ON op.id = r.operator_id \
     LEFT JOIN support_jump_hosts jh ON jh.id = r.jump_host_id \
     LEFT JOIN operator_vetting v ON v.operator_id = r.operator_id";

fn request_from(r: &sqlx::any::AnyRow) -> Result<SupportRequest, StoreError> {
    let resources: String = r.try_get("resources")?;
    Ok(SupportRequest {
        id: SupportRequestId(r.try_get("id")?),
        organisation_id: OrganisationId(r.try_get("organisation_id")?),
        organisation_name: r.try_get("organisation_name")?,
        service_id: ServiceId(r.try_get("service_id")?),
        service_name: r.try_get("service_name")?,
        contract_id: ContractId(r.try_get("contract_id")?),
        contract_reference: r.try_get("contract_reference")?,
        level: r.try_get("level")?,
        operator_id: r.try_get("operator_id")?,
        operator_username: r.try_get("operator_username")?,
        operator_name: r.try_get("operator_name")?,
        reason: r.try_get("reason")?,
        ticket: r.try_get("ticket")?,
        resources: resources.lines().map(str::to_string).collect(),
        abroad: r.try_get::<String, _>("location")? == "abroad",
        country: r.try_get("country")?,
        jump_host_id: r.try_get::<Option<i64>, _>("jump_host_id")?.map(JumpHostId),
        jump_host: r.try_get("jump_host")?,
        jump_host_retired: r
            .try_get::<Option<i64>, _>("jump_host_retired_at")?
            .is_some(),
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        requested_at: r.try_get("requested_at")?,
        answer_by: r.try_get("answer_by")?,
        decision: r.try_get("state")?,
        answered_at: r.try_get("answered_at")?,
        answered_by: r.try_get("answered_by")?,
        comment: r.try_get("comment")?,
        revoked_at: r.try_get("revoked_at")?,
        revoked_by: r.try_get("revoked_by")?,
        revoked_comment: r.try_get("revoked_comment")?,
        closed_at: r.try_get("closed_at")?,
        closed_by: r.try_get("closed_by")?,
        vetted_on: r.try_get("vetted_on")?,
        vetting_reference: r.try_get("vetting_reference")?,
    })
}

/// The column that binds a read to `side`'s requests, and its id.
fn owned_by(side: Tenant) -> (&'static str, i64) {
    match side {
        Tenant::Provider(p) => ("r.provider_id", p.0),
        Tenant::Organisation(o) => ("r.organisation_id", o.0),
    }
}

/// The requests of `side` (the provider that asked, or the organisation
/// whose data they concern), newest first.
pub(crate) async fn requests_of(
    store: &Store,
    side: Tenant,
) -> Result<Vec<SupportRequest>, StoreError> {
    let (column, owner) = owned_by(side);
    let sql = format!("{SUPPORT_SELECT} WHERE {column} = $1 ORDER BY r.id DESC");
    let rows = sqlx::query(&sql).bind(owner).fetch_all(&store.pool).await?;
    rows.iter().map(request_from).collect()
}

/// Request `id` of `side` with its sessions; NotFound for any other.
pub(crate) async fn detail_of(
    store: &Store,
    side: Tenant,
    id: SupportRequestId,
) -> Result<SupportDetail, StoreError> {
    let (column, owner) = owned_by(side);
    let sql = format!("{SUPPORT_SELECT} WHERE r.id = $1 AND {column} = $2");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(owner)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(SupportDetail {
        request: request_from(&row)?,
        sessions: sessions_of(store, id).await?,
    })
}

/// The sessions recorded under request `id`, oldest first.
async fn sessions_of(
    store: &Store,
    id: SupportRequestId,
) -> Result<Vec<SupportSession>, StoreError> {
    sqlx::query(
        "SELECT id, reference, jump_host, started_at, started_by, ended_at, ended_by \
         FROM support_sessions WHERE request_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(SupportSession {
            id: r.try_get("id")?,
            reference: r.try_get("reference")?,
            jump_host: r.try_get("jump_host")?,
            started_at: r.try_get("started_at")?,
            started_by: r.try_get("started_by")?,
            ended_at: r.try_get("ended_at")?,
            ended_by: r.try_get("ended_by")?,
        })
    })
    .collect()
}

/// Journals `event` about request `id` for the provider and for the
/// organisation whose data it concerns, in the caller's transaction.
pub(crate) async fn journal_both(
    w: &mut WriteTx,
    actor: &Actor,
    id: SupportRequestId,
    provider: ProviderId,
    org: OrganisationId,
    event: NewEvent,
) -> Result<(), StoreError> {
    let event = event.target(format!("support:{}", id.0));
    w.event(actor, &event.clone().tenant(Tenant::Provider(provider)))
        .await?;
    w.event(actor, &event.tenant(Tenant::Organisation(org)))
        .await
}

/// The operator `actor` is, if it is one (not the command line, not Thiqa).
pub(crate) fn operator_of(actor: &Actor) -> Option<i64> {
    actor
        .id
        .filter(|_| actor.directory == Some(Directory::Operators))
}

impl ProviderScope<'_> {
    /// Records `new` under one of this provider's contracts, for one of
    /// its operators who is vetted now, through one of its jump hosts
    /// still declared (when named): all bound in the statement itself.
    /// NotFound for another provider's contract; journaled for both sides.
    pub async fn create_support_request(
        self,
        new: &NewSupportRequest,
        actor: &Actor,
    ) -> Result<SupportRequestId, StoreError> {
        let provider = self.provider;
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let row = sqlx::query(
            "INSERT INTO support_requests (provider_id, organisation_id, service_id, contract_id, \
             level, operator_id, reason, ticket, resources, location, country, jump_host_id, \
             starts_at, ends_at, requested_at, answer_by, state) \
             SELECT c.provider_id, c.organisation_id, c.service_id, c.id, c.level, op.id, $3, $4, \
             $5, $6, $7, $8, $9, $10, $11, $12, 'pending' \
             FROM contracts c JOIN operators op ON op.id = $13 AND op.provider_id = c.provider_id \
             JOIN operator_vetting v ON v.operator_id = op.id \
             WHERE c.id = $1 AND c.provider_id = $2 AND op.status = 'active' \
             AND ($8 IS NULL OR EXISTS (SELECT 1 FROM support_jump_hosts j WHERE j.id = $8 \
                 AND j.provider_id = $2 AND j.retired_at IS NULL)) \
             RETURNING id, organisation_id",
        )
        .bind(new.contract.0)
        .bind(provider.0)
        .bind(&new.reason)
        .bind(&new.ticket)
        .bind(new.resources.join("\n"))
        .bind(if new.abroad { "abroad" } else { "morocco" })
        .bind(&new.country)
        .bind(new.jump_host.map(|j| j.0))
        .bind(new.starts_at)
        .bind(new.ends_at)
        .bind(w.now_ms)
        .bind(new.answer_by)
        .bind(new.operator)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(row) = row else {
            return Err(self.why_not_requested(new).await);
        };
        let id = SupportRequestId(row.try_get("id")?);
        let org = OrganisationId(row.try_get("organisation_id")?);
        let where_from = match (&new.country, new.jump_host) {
            (Some(c), Some(j)) => format!("from {c} through jump host {}", j.0),
            (Some(c), None) => format!("from {c}"),
            _ => "from Morocco".to_string(),
        };
        let event = NewEvent::success("support.request").details(format!(
            "administration — operator {} asks for {} on contract {} ({where_from}), ticket {}: {}",
            actor.name,
            new.resources.join(", "),
            new.contract.0,
            new.ticket,
            new.reason
        ));
        journal_both(&mut w, actor, id, provider, org, event).await?;
        w.commit().await?;
        Ok(id)
    }

    /// Which of the conditions bound in the statement refused `new`, for
    /// the message; read only once it was refused. NotFound for another
    /// provider's contract or jump host.
    async fn why_not_requested(self, new: &NewSupportRequest) -> StoreError {
        let why = async {
            let contract: Option<i64> =
                sqlx::query_scalar("SELECT id FROM contracts WHERE id = $1 AND provider_id = $2")
                    .bind(new.contract.0)
                    .bind(self.provider.0)
                    .fetch_optional(&self.store.pool)
                    .await?;
            contract.ok_or(StoreError::NotFound)?;
            if let Some(host) = new.jump_host {
                if self.jump_host(host).await?.retired_at.is_some() {
                    return Ok(StoreError::refused(
                        "refusal-support-jump-host-retired",
                        "this jump host is retired",
                    ));
                }
            }
            if self.vetting(new.operator).await?.is_none() {
                return Ok(StoreError::refused(
                    "refusal-support-requester-not-vetted",
                    "your vetting (3.3.1) is not recorded: ask an account administrator",
                ));
            }
            Ok(StoreError::refused(
                "refusal-support-request",
                "the operator must be active and vetted, and the jump host declared",
            ))
        };
        match why.await {
            Ok(refusal) | Err(refusal) => refusal,
        }
    }

    /// The provider's support requests, newest first.
    pub async fn support_requests(self) -> Result<Vec<SupportRequest>, StoreError> {
        requests_of(self.store, Tenant::Provider(self.provider)).await
    }

    /// One request of this provider with its sessions; NotFound for
    /// another provider's.
    pub async fn support_request(self, id: SupportRequestId) -> Result<SupportDetail, StoreError> {
        detail_of(self.store, Tenant::Provider(self.provider), id).await
    }

    /// The operator `operator` is done, or no longer needs the access: a
    /// pending request is withdrawn, a live grant closed (3.5.7.d.4).
    /// Only the operator's own request; journaled for both sides.
    pub async fn close_support_request(
        self,
        id: SupportRequestId,
        operator: i64,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let row = sqlx::query(
            "UPDATE support_requests SET \
             state = CASE WHEN state = 'pending' THEN 'withdrawn' ELSE 'closed' END, \
             closed_at = $1, closed_by = $2 \
             WHERE id = $3 AND provider_id = $4 AND operator_id = $5 \
             AND ((state = 'pending' AND answer_by > $1) OR (state = 'granted' AND ends_at > $1)) \
             RETURNING organisation_id, state",
        )
        .bind(now)
        .bind(&actor.name)
        .bind(id.0)
        .bind(self.provider.0)
        .bind(operator)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(row) = row else {
            self.support_request(id).await?;
            return Err(StoreError::refused(
                "refusal-support-not-open",
                "this request is no longer pending nor granted",
            ));
        };
        let org = OrganisationId(row.try_get("organisation_id")?);
        let state: String = row.try_get("state")?;
        let action = if state == "withdrawn" {
            "support.withdraw"
        } else {
            "support.close"
        };
        let event = NewEvent::success(action).details("administration — access no longer needed");
        journal_both(&mut w, actor, id, self.provider, org, event).await?;
        w.commit().await
    }

    /// The active operator `username` of this provider, whether it is
    /// vetted now, and its requests on `service` of `org`, newest first;
    /// None when the provider has no active operator of that name. One
    /// statement, reading only what the verdict weighs: the bastion asks
    /// at every access.
    pub async fn support_candidates(
        self,
        username: &str,
        org: OrganisationId,
        service: ServiceId,
    ) -> Result<Option<SupportCandidates>, StoreError> {
        // One row per request (one with no request when there is none).
        let rows = sqlx::query(
            "SELECT op.id AS operator_id, v.operator_id AS vetted, r.id, r.state, r.answer_by, \
             r.starts_at, r.ends_at, r.resources, jh.name AS jump_host, \
             jh.retired_at AS jump_host_retired_at FROM operators op \
             LEFT JOIN operator_vetting v ON v.operator_id = op.id \
             LEFT JOIN support_requests r ON r.operator_id = op.id \
                 AND r.provider_id = op.provider_id AND r.organisation_id = $3 \
                 AND r.service_id = $4 \
             LEFT JOIN support_jump_hosts jh ON jh.id = r.jump_host_id \
             WHERE op.username = $1 AND op.provider_id = $2 AND op.status = 'active' \
             ORDER BY r.id DESC",
        )
        .bind(username)
        .bind(self.provider.0)
        .bind(org.0)
        .bind(service.0)
        .fetch_all(&self.store.pool)
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut requests = Vec::with_capacity(rows.len());
        for r in &rows {
            let Some(id) = r.try_get::<Option<i64>, _>("id")? else {
                continue;
            };
            let resources: String = r.try_get("resources")?;
            let jump_host: Option<String> = r.try_get("jump_host")?;
            let retired = r
                .try_get::<Option<i64>, _>("jump_host_retired_at")?
                .is_some();
            requests.push(CandidateRequest {
                id: SupportRequestId(id),
                decision: r.try_get("state")?,
                answer_by: r.try_get("answer_by")?,
                starts_at: r.try_get("starts_at")?,
                ends_at: r.try_get("ends_at")?,
                resources: resources.lines().map(str::to_string).collect(),
                jump_host: jump_host.map(|name| (name, !retired)),
            });
        }
        Ok(Some(SupportCandidates {
            operator_id: first.try_get("operator_id")?,
            vetted: first.try_get::<Option<i64>, _>("vetted")?.is_some(),
            requests,
        }))
    }

    /// Records that the bastion opened session `reference` under grant
    /// `id`: only while the grant is open now, its operator vetted and
    /// active, and its jump host (if any) still declared — checked in the
    /// statement that records it, so a revocation committed a moment
    /// before is obeyed. Journaled as administration for both sides.
    pub async fn start_support_session(
        self,
        id: SupportRequestId,
        reference: &str,
        jump_host: Option<&str>,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let row = sqlx::query(
            "INSERT INTO support_sessions (request_id, reference, jump_host, started_at, started_by) \
             SELECT r.id, $1, $2, $3, $4 FROM support_requests r \
             JOIN operators op ON op.id = r.operator_id AND op.status = 'active' \
             JOIN operator_vetting v ON v.operator_id = r.operator_id \
             WHERE r.id = $5 AND r.provider_id = $6 AND r.state = 'granted' \
             AND r.starts_at <= $3 AND r.ends_at > $3 \
             AND (r.jump_host_id IS NULL OR EXISTS (SELECT 1 FROM support_jump_hosts j \
                 WHERE j.id = r.jump_host_id AND j.retired_at IS NULL AND j.name = $2)) \
             AND NOT EXISTS (SELECT 1 FROM support_sessions s WHERE s.request_id = r.id \
                 AND s.reference = $1 AND s.ended_at IS NULL) \
             AND ($7 IS NULL OR r.operator_id <> $7) \
             RETURNING id",
        )
        .bind(reference)
        .bind(jump_host)
        .bind(now)
        .bind(&actor.name)
        .bind(id.0)
        .bind(self.provider.0)
        .bind(operator_of(actor))
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(row) = row else {
            self.not_own_session(id, actor).await?;
            return Err(StoreError::refused(
                "refusal-support-session",
                "the grant does not let this session in now (or it is already open)",
            ));
        };
        let session: i64 = row.try_get("id")?;
        let org = self.organisation_of(&mut w, id).await?;
        let event = NewEvent::success("support.session.start").details(format!(
            "administration — session {reference}{}",
            jump_host.map_or(String::new(), |j| format!(" through {j}"))
        ));
        journal_both(&mut w, actor, id, self.provider, org, event).await?;
        w.commit().await?;
        Ok(session)
    }

    /// Records that the bastion closed session `reference` of grant `id`
    /// (even after the grant ended or was revoked); journaled for both.
    pub async fn end_support_session(
        self,
        id: SupportRequestId,
        reference: &str,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let mut w = self.store.write().await?;
        w.leaves_sessions();
        let now = w.now_ms;
        let row = sqlx::query(
            "UPDATE support_sessions SET ended_at = $1, ended_by = $2 \
             WHERE request_id = $3 AND reference = $4 AND ended_at IS NULL \
             AND request_id IN (SELECT id FROM support_requests WHERE provider_id = $5 \
                 AND ($6 IS NULL OR operator_id <> $6)) \
             RETURNING id",
        )
        .bind(now)
        .bind(&actor.name)
        .bind(id.0)
        .bind(reference)
        .bind(self.provider.0)
        .bind(operator_of(actor))
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(row) = row else {
            self.not_own_session(id, actor).await?;
            return Err(StoreError::refused(
                "refusal-support-session-unknown",
                "no open session of that reference under this grant",
            ));
        };
        let session: i64 = row.try_get("id")?;
        let org = self.organisation_of(&mut w, id).await?;
        let event = NewEvent::success("support.session.end")
            .details(format!("administration — session {reference}"));
        journal_both(&mut w, actor, id, self.provider, org, event).await?;
        w.commit().await?;
        Ok(session)
    }

    /// NotFound for another provider's request; refused when `actor` is
    /// the operator the grant lets in: the sessions under a grant are
    /// recorded by the bastion, never by the one they concern (3.5.7.d.3).
    async fn not_own_session(self, id: SupportRequestId, actor: &Actor) -> Result<(), StoreError> {
        let operator = self.support_request(id).await?.request.operator_id;
        if operator_of(actor) == Some(operator) {
            return Err(StoreError::refused(
                "refusal-support-session-self",
                "nobody records the sessions of its own access",
            ));
        }
        Ok(())
    }

    async fn organisation_of(
        self,
        w: &mut WriteTx,
        id: SupportRequestId,
    ) -> Result<OrganisationId, StoreError> {
        let org: i64 = sqlx::query_scalar(
            "SELECT organisation_id FROM support_requests WHERE id = $1 AND provider_id = $2",
        )
        .bind(id.0)
        .bind(self.provider.0)
        .fetch_one(&mut *w.tx)
        .await?;
        Ok(OrganisationId(org))
    }
}

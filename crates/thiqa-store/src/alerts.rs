//! Security alerts (référentiel 3.8.9): correlation rules ([`rules`], or the
//! Sigma subset of [`sigma`]) evaluated over the journal, alerts listed for
//! the daily review and acknowledged with who, when and a comment.
//!
//! # Evaluation
//!
//! [`Store::evaluate_alert_rules`] reads the leaves after a cursor
//! (`alert_cursor.next_leaf`) in batches of [`ALERT_BATCH`], each batch in
//! one write transaction that also moves the cursor: every leaf is
//! evaluated once, even with several instances on one PostgreSQL database
//! (the cursor row is locked `FOR UPDATE`, so they take turns; on SQLite the
//! transaction starts by writing to it, which takes the single writer's
//! place). A migrated database starts its cursor at the journal's size then:
//! events journaled before alerting existed raise nothing (search them).
//!
//! Windows survive batches in a table, not in memory: `alert_windows` keeps,
//! per (rule, key), the most recent matching events (event time, leaf
//! index, tenant), at most `threshold` of them and only those within
//! `window` of the newest, plus the alert currently open for that key. When
//! a new matching event makes `threshold` events within `window` (all kept
//! events are), an alert is raised for the window starting at the oldest of
//! them and lasting `window`; further matching events of the same key inside
//! that window are added to the same alert (its count and last leaf), not
//! raised again. Once the window has passed, counting starts afresh. Rows of
//! keys that cannot matter any more are deleted as evaluation goes.
//!
//! Each raise is a security event `alert.raise` (target `alert:ID`), each
//! acknowledgement `alert.acknowledge`, both through the ordinary event path
//! in the same transaction, so the journal holds them too. Events of Thiqa's
//! own `alert.*` actions are never matched by a rule.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sqlx::Row;
use thiqa_domain::{AlertId, Tenant};
use thiqa_journal::Event;

use crate::connect::{Backend, Store};
use crate::error::StoreError;
use crate::events::{Actor, NewEvent};
use crate::journal::{to_i64, to_u64};
use crate::scope::TenantScope;

pub use thiqa_rules::{
    format_window, parse_sigma, parse_window, AlertSeverity, Condition, Field, Pattern, Rule,
    RuleError, RuleSet, DEFAULT_RULES, MAX_THRESHOLD, MAX_WINDOW_MS,
};

/// Leaves evaluated per transaction.
pub const ALERT_BATCH: u64 = 500;
/// Batches one call evaluates at most (the caller calls again when
/// [`AlertRun::caught_up`] is false).
const MAX_BATCHES: u32 = 200;
/// Longest acknowledgement comment.
pub const MAX_ACK_COMMENT: usize = 2000;

/// A raised alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: AlertId,
    pub rule_id: String,
    pub title: String,
    pub severity: String,
    /// What the events had in common (`actor=amal`), `""` for rules
    /// without `group_by`.
    pub key: String,
    /// Leaf indices of the first and last event counted.
    pub first_leaf: u64,
    pub last_leaf: u64,
    /// Events counted (at raise, then those of the same window).
    pub count: u64,
    /// The window, epoch ms, `[start, end)`.
    pub window_start_ms: i64,
    pub window_end_ms: i64,
    /// The events' tenant when they all had the same.
    #[serde(skip)]
    pub tenant: Option<Tenant>,
    pub raised_at_ms: i64,
    pub acknowledgement: Option<Acknowledgement>,
}

/// Who acknowledged an alert, when, and what they wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledgement {
    pub by: String,
    pub by_id: Option<i64>,
    pub at_ms: i64,
    pub comment: String,
}

/// What one evaluation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertRun {
    /// Leaves read.
    pub evaluated: u64,
    /// Ids of the alerts raised.
    pub raised: Vec<AlertId>,
    /// The cursor after the run: leaves below it are evaluated.
    pub next_leaf: u64,
    /// Whether the run reached the journal's end.
    pub caught_up: bool,
}

/// Which alerts to list.
#[derive(Debug, Clone)]
pub struct AlertQuery {
    pub unacknowledged_only: bool,
    /// 1 to 1000.
    pub limit: i64,
}

impl Default for AlertQuery {
    fn default() -> Self {
        AlertQuery {
            unacknowledged_only: false,
            limit: 200,
        }
    }
}

/// Where evaluation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertCursor {
    pub next_leaf: u64,
    pub evaluated_at_ms: Option<i64>,
}

// ---- windows -------------------------------------------------------------

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct KeyState {
    #[serde(default, rename = "e")]
    entries: Vec<Entry>,
    #[serde(default, rename = "a", skip_serializing_if = "Option::is_none")]
    alert: Option<OpenAlert>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    t: i64,
    i: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tn: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct OpenAlert {
    id: i64,
    start: i64,
    until: i64,
    count: u64,
    last: u64,
}

/// What an event did to its key's window.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Counted,
    /// Added to the open alert of this id.
    Folded(i64),
    /// Reached the threshold.
    Raise(Raise),
}

#[derive(Debug, PartialEq, Eq)]
struct Raise {
    first_leaf: u64,
    last_leaf: u64,
    count: u64,
    start_ms: i64,
    end_ms: i64,
    tenant: Option<String>,
}

impl KeyState {
    fn observe(&mut self, rule: &Rule, t: i64, index: u64, tenant: Option<&str>) -> Step {
        if let Some(a) = &mut self.alert {
            if t >= a.start && t < a.until {
                a.count += 1;
                a.last = a.last.max(index);
                return Step::Folded(a.id);
            }
            if t >= a.until {
                self.alert = None;
            }
        }
        let at = self.entries.partition_point(|e| (e.t, e.i) <= (t, index));
        self.entries.insert(
            at,
            Entry {
                t,
                i: index,
                tn: tenant.map(str::to_owned),
            },
        );
        let newest = self.entries.last().map_or(t, |e| e.t);
        self.entries.retain(|e| e.t > newest - rule.window_ms);
        let threshold = usize::try_from(rule.threshold).unwrap_or(usize::MAX);
        if self.entries.len() < threshold {
            return Step::Counted;
        }
        let entries = std::mem::take(&mut self.entries);
        let first_tenant = entries[0].tn.clone();
        let tenant = entries
            .iter()
            .all(|e| e.tn == first_tenant)
            .then_some(first_tenant)
            .flatten();
        let start_ms = entries[0].t;
        Step::Raise(Raise {
            first_leaf: entries.iter().map(|e| e.i).min().unwrap_or(index),
            last_leaf: entries.iter().map(|e| e.i).max().unwrap_or(index),
            count: entries.len() as u64,
            start_ms,
            end_ms: start_ms.saturating_add(rule.window_ms),
            tenant,
        })
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.alert.is_none()
    }

    /// When the row stops mattering (event time).
    fn expires_ms(&self, window_ms: i64) -> i64 {
        let entries = self
            .entries
            .last()
            .map_or(i64::MIN, |e| e.t.saturating_add(window_ms));
        let alert = self.alert.as_ref().map_or(i64::MIN, |a| a.until);
        entries.max(alert)
    }
}

// ---- rows ----------------------------------------------------------------

const ALERT_COLUMNS: &str = "id, rule_id, title, severity, group_key, first_leaf, last_leaf, \
     event_count, window_start_ms, window_end_ms, tenant_kind, tenant_id, raised_at_ms, \
     acknowledged_by, acknowledged_by_id, acknowledged_at_ms, acknowledgement";

fn alert_from_row(r: &sqlx::any::AnyRow) -> Result<Alert, StoreError> {
    let kind: Option<String> = r.try_get("tenant_kind")?;
    let tenant_id: Option<i64> = r.try_get("tenant_id")?;
    let at: Option<i64> = r.try_get("acknowledged_at_ms")?;
    let acknowledgement = match at {
        Some(at_ms) => Some(Acknowledgement {
            by: r
                .try_get::<Option<String>, _>("acknowledged_by")?
                .unwrap_or_default(),
            by_id: r.try_get("acknowledged_by_id")?,
            at_ms,
            comment: r
                .try_get::<Option<String>, _>("acknowledgement")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Alert {
        id: AlertId(r.try_get("id")?),
        rule_id: r.try_get("rule_id")?,
        title: r.try_get("title")?,
        severity: r.try_get("severity")?,
        key: r.try_get("group_key")?,
        first_leaf: to_u64(r.try_get("first_leaf")?, "alert first leaf")?,
        last_leaf: to_u64(r.try_get("last_leaf")?, "alert last leaf")?,
        count: to_u64(r.try_get("event_count")?, "alert count")?,
        window_start_ms: r.try_get("window_start_ms")?,
        window_end_ms: r.try_get("window_end_ms")?,
        tenant: kind
            .zip(tenant_id)
            .and_then(|(k, id)| Tenant::from_parts(&k, id)),
        raised_at_ms: r.try_get("raised_at_ms")?,
        acknowledgement,
    })
}

/// The alerts `scope` may see, as a clause with parameters numbered from
/// `first`: a provider's staff see the alerts of the provider, of its
/// commanditaires and those without a tenant; a commanditaire its own.
fn scope_clause(scope: Tenant, first: usize) -> (String, Vec<i64>) {
    match scope {
        Tenant::Provider(p) => (
            format!(
                "(tenant_kind IS NULL OR (tenant_kind = 'provider' AND tenant_id = ${}) \
                 OR (tenant_kind = 'organisation' AND tenant_id IN \
                 (SELECT id FROM organisations WHERE provider_id = ${})))",
                first,
                first + 1
            ),
            vec![p.0, p.0],
        ),
        Tenant::Organisation(o) => (
            format!("(tenant_kind = 'organisation' AND tenant_id = ${first})"),
            vec![o.0],
        ),
    }
}

fn journal_details(rule: &Rule, key: &str, raise: &Raise) -> String {
    format!(
        "rule={} severity={} key=\"{}\" count={} window={} leaves={}-{}",
        rule.id,
        rule.severity,
        key,
        raise.count,
        format_window(rule.window_ms),
        raise.first_leaf,
        raise.last_leaf
    )
}

impl Store {
    /// Evaluates `rules` over the leaves journaled since the last
    /// evaluation; `now_ms` stamps the alerts raised. See the module doc.
    pub async fn evaluate_alert_rules(
        &self,
        rules: &RuleSet,
        now_ms: i64,
    ) -> Result<AlertRun, StoreError> {
        self.evaluate_alert_rules_in_batches(rules, now_ms, ALERT_BATCH)
            .await
    }

    /// [`Store::evaluate_alert_rules`] with another batch size (1 to
    /// 10 000), for tests and benchmarks.
    pub async fn evaluate_alert_rules_in_batches(
        &self,
        rules: &RuleSet,
        now_ms: i64,
        batch: u64,
    ) -> Result<AlertRun, StoreError> {
        let batch = batch.clamp(1, 10_000);
        let mut run = AlertRun::default();
        for _ in 0..MAX_BATCHES {
            let (read, next) = self
                .evaluate_batch(rules, now_ms, batch, &mut run.raised)
                .await?;
            run.evaluated += read;
            run.next_leaf = next;
            if read < batch {
                run.caught_up = true;
                break;
            }
        }
        Ok(run)
    }

    /// One batch in one transaction; returns (leaves read, new cursor).
    async fn evaluate_batch(
        &self,
        rules: &RuleSet,
        now_ms: i64,
        batch: u64,
        raised: &mut Vec<AlertId>,
    ) -> Result<(u64, u64), StoreError> {
        let mut w = self.write().await?;
        let lock = match self.backend() {
            Backend::Postgres => "SELECT next_leaf FROM alert_cursor WHERE id = 1 FOR UPDATE",
            Backend::Sqlite => {
                sqlx::query("UPDATE alert_cursor SET next_leaf = next_leaf WHERE id = 1")
                    .execute(&mut *w.tx)
                    .await?;
                "SELECT next_leaf FROM alert_cursor WHERE id = 1"
            }
        };
        let cursor = to_u64(
            sqlx::query_scalar::<_, i64>(lock)
                .fetch_one(&mut *w.tx)
                .await?,
            "alert cursor",
        )?;
        let rows = sqlx::query(
            "SELECT idx, leaf, event_time_ms FROM journal_leaves WHERE idx >= $1 \
             ORDER BY idx LIMIT $2",
        )
        .bind(to_i64(cursor)?)
        .bind(to_i64(batch)?)
        .fetch_all(&mut *w.tx)
        .await?;
        let read = rows.len() as u64;
        if read == 0 {
            return Ok((0, cursor));
        }

        // The windows of every key still open.
        let mut states: HashMap<(String, String), KeyState> = HashMap::new();
        let stored = sqlx::query("SELECT rule_id, group_key, state FROM alert_windows")
            .fetch_all(&mut *w.tx)
            .await?;
        for r in &stored {
            let rule: String = r.try_get("rule_id")?;
            let key: String = r.try_get("group_key")?;
            let state: String = r.try_get("state")?;
            let state = serde_json::from_str(&state)
                .map_err(|e| StoreError::Corrupt(format!("alert window {rule} [{key}]: {e}")))?;
            states.insert((rule, key), state);
        }

        let mut touched: HashSet<(String, String)> = HashSet::new();
        let mut folded: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
        let mut to_journal: Vec<(i64, &Rule, String, Raise)> = Vec::new();
        let mut newest_ms = i64::MIN;
        let mut next = cursor;
        for row in &rows {
            let index = to_u64(row.try_get("idx")?, "leaf index")?;
            next = index + 1;
            let leaf: Vec<u8> = row.try_get("leaf")?;
            if leaf.is_empty() {
                continue; // payload purged past retention
            }
            let event = match Event::from_leaf(&leaf) {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(target: "thiqa::alerts", index, error = %e, "undecodable leaf not evaluated");
                    continue;
                }
            };
            let t = event.event_time.unix_millis();
            newest_ms = newest_ms.max(t);
            for rule in &rules.rules {
                if !rule.matches(&event) {
                    continue;
                }
                let Some(key) = rule.key(&event) else {
                    continue;
                };
                let id = (rule.id.clone(), key);
                let state = states.entry(id.clone()).or_default();
                match state.observe(rule, t, index, event.tenant.as_deref()) {
                    Step::Counted => {}
                    Step::Folded(alert) => {
                        if let Some(a) = &state.alert {
                            folded.insert(alert, (a.count, a.last));
                        }
                    }
                    Step::Raise(raise) => {
                        let tenant = raise.tenant.as_deref().and_then(Tenant::from_text);
                        let (kind, tenant_id) = match tenant {
                            Some(t) => {
                                let (k, i) = t.parts();
                                (Some(k), Some(i))
                            }
                            None => (None, None),
                        };
                        let alert_id: i64 = sqlx::query_scalar(
                            "INSERT INTO alerts (rule_id, title, severity, group_key, first_leaf, \
                             last_leaf, event_count, window_start_ms, window_end_ms, tenant_kind, \
                             tenant_id, raised_at_ms) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                        )
                        .bind(&rule.id)
                        .bind(&rule.title)
                        .bind(rule.severity.as_str())
                        .bind(&id.1)
                        .bind(to_i64(raise.first_leaf)?)
                        .bind(to_i64(raise.last_leaf)?)
                        .bind(to_i64(raise.count)?)
                        .bind(raise.start_ms)
                        .bind(raise.end_ms)
                        .bind(kind)
                        .bind(tenant_id)
                        .bind(now_ms)
                        .fetch_one(&mut *w.tx)
                        .await?;
                        state.alert = Some(OpenAlert {
                            id: alert_id,
                            start: raise.start_ms,
                            until: raise.end_ms,
                            count: raise.count,
                            last: raise.last_leaf,
                        });
                        raised.push(AlertId(alert_id));
                        to_journal.push((alert_id, rule, id.1.clone(), raise));
                    }
                }
                touched.insert(id);
            }
        }

        for (alert, (count, last)) in &folded {
            sqlx::query("UPDATE alerts SET event_count = $1, last_leaf = $2 WHERE id = $3")
                .bind(to_i64(*count)?)
                .bind(to_i64(*last)?)
                .bind(alert)
                .execute(&mut *w.tx)
                .await?;
        }
        for id in &touched {
            let Some(state) = states.get(id) else {
                continue;
            };
            if state.is_empty() {
                sqlx::query("DELETE FROM alert_windows WHERE rule_id = $1 AND group_key = $2")
                    .bind(&id.0)
                    .bind(&id.1)
                    .execute(&mut *w.tx)
                    .await?;
                continue;
            }
            let window = rules.get(&id.0).map_or(0, |r| r.window_ms);
            let json = serde_json::to_string(state)
                .map_err(|e| StoreError::Corrupt(format!("alert window: {e}")))?;
            sqlx::query(
                "INSERT INTO alert_windows (rule_id, group_key, state, expires_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (rule_id, group_key) \
                 DO UPDATE SET state = excluded.state, expires_ms = excluded.expires_ms",
            )
            .bind(&id.0)
            .bind(&id.1)
            .bind(json)
            .bind(state.expires_ms(window))
            .execute(&mut *w.tx)
            .await?;
        }
        // Windows that no later event can complete any more. Event time
        // decides, bounded by `now` so a source with a clock far ahead
        // cannot empty them.
        if newest_ms > i64::MIN {
            sqlx::query("DELETE FROM alert_windows WHERE expires_ms < $1")
                .bind(newest_ms.min(now_ms))
                .execute(&mut *w.tx)
                .await?;
        }
        sqlx::query("UPDATE alert_cursor SET next_leaf = $1, evaluated_at_ms = $2 WHERE id = 1")
            .bind(to_i64(next)?)
            .bind(now_ms)
            .execute(&mut *w.tx)
            .await?;
        // Last: appending takes the journal head's lock until commit.
        for (alert_id, rule, key, raise) in &to_journal {
            let mut event = NewEvent::success("alert.raise")
                .target(format!("alert:{alert_id}"))
                .details(journal_details(rule, key, raise));
            if let Some(t) = raise.tenant.as_deref().and_then(Tenant::from_text) {
                event = event.tenant(t);
            }
            w.event(&Actor::system(), &event).await?;
            tracing::warn!(
                target: "thiqa::alerts",
                alert = alert_id,
                rule = %rule.id,
                severity = %rule.severity,
                key = %key,
                count = raise.count,
                "alert raised"
            );
        }
        w.commit().await?;
        Ok((read, next))
    }

    /// Where evaluation stands.
    pub async fn alert_cursor(&self) -> Result<AlertCursor, StoreError> {
        let row = sqlx::query("SELECT next_leaf, evaluated_at_ms FROM alert_cursor WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(AlertCursor {
            next_leaf: to_u64(row.try_get("next_leaf")?, "alert cursor")?,
            evaluated_at_ms: row.try_get("evaluated_at_ms")?,
        })
    }
}

impl TenantScope<'_> {
    /// Alerts `scope` may see: unacknowledged first, then newest first.
    pub async fn alerts(self, q: &AlertQuery) -> Result<Vec<Alert>, StoreError> {
        let scope = self.tenant;
        let (clause, binds) = scope_clause(scope, 1);
        let open = if q.unacknowledged_only {
            "AND acknowledged_at_ms IS NULL "
        } else {
            ""
        };
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE {clause} {open}\
             ORDER BY CASE WHEN acknowledged_at_ms IS NULL THEN 0 ELSE 1 END, \
             raised_at_ms DESC, id DESC LIMIT ${}",
            binds.len() + 1
        );
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query
            .bind(q.limit.clamp(1, 1000))
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter().map(alert_from_row).collect()
    }

    /// One alert `scope` may see.
    pub async fn alert(self, id: AlertId) -> Result<Alert, StoreError> {
        let (scope, id) = (self.tenant, id.0);
        let mut conn = self.store.pool.acquire().await?;
        alert_on(&mut conn, scope, id).await
    }

    /// Unacknowledged alerts `scope` may see, per severity (most urgent
    /// first, every severity listed).
    pub async fn open_alert_counts(self) -> Result<Vec<(AlertSeverity, u64)>, StoreError> {
        let scope = self.tenant;
        let (clause, binds) = scope_clause(scope, 1);
        let sql = format!(
            "SELECT severity, COUNT(*) AS n FROM alerts WHERE {clause} \
             AND acknowledged_at_ms IS NULL GROUP BY severity"
        );
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.store.pool).await?;
        let mut counts: HashMap<String, u64> = HashMap::new();
        for r in &rows {
            let n: i64 = r.try_get("n")?;
            counts.insert(r.try_get("severity")?, to_u64(n, "alert count")?);
        }
        Ok(AlertSeverity::ALL
            .iter()
            .map(|s| (*s, counts.get(s.as_str()).copied().unwrap_or(0)))
            .collect())
    }

    /// Records that `actor` reviewed alert `id` (which `scope` must see),
    /// with a comment (required, at most [`MAX_ACK_COMMENT`] characters),
    /// and journals it. An alert is acknowledged once: a second time is a
    /// Conflict naming who did it.
    pub async fn acknowledge_alert(
        self,
        id: AlertId,
        comment: &str,
        actor: &Actor,
    ) -> Result<Alert, StoreError> {
        let id = id.0;
        let scope = self.tenant;
        let comment = comment.trim();
        if comment.is_empty() || comment.chars().count() > MAX_ACK_COMMENT {
            return Err(StoreError::Conflict(
                crate::Refusal::new(
                    "refusal-alert-comment",
                    format!(
                        "acknowledging alert {id} needs a comment of 1 to {MAX_ACK_COMMENT} characters"
                    ),
                )
                .arg("id", id)
                .arg("max", MAX_ACK_COMMENT),
            ));
        }
        let now = self.store.clock.now_ms();
        let mut w = self.store.write().await?;
        let alert = alert_on(&mut w.tx, scope, id).await?;
        if let Some(a) = &alert.acknowledgement {
            return Err(already(&alert, a));
        }
        let updated = sqlx::query(
            "UPDATE alerts SET acknowledged_by = $1, acknowledged_by_id = $2, \
             acknowledged_at_ms = $3, acknowledgement = $4 \
             WHERE id = $5 AND acknowledged_at_ms IS NULL",
        )
        .bind(&actor.name)
        .bind(actor.id)
        .bind(now)
        .bind(comment)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        if updated.rows_affected() != 1 {
            // Another instance acknowledged it meanwhile.
            let alert = alert_on(&mut w.tx, scope, id).await?;
            return Err(match &alert.acknowledgement {
                Some(a) => already(&alert, a),
                None => StoreError::Conflict(
                    crate::Refusal::new(
                        "refusal-alert-changed",
                        format!("alert {id} changed meanwhile; try again"),
                    )
                    .arg("id", id),
                ),
            });
        }
        let mut event = NewEvent::success("alert.acknowledge")
            .target(format!("alert:{id}"))
            .details(format!(
                "rule={} key=\"{}\": {comment}",
                alert.rule_id, alert.key
            ));
        if let Some(t) = alert.tenant {
            event = event.tenant(t);
        }
        w.event(actor, &event).await?;
        let alert = alert_on(&mut w.tx, scope, id).await?;
        w.commit().await?;
        Ok(alert)
    }
}

fn already(alert: &Alert, a: &Acknowledgement) -> StoreError {
    StoreError::Conflict(
        crate::Refusal::new(
            "refusal-alert-acknowledged",
            format!(
                "alert {} ({}) is already acknowledged, by {}",
                alert.id, alert.rule_id, a.by
            ),
        )
        .arg("id", alert.id)
        .arg("rule", &alert.rule_id)
        .arg("by", &a.by),
    )
}

async fn alert_on(
    conn: &mut sqlx::AnyConnection,
    scope: Tenant,
    id: i64,
) -> Result<Alert, StoreError> {
    let (clause, binds) = scope_clause(scope, 2);
    let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1 AND {clause}");
    let mut query = sqlx::query(&sql).bind(id);
    for b in binds {
        query = query.bind(b);
    }
    let row = query.fetch_optional(conn).await?;
    row.as_ref()
        .map(alert_from_row)
        .transpose()?
        .ok_or(StoreError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(threshold: u32, window_ms: i64) -> Rule {
        Rule {
            id: "r".into(),
            title: "t".into(),
            description: String::new(),
            severity: AlertSeverity::High,
            conditions: vec![],
            group_by: vec![],
            threshold,
            window_ms,
        }
    }

    #[test]
    fn the_raise_event_carries_the_rules_severity() {
        use crate::events::alert_event_severity;
        let r = Rule {
            id: "auth.x".into(),
            ..rule(1, 1000)
        };
        let raise = Raise {
            first_leaf: 1,
            last_leaf: 1,
            count: 1,
            start_ms: 0,
            end_ms: 1000,
            tenant: None,
        };
        let details = journal_details(&r, "actor=a b", &raise);
        assert_eq!(
            alert_event_severity("alert.raise", Some(&details)),
            Some(thiqa_journal::Severity::Error)
        );
        assert_eq!(alert_event_severity("login", Some(&details)), None);
        assert_eq!(alert_event_severity("alert.raise", None), None);
    }

    #[test]
    fn a_window_raises_once_then_folds() {
        let r = rule(3, 300_000);
        let mut s = KeyState::default();
        assert_eq!(s.observe(&r, 0, 1, Some("provider:1")), Step::Counted);
        assert_eq!(s.observe(&r, 1000, 2, Some("provider:1")), Step::Counted);
        let Step::Raise(raise) = s.observe(&r, 2000, 3, Some("provider:1")) else {
            panic!("no raise")
        };
        assert_eq!(
            raise,
            Raise {
                first_leaf: 1,
                last_leaf: 3,
                count: 3,
                start_ms: 0,
                end_ms: 300_000,
                tenant: Some("provider:1".into())
            }
        );
        s.alert = Some(OpenAlert {
            id: 9,
            start: 0,
            until: 300_000,
            count: 3,
            last: 3,
        });
        assert_eq!(s.observe(&r, 299_999, 4, None), Step::Folded(9));
        assert_eq!(s.alert.as_ref().unwrap().count, 4);
        // After the window, counting starts again.
        assert_eq!(s.observe(&r, 300_000, 5, None), Step::Counted);
        assert!(s.alert.is_none());
        assert_eq!(s.entries.len(), 1);
    }

    #[test]
    fn events_spread_wider_than_the_window_do_not_raise() {
        let r = rule(3, 300_000);
        let mut s = KeyState::default();
        for (n, t) in [0, 150_000, 300_000, 450_000, 600_000]
            .into_iter()
            .enumerate()
        {
            assert_eq!(s.observe(&r, t, n as u64, None), Step::Counted, "at {t}");
        }
        assert_eq!(s.entries.len(), 2);
        assert_eq!(s.expires_ms(300_000), 900_000);
    }

    #[test]
    fn mixed_tenants_give_an_alert_without_tenant() {
        let r = rule(2, 60_000);
        let mut s = KeyState::default();
        s.observe(&r, 0, 0, Some("organisation:1"));
        let Step::Raise(raise) = s.observe(&r, 1, 1, Some("organisation:2")) else {
            panic!()
        };
        assert_eq!(raise.tenant, None);
    }

    #[test]
    fn state_round_trips_through_json() {
        let r = rule(5, 60_000);
        let mut s = KeyState::default();
        s.observe(&r, 10, 1, Some("provider:1"));
        let json = serde_json::to_string(&s).unwrap();
        let back: KeyState = serde_json::from_str(&json).unwrap();
        assert_eq!(back.entries.len(), 1);
        assert_eq!(back.entries[0].tn.as_deref(), Some("provider:1"));
    }
}

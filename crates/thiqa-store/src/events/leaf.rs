//! A Thiqa security event as a journal event (leaf format v1, FORMAT.md).
//!
//! The leaf carries what `security_events` holds, so the journal stands on
//! its own as evidence: `security_events` stays the table the console reads,
//! the journal is what proves it was not rewritten. The `event_id` attribute
//! ties each leaf to its row.

use std::collections::BTreeMap;
use std::net::IpAddr;

use sqlx::AnyConnection;
use thiqa_domain::Tenant;
use thiqa_journal::{Event, Severity, Timestamp};
use thiqa_rules::AlertSeverity;

use super::{Actor, NewEvent, Outcome};
use crate::error::StoreError;
use crate::journal::{append_leaf, LeafMeta};

/// The `source` of Thiqa's own events.
const SOURCE: &str = thiqa_journal::THIQA_SOURCE;

/// RFC 5424 severity of a security event. Refusals and lockouts are
/// warnings; changes that weaken a control are warnings too; other changes
/// to accounts, rights and authentication are notices (what an auditor
/// reviews), and so is every step of support access to a customer's data,
/// administration actions as 3.5.7 has them; everyday business actions
/// are informational.
pub(crate) fn severity(action: &str, outcome: Outcome) -> Severity {
    const WEAKENING: &[&str] = &[
        "account.lock",
        "separation.remove",
        "mfa.recovery_code_used",
    ];
    const SECURITY_PREFIXES: &[&str] = &[
        "account.",
        "role.",
        "separation.",
        "api_token.",
        "password.",
        "mfa.",
        "session.",
        "provider.",
        "organisation.",
        "support.",
    ];
    if outcome == Outcome::Failure || WEAKENING.contains(&action) {
        Severity::Warning
    } else if SECURITY_PREFIXES.iter().any(|p| action.starts_with(p)) {
        Severity::Notice
    } else {
        Severity::Informational
    }
}

/// The RFC 5424 severity the journal leaf of an `alert.raise` event should
/// carry: the rule's (low → notice … critical → critical), read back from
/// the event's details (`severity=high`, written by `alerts.rs`). `None`
/// for any other event, which [`severity`] ranks: it would make the raise
/// informational. `severity=` comes before the key in the details, so a
/// key holding that text (an attacker-chosen account name) cannot change it.
pub fn alert_event_severity(action: &str, details: Option<&str>) -> Option<Severity> {
    if action != "alert.raise" {
        return None;
    }
    details?
        .split(' ')
        .find_map(|part| part.strip_prefix("severity="))
        .and_then(AlertSeverity::parse)
        .map(AlertSeverity::journal_severity)
}

/// The journal event of a `security_events` row.
pub(crate) fn security_event(
    now_ms: i64,
    event_id: i64,
    actor: &Actor,
    event: &NewEvent,
) -> Result<Event, StoreError> {
    let time = Timestamp::from_unix_millis(now_ms)
        .map_err(|e| StoreError::Corrupt(format!("journal time: {e}")))?;
    let mut attributes = BTreeMap::new();
    attributes.insert("event_id".to_owned(), event_id.to_string());
    if let Some(d) = &event.details {
        attributes.insert("details".to_owned(), d.clone());
    }
    // The same name may exist in both directories: keep which one acted.
    if let Some(d) = actor.directory {
        attributes.insert("actor_directory".to_owned(), d.as_str().to_owned());
    }
    if let Some(id) = actor.id {
        attributes.insert("actor_id".to_owned(), id.to_string());
    }
    let source_address = actor.source_ip.as_deref().and_then(|ip| {
        let parsed = ip.parse::<IpAddr>().ok();
        if parsed.is_none() {
            // Never lose what was recorded, even if it is not an address.
            attributes.insert("source_ip".to_owned(), ip.to_owned());
        }
        parsed
    });
    Ok(Event {
        event_time: time,
        received_time: time,
        source: SOURCE.to_owned(),
        action: event.action.to_owned(),
        // An alert carries its rule's severity; other events are ranked by
        // what they are.
        severity: alert_event_severity(event.action, event.details.as_deref())
            .unwrap_or_else(|| severity(event.action, event.outcome)),
        actor: actor.name.clone(),
        target: event.target.clone().unwrap_or_default(),
        tenant: event.tenant.map(Tenant::to_text),
        source_address,
        outcome: match event.outcome {
            Outcome::Success => thiqa_journal::Outcome::Success,
            Outcome::Failure => thiqa_journal::Outcome::Failure,
        },
        attributes,
    })
}

/// Appends the event of `security_events` row `event_id` to the journal, in
/// the caller's transaction.
pub(crate) async fn append_security_event(
    conn: &mut AnyConnection,
    now_ms: i64,
    event_id: i64,
    actor: &Actor,
    event: &NewEvent,
) -> Result<u64, StoreError> {
    let leaf = security_event(now_ms, event_id, actor, event)?
        .to_leaf()
        .map_err(|e| StoreError::Corrupt(format!("journal event {}: {e}", event.action)))?;
    append_leaf(
        conn,
        &leaf,
        &LeafMeta {
            event_time_ms: now_ms,
            received_time_ms: now_ms,
            tenant: event.tenant,
            source: SOURCE,
            event_id: Some(event_id),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_follow_outcome_and_action() {
        assert_eq!(severity("login", Outcome::Failure), Severity::Warning);
        assert_eq!(
            severity("account.lock", Outcome::Success),
            Severity::Warning
        );
        assert_eq!(severity("role.assign", Outcome::Success), Severity::Notice);
        assert_eq!(
            severity("service.create", Outcome::Success),
            Severity::Informational
        );
        assert_eq!(severity("login", Outcome::Success), Severity::Informational);
    }

    #[test]
    fn an_event_round_trips_through_its_leaf() {
        let actor = Actor {
            directory: Some(thiqa_domain::Directory::Operators),
            id: Some(3),
            name: "amal".into(),
            source_ip: Some("192.0.2.1".into()),
        };
        let new = NewEvent::failure("login")
            .target("operators:amal")
            .tenant(Tenant::Provider(thiqa_domain::ProviderId(1)))
            .details("bad password");
        let event = security_event(1_780_000_000_123, 42, &actor, &new).unwrap();
        let back = Event::from_leaf(&event.to_leaf().unwrap()).unwrap();
        assert_eq!(back, event);
        assert_eq!(back.tenant.as_deref(), Some("provider:1"));
        assert_eq!(back.attributes["event_id"], "42");
        assert_eq!(back.attributes["details"], "bad password");
        assert_eq!(
            Tenant::from_text("provider:1"),
            Some(Tenant::Provider(thiqa_domain::ProviderId(1)))
        );
    }
}

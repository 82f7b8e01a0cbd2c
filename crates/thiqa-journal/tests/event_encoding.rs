//! The event leaf encoding is deterministic, injective and canonical.

use std::collections::BTreeMap;
use std::net::IpAddr;

use proptest::prelude::*;
use thiqa_journal::event::{EventError, MAX_EVENT_BYTES};
use thiqa_journal::{Event, Outcome, Severity, Timestamp};

fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        (Timestamp::MIN.unix_millis()..=Timestamp::MAX.unix_millis()),
        (1_700_000_000_000i64..1_700_000_000_100),
    ]
    .prop_map(|ms| Timestamp::from_unix_millis(ms).unwrap())
}

/// Short strings over a small alphabet, so that distinct events often share
/// prefixes and field boundaries are really exercised.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[ab\u{0}é]{0,4}", ".{0,12}",]
}

fn event() -> impl Strategy<Value = Event> {
    (
        (timestamp(), timestamp(), text(), text(), 0u8..8),
        (text(), text(), proptest::option::of(text())),
        (proptest::option::of(any::<IpAddr>()), 0u8..3),
        proptest::collection::btree_map(text(), text(), 0..4),
    )
        .prop_map(
            |((t1, t2, source, action, sev), (actor, target, tenant), (addr, out), attrs)| Event {
                event_time: t1,
                received_time: t2,
                source,
                action,
                severity: Severity::from_code(sev).unwrap(),
                actor,
                target,
                tenant,
                source_address: addr,
                outcome: Outcome::from_code(out).unwrap(),
                attributes: attrs,
            },
        )
}

fn sample() -> Event {
    Event {
        event_time: Timestamp::parse("2025-03-04T10:11:12.345Z").unwrap(),
        received_time: Timestamp::parse("2025-03-04T10:11:12.400Z").unwrap(),
        source: "thiqa-server".into(),
        action: "auth.login".into(),
        severity: Severity::Notice,
        actor: "user:42".into(),
        target: "console".into(),
        tenant: Some("org:7".into()),
        source_address: Some("192.0.2.1".parse().unwrap()),
        outcome: Outcome::Failure,
        attributes: BTreeMap::from([
            ("mfa".into(), "totp".into()),
            ("reason".into(), "bad".into()),
        ]),
    }
}

/// The exact bytes of FORMAT.md's example: a frozen vector, so that any
/// change to the encoding (which would break every stored log) fails here.
#[test]
fn encoding_is_frozen() {
    let leaf = sample().to_leaf().unwrap();
    assert_eq!(
        hex::encode(&leaf),
        concat!(
            "54514a4501", // "TQJE", version 1
            "0000019560a35759",
            "0000019560a35790", // event, receipt times (ms)
            "05",
            "01", // Notice, Failure
            "0000000c",
            "74686971612d736572766572", // source
            "0000000a",
            "617574682e6c6f67696e", // action
            "00000007",
            "757365723a3432", // actor
            "00000007",
            "636f6e736f6c65", // target
            "01",
            "00000005",
            "6f72673a37", // tenant
            "04",
            "c0000201", // IPv4 192.0.2.1
            "00000002", // two attributes
            "00000003",
            "6d6661",
            "00000004",
            "746f7470", // mfa=totp
            "00000006",
            "726561736f6e",
            "00000003",
            "626164", // reason=bad
        )
    );
    assert_eq!(Event::from_leaf(&leaf).unwrap(), sample());
}

#[test]
fn non_canonical_bytes_are_refused() {
    let leaf = sample().to_leaf().unwrap();
    let mut trailing = leaf.clone();
    trailing.push(0);
    assert!(Event::from_leaf(&trailing).is_err());
    assert!(Event::from_leaf(&leaf[..leaf.len() - 1]).is_err());
    let mut version = leaf.clone();
    version[4] = 2;
    assert!(Event::from_leaf(&version).is_err());
    let mut severity = leaf.clone();
    severity[21] = 8;
    assert!(Event::from_leaf(&severity).is_err());
    // Attributes swapped into descending order.
    let mut e = sample();
    e.attributes.clear();
    let good = Event {
        attributes: BTreeMap::from([("a".into(), "".into()), ("b".into(), "".into())]),
        ..e
    }
    .to_leaf()
    .unwrap();
    let n = good.len();
    let mut swapped = good.clone();
    swapped[n - 18..n - 13].copy_from_slice(&good[n - 9..n - 4]);
    swapped[n - 9..n - 4].copy_from_slice(&good[n - 18..n - 13]);
    assert!(matches!(
        Event::from_leaf(&swapped),
        Err(EventError::Malformed { .. })
    ));
}

#[test]
fn oversized_events_are_refused() {
    let mut e = sample();
    e.attributes
        .insert("blob".into(), "x".repeat(MAX_EVENT_BYTES));
    assert_eq!(e.to_leaf(), Err(EventError::TooLarge));
}

proptest! {
    #[test]
    fn decoding_inverts_encoding(e in event()) {
        let leaf = e.to_leaf().unwrap();
        prop_assert_eq!(Event::from_leaf(&leaf).unwrap(), e);
    }

    /// Injectivity: different events, different bytes.
    #[test]
    fn different_events_encode_differently(a in event(), b in event()) {
        prop_assume!(a != b);
        prop_assert_ne!(a.to_leaf().unwrap(), b.to_leaf().unwrap());
    }

    /// Moving text across a field boundary changes the bytes.
    #[test]
    fn field_boundaries_matter(e in event(), cut in 0usize..5) {
        let mut a = e.clone();
        let joined = format!("{}{}", e.actor, e.target);
        let cut = joined.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(joined.len());
        a.actor = joined[..cut].to_string();
        a.target = joined[cut..].to_string();
        prop_assert_eq!(a == e, a.to_leaf().unwrap() == e.to_leaf().unwrap());
    }

    /// Canonical: any byte string that decodes re-encodes to itself, so an
    /// event has exactly one leaf.
    #[test]
    fn accepted_bytes_are_canonical(e in event(), pos in any::<usize>(), byte in any::<u8>()) {
        let mut leaf = e.to_leaf().unwrap();
        let i = pos % leaf.len();
        leaf[i] = byte;
        if let Ok(decoded) = Event::from_leaf(&leaf) {
            prop_assert_eq!(decoded.to_leaf().unwrap(), leaf);
        }
    }
}

proptest! {
    /// The in-place reading of the fields storage copies into columns
    /// agrees with the full decoding, attributes included.
    #[test]
    fn leaf_fields_read_what_decoding_reads(e in event()) {
        let leaf = e.to_leaf().unwrap();
        let f = thiqa_journal::LeafFields::parse(&leaf).unwrap();
        prop_assert_eq!(f.event_time_ms, e.event_time.unix_millis());
        prop_assert_eq!(f.received_time_ms, e.received_time.unix_millis());
        prop_assert_eq!(f.source, e.source.as_str());
        prop_assert_eq!(f.tenant, e.tenant.as_deref());
        for (k, v) in &e.attributes {
            prop_assert_eq!(f.attribute(k), Some(v.as_str()));
        }
        prop_assert_eq!(f.attribute("a key longer than twelve"), None);
    }
}

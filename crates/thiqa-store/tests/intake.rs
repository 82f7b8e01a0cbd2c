//! Intake of infrastructure events, on SQLite and PostgreSQL alike: a batch
//! is appended whole in one transaction with its range and one
//! `journal.intake` event, or refused whole leaving no trace in the journal;
//! sources tag only their commanditaires; revoked sources are refused.

mod support;

use sqlx::AnyPool;
use thiqa_crypto::token::token_hash;
use thiqa_domain::{OrganisationId, ProviderId};
use thiqa_journal::merkle::{leaf_hash, root_of, verify_inclusion};
use thiqa_journal::{Event, Severity};
use thiqa_store::{
    journal_signer, Actor, EventFilter, IntakeError, IntakeLimits, IntakeSource, Store, StoreError,
};

use support::TestStore;

const ORIGIN: &str = "thiqa.test/journal";

/// The shared test store (`support`) with a second pool on the same
/// database, for what no store method does (tampering, triggers).
struct Env {
    t: TestStore,
    raw: AnyPool,
}

impl std::ops::Deref for Env {
    type Target = TestStore;
    fn deref(&self) -> &TestStore {
        &self.t
    }
}

impl Env {
    async fn new(t: TestStore) -> Env {
        let raw = t.raw_pool().await;
        Env { t, raw }
    }
}

on_both_backends!(
    with Env;
    a_batch_is_appended_whole_with_its_range,
    a_large_batch_spans_chunks_and_verifies,
    a_refused_batch_leaves_no_trace,
    a_commanditaire_the_source_may_not_tag_is_refused,
    a_revoked_source_is_refused,
    sources_are_named_once_and_journaled,
);

/// Everything a refused batch must leave as it was.
#[derive(Debug, PartialEq, Eq)]
struct Trace {
    head: (i64, Vec<u8>, Vec<u8>),
    leaves: i64,
    nodes: i64,
    events: i64,
}

impl Env {
    async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.raw)
            .await
            .unwrap()
    }

    async fn trace(&self) -> Trace {
        let head: (i64, Vec<u8>, Vec<u8>) =
            sqlx::query_as("SELECT size, chain, range_nodes FROM journal_head WHERE id = 1")
                .fetch_one(&self.raw)
                .await
                .unwrap();
        Trace {
            head,
            leaves: self.count("journal_leaves").await,
            nodes: self.count("journal_nodes").await,
            events: self.count("security_events").await,
        }
    }

    async fn verify_ok(&self) {
        let signer = journal_signer(self.dir.path(), ORIGIN).unwrap();
        self.store.journal_sign_checkpoint(&signer).await.unwrap();
        let v = self
            .store
            .journal_verify(ORIGIN, &[signer.verifier()], &mut |_, _| {})
            .await
            .unwrap();
        assert!(v.is_ok(), "{:?} {:?}", v.report.problems, v.head_problems);
    }
}

/// A provider with two commanditaires.
async fn setup(s: &Store) -> (ProviderId, OrganisationId, OrganisationId) {
    let p = s
        .create_provider("Atlas Cloud", &Actor::cli())
        .await
        .unwrap();
    let a = s
        .provider(p)
        .create_organisation("Banque A", false, &Actor::cli())
        .await
        .unwrap();
    let b = s
        .provider(p)
        .create_organisation("Banque B", false, &Actor::cli())
        .await
        .unwrap();
    (p, a, b)
}

fn line(n: usize, extra: &str) -> String {
    format!(
        r#"{{"time":"2026-05-28T10:11:12.{:03}Z","type":"vm.start","severity":"notice","actor":"ops","target":"vm-{n}","attributes":{{"n":"{n}"}}{extra}}}"#,
        n % 1000
    )
}

fn batch(lines: &[String]) -> Vec<u8> {
    let mut b = lines.join("\n").into_bytes();
    b.push(b'\n');
    b
}

fn source_actor(s: &IntakeSource) -> Actor {
    s.actor(Some("10.0.0.7".into()))
}

async fn a_batch_is_appended_whole_with_its_range(env: Env) {
    let s = &env.store;
    let (p, a, _) = setup(s).await;
    let created = s
        .provider(p)
        .create_intake_source("hv/kvm-07", &[a], &Actor::cli())
        .await
        .unwrap();
    let source = s
        .intake_source_by_token_hash(created.token.hash().as_str())
        .await
        .unwrap()
        .expect("the token finds its source");
    assert_eq!(source.organisations, vec![a]);
    let before = s.journal_head().await.unwrap().size;
    env.clock.advance_s(5);
    let body = batch(&[
        line(1, ""),
        line(2, &format!(r#","commanditaire":{}"#, a.0)),
        line(3, r#","outcome":"failure","source_address":"192.0.2.9""#),
    ]);
    let receipt = s
        .intake_batch(
            &source,
            &body,
            &IntakeLimits::default(),
            &source_actor(&source),
        )
        .await
        .unwrap();
    assert_eq!(
        (receipt.first_index, receipt.last_index, receipt.count),
        (before, before + 2, 3)
    );
    // The batch, then its journal.intake event.
    assert_eq!(s.journal_head().await.unwrap().size, before + 4);
    let leaves = s.journal_leaves(before, 10).await.unwrap();
    let events: Vec<Event> = leaves
        .iter()
        .map(|l| Event::from_leaf(&l.leaf).unwrap())
        .collect();
    for (i, e) in events[..3].iter().enumerate() {
        assert_eq!(e.source, "hv/kvm-07");
        assert_eq!(e.action, "vm.start");
        assert_eq!(e.severity, Severity::Notice);
        assert_eq!(e.target, format!("vm-{}", i + 1));
        assert_eq!(e.received_time.unix_millis(), 1_780_000_005_000);
        assert_eq!(leaves[i].source, "hv/kvm-07");
        assert_eq!(leaves[i].event_id, None);
    }
    assert_eq!(
        events[0].tenant.as_deref(),
        Some(&*format!("provider:{}", p.0))
    );
    assert_eq!(
        events[1].tenant.as_deref(),
        Some(&*format!("organisation:{}", a.0))
    );
    assert_eq!(
        leaves[1].tenant,
        Some(thiqa_domain::Tenant::Organisation(a))
    );
    assert_eq!(events[2].outcome, thiqa_journal::Outcome::Failure);
    let intake = &events[3];
    assert_eq!(
        (intake.source.as_str(), intake.action.as_str()),
        ("thiqa", "journal.intake")
    );
    assert_eq!(intake.actor, "intake-source:hv/kvm-07");
    let details = &intake.attributes["details"];
    assert!(details.contains("3 events"), "{details}");
    assert!(
        details.contains(&format!("leaves {}..={}", before, before + 2)),
        "{details}"
    );
    let recorded = s
        .events(&EventFilter {
            tenant: None,
            action_prefix: Some("journal.intake".into()),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].source_ip.as_deref(), Some("10.0.0.7"));
    env.verify_ok().await;
}

async fn a_large_batch_spans_chunks_and_verifies(env: Env) {
    let s = &env.store;
    let (p, _, _) = setup(s).await;
    let source = s
        .provider(p)
        .create_intake_source("fw.edge-1", &[], &Actor::cli())
        .await
        .unwrap()
        .source;
    let mut ranges = Vec::new();
    for size in [2_345usize, 1, 1_000] {
        let lines: Vec<String> = (0..size).map(|n| line(n, "")).collect();
        let r = s
            .intake_batch(
                &source,
                &batch(&lines),
                &IntakeLimits::default(),
                &Actor::system(),
            )
            .await
            .unwrap();
        assert_eq!(r.count, size as u64);
        ranges.push(r);
    }
    // Each batch follows the previous one's journal.intake event.
    assert_eq!(ranges[1].first_index, ranges[0].last_index + 2);
    assert_eq!(ranges[2].first_index, ranges[1].last_index + 2);
    let head = s.journal_head().await.unwrap();
    let mut hashes = Vec::new();
    let mut from = 0;
    while from < head.size {
        let page = s.journal_leaves(from, 1000).await.unwrap();
        from += page.len() as u64;
        hashes.extend(page.iter().map(|l| leaf_hash(&l.leaf)));
    }
    assert_eq!(hashes.len() as u64, head.size);
    assert_eq!(
        root_of(&hashes),
        head.root,
        "the head is the tree of the rows"
    );
    env.verify_ok().await;
    let checkpoint = s.journal_latest_checkpoint().await.unwrap().unwrap();
    for index in [
        0,
        ranges[0].first_index + 999,
        ranges[0].last_index,
        head.size - 1,
    ] {
        let path = s
            .journal_inclusion_proof(index, checkpoint.size)
            .await
            .unwrap();
        verify_inclusion(
            &hashes[index as usize],
            index,
            checkpoint.size,
            &path,
            &checkpoint.root,
        )
        .unwrap();
    }
}

async fn a_refused_batch_leaves_no_trace(env: Env) {
    let s = &env.store;
    let (p, a, _) = setup(s).await;
    let source = s
        .provider(p)
        .create_intake_source("bastion", &[a], &Actor::cli())
        .await
        .unwrap()
        .source;
    s.intake_batch(
        &source,
        &batch(&[line(0, "")]),
        &IntakeLimits::default(),
        &Actor::system(),
    )
    .await
    .unwrap();
    let before = env.trace().await;
    let mut lines: Vec<String> = (1..=40).map(|n| line(n, "")).collect();
    lines[16] = line(17, r#","severity_level":3"#);
    lines[29] = r#"{"time":"yesterday","type":"vm.start","severity":4}"#.into();
    let err = s
        .intake_batch(
            &source,
            &batch(&lines),
            &IntakeLimits::default(),
            &Actor::system(),
        )
        .await
        .unwrap_err();
    let IntakeError::Refused(refusal) = err else {
        panic!("{err:?}")
    };
    let named: Vec<(usize, bool)> = refusal
        .errors
        .iter()
        .map(|e| {
            (
                e.line,
                e.reason.contains("severity_level") || e.reason.contains("`time`"),
            )
        })
        .collect();
    assert_eq!(named, vec![(17, true), (30, true)]);
    assert_eq!(
        env.trace().await,
        before,
        "nothing of a refused batch is stored"
    );
    // Over the event limit: refused whole too.
    let limits = IntakeLimits {
        max_events: 10,
        max_bytes: 1 << 20,
        ..IntakeLimits::default()
    };
    let err = s
        .intake_batch(&source, &batch(&lines[..11]), &limits, &Actor::system())
        .await
        .unwrap_err();
    assert!(
        matches!(err, IntakeError::Refused(ref r) if r.errors[0].line == 11),
        "{err:?}"
    );
    assert_eq!(env.trace().await, before);
    env.verify_ok().await;
}

async fn a_commanditaire_the_source_may_not_tag_is_refused(env: Env) {
    let s = &env.store;
    let (p, a, b) = setup(s).await;
    let source = s
        .provider(p)
        .create_intake_source("san-01", &[a], &Actor::cli())
        .await
        .unwrap()
        .source;
    let before = env.trace().await;
    let lines = vec![
        line(1, &format!(r#","commanditaire":{}"#, a.0)),
        line(2, &format!(r#","commanditaire":{}"#, b.0)),
    ];
    let err = s
        .intake_batch(
            &source,
            &batch(&lines),
            &IntakeLimits::default(),
            &Actor::system(),
        )
        .await
        .unwrap_err();
    let IntakeError::Refused(refusal) = err else {
        panic!("{err:?}")
    };
    assert_eq!(refusal.errors.len(), 1);
    assert_eq!(refusal.errors[0].line, 2);
    assert!(
        refusal.errors[0]
            .reason
            .contains(&format!("may not tag organisation {}", b.0)),
        "{:?}",
        refusal.errors
    );
    assert_eq!(env.trace().await, before);
    // Events built by hand are checked again before they are appended.
    let ctx = s.intake_context(&source, 400).unwrap();
    let mut event = thiqa_store::parse_batch(
        &batch(&[line(1, &format!(r#","commanditaire":{}"#, a.0))]),
        &ctx,
        &IntakeLimits::default(),
    )
    .unwrap()
    .remove(0);
    event.tenant = Some(format!("organisation:{}", b.0));
    let err = s
        .journal_append_batch(&source, &[event.clone()], &Actor::system())
        .await
        .unwrap_err();
    assert!(matches!(err, IntakeError::Refused(_)), "{err:?}");
    event.tenant = Some(format!("organisation:{}", a.0));
    event.source = "thiqa".into();
    let err = s
        .journal_append_batch(&source, &[event], &Actor::system())
        .await
        .unwrap_err();
    assert!(matches!(err, IntakeError::Refused(_)), "{err:?}");
    assert_eq!(env.trace().await, before);
    // A large batch is checked in parts on several threads: every bad
    // event is still named by its own line, in order.
    let lines: Vec<String> = (1..=5000)
        .map(|n| line(n, &format!(r#","commanditaire":{}"#, a.0)))
        .collect();
    let mut events =
        thiqa_store::parse_batch(&batch(&lines), &ctx, &IntakeLimits::default()).unwrap();
    for i in [10, 2600, 4999] {
        events[i].tenant = Some(format!("organisation:{}", b.0));
    }
    let err = s
        .journal_append_batch(&source, &events, &Actor::system())
        .await
        .unwrap_err();
    let IntakeError::Refused(refusal) = err else {
        panic!("{err:?}")
    };
    let named: Vec<usize> = refusal.errors.iter().map(|e| e.line).collect();
    assert_eq!(named, [11, 2601, 5000]);
    assert_eq!(env.trace().await, before);
    // A source cannot be registered for another provider's organisation.
    let other = s.create_provider("Autre", &Actor::cli()).await.unwrap();
    let err = s
        .provider(other)
        .create_intake_source("x", &[a], &Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

async fn a_revoked_source_is_refused(env: Env) {
    let s = &env.store;
    let (p, _, _) = setup(s).await;
    let created = s
        .provider(p)
        .create_intake_source("hv/kvm-08", &[], &Actor::cli())
        .await
        .unwrap();
    let hash = created.token.hash();
    let source = created.source;
    s.provider(p)
        .revoke_intake_source(source.id, &Actor::cli())
        .await
        .unwrap();
    assert!(s
        .intake_source_by_token_hash(hash.as_str())
        .await
        .unwrap()
        .is_none());
    assert!(s
        .intake_source_by_token_hash(token_hash("thq_forged").as_str())
        .await
        .unwrap()
        .is_none());
    let before = env.trace().await;
    // A batch checked before the revocation is refused when it is appended.
    let err = s
        .intake_batch(
            &source,
            &batch(&[line(1, "")]),
            &IntakeLimits::default(),
            &Actor::system(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, IntakeError::Revoked), "{err:?}");
    assert_eq!(env.trace().await, before);
    assert!(matches!(
        s.provider(p)
            .revoke_intake_source(source.id, &Actor::cli())
            .await,
        Err(StoreError::NotFound)
    ));
    let listed = s.provider(p).intake_sources().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].is_active());
}

async fn sources_are_named_once_and_journaled(env: Env) {
    let s = &env.store;
    let (p, a, b) = setup(s).await;
    let one = s
        .provider(p)
        .create_intake_source("wazuh", &[b, a, b], &Actor::cli())
        .await
        .unwrap();
    assert!(one.token.expose().starts_with("thq_"));
    let mut both = vec![a, b];
    both.sort_by_key(|o| o.0);
    assert_eq!(one.source.organisations, both);
    for bad in ["wazuh", "thiqa", "a b", ""] {
        let err = s
            .provider(p)
            .create_intake_source(bad, &[], &Actor::cli())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{bad}: {err:?}");
    }
    let listed = s.provider(p).intake_sources().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].organisations, both);
    assert_eq!(listed[0].created_by, "cli");
    assert_eq!(
        s.provider(p)
            .intake_source(one.source.id)
            .await
            .unwrap()
            .name,
        "wazuh"
    );
    // The token is stored as its hash only.
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM intake_sources")
        .fetch_one(&env.raw)
        .await
        .unwrap();
    assert_eq!(stored, one.token.hash().as_str());
    s.provider(p)
        .revoke_intake_source(one.source.id, &Actor::cli())
        .await
        .unwrap();
    let actions: Vec<String> = s
        .events(&EventFilter {
            tenant: None,
            action_prefix: Some("intake_source.".into()),
            limit: 10,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["intake_source.revoke", "intake_source.create"]);
}

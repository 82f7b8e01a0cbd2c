//! The journal in storage, on SQLite and PostgreSQL alike: every security
//! event becomes a leaf in its own transaction, checkpoints and proofs
//! verify, and verification names the row a tamperer touched.

mod support;

use std::sync::Arc;

use sqlx::{AnyPool, Executor, Row};
use thiqa_domain::{ManualClock, Tenant};
use thiqa_journal::merkle::{
    leaf_hash, root_of, verify_consistency, verify_inclusion, StoredLevels,
};
use thiqa_journal::{Appender, Event, FirstBad, NoteSigner, Problem, Severity};
use thiqa_store::{
    journal_signer, Actor, Backend, EventFilter, InclusionBundle, JournalError, NewAccount,
    NewEvent, Store, JOURNAL_VERIFY_BATCH,
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

impl Env {
    fn signer(&self) -> NoteSigner {
        journal_signer(self.dir.path(), ORIGIN).unwrap()
    }

    fn backend(&self) -> Backend {
        self.store.backend()
    }

    async fn verify(&self) -> thiqa_store::JournalVerification {
        self.store
            .journal_verify(ORIGIN, &[self.signer().verifier()], &mut |_, _| {})
            .await
            .unwrap()
    }

    async fn exec(&self, sql: &str) {
        self.raw.execute(sql).await.unwrap();
    }
}

on_both_backends!(
    with Env;
    payloads_past_retention_are_purged_and_the_log_still_verifies,
    security_events_become_leaves,
    a_rolled_back_transaction_leaves_no_leaf,
    checkpoints_and_proofs_verify,
    verification_names_the_tampered_row,
);

fn new_account(name: &str) -> NewAccount {
    NewAccount {
        username: name.into(),
        display_name: name.to_uppercase(),
        email: Some(format!("{name}@example.ma")),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        totp_secret: None,
        language: "fr".into(),
    }
}

/// A provider, a customer organisation and one account in each.
async fn setup(s: &Store) -> (Tenant, Tenant, i64) {
    let provider = s
        .create_provider("Atlas Cloud", &Actor::cli())
        .await
        .unwrap();
    let org = s
        .provider(provider)
        .create_organisation("Banque Exemple", false, &Actor::cli())
        .await
        .unwrap();
    let (pt, ot) = (Tenant::Provider(provider), Tenant::Organisation(org));
    let op = s
        .tenant(pt)
        .create_account(new_account("amal"), &Actor::cli())
        .await
        .unwrap();
    s.tenant(ot)
        .create_account(new_account("karim"), &Actor::cli())
        .await
        .unwrap();
    (pt, ot, op)
}

async fn record(s: &Store, n: usize) {
    for i in 0..n {
        s.record_event(
            &Actor::anonymous("visitor", Some("192.0.2.7".into())),
            NewEvent::failure("login").details(format!("attempt {i}")),
        )
        .await
        .unwrap();
    }
}

async fn all_leaves(s: &Store) -> Vec<thiqa_store::JournalLeaf> {
    let mut out = Vec::new();
    loop {
        let batch = s.journal_leaves(out.len() as u64, 1000).await.unwrap();
        if batch.is_empty() {
            return out;
        }
        out.extend(batch);
    }
}

async fn security_events_become_leaves(env: Env) {
    let s = &env.store;
    let (pt, ot, op) = setup(s).await;
    let account = s.tenant(pt).account(op).await.unwrap();
    s.record_login_failure(
        &account,
        5,
        &Actor::anonymous("amal", Some("2001:db8::1".into())),
        "bad password",
    )
    .await
    .unwrap();

    let events = s
        .events(&EventFilter {
            limit: 10_000,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    let leaves = all_leaves(s).await;
    assert_eq!(leaves.len(), events.len());
    assert!(leaves.len() >= 5, "{}", leaves.len());
    for (i, leaf) in leaves.iter().enumerate() {
        assert_eq!(leaf.index, i as u64);
        assert_eq!(leaf.leaf_hash, leaf_hash(&leaf.leaf));
        assert_eq!(leaf.source, "thiqa");
        let event = Event::from_leaf(&leaf.leaf).unwrap();
        let id = leaf.event_id.unwrap();
        assert_eq!(event.attributes["event_id"], id.to_string());
        let row = events.iter().find(|e| e.id == id).unwrap();
        assert_eq!(event.action, row.action);
        assert_eq!(Some(&event.actor), row.actor_name.as_ref());
        assert_eq!(event.target, row.target.clone().unwrap_or_default());
        assert_eq!(event.event_time.unix_millis(), row.occurred_at_ms);
        assert_eq!(event.received_time.unix_millis(), row.occurred_at_ms);
        assert_eq!(leaf.event_time_ms, row.occurred_at_ms);
        let tenant = row
            .tenant_kind
            .as_ref()
            .map(|k| format!("{k}:{}", row.tenant_id.unwrap()));
        assert_eq!(event.tenant, tenant);
        let columns = leaf.tenant.map(|t| (t.parts().0.to_owned(), t.parts().1));
        assert_eq!(columns, row.tenant_kind.clone().zip(row.tenant_id));
        assert_eq!(event.attributes.get("details"), row.details.as_ref());
        let failed = row.outcome == "failure";
        assert_eq!(event.outcome == thiqa_journal::Outcome::Failure, failed);
        if failed {
            assert_eq!(event.severity, Severity::Warning);
        }
    }
    let login = leaves
        .iter()
        .map(|l| Event::from_leaf(&l.leaf).unwrap())
        .find(|e| e.action == "login")
        .unwrap();
    assert_eq!(login.source_address, Some("2001:db8::1".parse().unwrap()));
    assert_eq!(login.tenant, Some(format!("provider:{}", pt.parts().1)));
    assert_eq!(login.attributes["details"], "bad password");

    // The stored head is the Merkle root of the leaves, and the stored
    // rows are exactly what the core's Appender produces.
    let hashes: Vec<_> = leaves.iter().map(|l| leaf_hash(&l.leaf)).collect();
    let head = s.journal_head().await.unwrap();
    assert_eq!(head.size, leaves.len() as u64);
    assert_eq!(head.root, root_of(&hashes));
    assert_eq!(s.journal_root_at(head.size).await.unwrap(), head.root);
    let mut appender = Appender::new(StoredLevels::default());
    let mut expected_nodes = Vec::new();
    for leaf in &leaves {
        let row = appender.append(&leaf.leaf);
        assert_eq!(row.chain, leaf.chain);
        expected_nodes.extend(row.nodes.into_iter().filter(|n| n.level > 0));
    }
    assert_eq!(appender.root(), head.root);
    assert_eq!(appender.chain(), head.chain);
    let stored: Vec<(i64, i64)> =
        sqlx::query_as("SELECT level, idx FROM journal_nodes ORDER BY idx, level")
            .fetch_all(&env.raw)
            .await
            .unwrap();
    let expected: Vec<(i64, i64)> = expected_nodes
        .iter()
        .map(|n| (i64::from(n.level), n.index as i64))
        .collect();
    assert_eq!(stored, expected);
    assert!(env.verify().await.is_ok());

    // Events of other systems go in the same log.
    let at = thiqa_journal::Timestamp::from_unix_millis(1_780_000_000_000).unwrap();
    let external = Event {
        event_time: at,
        received_time: at,
        source: "hv/kvm-07".into(),
        action: "vm.snapshot.delete".into(),
        severity: Severity::Notice,
        actor: "svc:backup".into(),
        target: "vm:42".into(),
        tenant: Some(format!("organisation:{}", ot.parts().1)),
        source_address: None,
        outcome: thiqa_journal::Outcome::Success,
        attributes: Default::default(),
    };
    let index = s.journal_append(&external).await.unwrap();
    assert_eq!(index, head.size);
    let leaf = s.journal_leaf(index).await.unwrap().unwrap();
    assert_eq!(Event::from_leaf(&leaf.leaf).unwrap(), external);
    assert_eq!(
        (leaf.source.as_str(), leaf.tenant, leaf.event_id),
        ("hv/kvm-07", Some(ot), None)
    );
    assert!(env.verify().await.is_ok());
}

async fn count(env: &Env, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&env.raw)
        .await
        .unwrap()
}

async fn a_rolled_back_transaction_leaves_no_leaf(env: Env) {
    let s = &env.store;
    let (pt, _, op) = setup(s).await;
    // The lockout event fails after the login event and its leaf were
    // written in the same transaction: all of it must go.
    let (install, remove) = match env.backend() {
        Backend::Sqlite => (
            "CREATE TRIGGER refuse_lock BEFORE INSERT ON security_events \
             WHEN NEW.action = 'account.lock' BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
            "DROP TRIGGER refuse_lock",
        ),
        Backend::Postgres => (
            "CREATE FUNCTION refuse_lock() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.action = 'account.lock' THEN RAISE EXCEPTION 'refused by test'; \
             END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_lock BEFORE INSERT ON security_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_lock()",
            "DROP TRIGGER refuse_lock ON security_events",
        ),
    };
    env.exec(install).await;
    let (leaves, events) = (
        count(&env, "journal_leaves").await,
        count(&env, "security_events").await,
    );
    let head = s.journal_head().await.unwrap();
    let account = s.tenant(pt).account(op).await.unwrap();
    let refused = s
        .record_login_failure(&account, 1, &Actor::anonymous("amal", None), "bad")
        .await;
    assert!(refused.is_err());
    assert_eq!(count(&env, "journal_leaves").await, leaves);
    assert_eq!(count(&env, "security_events").await, events);
    assert_eq!(s.journal_head().await.unwrap(), head);

    env.exec(remove).await;
    let account = s.tenant(pt).account(op).await.unwrap();
    s.record_login_failure(&account, 1, &Actor::anonymous("amal", None), "bad")
        .await
        .unwrap();
    assert_eq!(count(&env, "journal_leaves").await, leaves + 2);
    assert_eq!(s.journal_head().await.unwrap().size, head.size + 2);
    assert!(env.verify().await.is_ok());
}

async fn checkpoints_and_proofs_verify(env: Env) {
    let s = &env.store;
    let signer = env.signer();
    // The empty log can be signed too, and the next checkpoint extends it.
    let empty = s.journal_sign_checkpoint(&signer).await.unwrap();
    assert_eq!(empty.size, 0);
    setup(s).await;
    record(s, 20).await;
    let cp1 = s.journal_sign_checkpoint(&signer).await.unwrap();
    assert_eq!(cp1.size, s.journal_head().await.unwrap().size);
    // Nothing new: the same checkpoint, not a second row.
    assert_eq!(s.journal_sign_checkpoint(&signer).await.unwrap(), cp1);
    record(s, 13).await;
    let cp2 = s.journal_sign_checkpoint(&signer).await.unwrap();
    assert_eq!(cp2.size, cp1.size + 13);
    assert_eq!(
        s.journal_latest_checkpoint().await.unwrap(),
        Some(cp2.clone())
    );
    assert_eq!(
        s.journal_checkpoint_at(cp1.size).await.unwrap(),
        Some(cp1.clone())
    );
    assert_eq!(s.journal_checkpoints().await.unwrap().len(), 3);

    let proof = s
        .journal_consistency_proof(cp1.size, cp2.size)
        .await
        .unwrap();
    verify_consistency(cp1.size, cp2.size, &cp1.root, &cp2.root, &proof).unwrap();
    let leaves = all_leaves(s).await;
    for leaf in &leaves {
        for cp in [&cp1, &cp2] {
            if leaf.index < cp.size {
                let path = s
                    .journal_inclusion_proof(leaf.index, cp.size)
                    .await
                    .unwrap();
                verify_inclusion(&leaf.leaf_hash, leaf.index, cp.size, &path, &cp.root).unwrap();
            }
        }
    }
    assert!(s.journal_inclusion_proof(0, cp2.size + 1).await.is_err());

    // The self-contained proof file verifies with the key alone.
    let bundle = s.journal_prove(5, None).await.unwrap();
    assert_eq!(bundle.tree_size, cp2.size);
    let parsed = InclusionBundle::from_json(bundle.to_json().as_bytes()).unwrap();
    assert_eq!(parsed, bundle);
    let ok = parsed.verify(&signer.verifier()).unwrap();
    assert_eq!(
        (ok.origin.as_str(), ok.index, ok.root),
        (ORIGIN, 5, cp2.root)
    );
    assert!(ok.event.is_ok());
    let mut altered = bundle.clone();
    altered.leaf[20] ^= 1;
    assert!(altered.verify(&signer.verifier()).is_err());
    let mut resized = bundle.clone();
    resized.tree_size = cp1.size;
    assert!(resized.verify(&signer.verifier()).is_err());
    let stranger = NoteSigner::from_seed(ORIGIN, &[9; 32]).unwrap();
    assert!(bundle.verify(&stranger.verifier()).is_err());
    let older = s.journal_prove(5, Some(cp1.size)).await.unwrap();
    older.verify(&signer.verifier()).unwrap();
    assert!(matches!(
        s.journal_prove(cp2.size, None).await,
        Err(JournalError::NotCovered { .. })
    ));
    assert!(matches!(
        s.journal_prove(0, Some(7)).await,
        Err(JournalError::NoCheckpoint(7))
    ));

    // Another key cannot continue this log's checkpoints.
    record(s, 1).await;
    assert!(matches!(
        s.journal_sign_checkpoint(&stranger).await,
        Err(JournalError::Sign(_))
    ));
    let report = env.verify().await;
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.report.checkpoints_verified, 3);
    assert_eq!(report.report.verified_prefix, cp2.size);
    // A stranger's checkpoint stored beside ours is reported, not trusted.
    let forged = thiqa_journal::Checkpoint::new(ORIGIN, cp2.size, [7; 32])
        .unwrap()
        .sign(&stranger)
        .unwrap();
    sqlx::query(
        "INSERT INTO journal_checkpoints (size, root, note, created_at_ms) VALUES ($1, $2, $3, 0)",
    )
    .bind(cp2.size as i64)
    .bind(vec![7u8; 32])
    .bind(forged)
    .execute(&env.raw)
    .await
    .unwrap();
    let report = env.verify().await;
    assert!(!report.is_ok());
    assert!(matches!(
        report.report.problems[0],
        Problem::CheckpointRejected { checkpoint: 3, .. }
    ));
}

/// All columns of one leaf row, to put it back after tampering.
async fn take_row(env: &Env, idx: i64) -> Vec<u8> {
    sqlx::query("SELECT leaf FROM journal_leaves WHERE idx = $1")
        .bind(idx)
        .fetch_one(&env.raw)
        .await
        .unwrap()
        .get::<Vec<u8>, _>("leaf")
}

async fn set_leaf(env: &Env, idx: i64, leaf: &[u8]) {
    sqlx::query("UPDATE journal_leaves SET leaf = $1 WHERE idx = $2")
        .bind(leaf.to_vec())
        .bind(idx)
        .execute(&env.raw)
        .await
        .unwrap();
}

async fn move_row(env: &Env, from: i64, to: i64) {
    sqlx::query("UPDATE journal_leaves SET idx = $1 WHERE idx = $2")
        .bind(to)
        .bind(from)
        .execute(&env.raw)
        .await
        .unwrap();
}

async fn assert_first_bad(env: &Env, expected: u64) {
    let v = env.verify().await;
    assert!(!v.is_ok());
    assert_eq!(v.first_bad(), Some(FirstBad::Row(expected)), "{v:?}");
}

async fn verification_names_the_tampered_row(env: Env) {
    let s = &env.store;
    // More than one verification batch, so that batch boundaries and the
    // stored subtrees of later batches are exercised.
    record(s, JOURNAL_VERIFY_BATCH as usize + 300).await;
    s.journal_sign_checkpoint(&env.signer()).await.unwrap();
    let v = env.verify().await;
    assert!(v.is_ok(), "{v:?}");
    assert_eq!(v.report.leaves, JOURNAL_VERIFY_BATCH + 300);

    // One byte of one leaf, in the second batch.
    let i = JOURNAL_VERIFY_BATCH as i64 + 70;
    let original = take_row(&env, i).await;
    let mut altered = original.clone();
    altered[30] ^= 0x20;
    set_leaf(&env, i, &altered).await;
    assert_first_bad(&env, i as u64).await;
    let v = env.verify().await;
    assert!(v
        .report
        .problems
        .contains(&Problem::LeafHashMismatch { index: i as u64 }));
    set_leaf(&env, i, &original).await;
    assert!(env.verify().await.is_ok());

    // A deleted row (moved out of the way, to bring it back after).
    move_row(&env, 100, -100).await;
    assert_first_bad(&env, 100).await;
    move_row(&env, -100, 100).await;
    assert!(env.verify().await.is_ok());

    // Two rows swapped.
    move_row(&env, 10, -1).await;
    move_row(&env, 11, 10).await;
    move_row(&env, -1, 11).await;
    assert_first_bad(&env, 10).await;
    move_row(&env, 10, -1).await;
    move_row(&env, 11, 10).await;
    move_row(&env, -1, 11).await;
    assert!(env.verify().await.is_ok());

    // The last rows, beyond every checkpoint: the head still counts them.
    record(s, 3).await;
    let last = s.journal_head().await.unwrap().size as i64 - 1;
    move_row(&env, last, -5).await;
    assert_first_bad(&env, last as u64).await;
    move_row(&env, -5, last).await;
    assert!(env.verify().await.is_ok());
}

/// Two stores (as two server processes) on one PostgreSQL database, many
/// tasks each, and checkpoints signed meanwhile: one log that verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_postgresql_make_one_log() {
    let env = Env::new(support::postgres().await).await;
    let clock = Arc::new(ManualClock::at_ms(1_780_000_000_000));
    let second = Store::open(&env.location, clock).await.unwrap();
    let signer = env.signer();
    let mut tasks = Vec::new();
    for (n, store) in [env.store.clone(), second.clone()].into_iter().enumerate() {
        for t in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..25 {
                    store
                        .record_event(
                            &Actor::system(),
                            NewEvent::success("test.concurrent")
                                .target(format!("store{n}/task{t}/{i}")),
                        )
                        .await
                        .unwrap();
                }
            }));
        }
    }
    let checkpoints = {
        let store = second.clone();
        let signer = signer.clone();
        tokio::spawn(async move {
            for _ in 0..10 {
                store.journal_sign_checkpoint(&signer).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    for t in tasks {
        t.await.unwrap();
    }
    checkpoints.await.unwrap();
    env.store.journal_sign_checkpoint(&signer).await.unwrap();

    let leaves = all_leaves(&env.store).await;
    assert_eq!(leaves.len(), 400);
    assert_eq!(count(&env, "security_events").await, 400);
    let mut ids: Vec<i64> = leaves.iter().map(|l| l.event_id.unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 400, "each event is in the log once");
    let hashes: Vec<_> = leaves.iter().map(|l| leaf_hash(&l.leaf)).collect();
    assert_eq!(
        env.store.journal_head().await.unwrap().root,
        root_of(&hashes)
    );
    let v = env.verify().await;
    assert!(v.is_ok(), "{v:?}");
    assert_eq!(v.report.leaves, 400);
    assert_eq!(v.report.verified_prefix, 400);
    assert!(v.report.checkpoints_verified >= 2);
}

/// Cost of one event (with its journal leaf): `cargo test -p thiqa-store
/// --test journal --release -- --ignored --nocapture record_event_cost`.
#[tokio::test]
#[ignore = "measurement, prints timings"]
async fn record_event_cost() {
    for (name, env) in [
        ("SQLite", Env::new(support::sqlite().await).await),
        ("PostgreSQL", Env::new(support::postgres().await).await),
    ] {
        let n = 10_000;
        let started = std::time::Instant::now();
        record(&env.store, n).await;
        let elapsed = started.elapsed();
        println!(
            "{name}: {n} record_event in {:.2?}: {:.1} µs each",
            elapsed,
            elapsed.as_secs_f64() * 1e6 / n as f64
        );
        let started = std::time::Instant::now();
        let v = env.verify().await;
        assert!(v.is_ok());
        println!("{name}: verify {n} leaves in {:.2?}", started.elapsed());
    }
}

/// The server runs these in spawned tasks and handlers: they must be `Send`.
#[allow(dead_code)]
fn store_futures_are_send(s: &Store, signer: &NoteSigner, event: &Event) {
    fn send<T: Send>(_: T) {}
    send(s.journal_verify(ORIGIN, &[], &mut |_, _| {}));
    send(s.journal_sign_checkpoint(signer));
    send(s.journal_prove(0, None));
    send(s.journal_inclusion_proof(0, 1));
    send(s.journal_consistency_proof(0, 1));
    send(s.journal_append(event));
    send(s.journal_leaves(0, 10));
}

/// 3.8.6 retention: past it the payload goes, the leaf hash stays; the log
/// still verifies, later proofs still hold, and the purge is journaled.
async fn payloads_past_retention_are_purged_and_the_log_still_verifies(env: Env) {
    use thiqa_domain::Clock;
    for i in 0..5 {
        env.store
            .record_event(
                &Actor::cli(),
                NewEvent::success("test.old").details(format!("old {i}")),
            )
            .await
            .unwrap();
    }
    env.clock.advance_s(400 * 86_400);
    for i in 0..3 {
        env.store
            .record_event(
                &Actor::cli(),
                NewEvent::success("test.new").details(format!("new {i}")),
            )
            .await
            .unwrap();
    }
    env.store
        .journal_sign_checkpoint(&env.signer())
        .await
        .unwrap();
    let cutoff = env.clock.now_ms() - 365 * 86_400_000;
    let purged = env
        .store
        .journal_purge_before(cutoff, &Actor::system())
        .await
        .unwrap();
    assert_eq!(purged, 5);
    let leaves = env.store.journal_leaves(0, 100).await.unwrap();
    assert_eq!(leaves.len(), 9, "8 events and the purge itself");
    assert!(leaves[..5].iter().all(|l| l.leaf.is_empty()));
    assert!(leaves[5..].iter().all(|l| !l.leaf.is_empty()));
    let purge = Event::from_leaf(&leaves[8].leaf).unwrap();
    assert_eq!(purge.action, "journal.purge");
    let report = env.verify().await;
    assert!(report.is_ok(), "{:?}", report.first_bad());
    // A new checkpoint extends the old one; a kept event still proves.
    env.store
        .journal_sign_checkpoint(&env.signer())
        .await
        .unwrap();
    let bundle = env.store.journal_prove(6, None).await.unwrap();
    bundle.verify(&env.signer().verifier()).unwrap();
    let old = env
        .store
        .events(&EventFilter {
            tenant: None,
            action_prefix: Some("test.old".into()),
            limit: 100,
        })
        .await
        .unwrap();
    assert!(old.is_empty(), "the readable copies are gone too");
    // Nothing left to purge: nothing journaled.
    assert_eq!(
        env.store
            .journal_purge_before(cutoff, &Actor::system())
            .await
            .unwrap(),
        0
    );
    assert_eq!(env.store.journal_head().await.unwrap().size, 9);
}

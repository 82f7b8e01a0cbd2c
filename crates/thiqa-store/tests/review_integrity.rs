//! Issue 11, item 14: the columns a journal row copies from its leaf
//! (tenant, times, source, event id) are what exports and searches select
//! by, but only the leaf is signed. Verification names every row whose
//! columns were edited, with the column; readers refuse such a row rather
//! than hand out an event under a tenant or time its leaf does not say.

mod support;

use sqlx::Executor;
use thiqa_domain::Tenant;
use thiqa_journal::{Event, FirstBad, Outcome, Severity, Timestamp};
use thiqa_store::{
    journal_signer, Actor, ColumnProblem, Columns, JournalSearch, LeafQuery, NewEvent,
};

use support::TestStore;

const ORIGIN: &str = "thiqa.test/journal";
const DAY_MS: i64 = 86_400_000;

on_both_backends!(
    verification_names_every_edited_column_with_its_row,
    exports_and_searches_refuse_rows_whose_columns_differ_from_their_leaf,
);

/// Records one event of `tenant`; returns its leaf index.
async fn event(t: &TestStore, tenant: Tenant) -> i64 {
    let e = NewEvent::success("test.event").tenant(tenant).target("t");
    t.store.record_event(&Actor::system(), e).await.unwrap();
    t.store.journal_head().await.unwrap().size as i64 - 1
}

async fn organisations(t: &TestStore) -> (Tenant, Tenant) {
    let p = t
        .store
        .create_provider("P", &Actor::system())
        .await
        .unwrap();
    let a = t
        .store
        .provider(p)
        .create_organisation("A", false, &Actor::system())
        .await
        .unwrap();
    let b = t
        .store
        .provider(p)
        .create_organisation("B", false, &Actor::system())
        .await
        .unwrap();
    (Tenant::Organisation(a), Tenant::Organisation(b))
}

fn id(t: Tenant) -> i64 {
    t.parts().1
}

async fn verification_names_every_edited_column_with_its_row(t: TestStore) {
    let (a, b) = organisations(&t).await;
    let mut rows = Vec::new();
    for _ in 0..7 {
        rows.push(event(&t, a).await);
    }
    // An event from another source than Thiqa (no event id).
    let at = Timestamp::from_unix_millis(1_780_000_000_000).unwrap();
    let external = Event {
        event_time: at,
        received_time: at,
        source: "hv/kvm-07".into(),
        action: "vm.delete".into(),
        severity: Severity::Notice,
        actor: "svc".into(),
        target: "vm:1".into(),
        tenant: Some(format!("organisation:{}", id(a))),
        source_address: None,
        outcome: Outcome::Success,
        attributes: [("event_id".to_string(), "7".to_string())].into(),
    };
    let ext = t.store.journal_append(&external).await.unwrap() as i64;
    let signer = journal_signer(t.dir.path(), ORIGIN).unwrap();
    t.store.journal_sign_checkpoint(&signer).await.unwrap();
    let verify = || async {
        t.store
            .journal_verify(ORIGIN, &[signer.verifier()], &mut |_, _| {})
            .await
            .unwrap()
    };
    let v = verify().await;
    assert!(v.is_ok(), "{:?}", v.column_problems);

    let raw = t.raw_pool().await;
    let edits = [
        (
            rows[0],
            format!("tenant_id = {}", id(b)),
            Columns::TENANT_ID,
        ),
        (
            rows[1],
            format!("event_time_ms = event_time_ms - {DAY_MS}"),
            Columns::EVENT_TIME,
        ),
        (
            rows[2],
            "received_time_ms = received_time_ms + 1".into(),
            Columns::RECEIVED_TIME,
        ),
        (
            rows[3],
            "tenant_kind = 'provider'".into(),
            Columns::TENANT_KIND,
        ),
        (rows[4], "source = 'fw/edge-01'".into(), Columns::SOURCE),
        (rows[5], "event_id = event_id + 1".into(), Columns::EVENT_ID),
        (ext, "event_id = 7".into(), Columns::EVENT_ID),
    ];
    for (row, set, _) in &edits {
        raw.execute(format!("UPDATE journal_leaves SET {set} WHERE idx = {row}").as_str())
            .await
            .unwrap();
    }
    raw.execute(
        format!(
            "UPDATE journal_leaves SET tenant_kind = NULL, tenant_id = NULL WHERE idx = {}",
            rows[6]
        )
        .as_str(),
    )
    .await
    .unwrap();

    let v = verify().await;
    assert!(!v.is_ok());
    // The leaves, hashes and chain are untouched: only the column check
    // sees these edits.
    assert!(v.report.problems.is_empty(), "{:?}", v.report.problems);
    let mut expected: Vec<ColumnProblem> = edits
        .iter()
        .map(|(row, _, columns)| ColumnProblem {
            index: *row as u64,
            columns: *columns,
        })
        .collect();
    expected.push(ColumnProblem {
        index: rows[6] as u64,
        columns: Columns::TENANT_KIND.union(Columns::TENANT_ID),
    });
    expected.sort_by_key(|p| p.index);
    assert_eq!(v.column_problems, expected);
    assert_eq!(v.first_bad(), Some(FirstBad::Row(rows[0] as u64)));
    assert_eq!(
        v.column_problems[0].to_string(),
        format!(
            "row {}: column tenant_id differs from the leaf (altered after the append: exports and searches by tenant or time would miss or misfile this event)",
            rows[0]
        )
    );
}

async fn exports_and_searches_refuse_rows_whose_columns_differ_from_their_leaf(t: TestStore) {
    let (a, b) = organisations(&t).await;
    let old = event(&t, a).await;
    t.clock.advance_s(10 * 86_400);
    let now = t.store.clock().now_ms();
    let mine: Vec<i64> = [event(&t, a).await, event(&t, a).await].into();
    let theirs = event(&t, b).await;
    let page = |tenant: Tenant| LeafQuery {
        tenant: Some(tenant),
        from_ms: now - DAY_MS,
        to_ms: now + DAY_MS,
        after: None,
        limit: 100,
    };
    let search = |tenant: Tenant| JournalSearch {
        tenant: Some(tenant),
        from_ms: now - DAY_MS,
        to_ms: now + DAY_MS,
        ..JournalSearch::default()
    };
    let indexes = |leaves: Vec<thiqa_store::JournalLeaf>| {
        leaves.iter().map(|l| l.index as i64).collect::<Vec<_>>()
    };
    assert_eq!(
        indexes(t.store.journal_leaves_matching(&page(a)).await.unwrap()),
        mine
    );
    assert_eq!(
        t.store.journal_search(&search(a)).await.unwrap().hits.len(),
        2
    );

    let raw = t.raw_pool().await;
    // Another commanditaire's event filed under A's tenant column.
    raw.execute(
        format!(
            "UPDATE journal_leaves SET tenant_id = {} WHERE idx = {theirs}",
            id(a)
        )
        .as_str(),
    )
    .await
    .unwrap();
    let refused = t
        .store
        .journal_leaves_matching(&page(a))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains(&format!("row {theirs}: column tenant_id differs")),
        "{refused}"
    );
    let refused = t
        .store
        .journal_search(&search(a))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains(&format!("row {theirs}: column tenant_id differs")),
        "{refused}"
    );
    raw.execute(
        format!(
            "UPDATE journal_leaves SET tenant_id = {} WHERE idx = {theirs}",
            id(b)
        )
        .as_str(),
    )
    .await
    .unwrap();
    assert_eq!(
        indexes(t.store.journal_leaves_matching(&page(a)).await.unwrap()),
        mine
    );

    // An event of ten days ago moved into the exported days.
    raw.execute(
        format!("UPDATE journal_leaves SET event_time_ms = {now} WHERE idx = {old}").as_str(),
    )
    .await
    .unwrap();
    let refused = t
        .store
        .journal_leaves_matching(&page(a))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains(&format!("row {old}: column event_time_ms differs")),
        "{refused}"
    );
    let refused = t
        .store
        .journal_search(&search(a))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains(&format!("row {old}: column event_time_ms differs")),
        "{refused}"
    );
}

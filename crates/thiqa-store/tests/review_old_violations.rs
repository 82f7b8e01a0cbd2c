//! A violation already in the data (a database from before the rules were
//! enforced in every path) blocks no unrelated rights change, and no change
//! may add a new one. On SQLite and PostgreSQL.

mod support;

use sqlx::Executor;
use support::TestStore;
use thiqa_domain::{Permission, Tenant};
use thiqa_store::{Actor, AssignmentError};

on_both_backends!(an_old_violation_blocks_no_other_change_and_none_is_added,);

async fn an_old_violation_blocks_no_other_change_and_none_is_added(ts: TestStore) {
    let s = &ts.store;
    let cli = Actor::cli();
    let tenant = Tenant::Provider(s.create_provider("Atlas Cloud", &cli).await.unwrap());
    let edit = s
        .tenant(tenant)
        .create_role("Édition", "", &[Permission::AssessmentEdit], false, &cli)
        .await
        .unwrap();
    let validate = s
        .tenant(tenant)
        .create_role(
            "Validation",
            "",
            &[Permission::AssessmentValidate],
            false,
            &cli,
        )
        .await
        .unwrap();
    s.tenant(tenant)
        .add_incompatible_pair(
            Permission::AssessmentEdit,
            Permission::AssessmentValidate,
            "four eyes on the assessment",
            &cli,
        )
        .await
        .unwrap();
    let old = ts.operator(tenant, "ancien").await;
    let other = ts.operator(tenant, "nouvelle").await;
    s.tenant(tenant).assign_role(old, edit, &cli).await.unwrap();
    // The data an older version left: both sides held, written directly.
    ts.raw_pool()
        .await
        .execute(
            sqlx::query(
                "INSERT INTO operator_role_assignments (user_id, role_id, scope, granted_by, granted_at) \
                 VALUES ($1, $2, '*', 'old version', 0)",
            )
            .bind(old)
            .bind(validate.0),
        )
        .await
        .unwrap();
    // An unrelated change goes through…
    s.tenant(tenant)
        .assign_role(other, edit, &cli)
        .await
        .unwrap();
    // …the revocation that mends the old violation too…
    s.tenant(tenant)
        .revoke_role(old, validate, &cli)
        .await
        .unwrap();
    // …and a change that adds a violation is still refused.
    let refused = s.tenant(tenant).assign_role(other, validate, &cli).await;
    assert!(
        matches!(refused, Err(AssignmentError::Separation(_))),
        "{refused:?}"
    );
}

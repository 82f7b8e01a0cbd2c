//! Periodic evaluation of the correlation rules (référentiel 3.8.9): every
//! `alerts.interval_seconds` (60 by default) the journal's new events are
//! evaluated against the rules of `alerts.rules_file` (or the shipped ones)
//! and alerts are raised for the console's `/alerts` page. Several
//! instances may run this loop on one PostgreSQL database: each leaf is
//! evaluated once (see `thiqa_store` alerts).

use std::time::Duration;

use thiqa_store::{AlertRun, RuleSet, StoreError};

use crate::state::AppState;

/// Evaluates the rules until the journal's end; returns the total.
pub async fn evaluate_now(app: &AppState, rules: &RuleSet) -> Result<AlertRun, StoreError> {
    let mut total = AlertRun::default();
    loop {
        let run = app
            .store
            .evaluate_alert_rules(rules, app.store.clock().now_ms())
            .await?;
        total.evaluated += run.evaluated;
        total.raised.extend(run.raised);
        total.next_leaf = run.next_leaf;
        if run.caught_up {
            total.caught_up = true;
            return Ok(total);
        }
    }
}

/// Runs forever: spawn it beside the listeners
/// (`tokio::spawn(thiqa_server::alerting::alert_loop(app.clone()))`).
/// The rules are read once, at start (the configuration already checked
/// that they load).
pub async fn alert_loop(app: AppState) {
    let rules = match app.config.alerts.rules() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "alert rules do not load: no alerts will be raised");
            return;
        }
    };
    tracing::info!(
        rules = rules.rules.len(),
        every_seconds = app.config.alerts.interval_seconds,
        "alert rules loaded"
    );
    let period = Duration::from_secs(app.config.alerts.interval_seconds.max(1));
    let mut ticks = crate::background::ClaimedTicks::new(&app, "alerts.evaluate", period);
    loop {
        ticks.next_claimed().await;
        match evaluate_now(&app, &rules).await {
            Ok(run) if !run.raised.is_empty() => tracing::warn!(
                raised = run.raised.len(),
                evaluated = run.evaluated,
                "security alerts raised"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "evaluating alert rules"),
        }
    }
}

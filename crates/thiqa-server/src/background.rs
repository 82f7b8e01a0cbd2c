//! The work every `thiqa serve` runs beside its listeners: signing journal
//! checkpoints, evaluating alert rules, housekeeping. Several instances may
//! share one PostgreSQL; each tick, an instance runs a job only after
//! claiming its interval in the database (`Store::claim_job`), so each job
//! runs once per interval across all of them.

use std::time::Duration;

use thiqa_store::instance_name;

use crate::state::AppState;

/// The ticks of a job's loop on which this instance holds the interval:
/// `loop { ticks.next_claimed().await; run the job }`.
pub struct ClaimedTicks {
    app: AppState,
    name: &'static str,
    period_ms: i64,
    instance: String,
    tick: tokio::time::Interval,
}

impl ClaimedTicks {
    pub fn new(app: &AppState, name: &'static str, period: Duration) -> ClaimedTicks {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ClaimedTicks {
            app: app.clone(),
            name,
            period_ms: i64::try_from(period.as_millis()).unwrap_or(i64::MAX),
            instance: instance_name(),
            tick,
        }
    }

    /// Waits for the next tick this instance claims. A claim that cannot be
    /// made (the database is unreachable) skips the tick with a warning.
    pub async fn next_claimed(&mut self) {
        loop {
            self.tick.tick().await;
            match self
                .app
                .store
                .claim_job(self.name, self.period_ms, &self.instance)
                .await
            {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(job = self.name, error = %e, "cannot claim a background job")
                }
            }
        }
    }
}

/// Hourly: rate-limit counters past a day, journal payloads past retention.
pub async fn housekeeping_loop(app: AppState) {
    let retention_days = app.config.journal.retention_days;
    let mut ticks = ClaimedTicks::new(&app, "housekeeping", Duration::from_secs(3600));
    loop {
        ticks.next_claimed().await;
        let store = &app.store;
        if let Err(e) = store.purge_rate_limits(86_400).await {
            tracing::warn!(error = %e, "purging rate-limit counters");
        }
        let cutoff = store.clock().now_ms() - i64::from(retention_days) * 86_400_000;
        match store
            .journal_purge_before(cutoff, &thiqa_store::Actor::system())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "journal payloads past retention purged"),
            Err(e) => tracing::warn!(error = %e, "purging journal payloads past retention"),
        }
    }
}

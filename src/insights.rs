//! The daily job: a durable timer of owner kind [`OPS_TIMERS`] (the
//! server's own), due at every UTC midnight. When it fires it makes sure
//! the analytics partitions ahead exist, computes the insights of the day
//! that just ended ([`dianabot_persistence::insights::insights`]), stores
//! them, sends the operators a short summary (once per day, recorded; none
//! for a day with nothing to report), and
//! sets itself for the next midnight — before it reports the firing
//! handled, so the timer service's removal of the fired row leaves the
//! moved one alone. A server down over midnight runs it on start; down for
//! days, it runs once for the last day ended and carries on from there.

use std::sync::Arc;

use dianabot_actors::{Fired, Router, TimerFailure, TimerTarget};
use dianabot_persistence::insights::{self, InsightSettings};
use dianabot_persistence::reports::{DAY, Period};
use dianabot_persistence::{DAILY, OPS_TIMERS, Store, StoredTimer};
use dianabot_plumbing::Clock;

use crate::alerts::Recipients;
use crate::telegram::screens::alerts as screens;

/// The daily timer due at the first midnight after `now`.
fn next_midnight(now: i64) -> StoredTimer {
    StoredTimer {
        owner_kind: OPS_TIMERS.to_owned(),
        owner_id: 0,
        name: DAILY.to_owned(),
        due: (now.div_euclid(DAY) + 1) * DAY,
    }
}

/// Sets the daily timer unless it is set (at startup).
pub async fn arm(store: &Store, clock: &Clock) -> Result<(), dianabot_persistence::StoreError> {
    store.ensure_timer(&next_midnight(clock.now())).await
}

/// The target of the daily timer.
pub fn target(
    store: Store,
    router: Router,
    clock: Clock,
    settings: InsightSettings,
    recipients: Recipients,
) -> Arc<dyn TimerTarget> {
    let job = Arc::new(Daily { store, router, clock, settings, recipients });
    Arc::new(move |timer: StoredTimer| -> Fired {
        let job = job.clone();
        Box::pin(async move { job.run(timer).await })
    })
}

struct Daily {
    store: Store,
    router: Router,
    clock: Clock,
    settings: InsightSettings,
    recipients: Recipients,
}

impl Daily {
    async fn run(&self, timer: StoredTimer) -> Result<(), TimerFailure> {
        if timer.name != DAILY {
            return Err(TimerFailure::Permanent(format!("unknown ops timer {:?}", timer.name)));
        }
        let transient = |what: &str, err: &dyn std::fmt::Display| TimerFailure::Transient(format!("{what}: {err}"));
        let now = self.clock.now();
        let created = self.store.ensure_analytics_partitions(now).await.map_err(|err| transient("partitions", &err))?;
        if !created.is_empty() {
            tracing::info!(?created, "analytics partitions created");
        }
        // The last day that ended: the timer's, or after a long stop the
        // one before today (the days between are not looked at).
        let day = now.div_euclid(DAY) - 1;
        let fragments = crate::reports::scope(&self.router.content(), Period::last_days(now, 1)).fragments;
        let found = insights::insights(&self.store, &fragments, day, &self.settings)
            .await
            .map_err(|err| transient("computing insights", &err))?;
        self.store.save_insights(&found, now).await.map_err(|err| transient("storing insights", &err))?;
        tracing::info!(day, stops = found.stops.len(), vips = found.vips_at_risk.len(), "daily insights computed");
        // A day with nothing to report is no message: a daily "nothing" is noise.
        if !found.is_empty()
            && self
                .store
                .mark_insights_summarised(day, now)
                .await
                .map_err(|err| transient("recording the summary", &err))?
        {
            self.recipients.send(|language| screens::summary(language, &found)).await;
        }
        self.store.set_timer(&next_midnight(now)).await.map_err(|err| transient("setting tomorrow's run", &err))?;
        Ok(())
    }
}

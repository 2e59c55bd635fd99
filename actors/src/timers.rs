//! The timer service: durable timers (Orleans "reminders") delivered when
//! due. One task polls the `timers` table by the game [`Clock`], hands each
//! due timer to the target registered for its owner kind — a user's actor
//! through the binary's intake, a scheduled post's publisher, … — and,
//! once the target reports it handled, removes the row if it is still due
//! at that time (a user's decision has usually removed it already, in the
//! commit of its effect).
//!
//! Delivery is at least once: a crash between the effect and the removal
//! delivers again after restart, so targets are idempotent by timer (a
//! user's rules compare the firing's due time with the state; other
//! targets key their effect by owner and due time). Transient failures
//! are retried with backoff; a target that says it can never handle a
//! timer (an owner that does not exist) has the row dropped and counted.
//!
//! Nothing is kept in memory but the timers being handled: the table is
//! the schedule, so timers survive restarts and `kill -9`, and a second
//! node would see the same rows.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dianabot_game::{Command, Timer, TimerName, UserId, UserState};
use dianabot_persistence::{Store, StoredTimer};
use dianabot_plumbing::{Backoff, Clock};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::message::{DispatchError, Envelope, Outcome};
use crate::router::Router;

dianabot_plumbing::metrics! {
    /// The timer service's work, for `/metrics`.
    pub struct TimerStats {
        /// Timers due and not yet handled, at the last poll.
        gauge due => "dianabot_timers_due",
        /// Timers being handled right now.
        gauge in_flight => "dianabot_timers_in_flight",
        /// Seconds the oldest due timer has waited past its due time, at the last poll.
        gauge oldest_due_age => "dianabot_timers_oldest_due_age_seconds",
        /// Polls of the table.
        counter polls => "dianabot_timers_polls_total",
        /// Timers handled.
        counter fired => "dianabot_timers_fired_total",
        /// Timers handled later than the lateness threshold after their due time.
        counter late => "dianabot_timers_late_total",
        /// Attempts that failed for a reason worth retrying.
        counter retried => "dianabot_timers_retried_total",
        /// Timers dropped: their target can never handle them.
        counter dropped => "dianabot_timers_dropped_total",
        /// Due timers of an owner kind nothing handles (a newer release's), at the last poll.
        gauge unroutable => "dianabot_timers_unroutable",
    }
}

/// Why a target did not handle a timer.
#[derive(Debug, thiserror::Error)]
pub enum TimerFailure {
    /// Worth trying again later: the store, an actor, Telegram.
    #[error("transient: {0}")]
    Transient(String),
    /// It will never succeed (its owner does not exist); the row is dropped.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// The future a [`TimerTarget`] returns: `Ok` once the timer is handled.
pub type Fired = Pin<Box<dyn Future<Output = Result<(), TimerFailure>> + Send>>;

/// What handles the due timers of one owner kind. `Ok` means handled and
/// durable: the service then removes the row.
pub trait TimerTarget: Send + Sync + 'static {
    fn fire(&self, timer: StoredTimer) -> Fired;
}

impl<F> TimerTarget for F
where
    F: Fn(StoredTimer) -> Fired + Send + Sync + 'static,
{
    fn fire(&self, timer: StoredTimer) -> Fired {
        self(timer)
    }
}

#[derive(Debug, Clone)]
pub struct TimerConfig {
    /// How often the table is polled; [`TimerService::poke`] polls at once.
    pub poll_interval: Duration,
    /// Timers handled at once.
    pub max_in_flight: usize,
    /// Rows read per query.
    pub page: u32,
    /// A timer handled later than this after its due time counts as late.
    pub late_after: Duration,
    /// Between attempts at a timer whose target failed transiently.
    pub retry: Backoff,
    // cluster
    /// Clustering on: fire only the timers of shards this node serves.
    pub ownership: Option<Arc<dianabot_plumbing::shards::Ownership>>,
}

impl Default for TimerConfig {
    fn default() -> TimerConfig {
        TimerConfig {
            poll_interval: Duration::from_secs(1),
            max_in_flight: 64,
            page: 256,
            late_after: Duration::from_secs(5),
            retry: Backoff::new(Duration::from_secs(1), Duration::from_secs(60)),
            ownership: None,
        }
    }
}

/// The running service; dropping it does not stop it, [`TimerService::stop`] does.
pub struct TimerService {
    stats: Arc<TimerStats>,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl TimerService {
    /// Starts polling on the current tokio runtime. `targets` maps an owner
    /// kind (`dianabot_persistence::USER_TIMERS`, …) to its handler.
    pub fn start(
        store: Store,
        clock: Clock,
        config: TimerConfig,
        targets: BTreeMap<String, Arc<dyn TimerTarget>>,
    ) -> TimerService {
        let stats = Arc::new(TimerStats::default());
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let poller = Poller {
            store,
            clock,
            slots: Arc::new(Semaphore::new(config.max_in_flight)),
            config,
            targets,
            stats: stats.clone(),
            handling: Arc::new(Mutex::new(HashMap::new())),
        };
        let task = tokio::spawn(poller.run(wake.clone(), stopped));
        TimerService { stats, wake, stop, task }
    }

    pub fn stats(&self) -> Arc<TimerStats> {
        self.stats.clone()
    }

    /// Polls now rather than at the next interval (after the clock moved).
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// A handle that pokes the service, for whoever moves the clock.
    pub fn poker(&self) -> TimerPoker {
        TimerPoker(self.wake.clone())
    }

    /// Stops polling and waits for the timers being handled.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.wake.notify_one();
        if let Err(err) = self.task.await {
            tracing::error!(%err, "timer service task failed");
        }
    }
}

/// Pokes a [`TimerService`]: polls at once. Cheap to clone.
#[derive(Clone)]
pub struct TimerPoker(Arc<Notify>);

impl TimerPoker {
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

/// A timer being handled, or waiting to be retried.
#[derive(Debug, Clone)]
enum Handling {
    Running,
    /// Handled and removed: skipped until the next poll starts, so a page
    /// read before the removal committed does not deliver it again.
    Done,
    /// Failed transiently: not before `at`.
    Retry {
        at: Instant,
        backoff: Backoff,
    },
}

type Handlings = Arc<Mutex<HashMap<StoredTimer, Handling>>>;

struct Poller {
    store: Store,
    clock: Clock,
    config: TimerConfig,
    targets: BTreeMap<String, Arc<dyn TimerTarget>>,
    stats: Arc<TimerStats>,
    slots: Arc<Semaphore>,
    handling: Handlings,
}

impl Poller {
    async fn run(self, wake: Arc<Notify>, mut stopped: watch::Receiver<bool>) {
        let mut firings = JoinSet::new();
        while !*stopped.borrow() {
            if let Err(err) = self.poll(&mut firings).await {
                tracing::warn!(%err, "polling due timers failed; the next poll retries");
            }
            // Reap what finished, so the set does not grow.
            while firings.try_join_next().is_some() {}
            tokio::select! {
                () = tokio::time::sleep(self.config.poll_interval) => {}
                () = wake.notified() => {}
                _ = stopped.changed() => {}
            }
        }
        while firings.join_next().await.is_some() {}
    }

    async fn poll(&self, firings: &mut JoinSet<()>) -> Result<(), dianabot_persistence::StoreError> {
        lock(&self.handling).retain(|_, handling| !matches!(handling, Handling::Done));
        let now = self.clock.now();
        let due = self.store.count_due_timers(now).await?;
        self.stats.due.store(due, Ordering::Relaxed);
        let (mut after, mut unroutable, mut oldest) = (None::<StoredTimer>, 0, None);
        loop {
            let page = self.store.due_timers(now, after.as_ref(), self.config.page).await?;
            oldest = oldest.or(page.first().map(|timer| timer.due));
            for timer in &page {
                let Some(target) = self.targets.get(&timer.owner_kind) else {
                    unroutable += 1;
                    continue;
                };
                // cluster: a user's timer is fired by the node serving the
                // user's shard; every other owner's (the daily ops job,
                // board resets, scheduled posts) by the node serving
                // `SINGLETON_SHARD`. A timer of a shard served elsewhere
                // stays in the table for its owner.
                if let Some(ownership) = &self.config.ownership {
                    let shard = match timer.owner_kind.as_str() {
                        dianabot_persistence::USER_TIMERS => ownership.shard_of(timer.owner_id),
                        _ => dianabot_plumbing::shards::SINGLETON_SHARD,
                    };
                    if !ownership.owns(shard) {
                        continue;
                    }
                }
                let Some(backoff) = self.claim(timer) else { continue };
                // Bounded: wait for a slot rather than run ahead.
                let Ok(slot) = self.slots.clone().acquire_owned().await else { return Ok(()) };
                let firing = Firing {
                    timer: timer.clone(),
                    target: target.clone(),
                    store: self.store.clone(),
                    clock: self.clock.clone(),
                    stats: self.stats.clone(),
                    handling: self.handling.clone(),
                    late_after: self.config.late_after,
                    backoff,
                };
                firings.spawn(async move {
                    firing.run().await;
                    drop(slot);
                });
            }
            if page.len() < self.config.page as usize {
                break;
            }
            after = page.last().cloned();
        }
        self.stats.unroutable.store(unroutable, Ordering::Relaxed);
        self.stats.polls.fetch_add(1, Ordering::Relaxed);
        let age = oldest.map_or(0, |due| now.saturating_sub(due));
        self.stats.oldest_due_age.store(u64::try_from(age).unwrap_or_default(), Ordering::Relaxed);
        Ok(())
    }

    /// Marks `timer` as being handled and returns the backoff for its next
    /// retry, unless it is being handled already or its retry is not due.
    fn claim(&self, timer: &StoredTimer) -> Option<Backoff> {
        let mut handling = lock(&self.handling);
        let backoff = match handling.get(timer) {
            None => self.config.retry.clone(),
            Some(Handling::Retry { at, backoff }) if *at <= Instant::now() => backoff.clone(),
            Some(_) => return None,
        };
        handling.insert(timer.clone(), Handling::Running);
        Some(backoff)
    }
}

/// One delivery of one timer.
struct Firing {
    timer: StoredTimer,
    target: Arc<dyn TimerTarget>,
    store: Store,
    clock: Clock,
    stats: Arc<TimerStats>,
    handling: Handlings,
    late_after: Duration,
    backoff: Backoff,
}

impl Firing {
    async fn run(mut self) {
        let span = tracing::info_span!(
            "timer",
            owner_kind = %self.timer.owner_kind,
            owner_id = self.timer.owner_id,
            name = %self.timer.name,
            due = self.timer.due,
        );
        async move {
            self.stats.in_flight.fetch_add(1, Ordering::Relaxed);
            let outcome = self.target.fire(self.timer.clone()).await;
            let next = match outcome {
                Ok(()) => {
                    self.count_fired();
                    self.remove().await
                }
                Err(TimerFailure::Permanent(reason)) => {
                    tracing::error!(%reason, "timer dropped: its target can never handle it");
                    self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                    self.remove().await
                }
                Err(TimerFailure::Transient(reason)) => {
                    self.stats.retried.fetch_add(1, Ordering::Relaxed);
                    let wait = self.backoff.advance();
                    tracing::warn!(%reason, retry_in = ?wait, "timer not handled; retrying");
                    Handling::Retry { at: Instant::now() + wait, backoff: self.backoff.clone() }
                }
            };
            lock(&self.handling).insert(self.timer.clone(), next);
            self.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
        }
        .instrument(span)
        .await
    }

    /// Removes the row, unless it was moved meanwhile. A failed removal
    /// leaves the row to be delivered again: targets are idempotent by
    /// timer.
    async fn remove(&self) -> Handling {
        match self.store.clear_timer(&self.timer).await {
            Ok(_) => Handling::Done,
            Err(err) => {
                tracing::warn!(%err, "removing a handled timer failed; it will be delivered again");
                Handling::Retry { at: Instant::now(), backoff: self.backoff.clone() }
            }
        }
    }

    fn count_fired(&self) {
        self.stats.fired.fetch_add(1, Ordering::Relaxed);
        let lateness = self.clock.now().saturating_sub(self.timer.due);
        if lateness > i64::try_from(self.late_after.as_secs()).unwrap_or(i64::MAX) {
            self.stats.late.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Which user and which of their timers a row of the user owner kind is;
/// a name this build does not know (a newer release's) can never be handled.
pub fn user_timer(stored: &StoredTimer) -> Result<(UserId, Timer), TimerFailure> {
    let name = TimerName::parse(&stored.name)
        .ok_or_else(|| TimerFailure::Permanent(format!("unknown user timer {:?}", stored.name)))?;
    Ok((UserId(stored.owner_id), Timer { name, due: stored.due }))
}

impl From<DispatchError> for TimerFailure {
    fn from(err: DispatchError) -> TimerFailure {
        match err {
            DispatchError::Rejected => TimerFailure::Permanent(err.to_string()),
            DispatchError::ShuttingDown
            | DispatchError::ActorCrashed
            | DispatchError::Quarantined
            | DispatchError::NotDurable
            | DispatchError::NotOwned
            | DispatchError::Fenced
            | DispatchError::Unreachable => TimerFailure::Transient(err.to_string()),
        }
    }
}

/// Delivers a user's due timer to their actor as [`Command::Timer`] and
/// waits until the decision (which clears it) is durable; `render` sees
/// the outcome, as for any update. A refusal (the user is unknown) is
/// handled too: nothing can change it.
pub async fn fire_user_timer<T, F>(router: &Router, stored: &StoredTimer, render: F) -> Result<T, TimerFailure>
where
    T: Send + 'static,
    F: FnOnce(&UserState, Outcome<'_>) -> T + Send + 'static,
{
    let (user_id, timer) = user_timer(stored)?;
    let envelope = Envelope { user_id, update_id: None, command: Command::Timer(timer) };
    let dispatched = router.dispatch(envelope, render).await?;
    dispatched.durable.wait().await?;
    Ok(dispatched.reply)
}

/// The target for user timers when nothing needs to be said or done
/// beyond the decision (tests; tools).
pub fn silent_user_timers(router: Router) -> Arc<dyn TimerTarget> {
    Arc::new(move |stored: StoredTimer| -> Fired {
        let router = router.clone();
        Box::pin(async move { fire_user_timer(&router, &stored, |_, _| ()).await })
    })
}

//! Alerts to operators on Telegram. One task (started by `App::build`)
//! checks every `ALERT_CHECK_SECS` what the server measures of itself —
//! the p95 of each operation over the last `ALERT_WINDOW_SECS` (from the
//! actors' own histograms, differenced, so it comes down again), updates
//! that failed per minute (dead letters, not durable), the flusher's lag,
//! Stars payments gone wrong in the last hour, today's besitos inflation —
//! against the thresholds of [`AlertSettings`], and hands the readings to
//! the [`rules::Book`]: a rule that starts firing is one message to the
//! operators, nothing more while it lasts, a resolve message when it
//! clears. The firing state is written through (`alert_states`) before
//! anyone is told, so a restart while a rule fires does not alert again
//! (a crash between the write and the send loses that one message rather
//! than sending it twice; a write that fails is retried at the next check
//! and does not hold the message back). `/alerts` shows the rules and
//! what fires.

pub mod rules;

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dianabot_actors::Router;
use dianabot_game::Language;
use dianabot_game::content::Permission;
use dianabot_persistence::reports::{self, Period, Scope, Value, operations};
use dianabot_persistence::{AlertState, Flusher, Store};
use dianabot_plumbing::Clock;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::operators::Roster;
use crate::telegram::screens::alerts as screens;
use crate::telegram::{IntakeStats, Outbound, OutboundRequest, Priority};
use rules::{Book, Measure, Policy, Reading};

/// The rules' thresholds and the engine's pace (`ALERT_*`, see `config.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    pub check_every: Duration,
    /// The recent past the p95 and the error rate are measured over.
    pub window: Duration,
    pub p95_ms: f64,
    /// Operations of a kind needed in the window before its p95 counts.
    pub p95_min_samples: u64,
    pub errors_per_min: f64,
    pub flusher_lag_secs: f64,
    pub failed_payments_per_hour: f64,
    pub inflation_pct: f64,
    pub policy: Policy,
    /// Where alerts go instead of each operator's private chat.
    pub chat: Option<i64>,
}

impl Default for AlertSettings {
    fn default() -> AlertSettings {
        AlertSettings {
            check_every: Duration::from_secs(60),
            window: Duration::from_secs(300),
            p95_ms: 2_000.0,
            p95_min_samples: 5,
            errors_per_min: 5.0,
            flusher_lag_secs: 30.0,
            failed_payments_per_hour: 3.0,
            inflation_pct: 5.0,
            policy: Policy { clear_checks: 3, max_per_hour: 20 },
            chat: None,
        }
    }
}

/// A rule by its stable name, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The p95 of one kind of operation (`Command::kind`, `view`).
    P95(String),
    Errors,
    FlusherLag,
    FailedPayments,
    Inflation,
}

impl Rule {
    pub fn name(&self) -> String {
        match self {
            Rule::P95(kind) => format!("p95:{kind}"),
            Rule::Errors => "errors".to_owned(),
            Rule::FlusherLag => "flusher_lag".to_owned(),
            Rule::FailedPayments => "failed_payments".to_owned(),
            Rule::Inflation => "inflation".to_owned(),
        }
    }

    pub fn parse(name: &str) -> Option<Rule> {
        match name {
            "errors" => Some(Rule::Errors),
            "flusher_lag" => Some(Rule::FlusherLag),
            "failed_payments" => Some(Rule::FailedPayments),
            "inflation" => Some(Rule::Inflation),
            _ => name.strip_prefix("p95:").map(|kind| Rule::P95(kind.to_owned())),
        }
    }
}

dianabot_plumbing::metrics! {
    /// The alert engine's work, for `/metrics`.
    pub struct AlertStats {
        /// Checks of the alert rules.
        counter checks => "dianabot_alert_checks_total",
        /// Alert rules firing at the last check.
        gauge firing => "dianabot_alerts_firing",
        /// Alert messages sent (fired, resolved, summaries), per operator chat.
        counter sent => "dianabot_alert_messages_total",
        /// Alert notices held back by ALERT_MAX_PER_HOUR (summarised later).
        counter suppressed => "dianabot_alert_notices_suppressed_total",
        /// Checks whose state could not be written (retried at the next check).
        counter failed => "dianabot_alert_check_failures_total",
    }
}

/// The operators that alerts and the daily summary are for: the
/// configured chat, or every owner and holder of the analytics permission,
/// each in their language.
#[derive(Clone)]
pub struct Recipients {
    pub roster: Arc<Roster>,
    pub chat: Option<i64>,
    pub store: Store,
    pub outbound: Outbound,
}

impl Recipients {
    /// Sends `render(language)` to each recipient. Never dropped by the
    /// outbound bounds: an alert lost to a queue would be silence.
    pub async fn send(&self, render: impl Fn(Language) -> String) -> u64 {
        let chats: Vec<(i64, Language)> = match self.chat {
            Some(chat) => vec![(chat, Language::default())],
            None => {
                let mut chats = Vec::new();
                for user in self.roster.holders(Permission::Analytics) {
                    let language = self.store.user_language(user).await.ok().flatten().unwrap_or_default();
                    chats.push((user.0, language));
                }
                chats
            }
        };
        for (chat_id, language) in &chats {
            let text = render(*language);
            self.outbound.submit(OutboundRequest::Send {
                chat_id: *chat_id,
                text,
                keyboard: None,
                priority: Priority::Receipt,
            });
        }
        chats.len() as u64
    }
}

/// What the engine reads.
pub struct Sources {
    pub router: Router,
    pub flusher: Flusher,
    pub intake: Arc<IntakeStats>,
    pub store: Store,
    pub clock: Clock,
}

/// The alert engine as `/alerts` sees it. Cheap to clone.
#[derive(Clone)]
pub struct Alerts {
    settings: Arc<AlertSettings>,
    book: Arc<Mutex<Book>>,
    stats: Arc<AlertStats>,
}

/// A rule as `/alerts` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleStatus {
    pub rule: Rule,
    pub threshold: f64,
    /// The last measured value, if any.
    pub value: Option<f64>,
    pub firing_since: Option<i64>,
}

impl Alerts {
    pub fn settings(&self) -> &AlertSettings {
        &self.settings
    }

    pub fn stats(&self) -> Arc<AlertStats> {
        self.stats.clone()
    }

    /// The rules firing now, oldest first.
    pub fn firing(&self) -> Vec<RuleStatus> {
        let book = self.book.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut firing: Vec<RuleStatus> = book
            .rules()
            .filter_map(|(state, reading)| {
                Some(RuleStatus {
                    rule: Rule::parse(&state.rule)?,
                    threshold: reading.map_or(0.0, |reading| reading.threshold),
                    value: reading.and_then(|reading| match reading.measure {
                        Measure::Value(value) => Some(value),
                        Measure::Quiet | Measure::Unknown => None,
                    }),
                    firing_since: Some(state.firing_since?),
                })
            })
            .collect();
        firing.sort_by_key(|status| status.firing_since);
        firing
    }

    /// Loads the rules' state and starts checking.
    pub async fn start(
        settings: AlertSettings,
        sources: Sources,
        recipients: Recipients,
    ) -> anyhow::Result<(Alerts, AlertTask)> {
        let stored = sources.store.alert_states().await?;
        let alerts = Alerts {
            book: Arc::new(Mutex::new(Book::new(settings.policy, stored))),
            settings: Arc::new(settings),
            stats: Arc::default(),
        };
        let (stop, stopped) = watch::channel(false);
        let engine = Engine {
            alerts: alerts.clone(),
            sources,
            recipients,
            recent: Window::default(),
            hour: Window::default(),
            unwritten: BTreeMap::new(),
        };
        let task = tokio::spawn(engine.run(stopped));
        Ok((alerts, AlertTask { stop, task }))
    }
}

/// The running engine; [`AlertTask::stop`] ends it.
pub struct AlertTask {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AlertTask {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Counters as they stood at one check.
#[derive(Debug, Clone, Default)]
struct Sample {
    histograms: BTreeMap<&'static str, operations::Histogram>,
    errors: u64,
    refused_payments: u64,
}

/// Samples over a stretch of the recent past: the oldest one is the base
/// a measure over the window is taken from.
#[derive(Debug, Default)]
struct Window {
    samples: VecDeque<(Instant, Sample)>,
}

impl Window {
    /// Adds `sample` taken at `now` and returns the base: the newest
    /// sample at least `span` old, else the oldest.
    fn push(&mut self, now: Instant, span: Duration, sample: Sample) -> &(Instant, Sample) {
        self.samples.push_back((now, sample));
        while self.samples.get(1).is_some_and(|(at, _)| now.duration_since(*at) >= span) {
            self.samples.pop_front();
        }
        &self.samples[0]
    }
}

struct Engine {
    alerts: Alerts,
    sources: Sources,
    recipients: Recipients,
    recent: Window,
    hour: Window,
    /// Rule states not yet written (the store failed), newest per rule.
    unwritten: BTreeMap<String, AlertState>,
}

impl Engine {
    async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        let mut every = tokio::time::interval(self.alerts.settings.check_every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => self.check().await,
                _ = stopped.changed() => return,
            }
        }
    }

    async fn check(&mut self) {
        let now = self.sources.clock.now();
        let readings = self.readings(now).await;
        let step = {
            let mut book = self.alerts.book.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let step = book.check(now, readings);
            let firing = book.rules().filter(|(state, _)| state.firing_since.is_some()).count();
            self.alerts.stats.firing.store(firing as u64, Ordering::Relaxed);
            step
        };
        let stats = &self.alerts.stats;
        stats.checks.fetch_add(1, Ordering::Relaxed);
        stats.suppressed.fetch_add(step.suppressed, Ordering::Relaxed);
        // Durable before anyone is told: see the module docs. A store that
        // cannot take the row (it may be what the alert is about) does not
        // silence the alert: the row is written at a later check.
        self.unwritten.extend(step.changed.into_iter().map(|state| (state.rule.clone(), state)));
        let unwritten = std::mem::take(&mut self.unwritten);
        for (rule, state) in unwritten {
            if let Err(err) = self.write(&state).await {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(%rule, error = %err, "writing an alert's state failed; retried at the next check");
                self.unwritten.insert(rule, state);
            }
        }
        for notice in step.notices {
            tracing::warn!(?notice, "alert");
            let sent = self.recipients.send(|language| screens::notice(language, &notice)).await;
            stats.sent.fetch_add(sent, Ordering::Relaxed);
        }
    }

    async fn write(&self, state: &AlertState) -> Result<(), dianabot_persistence::StoreError> {
        dianabot_plumbing::retry_while(
            dianabot_plumbing::Backoff::STORE,
            3,
            || self.sources.store.put_alert_state(state),
            |err: &dianabot_persistence::StoreError| !err.is_permanent(),
        )
        .await
    }

    /// What every rule measures now.
    async fn readings(&mut self, now: i64) -> Vec<Reading> {
        let settings = self.alerts.settings.clone();
        let intake = &self.sources.intake;
        let sample = Sample {
            histograms: self
                .sources
                .router
                .stats()
                .handling
                .iter()
                .map(|entry| (*entry.key(), entry.value().cumulative()))
                .collect(),
            errors: intake.dead_lettered.load(Ordering::Relaxed) + intake.not_durable.load(Ordering::Relaxed),
            refused_payments: intake.payments_refused.load(Ordering::Relaxed),
        };
        let at = Instant::now();
        let (since, base) = self.recent.push(at, settings.window, sample.clone());
        let mut readings: Vec<Reading> = sample
            .histograms
            .iter()
            .map(|(kind, now)| {
                let before = base.histograms.get(kind);
                let window: operations::Histogram = now
                    .iter()
                    .enumerate()
                    .map(|(at, &(bound, count))| {
                        (bound, count.saturating_sub(before.and_then(|b| b.get(at)).map_or(0, |b| b.1)))
                    })
                    .collect();
                let count = window.last().map_or(0, |last| last.1);
                let measure = match operations::quantile(&window, 0.95) {
                    Some(p95) if count >= settings.p95_min_samples => Measure::Value(p95 * 1000.0),
                    _ => Measure::Quiet,
                };
                Reading { rule: Rule::P95((*kind).to_owned()).name(), measure, threshold: settings.p95_ms }
            })
            .collect();
        let minutes = at.duration_since(*since).as_secs_f64() / 60.0;
        let errors = sample.errors.saturating_sub(base.errors);
        readings.push(Reading {
            rule: Rule::Errors.name(),
            measure: if minutes > 0.0 { Measure::Value(errors as f64 / minutes) } else { Measure::Quiet },
            threshold: settings.errors_per_min,
        });
        let refused = sample.refused_payments;
        let (_, hour_ago) =
            self.hour.push(at, Duration::from_secs(3_600), Sample { refused_payments: refused, ..Sample::default() });
        let refused = refused.saturating_sub(hour_ago.refused_payments);
        readings.push(Reading {
            rule: Rule::FlusherLag.name(),
            measure: Measure::Value(self.sources.flusher.stats().commit_stalled_for().as_secs_f64()),
            threshold: settings.flusher_lag_secs,
        });
        let store = &self.sources.store;
        let failed = store.failed_payments_since(now - 3_600).await;
        if let Err(err) = &failed {
            tracing::warn!(error = %err, "counting failed payments failed");
        }
        readings.push(Reading {
            rule: Rule::FailedPayments.name(),
            measure: failed.map_or(Measure::Unknown, |failed| Measure::Value((failed as u64 + refused) as f64)),
            threshold: settings.failed_payments_per_hour,
        });
        readings.push(Reading {
            rule: Rule::Inflation.name(),
            measure: inflation_today(store, now).await,
            threshold: settings.inflation_pct,
        });
        readings
    }
}

/// Today's net besitos minted over the supply at the day's start, in
/// percent (the economy report's inflation).
async fn inflation_today(store: &Store, now: i64) -> Measure {
    let scope = Scope { period: Period::last_days(now, 1), fragments: BTreeMap::new() };
    match reports::run(store, "economy", &scope).await {
        Ok(report) => match report.value(&reports::date(now.div_euclid(reports::DAY)), "inflation") {
            Some(Value::Real(percent)) => Measure::Value(*percent),
            _ => Measure::Quiet,
        },
        Err(err) => {
            tracing::warn!(error = %err, "reading today's inflation failed");
            Measure::Unknown
        }
    }
}

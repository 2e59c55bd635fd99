//! What happened, as it happens: per-scenario latency histograms for the
//! measured window, a per-second timeline for the chart, errors by kind, and
//! acknowledged updates by the outcome the server should count them under.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::driver::{Done, StepError};
use crate::histogram::Histogram;
use crate::replies::Notice;
use crate::scenario::Scenario;

/// When a step was sent. Only `Measure` steps count towards the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Registration and onboarding of every user.
    Setup,
    Warmup,
    Measure,
}

#[derive(Debug, Default, Clone)]
pub struct ScenarioStats {
    pub done: u64,
    pub failed: u64,
    pub latency: Histogram,
    /// What the game made of the steps that say (see [`Done::verdict`]):
    /// reactions paid / repeats refused as already rewarded, gifts
    /// delivered / refused, bids accepted / refused.
    pub effective: u64,
    pub refused: u64,
}

#[derive(Debug, Default, Clone)]
pub struct Second {
    pub done: BTreeMap<Scenario, u64>,
    pub latency: Histogram,
    pub errors: u64,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub done: u64,
    pub failed: u64,
}

/// An update the server acknowledged: its effect must be durable, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckedUpdate {
    pub update_id: u32,
    /// The Telegram user it comes from (0: none, a channel post).
    pub user: u64,
    /// The scenario's name (`start`, `reaction`, `story`, …).
    pub scenario: &'static str,
}

#[derive(Debug, Default)]
pub struct Recorder {
    load_start: Option<Instant>,
    pub scenarios: BTreeMap<Scenario, ScenarioStats>,
    pub setup: Counts,
    pub warmup: Counts,
    /// Step errors in the measured window, by kind.
    pub errors: BTreeMap<String, u64>,
    /// Step errors in any phase, by kind.
    pub errors_all_phases: BTreeMap<String, u64>,
    /// Bot API calls the emulator answered with an error, and lost
    /// observations, over the whole run.
    pub telegram_errors: BTreeMap<String, u64>,
    /// Every acknowledged update of the run (set-up included), by scenario.
    pub acked: BTreeMap<Scenario, u64>,
    /// Each of them, when the driver keeps them (`DriverConfig::log_acks`).
    pub acked_updates: Vec<AckedUpdate>,
    /// Deliveries of an update after the server left it unacknowledged.
    pub redeliveries: u64,
    /// Channel posts published and acknowledged in set-up.
    pub published: u64,
    /// Notices users got unasked (another's gift, being outbid…), over the
    /// whole run.
    pub notices: BTreeMap<Notice, u64>,
    pub seconds: Vec<Second>,
}

impl Recorder {
    /// From now on, completions are placed on the timeline.
    pub fn start_load(&mut self, at: Instant) {
        self.load_start = Some(at);
    }

    fn second(&mut self, at: Instant) -> Option<&mut Second> {
        let index = at.checked_duration_since(self.load_start?)?.as_secs() as usize;
        if self.seconds.len() <= index {
            self.seconds.resize_with(index + 1, Second::default);
        }
        self.seconds.get_mut(index)
    }

    pub fn done(&mut self, phase: Phase, scenario: Scenario, done: &Done) {
        let micros = done.latency.as_micros().min(u128::from(u64::MAX)) as u64;
        match phase {
            Phase::Setup => self.setup.done += 1,
            Phase::Warmup => self.warmup.done += 1,
            Phase::Measure => {
                let stats = self.scenarios.entry(scenario).or_default();
                stats.done += 1;
                stats.latency.record(micros);
                match done.verdict {
                    Some(true) => stats.effective += 1,
                    Some(false) => stats.refused += 1,
                    None => {}
                }
            }
        }
        if phase != Phase::Setup
            && let Some(second) = self.second(done.at)
        {
            *second.done.entry(scenario).or_default() += 1;
            second.latency.record(micros);
        }
    }

    pub fn failed(&mut self, phase: Phase, scenario: Scenario, error: &StepError, at: Instant) {
        let kind = error.kind();
        *self.errors_all_phases.entry(kind.clone()).or_default() += 1;
        match phase {
            Phase::Setup => self.setup.failed += 1,
            Phase::Warmup => self.warmup.failed += 1,
            Phase::Measure => {
                self.scenarios.entry(scenario).or_default().failed += 1;
                *self.errors.entry(kind).or_default() += 1;
            }
        }
        if phase != Phase::Setup
            && let Some(second) = self.second(at)
        {
            second.errors += 1;
        }
    }

    /// Open loop: `count` scheduled steps never sent because the harness
    /// fell behind its schedule (error kind `not_sent`).
    pub fn not_sent(&mut self, phase: Phase, count: u64, at: Instant) {
        *self.errors_all_phases.entry("not_sent".to_owned()).or_default() += count;
        match phase {
            Phase::Setup => self.setup.failed += count,
            Phase::Warmup => self.warmup.failed += count,
            Phase::Measure => *self.errors.entry("not_sent".to_owned()).or_default() += count,
        }
        if let Some(second) = self.second(at) {
            second.errors += count;
        }
    }

    /// `update` is `(update id, the user it comes from)`, when kept.
    pub fn acked(&mut self, scenario: Scenario, update: Option<(u32, u64)>) {
        *self.acked.entry(scenario).or_default() += 1;
        if let Some((update_id, user)) = update {
            self.acked_updates.push(AckedUpdate { update_id, user, scenario: scenario.name() });
        }
    }

    pub fn notice(&mut self, notice: Notice) {
        *self.notices.entry(notice).or_default() += 1;
    }

    pub fn telegram_error(&mut self, kind: &str, count: u64) {
        // Long descriptions are cut so the kinds stay readable.
        let kind: String = kind.chars().take(120).collect();
        *self.telegram_errors.entry(kind).or_default() += count;
    }

    /// (updates answered, p99 µs, errors) in timeline second `index`.
    pub fn second_summary(&self, index: usize) -> Option<(u64, u64, u64)> {
        let second = self.seconds.get(index)?;
        Some((second.done.values().sum(), second.latency.quantile(0.99), second.errors))
    }

    pub fn total_errors(&self) -> u64 {
        self.errors_all_phases.values().sum::<u64>() + self.telegram_errors.values().sum::<u64>()
    }
}

//! The alert rules' state machine, without I/O: each check hands in what
//! every rule measured; a rule that goes over its threshold fires once
//! (one notice), says nothing more while it stays over, and resolves (one
//! notice) only after `clear_checks` checks in a row under it, so a value
//! hovering at the threshold does not flap. Notices are capped per hour;
//! those held back are counted and summarised in one notice once there is
//! room again. The state of every rule is an [`AlertState`], the row the
//! engine writes through, so a restart while a rule fires stays silent.

use std::collections::{BTreeMap, VecDeque};

use dianabot_persistence::AlertState;

const HOUR: i64 = 3_600;

/// What a rule measured at one check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    Value(f64),
    /// Nothing to measure (no operation of the kind in the window): clear.
    Quiet,
    /// The source failed (the store is down): changes nothing.
    Unknown,
}

/// One rule's measurement against its threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub rule: String,
    pub measure: Measure,
    pub threshold: f64,
}

impl Reading {
    fn over(&self) -> Option<bool> {
        match self.measure {
            Measure::Value(value) => Some(value > self.threshold),
            Measure::Quiet => Some(false),
            Measure::Unknown => None,
        }
    }

    fn value(&self) -> f64 {
        match self.measure {
            Measure::Value(value) => value,
            Measure::Quiet | Measure::Unknown => 0.0,
        }
    }
}

/// What the operators are told.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Fired {
        rule: String,
        value: f64,
        threshold: f64,
    },
    Resolved {
        rule: String,
        since: i64,
    },
    /// Notices held back by the hourly cap since the last summary.
    Suppressed {
        count: u64,
    },
}

/// How the book behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Checks in a row under the threshold before a firing rule resolves.
    pub clear_checks: u32,
    /// Notices sent per rolling hour at most (a summary included).
    pub max_per_hour: u32,
}

/// What a check decided: the notices to send and the rows to write.
#[derive(Debug, Default, PartialEq)]
pub struct Step {
    pub notices: Vec<Notice>,
    pub changed: Vec<AlertState>,
    /// Notices held back at this check (for the metric).
    pub suppressed: u64,
}

/// Every rule's state, the notices sent in the last hour, those held back.
#[derive(Debug)]
pub struct Book {
    policy: Policy,
    rules: BTreeMap<String, Rule>,
    sent: VecDeque<i64>,
    held_back: u64,
}

#[derive(Debug, Clone)]
struct Rule {
    state: AlertState,
    /// Checks in a row under the threshold while firing.
    clear_streak: u32,
    /// The last reading, for `/alerts`.
    last: Option<Reading>,
}

impl Book {
    /// The book as the store left it: rules firing then are still firing,
    /// already told.
    pub fn new(policy: Policy, stored: Vec<AlertState>) -> Book {
        let rules =
            stored.into_iter().map(|state| (state.rule.clone(), Rule { state, clear_streak: 0, last: None })).collect();
        Book { policy, rules, sent: VecDeque::new(), held_back: 0 }
    }

    /// One check at `now` (unix seconds). A firing rule with no reading
    /// (an operation not seen since a restart) counts as quiet.
    pub fn check(&mut self, now: i64, readings: Vec<Reading>) -> Step {
        while self.sent.front().is_some_and(|&at| at <= now - HOUR) {
            self.sent.pop_front();
        }
        let mut step = Step::default();
        let mut seen = Vec::with_capacity(readings.len());
        for reading in readings {
            seen.push(reading.rule.clone());
            self.observe(now, reading, &mut step);
        }
        let unseen: Vec<(String, f64)> = self
            .rules
            .iter()
            .filter(|(rule, state)| state.state.firing_since.is_some() && !seen.contains(rule))
            .map(|(rule, state)| (rule.clone(), state.last.as_ref().map_or(0.0, |last| last.threshold)))
            .collect();
        for (rule, threshold) in unseen {
            self.observe(now, Reading { rule, measure: Measure::Quiet, threshold }, &mut step);
        }
        if self.held_back > 0 && self.room() {
            self.sent.push_back(now);
            step.notices.push(Notice::Suppressed { count: self.held_back });
            self.held_back = 0;
        }
        step
    }

    fn observe(&mut self, now: i64, reading: Reading, step: &mut Step) {
        let Some(over) = reading.over() else {
            if let Some(rule) = self.rules.get_mut(&reading.rule) {
                rule.last = Some(reading);
            }
            return;
        };
        let value = reading.value();
        let rule = self.rules.entry(reading.rule.clone()).or_insert_with(|| Rule {
            state: AlertState {
                rule: reading.rule.clone(),
                firing_since: None,
                last_notified: None,
                resolved_at: None,
                value,
            },
            clear_streak: 0,
            last: None,
        });
        let notice = match (rule.state.firing_since, over) {
            (None, true) => {
                rule.state.firing_since = Some(now);
                rule.state.value = value;
                Some(Notice::Fired { rule: reading.rule.clone(), value, threshold: reading.threshold })
            }
            (Some(_), true) => {
                rule.clear_streak = 0;
                None
            }
            (Some(since), false) => {
                rule.clear_streak += 1;
                (rule.clear_streak >= self.policy.clear_checks).then(|| {
                    rule.state.firing_since = None;
                    rule.state.resolved_at = Some(now);
                    rule.state.value = value;
                    rule.clear_streak = 0;
                    Notice::Resolved { rule: reading.rule.clone(), since }
                })
            }
            (None, false) => None,
        };
        rule.last = Some(reading);
        let Some(notice) = notice else { return };
        let room = self.sent.len() < self.policy.max_per_hour as usize;
        let rule = self.rules.get_mut(&notice_rule(&notice)).map(|rule| &mut rule.state);
        if let Some(state) = rule {
            if room && matches!(notice, Notice::Fired { .. }) {
                state.last_notified = Some(now);
            }
            step.changed.push(state.clone());
        }
        if room {
            self.sent.push_back(now);
            step.notices.push(notice);
        } else {
            self.held_back += 1;
            step.suppressed += 1;
        }
    }

    /// Room for one more notice this hour.
    fn room(&self) -> bool {
        self.sent.len() < self.policy.max_per_hour as usize
    }

    /// Every rule ever seen, with its state and last reading, by name.
    pub fn rules(&self) -> impl Iterator<Item = (&AlertState, Option<&Reading>)> {
        self.rules.values().map(|rule| (&rule.state, rule.last.as_ref()))
    }
}

fn notice_rule(notice: &Notice) -> String {
    match notice {
        Notice::Fired { rule, .. } | Notice::Resolved { rule, .. } => rule.clone(),
        Notice::Suppressed { .. } => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy { clear_checks: 3, max_per_hour: 10 };

    fn reading(rule: &str, value: f64) -> Reading {
        Reading { rule: rule.to_owned(), measure: Measure::Value(value), threshold: 2000.0 }
    }

    fn fired(notices: &[Notice]) -> usize {
        notices.iter().filter(|notice| matches!(notice, Notice::Fired { .. })).count()
    }

    fn resolved(notices: &[Notice]) -> usize {
        notices.iter().filter(|notice| matches!(notice, Notice::Resolved { .. })).count()
    }

    #[test]
    fn a_rule_fires_once_while_over_and_resolves_after_clear_checks() {
        let mut book = Book::new(POLICY, Vec::new());
        assert!(book.check(0, vec![reading("p95:decide", 100.0)]).notices.is_empty());
        let step = book.check(60, vec![reading("p95:decide", 2500.0)]);
        assert_eq!(step.notices, [Notice::Fired { rule: "p95:decide".into(), value: 2500.0, threshold: 2000.0 }]);
        assert_eq!(step.changed[0].firing_since, Some(60));
        assert_eq!(step.changed[0].last_notified, Some(60));
        for at in [120, 180, 240, 300] {
            let step = book.check(at, vec![reading("p95:decide", 3000.0)]);
            assert!(step.notices.is_empty() && step.changed.is_empty(), "no repeat while it lasts");
        }
        // Under, over again (the streak restarts), then three under: resolved.
        assert!(book.check(360, vec![reading("p95:decide", 10.0)]).notices.is_empty());
        assert!(book.check(420, vec![reading("p95:decide", 10.0)]).notices.is_empty());
        assert!(book.check(480, vec![reading("p95:decide", 2100.0)]).notices.is_empty(), "no flapping");
        assert!(book.check(540, vec![reading("p95:decide", 10.0)]).notices.is_empty());
        assert!(book.check(600, vec![reading("p95:decide", 10.0)]).notices.is_empty());
        let step = book.check(660, vec![Reading { measure: Measure::Quiet, ..reading("p95:decide", 0.0) }]);
        assert_eq!(step.notices, [Notice::Resolved { rule: "p95:decide".into(), since: 60 }]);
        assert_eq!((step.changed[0].firing_since, step.changed[0].resolved_at), (None, Some(660)));
        // It can fire again later.
        assert_eq!(fired(&book.check(720, vec![reading("p95:decide", 2500.0)]).notices), 1);
    }

    #[test]
    fn an_unknown_measure_neither_fires_nor_clears() {
        let mut book = Book::new(POLICY, Vec::new());
        book.check(0, vec![reading("errors", 9000.0)]);
        let unknown = || vec![Reading { measure: Measure::Unknown, ..reading("errors", 0.0) }];
        for at in 1..10 {
            assert!(book.check(at, unknown()).notices.is_empty());
        }
        assert!(book.rules().any(|(state, _)| state.firing_since == Some(0)));
    }

    #[test]
    fn a_restart_while_firing_does_not_alert_again_and_still_resolves() {
        let mut book = Book::new(POLICY, Vec::new());
        let step = book.check(0, vec![reading("flusher_lag", 9000.0)]);
        assert_eq!(fired(&step.notices), 1);
        // What the store holds after that check, read by the next process.
        let mut restarted = Book::new(POLICY, step.changed);
        assert!(restarted.check(60, vec![reading("flusher_lag", 9000.0)]).notices.is_empty());
        // An operation not measured since the restart counts as quiet.
        for at in [120, 180] {
            assert!(restarted.check(at, Vec::new()).notices.is_empty());
        }
        assert_eq!(resolved(&restarted.check(240, Vec::new()).notices), 1);
    }

    #[test]
    fn notices_past_the_hourly_cap_are_held_back_and_summarised() {
        let mut book = Book::new(Policy { clear_checks: 1, max_per_hour: 2 }, Vec::new());
        let rules: Vec<Reading> = (0..5).map(|n| reading(&format!("p95:op{n}"), 2500.0)).collect();
        let step = book.check(0, rules);
        assert_eq!((fired(&step.notices), step.suppressed), (2, 3));
        // Every rule is firing, told or not, and written.
        assert_eq!(step.changed.iter().filter(|state| state.firing_since == Some(0)).count(), 5);
        assert_eq!(step.changed.iter().filter(|state| state.last_notified.is_some()).count(), 2);
        // All five resolve within the hour: no room, held back too.
        let step = book.check(1_800, Vec::new());
        assert!(step.notices.is_empty() && step.suppressed == 5, "{step:?}");
        // An hour after the first two: room, and the summary of the eight.
        let step = book.check(3_600, Vec::new());
        assert_eq!(step.notices, [Notice::Suppressed { count: 8 }]);
    }
}

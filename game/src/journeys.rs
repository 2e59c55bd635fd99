//! Vocabulary: a player's experiences as their state holds them, boxed in
//! `Progress::experiences` (`None` — one null pointer — for a player who
//! never started one). The rules that move them live in `experience.rs`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Every experience a player has started or completed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journeys {
    /// Experience id -> the run in progress.
    pub running: BTreeMap<String, Journey>,
    /// Experience id -> runs completed (more than one only for a
    /// repeatable experience).
    pub completed: BTreeMap<String, u32>,
    /// Experiences whose last run ended without completing (abandoned or
    /// out of time): only a repeatable one may be started again.
    pub given_up: BTreeSet<String>,
}

/// One run of an experience.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    /// Unix seconds (game clock) the run started.
    pub started_at: i64,
    /// Components done in this run, by component id.
    pub done: BTreeSet<String>,
    /// Progress of counting components (reactions, besitos spent) not yet
    /// done, by component id.
    pub counts: BTreeMap<String, u64>,
    /// Unix seconds the run fails at, for an experience with a time limit
    /// (a durable timer is set for it).
    pub deadline: Option<i64>,
}

/// How a run ended without completing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunEnd {
    /// The player abandoned it.
    Abandoned,
    /// Its time limit passed.
    Expired,
}

impl Journeys {
    pub fn is_completed(&self, experience: &str) -> bool {
        self.completed.get(experience).is_some_and(|&runs| runs > 0)
    }

    /// Whether the player ever started `experience` (a run now, done or given up).
    pub fn ever_started(&self, experience: &str) -> bool {
        self.running.contains_key(experience) || self.is_completed(experience) || self.given_up.contains(experience)
    }
}

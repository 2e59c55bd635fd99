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
}

/// One run of an experience.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    /// Unix seconds (game clock) the run started.
    pub started_at: i64,
    /// Components done in this run, by component id.
    pub done: BTreeSet<String>,
}

impl Journeys {
    pub fn is_completed(&self, experience: &str) -> bool {
        self.completed.get(experience).is_some_and(|&runs| runs > 0)
    }
}

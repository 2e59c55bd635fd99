//! The community games as operators write them: trivia sets
//! (`trivia.toml`), timed events (`events.toml`) and the referral
//! programme (`referrals.toml`). All three files are optional: without
//! them there is no trivia, no event and no referral reward.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::Text;

/// How hard a question is, shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

impl Difficulty {
    pub const ALL: [(&'static str, Difficulty); 3] =
        [("easy", Difficulty::Easy), ("medium", Difficulty::Medium), ("hard", Difficulty::Hard)];

    /// The name the content and the texts use.
    pub fn key(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }
}

/// One multiple-choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub text: Text,
    /// 2 to [`Question::MAX_OPTIONS`] options.
    pub options: Vec<Text>,
    /// Index into `options` of the right answer.
    pub correct: u8,
    pub difficulty: Difficulty,
    /// Score a right answer earns.
    pub points: u32,
    /// Seconds the player has to answer, from when it is asked.
    pub seconds: u32,
}

impl Question {
    pub const MAX_OPTIONS: usize = 4;
}

/// A set of questions played in one go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriviaSet {
    pub id: String,
    pub name: Text,
    /// Only VIP members may start it.
    pub vip: bool,
    /// Besitos for a set answered all right; a partial score earns its
    /// share (rounded down).
    pub reward: u64,
    /// 1 to [`TriviaSet::MAX_QUESTIONS`] questions, asked in order.
    pub questions: Vec<Question>,
}

impl TriviaSet {
    pub const MAX_QUESTIONS: usize = 50;
}

/// `trivia.toml`: the sets and the daily quota.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trivia {
    pub sets: BTreeMap<String, TriviaSet>,
    /// Sets a player may start per UTC day (outside a marathon).
    pub daily_sets: u32,
}

/// What a timed event changes while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventEffect {
    /// Reaction payouts are multiplied.
    ReactionMultiplier { multiplier: u32 },
    /// More trivia sets a day, and the points of right answers multiplied.
    TriviaMarathon { extra_sets: u32, points_multiplier: u32 },
    /// Points on the board's metric count `multiplier` times
    /// ([`Content::score_multiplier`](super::Content::score_multiplier)).
    LeaderboardSprint { board: String, multiplier: u32 },
}

impl EventEffect {
    pub const NAMES: [&'static str; 3] = ["reaction_multiplier", "trivia_marathon", "leaderboard_sprint"];
}

/// An event an operator scheduled: on by itself from `from`, off at `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedEvent {
    pub id: String,
    pub name: Text,
    /// Unix seconds; the event runs in `from..until`.
    pub from: i64,
    pub until: i64,
    pub effect: EventEffect,
}

impl TimedEvent {
    pub fn is_active(&self, now: i64) -> bool {
        (self.from..self.until).contains(&now)
    }
}

/// `referrals.toml`: when an invited player counts, what both earn, and
/// the cap against farming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referrals {
    /// Story decisions the invited player must take before either is paid.
    pub milestone_decisions: u32,
    pub inviter_reward: u64,
    pub invitee_reward: u64,
    /// Referrals an inviter is paid for per calendar month (UTC).
    pub monthly_cap: u32,
}

/// The events in force at one instant, folded into what they change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boosts {
    pub reaction_multiplier: u64,
    pub extra_trivia_sets: u32,
    pub trivia_points_multiplier: u32,
}

impl Boosts {
    /// The product of the multipliers of every active event of a kind, and
    /// the sum of their extra sets.
    pub fn at(events: &[TimedEvent], now: i64) -> Boosts {
        let mut boosts = Boosts { reaction_multiplier: 1, extra_trivia_sets: 0, trivia_points_multiplier: 1 };
        for event in events.iter().filter(|event| event.is_active(now)) {
            match &event.effect {
                EventEffect::ReactionMultiplier { multiplier } => {
                    boosts.reaction_multiplier = boosts.reaction_multiplier.saturating_mul(u64::from(*multiplier));
                }
                EventEffect::TriviaMarathon { extra_sets, points_multiplier } => {
                    boosts.extra_trivia_sets = boosts.extra_trivia_sets.saturating_add(*extra_sets);
                    boosts.trivia_points_multiplier =
                        boosts.trivia_points_multiplier.saturating_mul(*points_multiplier);
                }
                EventEffect::LeaderboardSprint { .. } => {}
            }
        }
        boosts
    }
}

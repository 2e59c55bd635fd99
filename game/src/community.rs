//! A player's part in the community games — trivia, referrals and the
//! leaderboards' prizes — kept behind one box in [`Progress`](crate::Progress)
//! so the many players who never play them cost one null pointer.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// Community-game state of one player. Field order is the snapshot
/// encoding (bincode is positional): add fields at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Community {
    // ----- trivia (games) -----
    /// The set being played, if any.
    pub trivia: Option<TriviaRun>,
    /// Sets ever started: numbers each run, so a button of an earlier run
    /// is told from the current one.
    pub trivia_runs: u32,
    /// (UTC day, sets started that day), for the daily quota.
    pub trivia_today: (i64, u32),
    /// Right answers in a row, across sets; a wrong or late one resets it.
    pub trivia_streak: u32,
    pub trivia_best_streak: u32,
    // ----- referrals (games) -----
    /// Who invited this player (recorded at registration).
    pub invited_by: Option<UserId>,
    /// This invited player reached the milestone (and was paid for it).
    pub referral_reached: bool,
    /// As an inviter: the invited players already settled (paid or over
    /// the cap), so the settlement is once per invited player.
    pub invitees_settled: BTreeSet<UserId>,
    /// As an inviter: (month, referrals paid that month), for the cap.
    pub referrals_this_month: (i64, u32),
    // Leaderboards: the prizes paid, newest last, so a prize delivered
    // again after a crash pays nothing. Bounded: a reset re-delivers only
    // the period it is finishing.
    pub prizes: Vec<PrizeAwarded>,
}

/// A trivia set in progress: the question asked and until when it may be
/// answered, and the score so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriviaRun {
    pub set: String,
    /// The run's number ([`Community::trivia_runs`] when it started).
    pub run: u32,
    /// Index of the question asked.
    pub question: u8,
    /// Unix second after which an answer to it is late.
    pub deadline: i64,
    pub score: u32,
    pub correct: u8,
}

/// A leaderboard prize paid: which board, the period's start, the rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrizeAwarded {
    pub board: String,
    pub period: i64,
    pub rank: u32,
}

impl Community {
    /// Prizes remembered; older ones are forgotten.
    pub const PRIZES_KEPT: usize = 32;

    /// Whether this player was paid `board`'s prize for `period`.
    pub fn was_paid(&self, board: &str, period: i64) -> bool {
        self.prizes.iter().any(|prize| prize.board == board && prize.period == period)
    }

    pub(crate) fn record_prize(&mut self, prize: PrizeAwarded) {
        if self.prizes.len() == Community::PRIZES_KEPT {
            self.prizes.remove(0);
        }
        self.prizes.push(prize);
    }
}

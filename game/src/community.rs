//! A player's part in the community games — trivia, referrals and the
//! leaderboards' prizes — kept behind one box in [`Progress`](crate::Progress)
//! so the many players who never play them cost one null pointer.

use serde::{Deserialize, Serialize};

/// Community-game state of one player. Field order is the snapshot
/// encoding (bincode is positional): add fields at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Community {
    // Leaderboards: the prizes paid, newest last, so a prize delivered
    // again after a crash pays nothing. Bounded: a reset re-delivers only
    // the period it is finishing.
    pub prizes: Vec<PrizeAwarded>,
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

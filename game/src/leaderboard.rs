//! Leaderboards: what a board counts, its periods, and the prize a winner's
//! actor is paid once per board and period.
//!
//! Scores are facts the store derives from analytics rows (one fixed
//! [`Metric`] per row kind, so a content reload never changes what a stored
//! score means); content picks a metric, a period and the prizes.

use serde::{Deserialize, Serialize};

use crate::community::PrizeAwarded;
use crate::content::Text;
use crate::ctx::{Ctx, Journal};
use crate::{Event, Reason, RuleError, UserState};

/// What a board counts. The mapping from analytics rows lives in the store
/// (`dianabot_persistence::leaderboards::deltas`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Metric {
    /// Besitos paid by reactions and daily gifts.
    BesitosEarned,
    /// Reactions paid, on posts and on story pages.
    Reactions,
    /// Story decisions taken.
    Story,
    /// Trivia points.
    Trivia,
    /// Auctions won.
    AuctionsWon,
}

impl Metric {
    pub const ALL: [Metric; 5] =
        [Metric::BesitosEarned, Metric::Reactions, Metric::Story, Metric::Trivia, Metric::AuctionsWon];

    /// Its name in content and in the `leaderboard_scores` table.
    pub fn key(self) -> &'static str {
        match self {
            Metric::BesitosEarned => "besitos_earned",
            Metric::Reactions => "reactions",
            Metric::Story => "story",
            Metric::Trivia => "trivia",
            Metric::AuctionsWon => "auctions_won",
        }
    }

    pub fn parse(key: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|metric| metric.key() == key)
    }
}

/// How long a board's scores count before it starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Period {
    /// Monday 00:00 UTC to the next Monday 00:00 UTC.
    Weekly,
    AllTime,
}

/// Seconds in a week.
pub const WEEK: i64 = 7 * 86_400;
/// The Unix epoch was a Thursday: the first Monday 00:00 UTC after it.
const FIRST_MONDAY: i64 = 4 * 86_400;

impl Period {
    pub fn key(self) -> &'static str {
        match self {
            Period::Weekly => "weekly",
            Period::AllTime => "all_time",
        }
    }

    /// The start (Unix seconds) of the period running at `now`: the Monday
    /// 00:00 UTC at or before `now` for a week, 0 for all time. Scores are
    /// stored under it.
    pub fn start(self, now: i64) -> i64 {
        match self {
            Period::Weekly => FIRST_MONDAY + (now - FIRST_MONDAY).div_euclid(WEEK) * WEEK,
            Period::AllTime => 0,
        }
    }

    /// When the period running at `now` ends; `None` for all time.
    pub fn end(self, now: i64) -> Option<i64> {
        match self {
            Period::Weekly => Some(self.start(now) + WEEK),
            Period::AllTime => None,
        }
    }
}

/// A board of `leaderboards.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    pub id: String,
    pub name: Text,
    pub metric: Metric,
    pub period: Period,
    /// Besitos for ranks 1, 2, …; paid when a weekly period ends.
    pub prizes: Vec<i64>,
}

impl Board {
    /// Prizes a board may list (the reset pays them one by one).
    pub const MAX_PRIZES: usize = 10;
}

/// Leaderboard commands. Only the runtime's reset sends them, never a player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeaderboardCommand {
    /// Pays the prize of `rank` on `board` for the period that started at
    /// `period`; nothing if this player was already paid for it.
    AwardPrize { board: String, period: i64, rank: u32, besitos: i64 },
}

impl LeaderboardCommand {
    pub fn kind(&self) -> &'static str {
        match self {
            LeaderboardCommand::AwardPrize { .. } => "award_prize",
        }
    }
}

pub(crate) fn decide(
    state: &UserState,
    command: &LeaderboardCommand,
    _ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    match command {
        LeaderboardCommand::AwardPrize { board, period, rank, besitos } => {
            let paid = state.progress.community.as_deref().is_some_and(|community| community.was_paid(board, *period));
            if paid || *besitos <= 0 {
                return Ok(Vec::new());
            }
            Ok(vec![
                journal.credit(*besitos, Reason::LeaderboardPrize),
                Event::PrizeAwarded(PrizeAwarded { board: board.clone(), period: *period, rank: *rank }),
            ])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_runs_from_monday_midnight_utc() {
        // 2026-11-30 is a Monday.
        let monday = 1_795_996_800;
        assert_eq!(Period::Weekly.start(monday), monday);
        assert_eq!(Period::Weekly.start(monday - 1), monday - WEEK);
        assert_eq!(Period::Weekly.start(monday + WEEK - 1), monday);
        assert_eq!(Period::Weekly.end(monday + 3600), Some(monday + WEEK));
        assert_eq!(Period::AllTime.start(monday), 0);
        assert_eq!(Period::AllTime.end(monday), None);
    }
}

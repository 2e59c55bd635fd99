//! Leaderboards: scores derived from analytics rows, durable in
//! `leaderboard_scores` and ranked in memory.
//!
//! [`deltas`] is the one mapping from analytics rows to scores.
//! `Store::write_batch` upserts a batch's deltas in the batch's own
//! transaction (no score without the effect that earned it) and hands them
//! back; once it committed, the flusher adds those very deltas to the
//! in-memory [`Leaderboards`], which [`Leaderboards::load`]
//! rebuilds from the table at startup. Weekly scores are kept per week
//! (the period's start), so a week's end resets nothing in place: the new
//! week simply starts empty, and the old one's rows stay for its prizes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use dianabot_game::leaderboard::{Metric, Period, WEEK};

use crate::analytics::{AnalyticsEvent, kinds};
use crate::ranking::{Entry, RankedSet};
use crate::store::{Store, on_both};
use crate::{StoreError, UserWrite};

/// What one analytics row adds to which metric, if any.
fn scored(row: &AnalyticsEvent) -> Option<(Metric, i64)> {
    match row.kind {
        kinds::REACTION_POST | kinds::REACTION_FRAGMENT | kinds::DAILY_GIFT if row.amount > 0 => {
            Some((Metric::BesitosEarned, row.amount))
        }
        _ => None,
    }
}

/// The metrics a row counts once each (beside the besitos it may earn).
fn counted(row: &AnalyticsEvent) -> Option<Metric> {
    match row.kind {
        kinds::REACTION_POST | kinds::REACTION_FRAGMENT => Some(Metric::Reactions),
        kinds::DECISION => Some(Metric::Story),
        kinds::AUCTION_WON => Some(Metric::AuctionsWon),
        _ => None,
    }
}

/// Points one decision earns on one metric, at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub metric: Metric,
    pub points: i64,
    pub at: i64,
}

/// The points analytics rows earn: besitos earned, one per reaction,
/// decision and auction won, trivia points.
pub fn scores(rows: &[AnalyticsEvent]) -> Vec<Score> {
    let mut scores = Vec::new();
    for row in rows {
        let trivia = (row.kind == kinds::TRIVIA_ANSWER && row.amount > 0).then_some((Metric::Trivia, row.amount));
        let changes = scored(row).into_iter().chain(counted(row).map(|metric| (metric, 1))).chain(trivia);
        scores.extend(changes.map(|(metric, points)| Score { metric, points, at: row.at }));
    }
    scores
}

/// A change to one player's score on one metric and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreDelta {
    pub metric: Metric,
    /// The period's start (see [`Period::start`]).
    pub period: i64,
    pub user: i64,
    pub delta: i64,
    /// When the last of the rows summed here happened.
    pub at: i64,
}

/// The score changes of `writes`' points, one per metric, period and user
/// (a batch holds one write per user).
pub fn deltas(writes: &[UserWrite]) -> Vec<ScoreDelta> {
    let mut summed: BTreeMap<(Metric, i64, i64), (i64, i64)> = BTreeMap::new();
    for write in writes {
        for score in &write.scores {
            for period in [Period::Weekly.start(score.at), Period::AllTime.start(score.at)] {
                let sum = summed.entry((score.metric, period, write.user_id.0)).or_insert((0, score.at));
                sum.0 = sum.0.saturating_add(score.points);
                sum.1 = sum.1.max(score.at);
            }
        }
    }
    summed
        .into_iter()
        .map(|((metric, period, user), (delta, at))| ScoreDelta { metric, period, user, delta, at })
        .collect()
}

/// A player's place on a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub user: i64,
    /// 1-based.
    pub rank: usize,
    pub score: i64,
}

/// Every board's players in rank order, in memory: one [`RankedSet`] per
/// metric and period (the all-time one, the running week and the week
/// before). Cheap to clone; the flusher feeds it, screens read it.
#[derive(Debug, Clone, Default)]
pub struct Leaderboards {
    sets: Arc<RwLock<HashMap<(Metric, i64), RankedSet>>>,
}

impl Leaderboards {
    /// Rebuilds every set from `leaderboard_scores`: all time, and the week
    /// running at `now` and the one before.
    pub async fn load(&self, store: &Store, now: i64) -> Result<(), StoreError> {
        let week = Period::Weekly.start(now);
        let mut sets = HashMap::new();
        for metric in Metric::ALL {
            for period in [0, week, week - WEEK] {
                let entries = store.leaderboard_scores(metric, period).await?;
                if !entries.is_empty() {
                    sets.insert((metric, period), RankedSet::from_entries(entries));
                }
            }
        }
        *self.sets.write().unwrap_or_else(PoisonError::into_inner) = sets;
        Ok(())
    }

    /// Adds committed deltas; weeks older than the one before the newest
    /// seen are dropped from memory.
    pub fn apply(&self, deltas: &[ScoreDelta]) {
        if deltas.is_empty() {
            return;
        }
        let mut sets = self.sets.write().unwrap_or_else(PoisonError::into_inner);
        let mut newest_week = None;
        for delta in deltas {
            sets.entry((delta.metric, delta.period)).or_default().add(delta.user, delta.delta, delta.at);
            if delta.period != 0 {
                newest_week = newest_week.max(Some(delta.period));
            }
        }
        if let Some(newest) = newest_week {
            sets.retain(|&(_, period), _| period == 0 || period >= newest - WEEK);
        }
    }

    /// `user`'s place on `metric` for the period starting at `period`.
    pub fn standing(&self, metric: Metric, period: i64, user: i64) -> Option<Standing> {
        let sets = self.sets.read().unwrap_or_else(PoisonError::into_inner);
        let (rank, entry) = sets.get(&(metric, period))?.standing(user)?;
        Some(Standing { user, rank, score: entry.score })
    }

    /// The best `n` on `metric` for the period starting at `period`.
    pub fn top(&self, metric: Metric, period: i64, n: usize) -> Vec<Standing> {
        let sets = self.sets.read().unwrap_or_else(PoisonError::into_inner);
        let Some(set) = sets.get(&(metric, period)) else { return Vec::new() };
        set.top(n)
            .enumerate()
            .map(|(index, entry)| Standing { user: entry.user, rank: index + 1, score: entry.score })
            .collect()
    }

    /// Players with a score on `metric` for the period.
    pub fn players(&self, metric: Metric, period: i64) -> usize {
        let sets = self.sets.read().unwrap_or_else(PoisonError::into_inner);
        sets.get(&(metric, period)).map_or(0, RankedSet::len)
    }
}

/// A prize row of `leaderboard_prizes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prize {
    pub board: String,
    pub period: i64,
    /// 1-based rank.
    pub place: u32,
    pub user: i64,
    pub besitos: i64,
    pub paid: bool,
}

impl Store {
    /// Every score of `metric` for the period starting at `period`.
    pub async fn leaderboard_scores(&self, metric: Metric, period: i64) -> Result<Vec<Entry>, StoreError> {
        let sql = "SELECT user_id, score, reached_at FROM leaderboard_scores WHERE metric = $1 AND period = $2";
        let rows: Vec<(i64, i64, i64)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(metric.key()).bind(period).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(user, score, reached_at)| Entry { score, reached_at, user }).collect())
    }

    /// The prizes of `board` for `period`, written once: the first call
    /// stores the winners — the best `prizes.len()` scores above zero, in
    /// the order the boards rank them — and every later call (a reset
    /// resumed after a crash) reads those same rows back.
    pub async fn settle_prizes(
        &self,
        board: &str,
        metric: Metric,
        period: i64,
        prizes: &[i64],
    ) -> Result<Vec<Prize>, StoreError> {
        let existing = self.prizes(board, period).await?;
        if !existing.is_empty() || prizes.is_empty() {
            return Ok(existing);
        }
        let sql = "SELECT user_id FROM leaderboard_scores WHERE metric = $1 AND period = $2 AND score > 0
                   ORDER BY score DESC, reached_at, user_id LIMIT $3";
        let limit = prizes.len() as i64;
        let winners: Vec<i64> = on_both!(self, |pool| sqlx::query_scalar(sql)
            .bind(metric.key())
            .bind(period)
            .bind(limit)
            .fetch_all(pool)
            .await?);
        let insert = "INSERT INTO leaderboard_prizes (board, period, place, user_id, besitos, status)
                      VALUES ($1, $2, $3, $4, $5, 'pending') ON CONFLICT DO NOTHING";
        on_both!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (index, (user, besitos)) in winners.iter().zip(prizes).enumerate() {
                sqlx::query(insert)
                    .bind(board)
                    .bind(period)
                    .bind(index as i32 + 1)
                    .bind(*user)
                    .bind(*besitos)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?
        });
        self.prizes(board, period).await
    }

    /// The prizes of `board` for `period`, by rank.
    pub async fn prizes(&self, board: &str, period: i64) -> Result<Vec<Prize>, StoreError> {
        let sql = "SELECT place, user_id, besitos, status FROM leaderboard_prizes WHERE board = $1 AND period = $2
                   ORDER BY place";
        let rows: Vec<(i32, i64, i64, String)> =
            on_both!(self, |pool| sqlx::query_as(sql).bind(board).bind(period).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(place, user, besitos, status)| Prize {
                board: board.to_owned(),
                period,
                place: u32::try_from(place).unwrap_or_default(),
                user,
                besitos,
                paid: status == "paid",
            })
            .collect())
    }

    /// Marks a prize paid (its winner's actor credited it durably).
    pub async fn mark_prize_paid(&self, prize: &Prize) -> Result<(), StoreError> {
        let sql = "UPDATE leaderboard_prizes SET status = 'paid' WHERE board = $1 AND period = $2 AND place = $3";
        on_both!(self, |pool| sqlx::query(sql)
            .bind(&prize.board)
            .bind(prize.period)
            .bind(prize.place as i32)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    /// The first names of `users` (those registered), in one query: a
    /// board's top ten is one round trip, not ten.
    pub async fn first_names(&self, users: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, String)> = match self {
            Store::Postgres(pool) => {
                let sql = "SELECT user_id, first_name FROM users WHERE user_id = ANY($1)";
                sqlx::query_as(sql).bind(users).fetch_all(pool).await?
            }
            Store::Sqlite(pool) => {
                // No arrays in SQLite: the ids go as one JSON array.
                let ids = format!("[{}]", users.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
                let sql = "SELECT user_id, first_name FROM users WHERE user_id IN (SELECT value FROM json_each($1))";
                sqlx::query_as(sql).bind(ids).fetch_all(pool).await?
            }
        };
        Ok(rows.into_iter().collect())
    }
}

//! Trivia: sets of multiple-choice questions from `trivia.toml`, played
//! one question at a time.
//!
//! The rules a client cannot bend, all decided here on the player's own
//! state: a daily quota of sets (more during a trivia marathon); a
//! question may be answered once, only while it is the one asked (the
//! run's number and the question's index ride on its buttons), and an
//! answer after its deadline — stored when the question was asked — counts
//! as wrong. Right answers in a row make the streak; the set's reward is
//! paid at its end for the share of right answers.

use serde::{Deserialize, Serialize};

use crate::community::{Community, TriviaRun};
use crate::content::Content;
use crate::content::community::TriviaSet;
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::ledger::Reason;
use crate::state::UserState;
use crate::time::day_of;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriviaCommand {
    /// Start a set (a run in progress is given up).
    Start { set: String },
    /// Answer question `question` of run `run` with option `option`
    /// (indexes from 0).
    Answer { run: u32, question: u8, option: u8 },
}

impl TriviaCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            TriviaCommand::Start { .. } => "trivia_start",
            TriviaCommand::Answer { .. } => "trivia_answer",
        }
    }
}

pub(crate) fn decide(
    state: &UserState,
    command: &TriviaCommand,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let community = state.progress.community.as_deref();
    match command {
        TriviaCommand::Start { set } => start(state, community, set, ctx),
        TriviaCommand::Answer { run, question, option } => {
            answer(community, (*run, *question, *option), ctx, &mut journal)
        }
    }
}

/// Sets a player may start on the UTC day of `now`, and how many they have.
pub fn quota(community: Option<&Community>, content: &Content, now: i64) -> (u32, u32) {
    let max = content.trivia().daily_sets.saturating_add(content.boosts(now).extra_trivia_sets);
    let started = match community.map(|community| community.trivia_today) {
        Some((day, count)) if day == day_of(now) => count,
        _ => 0,
    };
    (started, max)
}

fn start(state: &UserState, community: Option<&Community>, set: &str, ctx: Ctx<'_>) -> Result<Vec<Event>, RuleError> {
    let set = ctx.content.trivia().sets.get(set).ok_or(RuleError::UnknownTriviaSet)?;
    if set.vip && !ctx.content.is_vip(state, ctx.now) {
        return Err(RuleError::NotVip);
    }
    let (started, max) = quota(community, ctx.content, ctx.now);
    let day = day_of(ctx.now);
    if started >= max {
        return Err(RuleError::TriviaQuotaReached { max, resets_at: (day + 1) * 86_400 });
    }
    let first = set.questions.first().ok_or(RuleError::UnknownTriviaSet)?;
    Ok(vec![Event::TriviaStarted {
        set: set.id.clone(),
        run: community.map_or(0, |community| community.trivia_runs) + 1,
        day,
        sets_today: started + 1,
        deadline: ctx.now + i64::from(first.seconds),
    }])
}

fn answer(
    community: Option<&Community>,
    (run_number, asked, option): (u32, u8, u8),
    ctx: Ctx<'_>,
    journal: &mut Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let Some((community, run)) = community.and_then(|community| Some((community, community.trivia.as_ref()?))) else {
        return Err(RuleError::TriviaQuestionGone);
    };
    if run.run != run_number {
        return Err(RuleError::TriviaQuestionGone);
    }
    if asked < run.question {
        return Err(RuleError::TriviaAlreadyAnswered);
    }
    // A set changed by a reload since it started cannot go on.
    let set = ctx.content.trivia().sets.get(&run.set).ok_or(RuleError::TriviaQuestionGone)?;
    let question = set.questions.get(usize::from(asked)).filter(|_| asked == run.question);
    let Some(question) = question.filter(|question| usize::from(option) < question.options.len()) else {
        return Err(RuleError::TriviaQuestionGone);
    };
    let late = ctx.now > run.deadline;
    let correct = !late && option == question.correct;
    let points =
        if correct { question.points.saturating_mul(ctx.content.boosts(ctx.now).trivia_points_multiplier) } else { 0 };
    let streak = if correct { community.trivia_streak + 1 } else { 0 };
    let next = set.questions.get(usize::from(asked) + 1);
    let mut events = vec![Event::TriviaAnswered {
        set: set.id.clone(),
        question: asked,
        correct,
        late,
        points,
        streak,
        next_deadline: next.map(|next| ctx.now + i64::from(next.seconds)),
    }];
    if next.is_none() {
        events.extend(finish(set, run, points, correct, journal));
    }
    Ok(events)
}

/// The end of a set: the score and the reward for its share of right
/// answers.
fn finish(set: &TriviaSet, run: &TriviaRun, points: u32, correct: bool, journal: &mut Journal<'_>) -> Vec<Event> {
    let right = run.correct + u8::from(correct);
    let questions = u8::try_from(set.questions.len()).unwrap_or(u8::MAX);
    let mut events = vec![Event::TriviaFinished {
        set: set.id.clone(),
        score: run.score.saturating_add(points),
        correct: right,
        questions,
    }];
    let reward = reward(set, right);
    if reward > 0 {
        events.push(journal.credit(reward, Reason::TriviaReward));
    }
    events
}

/// Besitos for `right` right answers of `set`: its share of the reward.
pub fn reward(set: &TriviaSet, right: u8) -> i64 {
    let questions = set.questions.len().max(1) as u64;
    i64::try_from(set.reward.saturating_mul(u64::from(right)) / questions).unwrap_or(i64::MAX)
}

//! What follows from a command: achievements whose goal it reached and
//! missions it counted towards, with their rewards.
//!
//! Runs inside [`crate::decide`] on the state as the command leaves it, so
//! a command and everything it earns are one decision: applied together or
//! refused together.

use crate::content::{Goal, MissionKind};
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::ledger::Reason;
use crate::state::{MissionProgress, UserState};
use crate::story::{Holdings, grant};
use crate::time::day_of;

pub(crate) fn follow(before: &UserState, events: &[Event], ctx: Ctx<'_>) -> Result<Vec<Event>, RuleError> {
    // Goals count counters or fragments: a command that moved neither (a
    // grant, a language change) cannot progress anything, and is spared
    // the copy of the state below.
    let moves = |event: &Event| matches!(event, Event::CounterIncremented { .. } | Event::FragmentEntered { .. });
    if !events.iter().any(moves) {
        return Ok(Vec::new());
    }
    let mut state = before.clone();
    events.iter().for_each(|event| state.apply(event));
    let mut journal = Journal::new(&state, ctx);
    let mut follow_up = Vec::new();
    let no_spending = Default::default();

    for achievement in ctx.content.achievements() {
        let Some(goal) = &achievement.goal else { continue };
        if state.progress.achievements.contains(achievement.id.as_str()) || !reached(goal, &state, events) {
            continue;
        }
        let unlocked = Event::AchievementUnlocked { achievement: achievement.id.as_str().to_owned() };
        let holdings = Holdings { balance: state.wallet.balance, spent_items: &no_spending };
        let rewards = grant(&achievement.rewards, &state, holdings, Reason::AchievementReward, ctx, &mut journal)?;
        state.apply(&unlocked);
        rewards.iter().for_each(|event| state.apply(event));
        follow_up.push(unlocked);
        follow_up.extend(rewards);
    }

    let today = day_of(ctx.now);
    for mission in ctx.content.missions() {
        let period = match mission.kind {
            MissionKind::Daily => today,
            // Weeks start on Monday: the epoch was a Thursday.
            MissionKind::Weekly => (today + 3).div_euclid(7),
            MissionKind::OneOff => 0,
        };
        let current = state.progress.missions.get(mission.id.as_str()).filter(|progress| progress.period == period);
        let current = current.cloned().unwrap_or(MissionProgress { period, count: 0, done: false });
        if current.done || !crate::content::evaluate(&mission.requires, &state, ctx.content, ctx.now).allowed {
            continue;
        }
        let (count, done) = match &mission.goal {
            Goal::Counter { counter, target } => {
                let added: u64 = events
                    .iter()
                    .filter_map(|event| match event {
                        Event::CounterIncremented { counter: name, by } if name == counter => Some(*by),
                        _ => None,
                    })
                    .sum();
                let count = current.count.saturating_add(u32::try_from(added).unwrap_or(u32::MAX));
                (count, count >= *target)
            }
            Goal::Fragment(fragment) => (current.count, entered(fragment.as_str(), events)),
        };
        if count == current.count && !done {
            continue;
        }
        let progressed = Event::MissionProgressed { mission: mission.id.as_str().to_owned(), period, count, done };
        state.apply(&progressed);
        follow_up.push(progressed);
        if done {
            let holdings = Holdings { balance: state.wallet.balance, spent_items: &no_spending };
            let rewards = grant(&mission.rewards, &state, holdings, Reason::MissionReward, ctx, &mut journal)?;
            rewards.iter().for_each(|event| state.apply(event));
            follow_up.extend(rewards);
        }
    }
    Ok(follow_up)
}

/// Whether `state`, just after `events`, reaches an achievement's goal.
fn reached(goal: &Goal, state: &UserState, events: &[Event]) -> bool {
    match goal {
        Goal::Counter { counter, target } => {
            state.progress.counters.get(counter.as_str()).copied().unwrap_or(0) >= u64::from(*target)
        }
        Goal::Fragment(fragment) => {
            entered(fragment.as_str(), events) || state.progress.story.path.iter().any(|id| id == fragment.as_str())
        }
    }
}

fn entered(fragment: &str, events: &[Event]) -> bool {
    events.iter().any(|event| matches!(event, Event::FragmentEntered { fragment: id, .. } if id == fragment))
}

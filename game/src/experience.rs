//! Experiences (C9): journeys across the story, missions, shop and
//! reactions, made of components whose `after` dependencies form a DAG.
//!
//! A player starts a run from the experience's page ([`ExperienceCommand`])
//! — or, for a visible, untimed experience never run before, by playing its
//! first component: a player who reads the letter in the library is on
//! "A night in the library" without having looked for it, as they expect.
//! Progress needs no command of its own: [`follow`] runs after every
//! decision (after missions and achievements), on the events other features
//! already emit, so a component and its rewards are part of the decision
//! that earned them — a saga's step (the buyer's `FulfilPurchase`, the
//! reactor's reward) included: durable and idempotent with it, and a
//! compensated step (`AbortPurchase`) emits nothing that counts.
//!
//! A component is *available* once every component it comes `after` is
//! done in the current run. What it asks for is one of two sorts of fact:
//! - a *state* fact — a fragment on the player's path, a mission done, an
//!   achievement or an item held, another experience completed — counts
//!   as soon as the component is available, whenever it became true;
//! - an *event* fact — a decision taken, a purchase completed, reactions
//!   paid, besitos spent — counts only from a decision in which the
//!   component was already available (or, for an experience started by
//!   playing, was one of its first components). Events of the decision
//!   that made it available happened before it was: they do not count.
//!
//! So no component is ever done before its dependencies. Each is done once
//! per run, its rewards paid with it; the run completes when all are, its
//! rewards paid with the last. [`follow`] loops to a fixpoint: a reward's
//! achievement, a completed experience, may complete a component of
//! another experience in the same decision.
//!
//! An experience with a time limit sets a durable timer when it starts;
//! when it fires with the run still going, the run fails. A run that has
//! passed its deadline makes no progress while the timer is on its way.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::content::{Component, ComponentKind, Experience, evaluate};
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::journeys::{Journey, Journeys, RunEnd};
use crate::ledger::Reason;
use crate::state::UserState;
use crate::story::{Holdings, fragment_tag, grant};
use crate::timer::{Timer, TimerName};

/// A player's moves on an experience, named by the [`fragment_tag`] of its
/// id (what its buttons carry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExperienceCommand {
    /// Starts a run: visible, not running, repeatable if run before, VIP
    /// for a VIP experience, its requirements met.
    Start { experience: u32 },
    /// Gives up the run in progress; only a repeatable experience may be
    /// started again.
    Abandon { experience: u32 },
}

impl ExperienceCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ExperienceCommand::Start { .. } => "start_experience",
            ExperienceCommand::Abandon { .. } => "abandon_experience",
        }
    }
}

/// Where a player stands on an experience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing<'s> {
    /// Never run, or may be run again.
    NotStarted,
    Running(&'s Journey),
    /// Completed `runs` times, or given up, and not repeatable.
    Finished {
        completed: bool,
    },
}

pub fn journeys(state: &UserState) -> Option<&Journeys> {
    state.progress.experiences.as_deref()
}

/// Where `state` stands on `experience`.
pub fn standing<'s>(state: &'s UserState, experience: &Experience) -> Standing<'s> {
    let id = experience.id.as_str();
    let Some(journeys) = journeys(state) else { return Standing::NotStarted };
    if let Some(journey) = journeys.running.get(id) {
        return Standing::Running(journey);
    }
    if journeys.ever_started(id) && !experience.repeatable {
        return Standing::Finished { completed: journeys.is_completed(id) };
    }
    Standing::NotStarted
}

/// Whether the player sees `experience` listed: not hidden, or unlocked.
pub fn is_visible(experience: &Experience, state: &UserState) -> bool {
    !experience.hidden || state.progress.unlocked_experiences.contains(experience.id.as_str())
}

/// The experience whose id has this tag, if the player sees it.
pub fn by_tag<'c>(tag: u32, state: &UserState, ctx: Ctx<'c>) -> Result<&'c Experience, RuleError> {
    ctx.content
        .experiences()
        .find(|experience| fragment_tag(experience.id.as_str()) == tag && is_visible(experience, state))
        .ok_or(RuleError::UnknownExperience)
}

/// Whether the player may start a run of `experience` now, or why not
/// (what is missing, with hints, for unmet requirements).
pub fn may_start(state: &UserState, experience: &Experience, ctx: Ctx<'_>) -> Result<(), RuleError> {
    match standing(state, experience) {
        Standing::Running(_) => return Err(RuleError::ExperienceRunning),
        Standing::Finished { .. } => return Err(RuleError::ExperienceNotRepeatable),
        Standing::NotStarted => {}
    }
    if experience.vip && !ctx.content.is_vip(state, ctx.now) {
        return Err(RuleError::NotVip);
    }
    let evaluation = evaluate(&experience.requires, state, ctx.content, ctx.now);
    if !evaluation.allowed {
        return Err(RuleError::RequirementsNotMet { missing: evaluation.missing });
    }
    Ok(())
}

/// Components not done whose dependencies are all done, in content order.
pub fn available<'e>(experience: &'e Experience, done: &BTreeSet<String>) -> Vec<&'e Component> {
    let open = |component: &&Component| {
        !done.contains(component.id.as_str()) && component.after.iter().all(|after| done.contains(after.as_str()))
    };
    experience.components.iter().filter(open).collect()
}

/// Percentage of the run's components done.
pub fn percent(experience: &Experience, journey: &Journey) -> u32 {
    let total = experience.components.len().max(1);
    (journey.done.len().min(total) * 100 / total) as u32
}

/// Experiences a player is running or could start (visible, not finished)
/// with a component `matches` picks: what the story and shop pages mention.
pub fn featuring<'c>(state: &UserState, ctx: Ctx<'c>, matches: impl Fn(&ComponentKind) -> bool) -> Vec<&'c Experience> {
    ctx.content
        .experiences()
        .filter(|experience| is_visible(experience, state))
        .filter(|experience| match standing(state, experience) {
            Standing::Running(_) => true,
            Standing::NotStarted => may_start(state, experience, ctx).is_ok(),
            Standing::Finished { .. } => false,
        })
        .filter(|experience| experience.components.iter().any(|component| matches(&component.kind)))
        .collect()
}

pub(crate) fn decide(state: &UserState, command: &ExperienceCommand, ctx: Ctx<'_>) -> Result<Vec<Event>, RuleError> {
    match command {
        ExperienceCommand::Start { experience } => {
            let experience = by_tag(*experience, state, ctx)?;
            may_start(state, experience, ctx)?;
            Ok(start(experience, ctx))
        }
        ExperienceCommand::Abandon { experience } => {
            let experience = by_tag(*experience, state, ctx)?;
            let Standing::Running(journey) = standing(state, experience) else {
                return Err(RuleError::ExperienceNotRunning);
            };
            let id = experience.id.as_str().to_owned();
            let mut events = vec![Event::ExperienceEnded { experience: id, end: RunEnd::Abandoned }];
            events.extend(deadline_cleared(experience, journey));
            Ok(events)
        }
    }
}

/// The events of starting a run now: the run, and its deadline's timer.
fn start(experience: &Experience, ctx: Ctx<'_>) -> Vec<Event> {
    let deadline = experience.time_limit_hours.map(|hours| ctx.now + i64::from(hours) * 60 * 60);
    let mut events =
        vec![Event::ExperienceStarted { experience: experience.id.as_str().to_owned(), at: ctx.now, deadline }];
    if let Some(due) = deadline {
        events.push(Event::TimerSet(Timer { name: deadline_timer(experience), due }));
    }
    events
}

fn deadline_timer(experience: &Experience) -> TimerName {
    TimerName::ExperienceDeadline { experience: fragment_tag(experience.id.as_str()) }
}

fn deadline_cleared(experience: &Experience, journey: &Journey) -> Option<Event> {
    journey.deadline.map(|due| Event::TimerCleared(Timer { name: deadline_timer(experience), due }))
}

/// A run's deadline is due: the run fails if it is still the one the
/// timer was set for; the timer is cleared either way.
pub(crate) fn fired(state: &UserState, timer: Timer, ctx: Ctx<'_>) -> Vec<Event> {
    let TimerName::ExperienceDeadline { experience: tag } = timer.name else { return Vec::new() };
    let mut events = Vec::new();
    let running = journeys(state).map(|journeys| &journeys.running);
    let expired = running.into_iter().flatten().find(|(id, journey)| {
        fragment_tag(id) == tag && journey.deadline == Some(timer.due) && ctx.content.experience(id).is_some()
    });
    if let Some((id, _)) = expired {
        events.push(Event::ExperienceEnded { experience: id.clone(), end: RunEnd::Expired });
    }
    events.push(Event::TimerCleared(timer));
    events
}

/// What a decision's `events` (everything else it did, missions and
/// achievements included) do to the player's experiences: runs started by
/// playing, components done or counted, runs completed, with their
/// rewards. Runs inside [`crate::decide`], so it is all one decision.
pub(crate) fn follow(before: &UserState, events: &[Event], ctx: Ctx<'_>) -> Result<Vec<Event>, RuleError> {
    let running_before = journeys(before).is_some_and(|journeys| !journeys.running.is_empty());
    if !running_before && !events.iter().any(may_start_by_playing) {
        return Ok(Vec::new());
    }
    let mut state = before.clone();
    events.iter().for_each(|event| state.apply(event));
    // Components this decision's events count for: those available before it.
    let mut open: BTreeSet<(String, String)> = BTreeSet::new();
    for (id, journey) in journeys(before).map(|journeys| &journeys.running).into_iter().flatten() {
        if let Some(experience) = ctx.content.experience(id) {
            open.extend(available(experience, &journey.done).iter().map(|c| (id.clone(), c.id.as_str().to_owned())));
        }
    }
    let mut journal = Journal::new(&state, ctx);
    let mut follow_up = Vec::new();
    let emit = |event: Event, state: &mut UserState, follow_up: &mut Vec<Event>| {
        state.apply(&event);
        follow_up.push(event);
    };
    loop {
        let mut changed = false;
        for experience in ctx.content.experiences() {
            if starts_by_playing(experience, before, &state, events, ctx) {
                let id = experience.id.as_str();
                let roots = experience.components.iter().filter(|component| component.after.is_empty());
                open.extend(roots.map(|component| (id.to_owned(), component.id.as_str().to_owned())));
                start(experience, ctx).into_iter().for_each(|event| emit(event, &mut state, &mut follow_up));
                changed = true;
            }
        }
        let running: Vec<String> = journeys(&state).into_iter().flat_map(|j| j.running.keys().cloned()).collect();
        for id in running {
            let Some(experience) = ctx.content.experience(&id) else { continue };
            let Some(journey) = journeys(&state).and_then(|journeys| journeys.running.get(&id)) else { continue };
            if journey.deadline.is_some_and(|deadline| ctx.now >= deadline) {
                continue;
            }
            let before_counts = journeys(before).and_then(|journeys| journeys.running.get(&id)).map(|j| &j.counts);
            let mut steps = Vec::new();
            for component in available(experience, &journey.done) {
                let is_open = open.contains(&(id.clone(), component.id.as_str().to_owned()));
                let counted_before =
                    before_counts.and_then(|counts| counts.get(component.id.as_str())).copied().unwrap_or(0);
                match step(component, &state, events, is_open, counted_before, ctx) {
                    Step::Done => steps.push(Event::ComponentDone {
                        experience: id.clone(),
                        component: component.id.as_str().to_owned(),
                    }),
                    Step::Counted(count) if journey.counts.get(component.id.as_str()) != Some(&count) => {
                        steps.push(Event::ComponentCounted {
                            experience: id.clone(),
                            component: component.id.as_str().to_owned(),
                            count,
                        })
                    }
                    Step::Counted(_) | Step::Waiting => {}
                }
            }
            let deadline = deadline_cleared(experience, journey);
            for step in steps {
                let rewards = match &step {
                    Event::ComponentDone { component, .. } => {
                        changed = true;
                        experience.components.iter().find(|c| c.id.as_str() == component).map(|c| &c.rewards)
                    }
                    _ => None,
                };
                emit(step, &mut state, &mut follow_up);
                if let Some(rewards) = rewards {
                    for event in rewarded(rewards, &state, ctx, &mut journal)? {
                        emit(event, &mut state, &mut follow_up);
                    }
                }
            }
            let journey = journeys(&state).and_then(|journeys| journeys.running.get(&id));
            let complete = journey.is_some_and(|journey| {
                experience.components.iter().all(|component| journey.done.contains(component.id.as_str()))
            });
            if complete {
                emit(Event::ExperienceCompleted { experience: id.clone() }, &mut state, &mut follow_up);
                for event in rewarded(&experience.rewards, &state, ctx, &mut journal)? {
                    emit(event, &mut state, &mut follow_up);
                }
                if let Some(cleared) = deadline {
                    emit(cleared, &mut state, &mut follow_up);
                }
                changed = true;
            }
        }
        if !changed {
            return Ok(follow_up);
        }
    }
}

fn rewarded(
    rewards: &crate::content::Reward,
    state: &UserState,
    ctx: Ctx<'_>,
    journal: &mut Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let holdings = Holdings { balance: state.wallet.balance, spent_items: &BTreeMap::new() };
    grant(rewards, state, holdings, Reason::ExperienceReward, ctx, journal)
}

/// Whether a decision with this event could start an experience by
/// playing (the cheap test that spares most decisions the work).
fn may_start_by_playing(event: &Event) -> bool {
    matches!(
        event,
        Event::FragmentEntered { .. }
            | Event::DecisionTaken { .. }
            | Event::MissionProgressed { done: true, .. }
            | Event::AchievementUnlocked { .. }
            | Event::PurchaseClosed { completed: true, .. }
            | Event::StarsPaid { .. }
            | Event::ItemsGranted { .. }
            | Event::ExperienceStarted { .. }
            | Event::ExperienceCompleted { .. }
    )
}

/// Whether playing starts `experience` in this decision: visible, untimed,
/// never run, startable, and one of its first components done by what this
/// decision did (a state fact that just became true, or an event fact).
fn starts_by_playing(
    experience: &Experience,
    before: &UserState,
    state: &UserState,
    events: &[Event],
    ctx: Ctx<'_>,
) -> bool {
    let id = experience.id.as_str();
    if experience.time_limit_hours.is_some() || journeys(state).is_some_and(|journeys| journeys.ever_started(id)) {
        return false;
    }
    let caused = |component: &Component| match state_fact(&component.kind, state, ctx) {
        Some(holds) => holds && state_fact(&component.kind, before, ctx) != Some(true),
        None => event_fact(&component.kind, events),
    };
    experience.components.iter().any(|component| component.after.is_empty() && caused(component))
        && may_start(state, experience, ctx).is_ok()
}

enum Step {
    Done,
    /// A counting component's new count, short of its target.
    Counted(u64),
    Waiting,
}

/// What `component` (available) makes of the state and this decision's
/// events; `open` when the events count for it, `counted` its count
/// before this decision.
fn step(component: &Component, state: &UserState, events: &[Event], open: bool, counted: u64, ctx: Ctx<'_>) -> Step {
    if let Some(holds) = state_fact(&component.kind, state, ctx) {
        return if holds { Step::Done } else { Step::Waiting };
    }
    if !open {
        return Step::Waiting;
    }
    let target = match &component.kind {
        ComponentKind::Reaction { count } => u64::from(*count),
        ComponentKind::BesitosSpent { amount } => *amount,
        kind => return if event_fact(kind, events) { Step::Done } else { Step::Waiting },
    };
    let count = counted.saturating_add(counted_in(&component.kind, events));
    if count >= target { Step::Done } else { Step::Counted(count) }
}

/// Whether a state fact holds; `None` for a kind that is an event fact.
fn state_fact(kind: &ComponentKind, state: &UserState, ctx: Ctx<'_>) -> Option<bool> {
    Some(match kind {
        ComponentKind::Fragment(fragment) => state.progress.story.path.iter().any(|id| id == fragment.as_str()),
        ComponentKind::Mission(mission) => state.progress.missions.get(mission.as_str()).is_some_and(|m| m.done),
        ComponentKind::Achievement(achievement) => state.progress.achievements.contains(achievement.as_str()),
        ComponentKind::ItemHeld { item, quantity } => state.item_count(item) >= *quantity,
        ComponentKind::Experience(experience) => ctx.content.experience_completed(state, experience),
        ComponentKind::Decision(..)
        | ComponentKind::Purchase(_)
        | ComponentKind::Reaction { .. }
        | ComponentKind::BesitosSpent { .. } => return None,
    })
}

/// Whether `events` hold a decision taken or a purchase completed that
/// `kind` asks for.
fn event_fact(kind: &ComponentKind, events: &[Event]) -> bool {
    events.iter().any(|event| match (kind, event) {
        (ComponentKind::Decision(fragment, decision), Event::DecisionTaken { fragment: f, decision: d }) => {
            fragment.as_str() == f && decision.as_str() == d
        }
        (ComponentKind::Purchase(item), Event::PurchaseClosed { item: bought, completed: true, .. }) => {
            crate::shop::purchased_items(bought).any(|piece| piece == item.as_str())
        }
        (ComponentKind::Purchase(item), Event::StarsPaid { item: bought, .. }) => item.as_str() == bought,
        _ => false,
    })
}

/// What `events` add to a counting component: reactions paid, or besitos
/// spent on a sink — a decision's cost, a purchase delivered (not one
/// refunded: it counts at delivery), a gift sent, an auction won.
fn counted_in(kind: &ComponentKind, events: &[Event]) -> u64 {
    let amount = |event: &Event| -> u64 {
        match (kind, event) {
            (ComponentKind::Reaction { .. }, Event::ReactionRewarded { .. }) => 1,
            (ComponentKind::BesitosSpent { .. }, Event::Ledger(entry))
                if entry.amount < 0 && matches!(entry.reason, Reason::StoryCost | Reason::GiftSent) =>
            {
                entry.amount.unsigned_abs()
            }
            (ComponentKind::BesitosSpent { .. }, Event::PurchaseClosed { besitos, completed: true, .. })
            | (ComponentKind::BesitosSpent { .. }, Event::HoldConsumed { amount: besitos, .. }) => {
                besitos.unsigned_abs()
            }
            _ => 0,
        }
    };
    events.iter().map(amount).fold(0, u64::saturating_add)
}

//! Referrals: a player's invite link brings a new player; when the new
//! player reaches the milestone of `referrals.toml` (story decisions
//! taken), both are paid — once.
//!
//! The invited player's half is recorded at registration only (a link
//! opened by a known player, or by its own owner, is refused) and paid in
//! the decision that reaches the milestone, which also sets a
//! `ReferralReward` timer: an outbox that survives a crash. Its firing has
//! the inviter's actor settle the referral ([`ReferralCommand::Settle`],
//! idempotent by the invited player) and then clears the timer, so the
//! inviter is paid exactly once, and not past the monthly cap.

use serde::{Deserialize, Serialize};

use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::Event;
use crate::ids::{Language, UserId};
use crate::ledger::Reason;
use crate::state::UserState;
use crate::time::month_of;
use crate::timer::{Timer, TimerName};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReferralCommand {
    /// `/start r_<code>`: register (as `/start` does), invited by `inviter`.
    Join { first_name: String, username: Option<String>, language: Language, inviter: UserId },
    /// As the inviter: settle `invitee`'s referral, which reached the
    /// milestone (delivered by the invited player's `ReferralReward` timer).
    Settle { invitee: UserId },
}

impl ReferralCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ReferralCommand::Join { .. } => "referral_join",
            ReferralCommand::Settle { .. } => "referral_settle",
        }
    }
}

/// The invited player's claim, checked before registering: not through
/// their own link, and only for a new player.
pub(crate) fn joined(state: &UserState, inviter: UserId) -> Result<Event, RuleError> {
    if inviter == state.id {
        return Err(RuleError::SelfReferral);
    }
    if state.is_registered() {
        return Err(RuleError::ReferralNotNew);
    }
    Ok(Event::ReferralClaimed { inviter })
}

/// After every decision: the invited player's milestone, reached by it.
pub(crate) fn follow(before: &UserState, events: &[Event], ctx: Ctx<'_>) -> Vec<Event> {
    let Some(settings) = ctx.content.referrals() else { return Vec::new() };
    let Some(community) = before.progress.community.as_deref() else { return Vec::new() };
    let (Some(inviter), false) = (community.invited_by, community.referral_reached) else { return Vec::new() };
    let taken: u64 = events
        .iter()
        .filter_map(|event| match event {
            Event::CounterIncremented { counter, by } if counter == "decisions" => Some(*by),
            _ => None,
        })
        .sum();
    let decisions = before.progress.counters.get("decisions").copied().unwrap_or(0) + taken;
    if taken == 0 || decisions < u64::from(settings.milestone_decisions) {
        return Vec::new();
    }
    let mut state = before.clone();
    events.iter().for_each(|event| state.apply(event));
    let mut journal = Journal::new(&state, ctx);
    let mut reached = vec![Event::ReferralReached { inviter }];
    if settings.invitee_reward > 0 {
        let reward = i64::try_from(settings.invitee_reward).unwrap_or(i64::MAX);
        reached.push(journal.credit(reward, Reason::ReferralReward));
    }
    reached.push(Event::TimerSet(Timer { name: TimerName::ReferralReward, due: ctx.now }));
    reached
}

pub(crate) fn decide(
    state: &UserState,
    invitee: UserId,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let community = state.progress.community.as_deref();
    if community.is_some_and(|community| community.invitees_settled.contains(&invitee)) {
        return Ok(Vec::new());
    }
    if invitee == state.id {
        return Err(RuleError::SelfReferral);
    }
    let month = month_of(ctx.now);
    let paid_this_month = match community.map(|community| community.referrals_this_month) {
        Some((counted, paid)) if counted == month => paid,
        _ => 0,
    };
    let reward = ctx.content.referrals().filter(|settings| paid_this_month < settings.monthly_cap);
    let Some(settings) = reward else {
        return Ok(vec![Event::ReferralSettled { invitee, paid: false, month, paid_this_month }]);
    };
    let mut events = vec![Event::ReferralSettled { invitee, paid: true, month, paid_this_month: paid_this_month + 1 }];
    if settings.inviter_reward > 0 {
        let reward = i64::try_from(settings.inviter_reward).unwrap_or(i64::MAX);
        events.push(journal.credit(reward, Reason::ReferralReward));
    }
    Ok(events)
}

/// The invited player's `ReferralReward` timer, once the inviter's
/// settlement is durable: done with.
pub(crate) fn fired(timer: Timer) -> Vec<Event> {
    vec![Event::TimerCleared(timer)]
}

//! REACCIONAR_CONTENIDO, the player's half: which reactions pay, how much,
//! and the daily limit. A reaction is on a channel post (the post's actor
//! says which pay table applies) or on a story page in the player's private
//! chat (the player's own state knows which fragment that message shows).

use serde::{Deserialize, Serialize};

use crate::content::ReactionTarget;
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::{Event, Reacted};
use crate::ids::PostRef;
use crate::ledger::Reason;
use crate::state::UserState;
use crate::time::day_of;

/// Reactions a player newly set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReactionCommand {
    /// Reactions newly set on a post; each emoji pays once per post, ever,
    /// at the rates of `target` (which the post's actor answered).
    React { post: PostRef, target: ReactionTarget, emojis: Vec<String> },
    /// Reactions newly set on message `page` of the player's private chat:
    /// paid at the `fragment` rates if it shows a story page, each emoji
    /// once per fragment, ever.
    ReactToPage { page: i32, emojis: Vec<String> },
}

impl ReactionCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ReactionCommand::React { .. } => "react",
            ReactionCommand::ReactToPage { .. } => "react_to_page",
        }
    }
}

pub(crate) fn decide(
    state: &UserState,
    command: &ReactionCommand,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    match command {
        ReactionCommand::React { post, target, emojis } => {
            // The VIP channel's rates are for VIP members: anyone else in
            // it got in by a leaked link and is on their way out.
            if *target == ReactionTarget::VipPost && !ctx.content.is_vip(state, ctx.now) {
                return Err(RuleError::NotVip);
            }
            pay(state, Reacted::Post(*post), *target, emojis, ctx, &mut journal)
        }
        ReactionCommand::ReactToPage { page, emojis } => {
            let on = page_fragment(state, *page)?;
            pay(state, on, ReactionTarget::Fragment, emojis, ctx, &mut journal)
        }
    }
}

/// The events of `emojis` newly set on `on`, paid from the `target` table.
fn pay(
    state: &UserState,
    on: Reacted,
    target: ReactionTarget,
    emojis: &[String],
    ctx: Ctx<'_>,
    journal: &mut Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let mut fresh: Vec<&String> = Vec::new();
    for emoji in emojis {
        let paid = state.progress.rewarded_reactions.contains(&(on.clone(), emoji.clone()));
        if !paid && !fresh.contains(&emoji) {
            fresh.push(emoji);
        }
    }
    if fresh.is_empty() {
        return Err(RuleError::AlreadyRewarded);
    }
    // The per-day cap counts paid reactions (content's `daily_limit`).
    let table = ctx.content.reactions();
    let today = day_of(ctx.now);
    let (day, paid_today) = state.progress.reactions_paid_today;
    let paid_today = if day == today { paid_today } else { 0 };
    if let Some(limit) = table.daily_limit
        && paid_today.saturating_add(fresh.len() as u32) > limit
    {
        return Err(RuleError::DailyReactionLimit { limit });
    }
    // A running `reaction_multiplier` event multiplies every payout.
    let multiplier = ctx.content.boosts(ctx.now).reaction_multiplier;
    let mut events = Vec::with_capacity(fresh.len() * 2 + 2);
    for emoji in &fresh {
        let besitos = table.besitos_for(target, emoji).saturating_mul(multiplier);
        let reward = i64::try_from(besitos).unwrap_or(i64::MAX);
        events.push(Event::ReactionRewarded { on: on.clone(), emoji: (*emoji).clone(), besitos: reward });
        if reward > 0 {
            events.push(journal.credit(reward, Reason::Reaction));
        }
    }
    events.push(Event::ReactionsPaidToday { day: today, count: paid_today + fresh.len() as u32 });
    events.push(Event::CounterIncremented { counter: "reactions".to_owned(), by: fresh.len() as u64 });
    Ok(events)
}

/// The fragment the story page in message `page` of the player's chat
/// shows, as far as the player's state knows.
fn page_fragment(state: &UserState, page: i32) -> Result<Reacted, RuleError> {
    let fragment = state.progress.story.pages.get(&page).ok_or(RuleError::NotAStoryPage)?;
    Ok(Reacted::Fragment(fragment.clone()))
}

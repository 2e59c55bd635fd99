//! REACCIONAR_CONTENIDO, the player's half: which reactions pay, how much,
//! and the daily limit. A reaction is on a channel post (the post's actor
//! says which pay table applies) or on a story page in the player's private
//! chat (the player's own state knows which fragment that message shows).

use serde::{Deserialize, Serialize};

use crate::content::ReactionTarget;
use crate::error::RuleError;
use crate::ids::PostRef;
use crate::ledger::Reason;
use crate::rules::{Ctx, Event, Journal};
use crate::state::UserState;

/// What a paid reaction was on: each emoji pays once per player and
/// `Reacted`, ever.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Reacted {
    Post(PostRef),
    /// A story fragment, by id: two pages showing the same fragment are one
    /// thing to react to.
    Fragment(String),
}

/// The events of `emojis` newly set on `on`, paid from the `target` table.
pub(crate) fn decide(
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
    let today = crate::economy::day_of(ctx.now);
    let (day, paid_today) = state.progress.reactions_paid_today;
    let paid_today = if day == today { paid_today } else { 0 };
    if let Some(limit) = table.daily_limit
        && paid_today.saturating_add(fresh.len() as u32) > limit
    {
        return Err(RuleError::DailyReactionLimit { limit });
    }
    let mut events = Vec::with_capacity(fresh.len() * 2 + 2);
    for emoji in &fresh {
        let reward = i64::try_from(table.besitos_for(target, emoji)).unwrap_or(i64::MAX);
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
pub(crate) fn page_fragment(state: &UserState, page: i32) -> Result<Reacted, RuleError> {
    let fragment = state.progress.story.pages.get(&page).ok_or(RuleError::NotAStoryPage)?;
    Ok(Reacted::Fragment(fragment.clone()))
}

//! The story engine's rules: opening the story, TOMAR_DECISION (take a
//! decision) and ACCEDER_NARRATIVA_VIP (enter a VIP fragment).
//!
//! A decision is validated whole before any event is produced: the button
//! must belong to the fragment the player stands on, the target's level must
//! be open to them (VIP), the composite requirement must hold, every cost
//! must be payable and every reward must fit. Only then come the events —
//! costs, rewards, flags, the move — so its effects land all together or not
//! at all.
//!
//! The player's state also remembers which message of their chat shows
//! which fragment (a story page), so a reaction on the page pays for the
//! fragment: a press edits its own message, so the story command that
//! answers it records the page; a page sent as a new message is recorded
//! by [`StoryCommand::ShowStoryPage`] once Telegram has given it an id.

use serde::{Deserialize, Serialize};

use crate::backpack;
use crate::content::{Content, Decision, Fragment, Reward, evaluate};
use crate::ctx::{Ctx, Journal};
use crate::error::RuleError;
use crate::event::{Event, Unlock};
use crate::ids::ItemId;
use crate::ledger::Reason;
use crate::state::UserState;
use crate::vip::{self, GrantKind};

/// A short, stable tag of a fragment id (FNV-1a), carried by decision
/// buttons so a press on an older fragment's button is recognised.
pub fn fragment_tag(fragment: &str) -> u32 {
    fragment.bytes().fold(0x811c_9dc5u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

/// The fragment the player stands on, if they opened the story and the
/// content still has it.
pub fn current<'c>(state: &UserState, content: &'c Content) -> Option<&'c Fragment> {
    state.progress.story.fragment.as_deref().and_then(|id| content.fragment(id))
}

/// The player's moves through the story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoryCommand {
    /// Opens the story: enters the first fragment the first time.
    ///
    /// `page`, here and in the other story commands, is the message of the
    /// player's chat the reply turns into the story page (a button press
    /// edits its own message); `None` when the page is sent as a new
    /// message, whose id [`StoryCommand::ShowStoryPage`] records once sent.
    OpenStory { page: Option<i32> },
    /// TOMAR_DECISION: takes the `choice`-th decision of the fragment the
    /// button was rendered for (`fragment` is its [`fragment_tag`]),
    /// so a button from an older fragment is recognised as stale.
    Decide { fragment: u32, choice: u8, page: Option<i32> },
    /// Back to the first fragment after an ending; keeps everything earned.
    RestartStory { page: Option<i32> },
    /// A deep link (`/start f_<fragment>`, from a channel teaser) asks for
    /// `fragment`: opened by the same rules as navigating there. A VIP
    /// fragment shows a free player the VIP door (`VipDenied`); one that a
    /// decision of the fragment the player stands on leads to is that
    /// decision taken (its requirements, costs and rewards); one the player
    /// has been to, was given (`unlock_fragments`) or the story's start
    /// opens directly; any other is refused as not reached yet.
    OpenFragment { fragment: String, page: Option<i32> },
    /// The bot sent `fragment` as a new message, `page`: reactions on it pay
    /// for that fragment. A message already known keeps what it shows (a
    /// press on it may have been recorded first).
    ShowStoryPage { page: i32, fragment: String },
}

impl StoryCommand {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            StoryCommand::OpenStory { .. } => "open_story",
            StoryCommand::Decide { .. } => "decide",
            StoryCommand::RestartStory { .. } => "restart_story",
            StoryCommand::OpenFragment { .. } => "open_fragment",
            StoryCommand::ShowStoryPage { .. } => "show_story_page",
        }
    }
}

pub(crate) fn decide(
    state: &UserState,
    command: &StoryCommand,
    ctx: Ctx<'_>,
    journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let content = ctx.content;
    let (events, page) = match command {
        StoryCommand::OpenStory { page } => match current(state, content) {
            Some(_) => (Vec::new(), page),
            None => (enter(state, content.start().as_str(), content, Vec::new()), page),
        },
        StoryCommand::RestartStory { page } => {
            let at_ending = current(state, content).is_some_and(|fragment| fragment.ending);
            if !at_ending {
                return Err(RuleError::StaleChoice);
            }
            (enter(state, content.start().as_str(), content, Vec::new()), page)
        }
        StoryCommand::Decide { fragment, choice, page } => {
            (decide_choice(state, *fragment, *choice, ctx, journal)?, page)
        }
        StoryCommand::OpenFragment { fragment, page } => (open_fragment(state, fragment, ctx, journal)?, page),
        StoryCommand::ShowStoryPage { page, fragment } => {
            if content.fragment(fragment).is_none() {
                return Err(RuleError::Malformed(crate::Malformed::UnknownFragment(fragment.clone())));
            }
            if state.progress.story.pages.contains_key(page) {
                return Ok(Vec::new());
            }
            return Ok(vec![Event::StoryPageShown { page: *page, fragment: fragment.clone() }]);
        }
    };
    Ok(match page {
        Some(page) => with_page_shown(state, content, *page, events),
        None => events,
    })
}

/// TOMAR_DECISION on the fragment the player stands on.
fn decide_choice(
    state: &UserState,
    fragment: u32,
    choice: u8,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let content = ctx.content;
    let here = current(state, content).ok_or(RuleError::StaleChoice)?;
    if fragment_tag(here.id.as_str()) != fragment {
        return Err(RuleError::StaleChoice);
    }
    let decision = here.decisions.get(usize::from(choice)).ok_or(RuleError::UnknownChoice)?;
    let target = content.fragment(decision.to.as_str()).ok_or(RuleError::UnknownChoice)?;
    // ACCEDER_NARRATIVA_VIP: a free player is shown the door, and the
    // refusal is itself an event (a conversion opportunity).
    if content.is_vip_fragment(target) && !content.is_vip(state, ctx.now) {
        return Ok(vec![Event::VipDenied { fragment: target.id.as_str().to_owned() }]);
    }
    let evaluation = evaluate(&decision.requirement(), state, content, ctx.now);
    if !evaluation.allowed {
        return Err(RuleError::RequirementsNotMet { missing: evaluation.missing });
    }
    let mut events = settle(state, decision, ctx, &mut journal)?;
    let taken = (here.id.as_str().to_owned(), decision.id.as_str().to_owned());
    events.push(Event::DecisionTaken { fragment: taken.0, decision: taken.1 });
    events.push(Event::CounterIncremented { counter: "decisions".to_owned(), by: 1 });
    Ok(enter(state, target.id.as_str(), content, events))
}

/// A deep link to `fragment`: see [`StoryCommand::OpenFragment`].
fn open_fragment(
    state: &UserState,
    fragment: &str,
    ctx: Ctx<'_>,
    journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let content = ctx.content;
    let target = content
        .fragment(fragment)
        .ok_or_else(|| RuleError::Malformed(crate::Malformed::UnknownFragment(fragment.to_owned())))?;
    let here = current(state, content);
    if here.is_some_and(|here| here.id == target.id) {
        return Ok(Vec::new());
    }
    if content.is_vip_fragment(target) && !content.is_vip(state, ctx.now) {
        return Ok(vec![Event::VipDenied { fragment: target.id.as_str().to_owned() }]);
    }
    // One step from where the player stands: that decision, taken.
    if let Some(here) = here
        && let Some(choice) = here.decisions.iter().position(|decision| decision.to == target.id)
    {
        let choice = u8::try_from(choice).map_err(|_| RuleError::UnknownChoice)?;
        return decide_choice(state, fragment_tag(here.id.as_str()), choice, ctx, journal);
    }
    let story = &state.progress.story;
    let known = story.path.iter().any(|id| id == fragment) || story.unlocked.contains(fragment);
    if known || *content.start() == target.id {
        return Ok(enter(state, fragment, content, Vec::new()));
    }
    Err(RuleError::FragmentNotReached)
}

/// `events`, then the page in message `page` showing where they leave the
/// player, if that is news. The VIP door shows no fragment: the message
/// keeps the one it showed.
fn with_page_shown(state: &UserState, content: &Content, page: i32, mut events: Vec<Event>) -> Vec<Event> {
    let mut shown = current(state, content).map(|fragment| fragment.id.as_str());
    for event in &events {
        match event {
            Event::FragmentEntered { fragment, .. } => shown = Some(fragment),
            Event::VipDenied { .. } => return events,
            _ => {}
        }
    }
    if let Some(fragment) =
        shown.filter(|&fragment| state.progress.story.pages.get(&page).map(String::as_str) != Some(fragment))
    {
        let fragment = fragment.to_owned();
        events.push(Event::StoryPageShown { page, fragment });
    }
    events
}

/// The events of entering `fragment`, after `events`: the lore pieces it
/// holds are found there.
fn enter(state: &UserState, fragment: &str, content: &Content, mut events: Vec<Event>) -> Vec<Event> {
    let entered = content.fragment(fragment);
    let secret = entered.is_some_and(|fragment| fragment.secret);
    events.push(Event::FragmentEntered { fragment: fragment.to_owned(), secret });
    events.push(Event::CounterIncremented { counter: "fragments_read".to_owned(), by: 1 });
    backpack::find(state, entered.into_iter().flat_map(|fragment| &fragment.lore), &mut events);
    events
}

/// Costs, rewards and flags of a decision, all checked before any is
/// produced: a reward that cannot be given refuses the whole decision.
fn settle(
    state: &UserState,
    decision: &Decision,
    ctx: Ctx<'_>,
    journal: &mut Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let (costs, rewards) = (&decision.costs, &decision.rewards);
    let mut events = Vec::new();
    let cost = i64::try_from(costs.besitos).map_err(|_| RuleError::AmountTooLarge(i64::MAX, i64::MAX))?;
    let balance = state.wallet.balance;
    if balance < cost {
        return Err(RuleError::InsufficientFunds { balance, needed: cost });
    }
    if cost > 0 {
        events.push(journal.debit(cost, Reason::StoryCost));
    }
    for (item, &quantity) in &costs.items {
        let have = state.item_count(item);
        if have < quantity {
            return Err(RuleError::InsufficientItems { item: item.clone(), have, needed: quantity });
        }
        events.push(Event::ItemsConsumed { item: item.clone(), quantity });
    }
    let after_costs = Holdings { balance: balance - cost, spent_items: &costs.items };
    events.extend(grant(rewards, state, after_costs, Reason::StoryReward, ctx, journal)?);
    for flag in &decision.sets_flags {
        if !state.progress.story.flags.contains(flag.as_str()) {
            events.push(Event::FlagSet { flag: flag.as_str().to_owned() });
        }
    }
    backpack::find(state, &decision.lore, &mut events);
    Ok(events)
}

/// What a player holds when a reward is given, besides `state`: the balance
/// and the items a cost of the same command already took.
pub(crate) struct Holdings<'a> {
    pub balance: i64,
    pub spent_items: &'a std::collections::BTreeMap<ItemId, u32>,
}

/// The events of giving `rewards` — besitos (as `reason`), items,
/// experience points, achievements, unlocks, VIP days, lore pieces — or why
/// they cannot all be given. Shared by decisions, achievements, missions,
/// the shop and lore.
pub(crate) fn grant(
    rewards: &Reward,
    state: &UserState,
    holdings: Holdings<'_>,
    reason: Reason,
    ctx: Ctx<'_>,
    journal: &mut Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    let mut events = Vec::new();
    let besitos = i64::try_from(rewards.besitos).map_err(|_| RuleError::AmountTooLarge(i64::MAX, i64::MAX))?;
    if holdings.balance.checked_add(besitos).is_none() {
        return Err(RuleError::AmountTooLarge(besitos, i64::MAX - holdings.balance));
    }
    if besitos > 0 {
        events.push(journal.credit(besitos, reason));
    }
    for (item, &quantity) in &rewards.items {
        let held = state.item_count(item) - holdings.spent_items.get(item).copied().unwrap_or(0);
        if held.checked_add(quantity).is_none() {
            return Err(RuleError::TooManyItems { item: ItemId(item.0.clone()) });
        }
        events.push(Event::ItemsGranted { item: item.clone(), quantity });
    }
    if rewards.experience_points > 0 {
        let points = state.progress.experience_points.checked_add(rewards.experience_points);
        points.ok_or(RuleError::AmountTooLarge(i64::MAX, i64::MAX))?;
        events.push(Event::ExperienceGained { points: rewards.experience_points });
    }
    for achievement in &rewards.achievements {
        if !state.progress.achievements.contains(achievement.as_str()) {
            events.push(Event::AchievementUnlocked { achievement: achievement.as_str().to_owned() });
        }
    }
    let unlocks = rewards.unlock_fragments.iter().map(|id| Unlock::Fragment(id.as_str().to_owned()));
    let unlocks = unlocks.chain(rewards.unlock_experiences.iter().map(|id| Unlock::Experience(id.as_str().to_owned())));
    let unlocks = unlocks.chain(rewards.unlock_shop_items.iter().map(|id| Unlock::ShopItem(id.as_str().to_owned())));
    events.extend(unlocks.map(Event::Unlocked));
    if rewards.vip_trial_days > 0 {
        // A VIP pass bought in the shop always gives its days; a reward
        // elsewhere is a trial, once per player.
        let kind = if reason == Reason::ShopReward { GrantKind::Days } else { GrantKind::Trial };
        events.extend(vip::grant_days(state, ctx, rewards.vip_trial_days, kind));
    }
    backpack::find(state, &rewards.lore, &mut events);
    Ok(events)
}

//! The command a user actor decides, routed by feature, and the decision
//! function around it (progression and daily caps after every command).

use serde::{Deserialize, Serialize};

use crate::admin::{self, AdminCommand};
use crate::auction::{self, AuctionCommand};
use crate::ctx::{Ctx, Journal};
use crate::economy::{self, EconomyCommand};
use crate::error::RuleError;
use crate::event::Event;
use crate::experience::{self, ExperienceCommand};
use crate::ids::Language;
use crate::leaderboard::{self, LeaderboardCommand};
use crate::ledger::Reason;
use crate::lore::{self, LoreCommand};
use crate::profile::Profile;
use crate::progression;
use crate::reaction::{self, ReactionCommand};
use crate::referral::{self, ReferralCommand};
use crate::shop::{self, ShopCommand};
use crate::state::UserState;
use crate::story::{self, StoryCommand};
use crate::time::day_of;
use crate::timer::{Timer, TimerName};
use crate::trivia::{self, TriviaCommand};
use crate::vip::{self, VipCommand};
// offers
use crate::offer::{self, OfferCommand};

/// What a user (or an operator acting on a user) asks of the game, by
/// feature: each feature's rules take their own enum, so routing is checked
/// by the compiler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    Profile(ProfileCommand),
    Reaction(ReactionCommand),
    Admin(AdminCommand),
    Story(StoryCommand),
    Economy(EconomyCommand),
    Shop(ShopCommand),
    Auction(AuctionCommand),
    Vip(VipCommand),
    Experience(ExperienceCommand),
    Lore(LoreCommand),
    /// One of the user's durable timers is due (delivered by the runtime's
    /// timer service, never by a player).
    Timer(Timer),
    // Community games.
    Trivia(TriviaCommand),
    Referral(ReferralCommand),
    // Leaderboards.
    Leaderboard(LeaderboardCommand),
    // offers: opening and buying a contextual offer.
    Offer(OfferCommand),
}

/// The player's own profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileCommand {
    /// /start: registers the user (once) and pays the welcome bonus.
    Register {
        first_name: String,
        username: Option<String>,
        language: Language,
    },
    SetLanguage(Language),
    /// `/noticias off|on`: out of broadcasts (`true`) or back in.
    SetBroadcastsOptOut(bool),
}

impl Command {
    /// Short stable name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Command::Profile(ProfileCommand::Register { .. }) => "register",
            Command::Profile(ProfileCommand::SetLanguage(_)) => "set_language",
            Command::Profile(ProfileCommand::SetBroadcastsOptOut(_)) => "set_broadcasts_opt_out",
            Command::Reaction(command) => command.kind(),
            Command::Admin(command) => command.kind(),
            Command::Story(command) => command.kind(),
            Command::Economy(command) => command.kind(),
            Command::Shop(command) => command.kind(),
            Command::Auction(command) => command.kind(),
            Command::Vip(command) => command.kind(),
            Command::Experience(command) => command.kind(),
            Command::Lore(command) => command.kind(),
            Command::Timer(_) => "timer",
            Command::Trivia(command) => command.kind(),
            Command::Referral(command) => command.kind(),
            Command::Leaderboard(command) => command.kind(),
            Command::Offer(command) => command.kind(),
        }
    }
}

/// Validates `command` against `state` and returns the events it produces.
/// Never mutates: apply the events with [`UserState::apply`].
pub fn decide(state: &UserState, command: &Command, ctx: Ctx<'_>) -> Result<Vec<Event>, RuleError> {
    let mut events = decide_command(state, command, ctx)?;
    // offers2: the player's first command of a day records the day.
    if let Some(active) = active_on(state, command, ctx.now) {
        events.insert(0, active);
    }
    if !events.is_empty() {
        // Achievements and missions follow from what the command did; their
        // rewards are part of the same all-or-nothing decision.
        let follow_up = progression::follow(state, &events, ctx)?;
        events.extend(follow_up);
        // Experiences follow from all of it (a mission just done may be a
        // component), in the same decision too.
        let journeys = experience::follow(state, &events, ctx)?;
        events.extend(journeys);
        // An invited player's milestone may be reached by any of it.
        let referred = referral::follow(state, &events, ctx);
        events.extend(referred);
        // offers: what all of it shows, buys or expires.
        let offered = offer::follow(state, &events, ctx);
        events.extend(offered);
        within_daily_caps(state, &events, ctx)?;
    }
    Ok(events)
}

// offers2
/// `ActiveOn` today, if `command` is the player's own (not a timer, a saga's
/// later step or an operator's) and the first of theirs today.
fn active_on(state: &UserState, command: &Command, now: i64) -> Option<Event> {
    let by_system = matches!(
        command,
        Command::Timer(_)
            | Command::Admin(_)
            | Command::Referral(ReferralCommand::Settle { .. })
            | Command::Shop(
                ShopCommand::FulfilPurchase { .. }
                    | ShopCommand::AbortPurchase { .. }
                    | ShopCommand::RefundStars { .. }
            )
            | Command::Auction(AuctionCommand::ReleaseHold { .. } | AuctionCommand::ConsumeHold { .. })
            | Command::Economy(
                EconomyCommand::ReceiveGift { .. }
                    | EconomyCommand::SettleTransfer { .. }
                    | EconomyCommand::RefundTransfer { .. }
            )
            | Command::Vip(
                VipCommand::Paid { .. }
                    | VipCommand::MembershipSeen(_)
                    | VipCommand::ChannelSynced(_)
                    | VipCommand::FreeApproved
            )
            | Command::Leaderboard(LeaderboardCommand::AwardPrize { .. })
    );
    let day = u32::try_from(day_of(now)).ok()?;
    (!by_system && state.progress.daily_gift.last_active_day != day).then_some(Event::ActiveOn { day })
}

/// Refuses a decision that would pay a player more besitos under one
/// reason today than the reason's daily cap (`Rules::daily_caps`).
fn within_daily_caps(state: &UserState, events: &[Event], ctx: Ctx<'_>) -> Result<(), RuleError> {
    if ctx.rules.daily_caps.is_empty() {
        return Ok(());
    }
    let today = day_of(ctx.now);
    for (&reason, &cap) in &ctx.rules.daily_caps {
        let now: i64 = events
            .iter()
            .filter_map(|event| match event {
                Event::Ledger(entry) if entry.reason == reason && entry.amount > 0 => Some(entry.amount),
                _ => None,
            })
            .sum();
        if now > 0 && state.earned_on(today, reason).saturating_add(now) > cap {
            return Err(RuleError::DailyCapReached { reason, cap });
        }
    }
    Ok(())
}

fn decide_command(state: &UserState, command: &Command, ctx: Ctx<'_>) -> Result<Vec<Event>, RuleError> {
    let registering = matches!(
        command,
        Command::Profile(ProfileCommand::Register { .. }) | Command::Referral(ReferralCommand::Join { .. })
    );
    if !state.is_registered() && !registering {
        return Err(RuleError::UnknownUser);
    }
    let journal = Journal::new(state, ctx);
    match command {
        Command::Profile(command) => decide_profile(state, command, ctx, journal),
        Command::Reaction(command) => reaction::decide(state, command, ctx, journal),
        Command::Admin(command) => admin::decide(state, command, ctx, journal),
        Command::Story(command) => story::decide(state, command, ctx, journal),
        Command::Economy(command) => economy::decide(state, command, ctx, journal),
        Command::Shop(command) => shop::decide(state, command, ctx, journal),
        Command::Auction(command) => auction::decide(state, command, ctx, journal),
        Command::Vip(command) => vip::decide(state, command, ctx, journal),
        Command::Experience(command) => experience::decide(state, command, ctx),
        Command::Lore(command) => lore::decide(state, command, ctx, journal),
        Command::Timer(timer) => Ok(fired(state, *timer, ctx)),
        Command::Trivia(command) => trivia::decide(state, command, ctx, journal),
        Command::Referral(ReferralCommand::Join { first_name, username, language, inviter }) => {
            let claimed = referral::joined(state, *inviter)?;
            let register = ProfileCommand::Register {
                first_name: first_name.clone(),
                username: username.clone(),
                language: *language,
            };
            let mut events = decide_profile(state, &register, ctx, journal)?;
            events.push(claimed);
            Ok(events)
        }
        Command::Referral(ReferralCommand::Settle { invitee }) => referral::decide(state, *invitee, ctx, journal),
        Command::Leaderboard(command) => leaderboard::decide(state, command, ctx, journal),
        Command::Offer(command) => offer::decide(state, command, ctx, journal),
    }
}

/// A due timer: its feature's effect, if it still applies, and the timer
/// cleared in the same decision.
fn fired(state: &UserState, timer: Timer, ctx: Ctx<'_>) -> Vec<Event> {
    match timer.name {
        TimerName::VipReminder { .. }
        | TimerName::VipExpiry
        | TimerName::VipGraceEnd
        | TimerName::VipChannelSync
        | TimerName::FreeChannelApproval => vip::fired(state, timer, ctx),
        TimerName::ExperienceDeadline { .. } => experience::fired(state, timer, ctx),
        TimerName::ReferralReward => referral::fired(timer),
        TimerName::OfferExpiry => offer::fired(state, timer, ctx),
    }
}

fn decide_profile(
    state: &UserState,
    command: &ProfileCommand,
    ctx: Ctx<'_>,
    mut journal: Journal<'_>,
) -> Result<Vec<Event>, RuleError> {
    match command {
        ProfileCommand::Register { first_name, username, language } => {
            if state.is_registered() {
                return Ok(Vec::new());
            }
            let profile = Profile {
                first_name: first_name.clone(),
                username: username.clone(),
                language: *language,
                registered_at: ctx.now,
                broadcasts_opt_out: false,
            };
            let mut events = vec![Event::Registered { profile }];
            if ctx.rules.welcome_bonus > 0 {
                events.push(journal.credit(ctx.rules.welcome_bonus, Reason::WelcomeBonus));
            }
            Ok(events)
        }
        ProfileCommand::SetLanguage(language) => Ok(vec![Event::LanguageChanged { language: *language }]),
        ProfileCommand::SetBroadcastsOptOut(opt_out) => {
            let current = state.profile.as_ref().is_some_and(|profile| profile.broadcasts_opt_out);
            Ok(if current == *opt_out { Vec::new() } else { vec![Event::BroadcastsOptOut { opt_out: *opt_out }] })
        }
    }
}

//! What the bot shows, in Spanish and English. Pure: state in, message out.
//!
//! Every screen is a text (Telegram HTML) and an inline keyboard whose
//! buttons carry signed callback data for the user it was rendered for.
//! The words come from the Fluent files of the content folder
//! ([`crate::texts`]); what a text says is data passed as its variables,
//! item and fragment names taken from the content.
//!
//! The texts a client must tell apart without a button to go by — notices a
//! player gets unasked, and the replies to gifts, bids and operator commands
//! — are re-exported here as [`Message`]s: the bench harness recognises
//! messages by their [`templates`] (`bench::replies`), so it follows any
//! change made to the files.

pub mod analytics;
pub mod auction;
mod channel;
mod experience;
mod lore;
pub mod operators;
mod shop;
mod story;
pub mod vip;
// Alerts and daily insights.
pub mod alerts;
// Community games.
pub mod referral;
mod trivia;
// Leaderboards.
pub mod leaderboard;
// flags: styles, feature flags, a player's record.
pub mod flags;
// offers
pub mod offer;

pub use channel::{
    TeaserFailure, broadcast_created, broadcast_done, broadcast_message, broadcasts_report, channel_usage,
    post_scheduled, scheduled_report, teaser, teaser_report,
};
pub use shop::{
    RefundFailure, invoice_fields, invoice_texts, item_details, paid_twice, purchase_report, refund_report, stars_paid,
};

use dianabot_actors::{GiftOutcome, Outcome};
use dianabot_game::content::{Content, ReactionTarget};
use dianabot_game::post::{Engagement, Post};
use dianabot_game::{Currency, Event, Language, Malformed, Reason, RuleError, UserId, UserState};
use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::telegram::callback::{Action, CallbackCodec, CallbackError};
pub use crate::texts::Message;
use crate::texts::catalogue::{self as m};
use crate::texts::{self, Arg};

pub use crate::texts::catalogue::{
    GIFT_DELIVERED, GIFT_RECEIVED, GIFT_REFUNDED, NOT_REGISTERED, OPERATOR_REPORT, REFUSED,
};

/// Every way `message` reads in either language, each variable shown as
/// `{name}`: what the bench harness matches the texts it sees against.
pub fn templates(message: Message) -> Vec<String> {
    texts::live().templates(message)
}

/// What rendering needs besides the state: the key that signs buttons and
/// the content the texts come from.
#[derive(Clone, Copy)]
pub struct Ui<'a> {
    pub codec: &'a CallbackCodec,
    pub content: &'a Content,
    /// The game clock's unix second: which timed events are running, how
    /// long a trivia question is still open.
    pub now: i64,
}

impl Ui<'_> {
    fn button(&self, state: &UserState, action: Action, label: &str) -> InlineKeyboardButton {
        InlineKeyboardButton::callback(label, self.codec.encode(state.id, action))
    }
}

/// A message ready to send or to edit into place.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// After /start: the welcome for a new player, the menu for a known one.
    Welcome,
    Onboarding,
    Menu,
    /// The fragment the player stands on, with its decisions.
    Story,
    /// The path taken, secrets and endings found.
    History,
    /// VIP status and what it opens.
    Vip,
    /// The daily gift just claimed.
    DailyGift,
    /// Missions of the current periods and how far they are.
    Missions,
    /// Achievements earned, and how to earn the rest.
    Achievements,
    Profile,
    Inventory,
    /// A shelf of the shop: `category` is the tag of a category id (0 for
    /// all), `page` counts from 0.
    Shop {
        category: u32,
        page: u8,
    },
    Help,
    LanguagePicker,
    NotUnderstood,
    /// Whether the player receives broadcasts (`/noticias`).
    News,
    /// The player's experiences: in progress, available, completed.
    Experiences,
    /// An experience's page (`experience` is the tag of its id);
    /// `confirm_abandon` asks before the run is given up.
    Experience {
        experience: u32,
        confirm_abandon: bool,
    },
    /// The backpack with the pieces of `selected` chosen (bits over the
    /// content's piece order); after a combination, what it revealed.
    Backpack {
        selected: u64,
    },
    /// The answer to a secret code.
    Code,
    /// The result of an operator's command on a user, in the operator's
    /// language (the state rendered is the target's).
    OperatorReport(Language),
    // Community games.
    /// The trivia sets and today's quota.
    Trivia,
    /// A trivia set being played: an answer's verdict, then the next
    /// question or the score.
    TriviaPlay,
    /// The timed events running and to come.
    Events,
    // flags
    /// The player's style with the five scores as bars (`/estilo`), behind
    /// the `style` flag.
    Style,
}

/// The answer to a command's outcome, if it deserves one.
pub fn reply(screen: Option<Screen>, state: &UserState, outcome: Outcome<'_>, ui: Ui<'_>) -> Option<Rendered> {
    let screen = screen?;
    let language = match screen {
        Screen::OperatorReport(language) => language,
        _ => state.language(),
    };
    match outcome {
        Outcome::Applied(events) => {
            let mut rendered = render(screen, state, events, ui);
            rendered.text.push_str(&earned(state, language, events, ui));
            Some(rendered)
        }
        // A refused choice is explained on the story page itself.
        Outcome::Refused(refused) if screen == Screen::Story && state.is_registered() => {
            Some(story::page(state, ui, Some(refused)))
        }
        // A start refused shows the experience's page with what is missing.
        Outcome::Refused(refused)
            if state.is_registered()
                && let Screen::Experience { experience, .. } = screen =>
        {
            Some(experience::page(state, ui, experience, Some(refused), false))
        }
        // A refused combination is explained above the backpack.
        Outcome::Refused(refused)
            if state.is_registered()
                && let Screen::Backpack { selected } = screen =>
        {
            Some(lore::combine_refused(state, ui, selected, refused))
        }
        // A refused start or answer is explained above the set being
        // played, or the sets.
        Outcome::Refused(refused) if state.is_registered() && screen == Screen::TriviaPlay => {
            let mut rendered = trivia::play(state, &[], ui);
            rendered.text = format!("{}\n\n{}", refusal(language, refused).text, rendered.text);
            Some(rendered)
        }
        Outcome::Refused(refused) => Some(refusal(language, refused)),
        Outcome::Duplicate | Outcome::Viewed => None,
    }
}

/// The story fragment that [`reply`] shows in full, when it is a story
/// page: a reaction on that message pays for the fragment.
pub fn story_page(
    screen: Option<Screen>,
    state: &UserState,
    outcome: Outcome<'_>,
    content: &Content,
) -> Option<String> {
    if screen != Some(Screen::Story) || !state.is_registered() {
        return None;
    }
    match outcome {
        // The VIP door shows a preview, not the fragment.
        Outcome::Applied(events) if events.iter().any(|event| matches!(event, Event::VipDenied { .. })) => None,
        Outcome::Applied(_) | Outcome::Refused(_) => {
            dianabot_game::story::current(state, content).map(|fragment| fragment.id.as_str().to_owned())
        }
        Outcome::Duplicate | Outcome::Viewed => None,
    }
}

/// Renders `screen` for `state`; `events` are what the update just did.
pub fn render(screen: Screen, state: &UserState, events: &[Event], ui: Ui<'_>) -> Rendered {
    if let Screen::OperatorReport(language) = screen {
        let args = [("user", state.id.0.to_string().into()), ("balance", state.wallet.balance.into())];
        return plain(tw(language, m::OPERATOR_REPORT, &args));
    }
    let language = state.language();
    let Some(profile) = &state.profile else { return plain(t(language, m::NOT_REGISTERED)) };
    let name = escape(&profile.first_name);
    let button = |action: Action, label: &str| ui.button(state, action, label);
    let back = || vec![vec![button(Action::Menu, &t(language, m::BACK))]];
    let balance = state.wallet.balance;
    match screen {
        Screen::Welcome if events.iter().any(|event| matches!(event, Event::Registered { .. })) => Rendered {
            text: tw(language, m::WELCOME, &[("name", name.as_str().into()), ("balance", balance.into())]),
            keyboard: Some(InlineKeyboardMarkup::new([[button(
                Action::OnboardingNext,
                &t(language, m::FOLLOW_LUCIEN),
            )]])),
        },
        Screen::Welcome => {
            let greeting = tw(language, m::WELCOME_BACK, &[("name", name.as_str().into())]);
            menu(language, state, ui, Some(&greeting))
        }
        Screen::Onboarding => Rendered {
            text: t(language, m::ONBOARDING),
            keyboard: Some(InlineKeyboardMarkup::new([[button(Action::Menu, &t(language, m::OPEN_MENU))]])),
        },
        Screen::Menu => menu(language, state, ui, None),
        Screen::Story => story::after(state, events, ui),
        Screen::History => story::history(state, ui),
        Screen::Vip => vip::status(state, ui, ui.now),
        Screen::DailyGift => {
            let paid: i64 = events
                .iter()
                .filter_map(|event| match event {
                    Event::Ledger(entry) if entry.reason == Reason::DailyGift => Some(entry.amount),
                    _ => None,
                })
                .sum();
            let args = [
                ("paid", paid.into()),
                ("streak", state.progress.daily_gift.streak.into()),
                ("balance", balance.into()),
            ];
            let text = tw(language, m::DAILY_GIFT, &args);
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(back())) }
        }
        Screen::Profile => {
            let reactions = state.progress.counters.get("reactions").copied().unwrap_or(0);
            let items: u32 = state.inventory.values().sum();
            let args = [
                ("name", name.as_str().into()),
                ("language", t(language, m::LANGUAGE_NAME).into()),
                ("balance", balance.into()),
                ("reactions", reactions.into()),
                ("items", items.into()),
            ];
            let mut text = trivia::banner(language, ui, |_| true);
            text.push_str(&tw(language, m::PROFILE, &args));
            // flags: "your style", for players the `style` flag is on for.
            if let Some(line) = flags::style_line(state, ui) {
                text.push_str(&format!("\n{line}"));
            }
            let rows = vec![
                vec![
                    button(Action::Missions, &t(language, m::BUTTON_MISSIONS)),
                    button(Action::Achievements, &t(language, m::BUTTON_ACHIEVEMENTS)),
                ],
                vec![
                    button(Action::Ledger, &t(language, m::BUTTON_LEDGER)),
                    button(Action::Vip, &t(language, m::BUTTON_VIP)),
                ],
                vec![button(Action::Invite, &t(language, m::BUTTON_INVITE))],
                vec![button(Action::Menu, &t(language, m::BACK))],
            ];
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
        }
        Screen::Missions => {
            let mut text = t(language, m::MISSIONS_TITLE);
            for mission in ui.content.missions() {
                let progress = state.progress.missions.get(mission.id.as_str());
                let (count, done) = progress.map_or((0, false), |progress| (progress.count, progress.done));
                let mark = if done { "✅" } else { "▫️" };
                let goal = match &mission.goal {
                    dianabot_game::content::Goal::Counter { target, .. } => {
                        format!(" ({}/{target})", count.min(*target))
                    }
                    dianabot_game::content::Goal::Fragment(_) => String::new(),
                };
                let line = format!(
                    "\n{mark} <b>{}</b>{goal} — {}",
                    escape(mission.name.get(language)),
                    escape(mission.description.get(language))
                );
                text.push_str(&line);
            }
            let rows = vec![vec![button(Action::Profile, &t(language, m::BACK_TO_PROFILE))]];
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
        }
        Screen::Achievements => {
            let earned = state.progress.achievements.len();
            let total = ui.content.achievements().count();
            let mut text = tw(language, m::ACHIEVEMENTS_TITLE, &[("earned", earned.into()), ("total", total.into())]);
            for achievement in ui.content.achievements() {
                let line = if state.progress.achievements.contains(achievement.id.as_str()) {
                    format!("\n🏆 <b>{}</b>", escape(achievement.name.get(language)))
                } else {
                    format!("\n🔒 {}", escape(achievement.description.get(language)))
                };
                text.push_str(&line);
            }
            let rows = vec![vec![button(Action::Profile, &t(language, m::BACK_TO_PROFILE))]];
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
        }
        Screen::Inventory => {
            let mut text = t(language, m::INVENTORY_TITLE);
            text.push('\n');
            if state.inventory.is_empty() {
                text.push_str(&t(language, m::INVENTORY_EMPTY));
            }
            for (item, quantity) in &state.inventory {
                let name = ui.content.item(&item.0).map_or(item.0.as_str(), |item| item.name.get(language));
                text.push_str(&format!("\n• {} × {quantity}", escape(name)));
            }
            let mut rows = vec![vec![button(Action::Backpack { selected: 0 }, &t(language, m::BUTTON_BACKPACK))]];
            rows.extend(back());
            Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
        }
        Screen::News => channel::news(state),
        Screen::Backpack { selected } => lore::after_combine(state, events, ui, selected),
        Screen::Code => lore::code(state, events, ui),
        Screen::Help => Rendered { text: t(language, m::HELP), keyboard: Some(InlineKeyboardMarkup::new(back())) },
        Screen::LanguagePicker => {
            let choices = vec![
                button(Action::SetLanguage(Language::Es), &t(language, m::LANGUAGE_ES)),
                button(Action::SetLanguage(Language::En), &t(language, m::LANGUAGE_EN)),
            ];
            let mut rows = vec![choices];
            rows.extend(back());
            Rendered { text: t(language, m::PICK_LANGUAGE), keyboard: Some(InlineKeyboardMarkup::new(rows)) }
        }
        Screen::Shop { category, page } => shop::shelf(state, ui, category, page),
        Screen::Experiences => experience::list(state, ui),
        Screen::Experience { experience, confirm_abandon } => {
            experience::page(state, ui, experience, None, confirm_abandon)
        }
        Screen::NotUnderstood => plain(t(language, m::NOT_UNDERSTOOD)),
        Screen::OperatorReport(_) => unreachable!("rendered above"),
        Screen::Trivia => trivia::sets(state, ui),
        Screen::TriviaPlay => trivia::play(state, events, ui),
        Screen::Events => trivia::events(state, ui),
        // flags
        Screen::Style => flags::style(state, ui),
    }
}

fn menu(language: Language, state: &UserState, ui: Ui<'_>, greeting: Option<&str>) -> Rendered {
    let button = |action: Action, label: &str| ui.button(state, action, label);
    let mut text = greeting.map(|greeting| format!("{greeting}\n\n")).unwrap_or_default();
    text.push_str(&trivia::banner(language, ui, |_| true));
    text.push_str(&tw(language, m::MENU, &[("balance", state.wallet.balance.into())]));
    let label = |message| t(language, message);
    let rows = vec![
        vec![button(Action::Story, &label(m::BUTTON_STORY)), button(Action::Profile, &label(m::BUTTON_PROFILE))],
        vec![
            button(Action::Inventory, &label(m::BUTTON_INVENTORY)),
            button(Action::DailyGift, &label(m::BUTTON_DAILY_GIFT)),
        ],
        vec![
            button(Action::Shop { category: 0, page: 0 }, &label(m::BUTTON_SHOP)),
            button(Action::Auctions, &label(m::BUTTON_AUCTIONS)),
        ],
        vec![button(Action::Experiences, &label(m::BUTTON_EXPERIENCES)), button(Action::Vip, &label(m::BUTTON_VIP))],
        vec![
            button(Action::Trivia, &label(m::BUTTON_TRIVIA)),
            button(Action::Events, &label(m::BUTTON_EVENTS)),
            button(Action::Board { board: 0 }, &label(m::BUTTON_LEADERBOARDS)),
        ],
        vec![button(Action::Help, &label(m::BUTTON_HELP)), button(Action::LanguagePicker, &label(m::BUTTON_LANGUAGE))],
    ];
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new(rows)) }
}

/// Lines celebrating the achievements and missions a command completed,
/// the lore pieces it found, and its experience steps with the bar moving.
fn earned(state: &UserState, language: Language, events: &[Event], ui: Ui<'_>) -> String {
    let content = ui.content;
    let mut lines = String::new();
    for line in referral::lines(language, events, ui) {
        lines.push_str(&format!("\n{line}"));
    }
    for line in lore::found_lines(language, events, content) {
        lines.push_str(&format!("\n{line}"));
    }
    for event in events {
        let line = match event {
            Event::AchievementUnlocked { achievement } => content.achievement(achievement).map(|achievement| {
                tw(language, m::ACHIEVEMENT_UNLOCKED, &[("name", escape(achievement.name.get(language)).into())])
            }),
            Event::MissionProgressed { mission, done: true, .. } => content
                .mission(mission)
                .map(|mission| tw(language, m::MISSION_DONE, &[("name", escape(mission.name.get(language)).into())])),
            _ => None,
        };
        if let Some(line) = line {
            lines.push_str(&format!("\n{line}"));
        }
    }
    lines.push_str(&experience::progress_lines(state, language, events, content));
    if lines.is_empty() { lines } else { format!("\n{lines}") }
}

/// What a player is told unasked of their experiences after a decision
/// nobody answers (a timer's): a run that ran out of time, say.
pub fn experience_notice(state: &UserState, ui: Ui<'_>, events: &[Event]) -> Option<Rendered> {
    let lines = experience::progress_lines(state, state.language(), events, ui.content);
    if lines.is_empty() {
        return None;
    }
    let button = ui.button(state, Action::Experiences, &t(state.language(), m::BUTTON_EXPERIENCES));
    Some(Rendered { text: lines.trim_start().to_owned(), keyboard: Some(InlineKeyboardMarkup::new([[button]])) })
}

/// The refusal of a command, for a user who asked for it by text.
pub fn refusal(language: Language, refusal: &RuleError) -> Rendered {
    if *refusal == RuleError::UnknownUser {
        return plain(t(language, m::NOT_REGISTERED));
    }
    plain(tw(language, m::REFUSED, &[("reason", escape(&reason(language, refusal)).into())]))
}

/// Why a command was refused, in the player's language (plain text, not
/// yet escaped for HTML).
pub(crate) fn reason(language: Language, refusal: &RuleError) -> String {
    let why = |message| t(language, message);
    let with = |message, args: &[(&str, Arg<'_>)]| tw(language, message, args);
    let item = |item: &dianabot_game::ItemId| texts::item_name(language, &item.0);
    match refusal {
        RuleError::UnknownUser => why(m::NOT_REGISTERED),
        RuleError::NonPositiveAmount(amount) => with(m::WHY_NON_POSITIVE_AMOUNT, &[("amount", (*amount).into())]),
        RuleError::AmountTooLarge(amount, max) => {
            with(m::WHY_AMOUNT_TOO_LARGE, &[("amount", (*amount).into()), ("max", (*max).into())])
        }
        RuleError::InsufficientFunds { balance, needed } => {
            with(m::WHY_INSUFFICIENT_FUNDS, &[("balance", (*balance).into()), ("needed", (*needed).into())])
        }
        RuleError::InsufficientItems { item: id, have, needed } => with(
            m::WHY_INSUFFICIENT_ITEMS,
            &[("item", item(id).into()), ("have", (*have).into()), ("needed", (*needed).into())],
        ),
        RuleError::TooManyItems { item: id } => with(m::WHY_TOO_MANY_ITEMS, &[("item", item(id).into())]),
        RuleError::Malformed(malformed) => malformed_reason(language, malformed),
        RuleError::StaleChoice => why(m::WHY_STALE_CHOICE),
        RuleError::UnknownChoice => why(m::WHY_UNKNOWN_CHOICE),
        RuleError::FragmentNotReached => why(m::WHY_FRAGMENT_NOT_REACHED),
        RuleError::RequirementsNotMet { .. } => why(m::WHY_REQUIREMENTS_NOT_MET),
        RuleError::AlreadyClaimedToday => why(m::WHY_ALREADY_CLAIMED_TODAY),
        RuleError::GiftToSelf => why(m::WHY_GIFT_TO_SELF),
        RuleError::GiftTooLarge { max } => with(m::WHY_GIFT_TOO_LARGE, &[("max", (*max).into())]),
        RuleError::TooManyGiftsToday { max } => with(m::WHY_TOO_MANY_GIFTS_TODAY, &[("max", (*max).into())]),
        RuleError::DailyReactionLimit { limit } => with(m::WHY_DAILY_REACTION_LIMIT, &[("limit", (*limit).into())]),
        RuleError::AlreadyRewarded => why(m::WHY_ALREADY_REWARDED),
        RuleError::UnknownPost => why(m::WHY_UNKNOWN_POST),
        RuleError::NotAStoryPage => why(m::WHY_NOT_A_STORY_PAGE),
        RuleError::UnknownShopItem(_) => why(m::WHY_UNKNOWN_SHOP_ITEM),
        RuleError::NotOnSale => why(m::WHY_NOT_ON_SALE),
        RuleError::NotSoldFor(Currency::Besitos) => why(m::WHY_NOT_SOLD_FOR_BESITOS),
        RuleError::NotSoldFor(Currency::Stars) => why(m::WHY_NOT_SOLD_FOR_STARS),
        RuleError::AlreadyOwned => why(m::WHY_ALREADY_OWNED),
        RuleError::SoldOut => why(m::WHY_SOLD_OUT),
        RuleError::PriceChanged { price } => with(m::WHY_PRICE_CHANGED, &[("price", (*price).into())]),
        RuleError::TooManyPurchaseAttempts { max } => {
            with(m::WHY_TOO_MANY_PURCHASE_ATTEMPTS, &[("max", (*max).into())])
        }
        RuleError::DailyCapReached { reason, cap } => with(
            m::WHY_DAILY_CAP_REACHED,
            &[("cap", (*cap).into()), ("reason", reason_name(language, reason.as_str()).into())],
        ),
        RuleError::UnknownCharge => why(m::WHY_UNKNOWN_CHARGE),
        RuleError::UnknownItem(item) => with(m::WHY_UNKNOWN_ITEM, &[("item", item.0.as_str().into())]),
        RuleError::UnknownAuction => why(m::WHY_UNKNOWN_AUCTION),
        RuleError::AuctionRunning { .. } => why(m::WHY_AUCTION_RUNNING),
        RuleError::AuctionClosed => why(m::WHY_AUCTION_CLOSED),
        RuleError::AuctionCancelled => why(m::WHY_AUCTION_CANCELLED),
        RuleError::BidTooLow { minimum } => with(m::WHY_BID_TOO_LOW, &[("minimum", (*minimum).into())]),
        RuleError::NoSuchHold => why(m::WHY_NO_SUCH_HOLD),
        RuleError::NotPermitted(permission) => with(m::WHY_NOT_PERMITTED, &[("permission", permission.key().into())]),
        RuleError::UnknownRole(role) => with(m::WHY_UNKNOWN_ROLE, &[("role", escape(role).into())]),
        RuleError::RoleBeyondYours(role) => with(m::WHY_ROLE_BEYOND_YOURS, &[("role", escape(role).into())]),
        RuleError::UnknownVipPlan => why(m::WHY_UNKNOWN_VIP_PLAN),
        RuleError::NoSubscription => why(m::WHY_NO_SUBSCRIPTION),
        RuleError::NotVip => why(m::WHY_NOT_VIP),
        RuleError::LifetimeMember => why(m::WHY_LIFETIME_MEMBER),
        RuleError::AlreadySubscribed => why(m::WHY_ALREADY_SUBSCRIBED),
        RuleError::UnknownExperience => why(m::WHY_UNKNOWN_EXPERIENCE),
        RuleError::ExperienceRunning => why(m::WHY_EXPERIENCE_RUNNING),
        RuleError::ExperienceNotRepeatable => why(m::WHY_EXPERIENCE_NOT_REPEATABLE),
        RuleError::ExperienceNotRunning => why(m::WHY_EXPERIENCE_NOT_RUNNING),
        RuleError::PieceNotHeld { .. } => why(m::WHY_PIECE_NOT_HELD),
        RuleError::TooFewPieces => why(m::WHY_TOO_FEW_PIECES),
        RuleError::WrongCombination { .. } => why(m::WHY_WRONG_COMBINATION),
        RuleError::AlreadyRevealed { .. } => why(m::WHY_ALREADY_REVEALED),
        RuleError::CodeAlreadyUsed => why(m::WHY_CODE_ALREADY_USED),
        RuleError::CodeExpired => why(m::WHY_CODE_EXPIRED),
        RuleError::TooManyCodeTries { max } => with(m::WHY_TOO_MANY_CODE_TRIES, &[("max", (*max).into())]),
        // Community games.
        RuleError::UnknownTriviaSet => why(m::WHY_UNKNOWN_TRIVIA_SET),
        RuleError::TriviaQuotaReached { max, resets_at } => {
            with(m::WHY_TRIVIA_QUOTA, &[("max", (*max).into()), ("resets", trivia::instant(*resets_at).into())])
        }
        RuleError::TriviaQuestionGone => why(m::WHY_TRIVIA_QUESTION_GONE),
        RuleError::TriviaAlreadyAnswered => why(m::WHY_TRIVIA_ALREADY_ANSWERED),
        RuleError::ReferralNotNew => why(m::WHY_REFERRAL_NOT_NEW),
        RuleError::SelfReferral => why(m::WHY_SELF_REFERRAL),
        // flags
        RuleError::UnknownFlag(flag) => with(m::WHY_UNKNOWN_FLAG, &[("flag", escape(flag).into())]),
        // offers
        RuleError::UnknownOffer => why(m::WHY_UNKNOWN_OFFER),
        RuleError::OfferExpired => why(m::WHY_OFFER_EXPIRED),
        RuleError::OfferTaken => why(m::WHY_OFFER_TAKEN),
        // offers-bundle
        RuleError::BundleItemOwned { item } => {
            with(m::WHY_BUNDLE_ITEM_OWNED, &[("item", texts::shop_item_name(language, item).into())])
        }
    }
}

/// What was wrong with a request that could not be read.
fn malformed_reason(language: Language, malformed: &Malformed) -> String {
    let with = |message, args: &[(&str, Arg<'_>)]| tw(language, message, args);
    match malformed {
        Malformed::Usage(usage) => with(m::WHY_USAGE, &[("command", usage.as_str().into())]),
        Malformed::AuctionTooShort { seconds } => with(m::WHY_AUCTION_TOO_SHORT, &[("seconds", (*seconds).into())]),
        Malformed::AuctionTooLong { days } => with(m::WHY_AUCTION_TOO_LONG, &[("days", (*days).into())]),
        Malformed::NotStars { currency } => with(m::WHY_NOT_STARS, &[("currency", currency.as_str().into())]),
        Malformed::InvalidInvoice => t(language, m::WHY_INVALID_INVOICE),
        Malformed::ShopBusy => t(language, m::WHY_SHOP_BUSY),
        Malformed::NotDelivered => t(language, m::WHY_NOT_DELIVERED),
        Malformed::UnknownFragment(fragment) => {
            with(m::WHY_UNKNOWN_FRAGMENT, &[("fragment", fragment.as_str().into())])
        }
        Malformed::UnknownLorePiece(_) => t(language, m::WHY_UNKNOWN_LORE_PIECE),
        Malformed::Unavailable(detail) => with(m::WHY_UNAVAILABLE, &[("detail", detail.as_str().into())]),
    }
}

/// The answer to an operator's /reload: how much content is live now, or
/// why the files were refused (the previous content stays).
pub fn reload_report(language: Language, result: Result<usize, String>) -> Rendered {
    match result {
        Ok(fragments) => plain(tw(language, m::RELOADED, &[("fragments", fragments.into())])),
        Err(problems) => {
            // Telegram caps a message at 4096 characters.
            let problems: String = problems.chars().take(3500).collect();
            plain(format!("{}\n<pre>{}</pre>", t(language, m::RELOAD_REFUSED), escape(&problems)))
        }
    }
}

/// An operator's `/posts`: the last posts published and what players did
/// with them.
pub fn posts_report(language: Language, posts: &[(Post, Engagement)], fragments: &[(String, Engagement)]) -> Rendered {
    let counts = |engagement: &Engagement| {
        let args = [
            ("reactions", engagement.reactions.into()),
            ("reactors", engagement.unique_reactors.into()),
            ("besitos", engagement.besitos_paid.into()),
        ];
        tw(language, m::ENGAGEMENT, &args)
    };
    let mut text = t(language, m::POSTS_TITLE);
    if posts.is_empty() {
        text.push('\n');
        text.push_str(&t(language, m::POSTS_NONE));
    }
    for (post, engagement) in posts {
        let vip = if post.target == ReactionTarget::VipPost { " 💎" } else { "" };
        let args =
            [("id", post.post.message_id.into()), ("vip", vip.into()), ("excerpt", escape(&post.excerpt).into())];
        text.push_str(&format!("\n{}\n   {}", tw(language, m::POST_LINE, &args), counts(engagement)));
    }
    if !fragments.is_empty() {
        text.push_str("\n\n");
        text.push_str(&t(language, m::STORY_PAGES_TITLE));
        for (fragment, engagement) in fragments {
            text.push_str(&format!("\n{} · {}", escape(fragment), counts(engagement)));
        }
    }
    plain(text)
}

/// The player's recent besitos movements, newest first.
pub fn ledger(language: Language, entries: &[(i64, String, i64)], codec: &CallbackCodec, user: UserId) -> Rendered {
    let mut text = t(language, m::LEDGER_TITLE);
    if entries.is_empty() {
        text.push('\n');
        text.push_str(&t(language, m::LEDGER_EMPTY));
    }
    for (amount, reason, _) in entries {
        text.push_str(&format!("\n{amount:+} · {}", escape(&reason_name(language, reason))));
    }
    let back = InlineKeyboardButton::callback(t(language, m::BACK_TO_PROFILE), codec.encode(user, Action::Profile));
    Rendered { text, keyboard: Some(InlineKeyboardMarkup::new([[back]])) }
}

/// Why besitos moved (a ledger reason's name), as a player reads it.
fn reason_name(language: Language, reason: &str) -> String {
    tw(language, m::LEDGER_REASON, &[("reason", reason.into())])
}

/// What the giver of a gift is told.
pub fn gift_report(language: Language, outcome: &GiftOutcome, amount: i64, to: &str) -> Rendered {
    let to = escape(to);
    match outcome {
        GiftOutcome::Delivered => {
            plain(tw(language, m::GIFT_DELIVERED, &[("amount", amount.into()), ("to", to.as_str().into())]))
        }
        GiftOutcome::InFlight => {
            plain(tw(language, m::GIFT_IN_FLIGHT, &[("amount", amount.into()), ("to", to.as_str().into())]))
        }
        GiftOutcome::Refunded(_) => plain(tw(language, m::GIFT_REFUNDED, &[("to", to.as_str().into())])),
        GiftOutcome::Refused(refused) => refusal(language, refused),
        GiftOutcome::Duplicate => plain(t(language, m::ALREADY_HANDLED)),
    }
}

/// What the receiver of a gift is told.
pub fn gift_received(language: Language, amount: i64, from: &str) -> Rendered {
    plain(tw(language, m::GIFT_RECEIVED, &[("from", escape(from).into()), ("amount", amount.into())]))
}

/// A player over an inbound rate limit (`telegram::ratelimit`): plain text,
/// as it may be a button's alert (`reactions`: their reactions stop
/// counting for a while, rather than their requests being served).
pub fn slow_down(language: Language, reactions: bool, seconds: u64) -> String {
    let message = if reactions { m::SLOW_DOWN_REACTIONS } else { m::SLOW_DOWN };
    tw(language, message, &[("seconds", seconds.into())])
}

/// An operator or player named someone the bot does not know.
pub fn unknown_recipient(language: Language, name: &str) -> Rendered {
    plain(tw(language, m::UNKNOWN_RECIPIENT, &[("name", escape(name).into())]))
}

/// The alert shown for a button that cannot be honoured.
pub fn button_refusal(language: Language, error: CallbackError) -> String {
    match error {
        CallbackError::Expired => t(language, m::BUTTON_EXPIRED),
        CallbackError::Malformed | CallbackError::Forged => t(language, m::BUTTON_FORGED),
    }
}

pub(crate) fn plain(text: impl Into<String>) -> Rendered {
    Rendered { text: text.into(), keyboard: None }
}

/// Telegram HTML needs `<`, `>` and `&` escaped in user-supplied text.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A text without variables in `language`.
fn t(language: Language, message: Message) -> String {
    texts::text(language, message)
}

/// A text in `language` with its variables.
fn tw(language: Language, message: Message, args: &[(&str, Arg<'_>)]) -> String {
    texts::text_with(language, message, args)
}

#[cfg(test)]
mod tests;

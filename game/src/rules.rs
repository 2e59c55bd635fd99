//! Commands, events and the decision function.

use serde::{Deserialize, Serialize};

use crate::content::{Content, ReactionTarget};
use crate::error::RuleError;
use crate::ids::{Besitos, ItemId, Language, PostRef, UpdateId, UserId};
use crate::ledger::{Account, LedgerEntry, Reason};
use crate::reaction::{self, Reacted};
use crate::state::{Profile, UserState};
use crate::{auction, economy, progression, shop, story};

/// What a user (or an operator acting on a user) asks of the game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// /start: registers the user (once) and pays the welcome bonus.
    Register {
        first_name: String,
        username: Option<String>,
        language: Language,
    },
    SetLanguage(Language),
    /// Reactions newly set on a post; each emoji pays once per post, ever,
    /// at the rates of `target` (which the post's actor answered).
    React {
        post: PostRef,
        target: ReactionTarget,
        emojis: Vec<String>,
    },
    /// Reactions newly set on message `page` of the player's private chat:
    /// paid at the `fragment` rates if it shows a story page, each emoji
    /// once per fragment, ever.
    ReactToPage {
        page: i32,
        emojis: Vec<String>,
    },
    AdminGrant(Besitos),
    AdminDeduct(Besitos),
    GrantItem {
        item: ItemId,
        quantity: u32,
    },
    ConsumeItem {
        item: ItemId,
        quantity: u32,
    },
    /// An operator grants VIP for some days (from now, or extending).
    GrantVip {
        days: u32,
    },
    /// Opens the story: enters the first fragment the first time.
    ///
    /// `page`, here and in the other story commands, is the message of the
    /// player's chat the reply turns into the story page (a button press
    /// edits its own message); `None` when the page is sent as a new
    /// message, whose id [`Command::ShowStoryPage`] records once sent.
    OpenStory {
        page: Option<i32>,
    },
    /// TOMAR_DECISION: takes the `choice`-th decision of the fragment the
    /// button was rendered for (`fragment` is its [`crate::story::fragment_tag`]),
    /// so a button from an older fragment is recognised as stale.
    Decide {
        fragment: u32,
        choice: u8,
        page: Option<i32>,
    },
    /// Back to the first fragment after an ending; keeps everything earned.
    RestartStory {
        page: Option<i32>,
    },
    /// The bot sent `fragment` as a new message, `page`: reactions on it pay
    /// for that fragment. A message already known keeps what it shows (a
    /// press on it may have been recorded first).
    ShowStoryPage {
        page: i32,
        fragment: String,
    },
    /// The daily gift: once per UTC day, more with every day of the streak.
    ClaimDailyGift,
    /// Saga step 1 (giver): besitos leave for transfer `transfer`.
    SendGift {
        to: UserId,
        amount: Besitos,
        transfer: i64,
    },
    /// Saga step 2 (receiver): takes transfer `transfer`; idempotent.
    ReceiveGift {
        from: UserId,
        amount: Besitos,
        transfer: i64,
    },
    /// Saga step 3 (giver): the transfer arrived; idempotent.
    SettleTransfer {
        transfer: i64,
    },
    /// Compensation (giver): the receiver refused; besitos come back; idempotent.
    RefundTransfer {
        transfer: i64,
    },
    /// COMPRAR_ITEM step 1 (buyer): every check, then the price in besitos
    /// is paid into the shop and purchase `purchase` stays open.
    StartPurchase {
        purchase: i64,
        item: String,
    },
    /// Last step (buyer): the item and its unlocks; idempotent.
    FulfilPurchase {
        purchase: i64,
    },
    /// Compensation (buyer): a later step failed; the besitos come back;
    /// idempotent, and a no-op once the purchase was fulfilled.
    AbortPurchase {
        purchase: i64,
    },
    /// The player asks to pay `item` in Telegram Stars: checked and counted
    /// as an attempt before the bot sends the invoice.
    RequestInvoice {
        item: String,
    },
    /// Telegram took `stars` for `item` (charge `charge`): the item is
    /// granted, once per charge.
    PayWithStars {
        charge: String,
        purchase: i64,
        item: String,
        stars: u32,
    },
    /// The Stars of `charge` went back to the player: what the item gave is
    /// taken back as far as possible; once per charge.
    RefundStars {
        charge: String,
    },
    /// Bid step 1 (bidder): `amount` goes into auction `auction`'s escrow
    /// under bid id `bid`; idempotent.
    HoldBid {
        auction: i64,
        bid: i64,
        amount: Besitos,
    },
    /// The bid was outbid or refused, or the auction cancelled: the held
    /// besitos come back; idempotent.
    ReleaseHold {
        auction: i64,
        bid: i64,
    },
    /// The bid won: the held besitos are spent and the item arrives;
    /// idempotent.
    ConsumeHold {
        auction: i64,
        bid: i64,
        item: ItemId,
        quantity: u32,
    },
}

impl Command {
    /// Short stable name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Command::Register { .. } => "register",
            Command::SetLanguage(_) => "set_language",
            Command::React { .. } => "react",
            Command::ReactToPage { .. } => "react_to_page",
            Command::AdminGrant(_) => "admin_grant",
            Command::AdminDeduct(_) => "admin_deduct",
            Command::GrantItem { .. } => "grant_item",
            Command::ConsumeItem { .. } => "consume_item",
            Command::GrantVip { .. } => "grant_vip",
            Command::OpenStory { .. } => "open_story",
            Command::Decide { .. } => "decide",
            Command::RestartStory { .. } => "restart_story",
            Command::ShowStoryPage { .. } => "show_story_page",
            Command::ClaimDailyGift => "claim_daily_gift",
            Command::SendGift { .. } => "send_gift",
            Command::ReceiveGift { .. } => "receive_gift",
            Command::SettleTransfer { .. } => "settle_transfer",
            Command::RefundTransfer { .. } => "refund_transfer",
            Command::StartPurchase { .. } => "start_purchase",
            Command::FulfilPurchase { .. } => "fulfil_purchase",
            Command::AbortPurchase { .. } => "abort_purchase",
            Command::RequestInvoice { .. } => "request_invoice",
            Command::PayWithStars { .. } => "pay_with_stars",
            Command::RefundStars { .. } => "refund_stars",
            Command::HoldBid { .. } => "hold_bid",
            Command::ReleaseHold { .. } => "release_hold",
            Command::ConsumeHold { .. } => "consume_hold",
        }
    }
}

/// A fact that happened to a user's state. Events are what persistence writes
/// (ledger rows, inventory rows) and what analytics will collect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    Registered {
        profile: Profile,
    },
    LanguageChanged {
        language: Language,
    },
    Ledger(LedgerEntry),
    ItemsGranted {
        item: ItemId,
        quantity: u32,
    },
    ItemsConsumed {
        item: ItemId,
        quantity: u32,
    },
    /// A reaction paid `besitos` (0 when its emoji pays nothing).
    ReactionRewarded {
        on: Reacted,
        emoji: String,
        besitos: i64,
    },
    CounterIncremented {
        counter: String,
        by: u64,
    },
    FragmentEntered {
        fragment: String,
        secret: bool,
    },
    FlagSet {
        flag: String,
    },
    /// Message `page` of the player's chat now shows `fragment`.
    StoryPageShown {
        page: i32,
        fragment: String,
    },
    AchievementUnlocked {
        achievement: String,
    },
    ExperienceGained {
        points: u64,
    },
    Unlocked(Unlock),
    /// VIP membership now lasts until this unix second.
    VipExtended {
        until: i64,
    },
    /// ACCEDER_NARRATIVA_VIP refused a free player: a conversion
    /// opportunity, recorded for analytics; the bot shows a preview.
    VipDenied {
        fragment: String,
    },
    /// `day` is days since the Unix epoch (UTC).
    /// Reactions paid on UTC `day` so far, for the daily limit.
    ReactionsPaidToday {
        day: i64,
        count: u32,
    },
    /// A mission counted towards its goal in `period`; `done` once reached.
    MissionProgressed {
        mission: String,
        period: i64,
        count: u32,
        done: bool,
    },
    DailyGiftClaimed {
        day: i64,
        streak: u32,
    },
    TransferOpened {
        transfer: i64,
        to: UserId,
        amount: i64,
        day: i64,
    },
    TransferReceived {
        transfer: i64,
    },
    TransferClosed {
        transfer: i64,
    },
    /// A purchase was attempted at this unix second (for the rate limit).
    PurchaseAttempted {
        at: i64,
    },
    /// The buyer paid `besitos` for `item`; the purchase is open.
    PurchaseOpened {
        purchase: i64,
        item: String,
        besitos: i64,
    },
    /// The purchase ended: the item delivered, or the besitos returned.
    PurchaseClosed {
        purchase: i64,
        item: String,
        besitos: i64,
        completed: bool,
    },
    StarsPaid {
        charge: String,
        purchase: i64,
        item: String,
        stars: u32,
    },
    StarsRefunded {
        charge: String,
    },
    /// A second charge for a purchase already paid: nothing granted; the
    /// Stars are owed back (refunded by the caller through Telegram).
    StarsPaidTwice {
        charge: String,
        purchase: i64,
        stars: u32,
    },
    /// A bid's besitos went into escrow (the ledger entry is beside it).
    BidHeld {
        auction: i64,
        bid: i64,
        amount: i64,
    },
    HoldReleased {
        auction: i64,
        bid: i64,
    },
    /// A winning bid's besitos left escrow for good.
    HoldConsumed {
        auction: i64,
        bid: i64,
        amount: i64,
    },
}

/// Something a reward makes available to one player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unlock {
    Fragment(String),
    Experience(String),
    ShopItem(String),
}

/// Economy tunables. Operators will set them from content; these defaults
/// make the embedded server playable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    pub welcome_bonus: i64,
    /// The daily gift on the first day of a streak.
    pub daily_gift: i64,
    /// Multiplier of the daily gift by streak day (1st, 2nd, …); the last
    /// one holds for every longer streak.
    pub streak_multipliers: Vec<i64>,
    /// Largest gift between players, in besitos.
    pub max_gift: i64,
    /// Gifts a player may send per UTC day.
    pub max_gifts_per_day: u32,
    /// Purchase attempts (in besitos or Stars) a player may make per hour.
    pub max_purchase_attempts_per_hour: u32,
    /// Most besitos a player may receive per UTC day under a reason (a
    /// faucet); reasons not listed are uncapped.
    pub daily_caps: std::collections::BTreeMap<Reason, i64>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            welcome_bonus: 10,
            daily_gift: 5,
            streak_multipliers: vec![1, 1, 2, 2, 3, 3, 5],
            max_gift: 1_000,
            max_gifts_per_day: 10,
            max_purchase_attempts_per_hour: 5,
            daily_caps: Default::default(),
        }
    }
}

/// What a decision may read besides the state: the time, the tunables and
/// the content.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// Unix seconds.
    pub now: i64,
    pub rules: &'a Rules,
    pub content: &'a Content,
    /// The update being handled, recorded on ledger entries.
    pub update_id: Option<UpdateId>,
}

/// Validates `command` against `state` and returns the events it produces.
/// Never mutates: apply the events with [`UserState::apply`].
pub fn decide(state: &UserState, command: &Command, ctx: Ctx<'_>) -> Result<Vec<Event>, RuleError> {
    let mut events = decide_command(state, command, ctx)?;
    if !events.is_empty() {
        // Achievements and missions follow from what the command did; their
        // rewards are part of the same all-or-nothing decision.
        let follow_up = progression::follow(state, &events, ctx)?;
        events.extend(follow_up);
        within_daily_caps(state, &events, ctx)?;
    }
    Ok(events)
}

/// Refuses a decision that would pay a player more besitos under one
/// reason today than the reason's daily cap (`Rules::daily_caps`).
fn within_daily_caps(state: &UserState, events: &[Event], ctx: Ctx<'_>) -> Result<(), RuleError> {
    if ctx.rules.daily_caps.is_empty() {
        return Ok(());
    }
    let today = economy::day_of(ctx.now);
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
    if !state.is_registered() && !matches!(command, Command::Register { .. }) {
        return Err(RuleError::UnknownUser);
    }
    let mut journal = Journal::new(state, ctx);
    match command {
        Command::Register { first_name, username, language } => {
            if state.is_registered() {
                return Ok(Vec::new());
            }
            let profile = Profile {
                first_name: first_name.clone(),
                username: username.clone(),
                language: *language,
                registered_at: ctx.now,
            };
            let mut events = vec![Event::Registered { profile }];
            if ctx.rules.welcome_bonus > 0 {
                events.push(journal.credit(ctx.rules.welcome_bonus, Reason::WelcomeBonus));
            }
            Ok(events)
        }
        Command::SetLanguage(language) => Ok(vec![Event::LanguageChanged { language: *language }]),
        Command::React { post, target, emojis } => {
            reaction::decide(state, Reacted::Post(*post), *target, emojis, ctx, &mut journal)
        }
        Command::ReactToPage { page, emojis } => {
            let on = reaction::page_fragment(state, *page)?;
            reaction::decide(state, on, ReactionTarget::Fragment, emojis, ctx, &mut journal)
        }
        Command::AdminGrant(amount) => Ok(vec![journal.credit(amount.get(), Reason::AdminGrant)]),
        Command::AdminDeduct(amount) => {
            let needed = amount.get();
            if state.wallet.balance < needed {
                return Err(RuleError::InsufficientFunds { balance: state.wallet.balance, needed });
            }
            Ok(vec![journal.debit(needed, Reason::AdminDeduction)])
        }
        Command::GrantItem { item, quantity } => {
            positive_quantity(*quantity)?;
            if state.item_count(item).checked_add(*quantity).is_none() {
                return Err(RuleError::TooManyItems { item: item.clone() });
            }
            Ok(vec![Event::ItemsGranted { item: item.clone(), quantity: *quantity }])
        }
        Command::ConsumeItem { item, quantity } => {
            positive_quantity(*quantity)?;
            let have = state.item_count(item);
            if have < *quantity {
                return Err(RuleError::InsufficientItems { item: item.clone(), have, needed: *quantity });
            }
            Ok(vec![Event::ItemsConsumed { item: item.clone(), quantity: *quantity }])
        }
        Command::GrantVip { days } => {
            if *days == 0 {
                return Err(RuleError::NonPositiveAmount(0));
            }
            Ok(vec![story::extend_vip(state, ctx.now, *days)])
        }
        Command::OpenStory { .. }
        | Command::Decide { .. }
        | Command::RestartStory { .. }
        | Command::ShowStoryPage { .. } => story::decide(state, command, ctx, journal),
        Command::ClaimDailyGift
        | Command::SendGift { .. }
        | Command::ReceiveGift { .. }
        | Command::SettleTransfer { .. }
        | Command::RefundTransfer { .. } => economy::decide(state, command, ctx, journal),
        Command::StartPurchase { .. }
        | Command::FulfilPurchase { .. }
        | Command::AbortPurchase { .. }
        | Command::RequestInvoice { .. }
        | Command::PayWithStars { .. }
        | Command::RefundStars { .. } => shop::decide(state, command, ctx, journal),
        Command::HoldBid { .. } | Command::ReleaseHold { .. } | Command::ConsumeHold { .. } => {
            auction::decide(state, command, ctx, journal)
        }
    }
}

fn positive_quantity(quantity: u32) -> Result<(), RuleError> {
    if quantity == 0 {
        return Err(RuleError::NonPositiveAmount(0));
    }
    Ok(())
}

/// Hands out consecutive ledger sequence numbers within one decision.
pub(crate) struct Journal<'a> {
    next_seq: u64,
    ctx: Ctx<'a>,
}

impl<'a> Journal<'a> {
    pub(crate) fn new(state: &UserState, ctx: Ctx<'a>) -> Journal<'a> {
        Journal { next_seq: state.wallet.next_seq, ctx }
    }

    pub(crate) fn credit(&mut self, amount: i64, reason: Reason) -> Event {
        self.entry(amount, reason)
    }

    pub(crate) fn debit(&mut self, amount: i64, reason: Reason) -> Event {
        self.entry(-amount, reason)
    }

    fn entry(&mut self, amount: i64, reason: Reason) -> Event {
        self.post(amount, reason, Account::System(reason))
    }

    /// An entry against an explicit counter-account (a transfer).
    pub(crate) fn post(&mut self, amount: i64, reason: Reason, counter_account: Account) -> Event {
        let seq = self.next_seq;
        self.next_seq += 1;
        Event::Ledger(LedgerEntry {
            seq,
            amount,
            counter_account,
            reason,
            update_id: self.ctx.update_id,
            at: self.ctx.now,
        })
    }
}
